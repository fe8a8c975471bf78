"""The ``onnx`` embedding backend: the verified transformer run by ONNX Runtime.

``embed.backend: onnx`` runs the same MiniLM (or local sentence-transformers model) with the
transformer on ONNX Runtime instead of torch: tokenising, padding, pooling and normalisation
stay sentence-transformers' own, so only the matrix kernels differ. Measured on this
machine (docs/performance.md, ``bench/embed_onnx.py``, ``bench/scale.py``): embedding
1.2-1.6x faster on 5k-100k sentences, 1.03-1.2x on long window segments, vectors within
2.3e-7 of torch's (the size of torch's own change between one and two threads).

The ONNX file is exported offline from the loaded, verified weights with
``torch.onnx.export`` on first use (about 3 s, nothing downloaded) and kept in the cache::

    <cache>/models/onnx-<first 12 of the model's content hash>-opset17-<versions hash>/
        model.onnx  textmine-model.json

The record names the model it was exported from, the exporter's versions and the file's
sha256, checked before each use (:mod:`textmine.models.built`). The export is byte for byte
reproducible with the same torch and onnx (tested), so the folder is a cache like the static
model's, not a second model to trust.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from textmine.errors import ModelError
from textmine.models.built import ensure_built, write_built
from textmine.models.sources import ModelSource
from textmine.runfolder import installed_versions

OPSET = 17
#: the packages that decide the exported graph and what runs it
EXPORT_LIBRARIES = ("torch", "transformers", "onnx")
RUN_LIBRARIES = ("onnxruntime",)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
log = logging.getLogger("textmine")


def _require() -> None:
    missing = [name for name, v in installed_versions(EXPORT_LIBRARIES + RUN_LIBRARIES).items()
               if v is None]
    if missing:
        raise ModelError(f"embed.backend onnx needs {', '.join(missing)}, not installed",
                         key="embed.backend",
                         hint="pip install 'textmine[onnx]', or embed.backend: torch")


def onnx_folder(cache_dir: Path, source: ModelSource) -> Path:
    """Where the ONNX export of ``source`` with this machine's exporter versions lives."""
    stamp = hashlib.sha256(repr(sorted(installed_versions(EXPORT_LIBRARIES).items())).encode())
    return (Path(cache_dir) / "models"
            / f"onnx-{source.sha256[:12]}-opset{OPSET}-{stamp.hexdigest()[:8]}")


def _input_names(model: Any) -> list[str]:
    features = model.preprocess(["a"])
    return [name for name in _INPUTS if name in features]


def export_transformer(model: Any, path: Path) -> None:
    """Write the transformer of a loaded ``SentenceTransformer`` to ``path`` as ONNX.

    Dynamic batch and length. Traced on two texts of different lengths: on one unpadded
    text, transformers skips the all-ones attention mask and the exporter would bake "no
    padding" into the graph, so padded rows came out wrong.
    """
    import warnings

    import torch

    transformer = model[0].auto_model
    names = _input_names(model)
    example = model.preprocess(["An example sentence to trace the graph, a longer one.",
                                "A short one."])

    class Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    axes = {name: {0: "batch", 1: "length"} for name in [*names, "last_hidden_state"]}
    was_training = transformer.training
    try:
        # eval() on the wrapper: the exporter restores the wrapper's training flag after
        # export, and a new module's is True, which would switch on the model's dropout
        with torch.inference_mode(), warnings.catch_warnings():
            # the tracer's notes on Python conditions it folds (shapes are dynamic axes)
            warnings.simplefilter("ignore")
            torch.onnx.export(Hidden(transformer).eval(), tuple(example[n] for n in names),
                              str(path), input_names=names,
                              output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=OPSET, dynamo=False)
    finally:
        transformer.train(was_training)


def ensure_onnx(source: ModelSource, model: Any, cache_dir: Path) -> Path:
    """The checked ONNX export of ``source`` (exported from ``model`` first if need be).

    Parameters
    ----------
    source
        The verified model folder ``model`` was loaded from.
    model
        The loaded ``SentenceTransformer``.
    cache_dir
        The cache folder (``models/`` is made inside it).

    Returns
    -------
    Path
        The ``model.onnx`` file.
    """
    _require()
    folder = onnx_folder(cache_dir, source)

    def fill(tmp: Path) -> dict[str, Any]:
        try:
            export_transformer(model, tmp / "model.onnx")
        except Exception as exc:  # any exporter error: name the model and the key
            raise ModelError(f"the model cannot be exported to ONNX: {type(exc).__name__}: "
                             f"{exc}", path=source.path, key="embed.backend",
                             hint="embed.backend: torch") from None
        return {"exported_from": {"name": source.name, "sha256": source.sha256},
                "opset": OPSET, "versions": installed_versions(EXPORT_LIBRARIES)}

    def build(target: Path) -> None:
        log.info("exporting %s to ONNX into %s (first use only; a few seconds)", source.name,
                 target)
        write_built(target, fill)

    ensure_built(folder, build, what="the ONNX export")
    return folder / "model.onnx"


def onnx_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session of ``path`` computing with ``threads`` threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # its notes on unused initialisers are not the user's
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"ONNX Runtime cannot load the export: {type(exc).__name__}: {exc}",
                         path=path, key="embed.backend") from None


def encode_features(session: Any, model: Any, features: dict[str, Any]) -> np.ndarray:
    """Sentence vectors of tokenised, padded ``features`` (float32 rows).

    The transformer on ONNX Runtime, then the model's own pooling and normalisation modules.
    """
    import torch

    names = [i.name for i in session.get_inputs()]
    feed = {name: features[name].numpy().astype(np.int64) for name in names}
    hidden = session.run(["last_hidden_state"], feed)[0]
    features = {**features, "token_embeddings": torch.from_numpy(hidden)}
    with torch.inference_mode():
        for module in list(model)[1:]:
            features = module(features)
    return features["sentence_embedding"].float().numpy()
