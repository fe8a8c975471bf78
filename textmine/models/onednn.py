"""The ``onednn`` embedding backend: torch, with the transformer's linear layers on oneDNN.

Nearly all of MiniLM's time is its linear layers (``aten::addmm``: 90% of a forward pass
on 64 sentences, profiled). torch's CPU wheels compute them with MKL's ``sgemm``, which on
AMD's AVX-512 cores reaches 50-85% of what oneDNN gets from the same shapes
(``bench/embed_floor.py``: 210 against 430 GFLOP/s on a Zen 5 EPYC, 185 against 218 on a
Zen 4). torch ships oneDNN too: its fp32 linear layer with the weights packed once into
oneDNN's blocked layout (``mkldnn::_linear_pointwise``, what torch's own compiler calls for a
frozen ``nn.Linear`` on the CPU) takes and returns ordinary tensors, and can apply the GELU
of the feed-forward block in the same pass (a "post-op"), so no activation is copied into
another layout or read twice. The vectors stay fp32 and within ~4e-7 of MKL's, about the
change torch's own thread count makes.

Only ``nn.Linear`` modules inside the transformer are replaced (with the GELU folded into
the first feed-forward layer where the block is BERT's: a ``dense`` layer followed by an
exact GELU); tokenising, attention, layer norms, pooling and normalising are untouched.
Nothing is exported or cached, and no package is added.
"""

from __future__ import annotations

from typing import Any

from textmine.errors import ModelError

#: the post-op names oneDNN's linear layer takes, for the activations folded into it
_POST_OPS = {"none": ("none", ""), "gelu": ("gelu", "none")}  # "none": exact (erf) GELU


class OneDNNLinear:
    """Stand-in for an ``nn.Linear``: its weights packed for oneDNN, the same product.

    Built by :func:`use_onednn_linear` (a class made there, so that importing this module
    does not import torch). ``post_op`` is ``"none"`` or ``"gelu"`` (the exact GELU applied
    to the product in the same pass).
    """


def _linear_class():
    import torch

    class _OneDNNLinear(torch.nn.Module, OneDNNLinear):
        def __init__(self, dense: torch.nn.Linear, post_op: str = "none") -> None:
            super().__init__()
            self.in_features, self.out_features = dense.in_features, dense.out_features
            self.post_op = post_op
            self._attr, self._algorithm = _POST_OPS[post_op]
            with torch.no_grad():
                # packed for any number of rows: a vector must not depend on its batch size
                self.register_buffer("weight", torch.ops.mkldnn._reorder_linear_weight(
                    dense.weight.detach().contiguous()))
                bias = (dense.bias.detach() if dense.bias is not None
                        else torch.zeros(dense.out_features))
                self.register_buffer("bias", bias.clone().contiguous())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.ops.mkldnn._linear_pointwise(x.contiguous(), self.weight, self.bias,
                                                      self._attr, [], self._algorithm)

        def extra_repr(self) -> str:
            return (f"in_features={self.in_features}, out_features={self.out_features}, "
                    f"post_op={self.post_op}")

    return _OneDNNLinear


def onednn_available() -> bool:
    """Whether this torch build has oneDNN and its packed linear layer (x86-64 wheels do)."""
    import torch

    if not torch.backends.mkldnn.is_available():
        return False
    ops = torch.ops.mkldnn
    try:
        return hasattr(ops, "_linear_pointwise") and hasattr(ops, "_reorder_linear_weight")
    except RuntimeError:  # an op namespace this build does not register
        return False


def _exact_gelu(module: Any) -> bool:
    """Whether ``module`` is the exact (erf) GELU, the post-op oneDNN applies as ``gelu``."""
    import torch

    if type(module) is torch.nn.GELU:
        return module.approximate == "none"
    try:
        from transformers.activations import GELUActivation
    except ImportError:
        return False
    # transformers' GELUActivation is the exact GELU unless built with use_gelu_python, whose
    # own formula rounds differently
    return (type(module) is GELUActivation
            and getattr(module, "act", None) is torch.nn.functional.gelu)


def use_onednn_linear(model: Any) -> int:
    """Replace the ``nn.Linear`` layers of a loaded SentenceTransformer's transformer.

    Parameters
    ----------
    model
        A ``SentenceTransformer`` whose first module holds the transformer (``auto_model``).

    Returns
    -------
    int
        The number of layers replaced (37 in MiniLM-L6: six per layer, six layers, and the
        pooler), of which six carry the feed-forward GELU.

    Raises
    ------
    ModelError
        If this torch has no oneDNN, or the model has no linear layers to replace.
    """
    import torch

    if not onednn_available():
        raise ModelError("embed.backend onednn needs a torch build with oneDNN, and this one "
                         "has none", key="embed.backend", hint="embed.backend: torch")
    transformer = getattr(model[0], "auto_model", None)
    if transformer is None:
        raise ModelError("embed.backend onednn needs a transformer model",
                         key="embed.backend", hint="embed.backend: torch")

    linear = _linear_class()

    def swap(module: torch.nn.Module) -> int:
        count = 0
        dense = getattr(module, "dense", None)
        act = getattr(module, "intermediate_act_fn", None)
        if type(dense) is torch.nn.Linear and act is not None and _exact_gelu(act):
            # BERT's feed-forward block: dense then GELU, folded into one pass
            module.dense = linear(dense, "gelu")
            module.intermediate_act_fn = torch.nn.Identity()
            count += 1
        for name, child in module.named_children():
            if type(child) is torch.nn.Linear:  # not subclasses: their forward may differ
                setattr(module, name, linear(child))
                count += 1
            else:
                count += swap(child)
        return count

    replaced = swap(transformer)
    if not replaced:
        raise ModelError("embed.backend onednn found no linear layers in the transformer",
                         key="embed.backend", hint="embed.backend: torch")
    return replaced
