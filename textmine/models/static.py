"""The fast ``static`` model: model2vec vectors distilled offline from the bundled MiniLM.

Distillation runs MiniLM once over its own vocabulary (about 30,000 word pieces), reduces the
token vectors with PCA and stores them; encoding a text is then a look-up and an average, with
no transformer, about two orders of magnitude faster than MiniLM on a CPU. It is done on first
use and kept in the cache folder::

    <cache>/models/static-minilm-<first 12 of MiniLM's content hash>-pca<dims>/
        model.safetensors  tokenizer.json  config.json  modules.json  textmine-model.json

``textmine-model.json`` records what it was distilled from, with which parameters and library
versions, and the sha256 of every file; the files are checked against it before each use. A
folder that fails the check is set aside and distilled again (with a warning): it is a cache,
never trusted blindly. Distillation writes into a temporary folder that is renamed into place
when complete, under a file lock, so two runs at once distil once and never see half a model
(:mod:`textmine.models.built`).
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import version
from pathlib import Path

from textmine.errors import ModelError
from textmine.models.built import ensure_built, write_built
from textmine.models.sources import ModelSource

#: what the distilled model's config names as its tokenizer: a name, not this machine's path,
#: so that the folder's bytes (and content hash) are the same wherever it is distilled
BASE_NAME = "sentence-transformers/all-MiniLM-L6-v2"
log = logging.getLogger("textmine")


def static_folder(cache_dir: Path, minilm: ModelSource, dims: int) -> Path:
    """Where the static model distilled from ``minilm`` with ``dims`` PCA dimensions lives."""
    return Path(cache_dir) / "models" / f"static-minilm-{minilm.sha256[:12]}-pca{dims}"


def ensure_static(minilm: ModelSource, cache_dir: Path, *, dims: int = 256,
                  progress: bool = False) -> ModelSource:
    """The static model for ``minilm`` and ``dims``, distilled first if it is not in the cache.

    Parameters
    ----------
    minilm
        The verified MiniLM it is distilled from (:func:`~textmine.models.sources.verify_minilm`).
    cache_dir
        The cache folder (``models/`` is made inside it).
    dims
        PCA dimensions of the static vectors.
    progress
        Show the libraries' progress bars while distilling.

    Returns
    -------
    ModelSource
        Kind ``static``; ``details`` say what it was distilled from and how.
    """
    Path(cache_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = static_folder(cache_dir, minilm, dims)

    def build(target: Path) -> None:
        log.info("distilling the static model from MiniLM into %s (first use only; "
                 "about a minute)", target)
        _distill_into(target, minilm, dims, progress=progress)

    record, sha = ensure_built(folder, build, what="the distilled static model")
    details = {k: record[k] for k in ("distilled_from", "pca_dims", "versions") if k in record}
    return ModelSource(name="static", kind="static", path=folder, sha256=sha, details=details)


def _distill_into(folder: Path, minilm: ModelSource, dims: int, *, progress: bool) -> None:
    """Distil into a temporary sibling, then rename it to ``folder`` (complete or absent)."""

    def fill(tmp: Path) -> dict:
        model = distill(minilm.path, dims=dims, progress=progress)
        model.save_pretrained(str(tmp))
        return {
            "distilled_from": {"name": minilm.name, "sha256": minilm.sha256,
                               "weights_sha256": minilm.details.get("weights_sha256")},
            "pca_dims": dims,
            "versions": {name: version(name) for name in ("model2vec", "torch", "transformers")},
        }

    write_built(folder, fill)


def distill(minilm_path: Path, *, dims: int = 256, progress: bool = False):
    """Distil a model2vec ``StaticModel`` from a local MiniLM folder, offline.

    The transformer and tokenizer are loaded here from the local folder (never by name from a
    hub) and handed to model2vec. Distillation was bitwise reproducible on the development
    machine (two runs, same vectors).
    """
    try:
        import model2vec.distill.inference as m2v_inference
        from model2vec.distill import distill_from_model
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError(
            f"distilling the static model needs model2vec and skeletoken ({exc})",
            key="embed.model", hint="pip install model2vec skeletoken") from None
    if not progress:
        hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(minilm_path), local_files_only=True,
                                      trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path), local_files_only=True,
                                              trust_remote_code=False, use_fast=True)
    # model2vec shows a bar of its own, with no switch: quieten it when no bar was asked for
    bar = getattr(m2v_inference, "tqdm", None)
    if bar is not None and not progress:
        m2v_inference.tqdm = functools.partial(bar, disable=True)
    try:
        static = distill_from_model(model=model, tokenizer=tokenizer, device="cpu",
                                    pca_dims=dims)
    finally:
        if bar is not None:
            m2v_inference.tqdm = bar
    static.config["tokenizer_name"] = BASE_NAME
    static.base_model_name = BASE_NAME
    return static
