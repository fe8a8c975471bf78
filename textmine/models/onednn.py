"""The ``onednn`` embedding backend: torch, with the transformer's linear layers on oneDNN.

Nearly all of MiniLM's time is its linear layers (``aten::addmm``: 90% of a forward pass
on 64 sentences, profiled). torch's CPU wheels compute them with MKL's ``sgemm``, which on
the AMD EPYC machines here reaches half of what the cores sustain with AVX-512 (210 against
430 GFLOP/s in MiniLM's shapes, ``bench/embed_floor.py``). torch ships a second kernel
library, oneDNN, whose fp32 linear layer (``aten::mkldnn_linear``, what
``torch.utils.mkldnn.MkldnnLinear`` runs, without its deprecated TorchScript wrapper) is the
same matrix product with another blocking: the vectors stay fp32 and within ~3e-7 of MKL's,
about the change torch's own thread count makes.

Only ``nn.Linear`` modules inside the transformer are replaced, with their weights copied
into oneDNN's layout once at load; tokenising, attention, pooling and normalising are
untouched. Nothing is exported or cached, and no package is added.
"""

from __future__ import annotations

from typing import Any

from textmine.errors import ModelError


class OneDNNLinear:
    """Stand-in for an ``nn.Linear``: its weights in oneDNN's layout, the same product.

    Built by :func:`use_onednn_linear` (a class made there, so that importing this module
    does not import torch).
    """


def _linear_class():
    import torch

    class _OneDNNLinear(torch.nn.Module, OneDNNLinear):
        def __init__(self, dense: torch.nn.Linear) -> None:
            super().__init__()
            self.in_features, self.out_features = dense.in_features, dense.out_features
            with torch.no_grad():
                self.register_buffer("weight", dense.weight.detach().to_mkldnn())
                bias = (dense.bias.detach() if dense.bias is not None
                        else torch.zeros(dense.out_features))
                self.register_buffer("bias", bias.to_mkldnn())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.ops.aten.mkldnn_linear(x.contiguous().to_mkldnn(), self.weight,
                                                self.bias).to_dense()

    return _OneDNNLinear


def onednn_available() -> bool:
    """Whether this torch build has oneDNN (x86-64 and aarch64 wheels do)."""
    import torch

    return bool(torch.backends.mkldnn.is_available())


def use_onednn_linear(model: Any) -> int:
    """Replace the ``nn.Linear`` layers of a loaded SentenceTransformer's transformer.

    Parameters
    ----------
    model
        A ``SentenceTransformer`` whose first module holds the transformer (``auto_model``).

    Returns
    -------
    int
        The number of layers replaced (36 in MiniLM-L6: six per layer, six layers).

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
