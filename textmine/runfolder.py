"""The run folder: written into a temporary sibling, moved into place only when complete.

A failed or killed run leaves no half-written folder, and an earlier run's folder stays
intact until the new one is complete.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml

from textmine.io.corpus_dir import staging_folder

__all__ = ["Stages", "installed_versions", "now_utc", "package_versions", "sha256_file",
           "staging_folder", "write_json", "write_yaml"]

PACKAGES = ("textmine", "numpy", "pandas", "pyarrow", "pydantic", "pyyaml", "rapidfuzz", "nltk",
            "tokenizers", "python-docx", "odfpy", "openpyxl", "torch", "sentence-transformers",
            "transformers", "model2vec", "bertopic", "umap-learn", "hdbscan", "scikit-learn",
            "phonenumbers", "python-stdnum", "statsmodels", "formulaic", "matplotlib",
            "plotly", "onnxruntime", "onnx")


def installed_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    """The installed version of each named distribution (``None`` where it is missing)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages a run's results depend on."""
    return {"python": platform.python_version(), **installed_versions(PACKAGES)}


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Stages:
    """Seconds and counters per pipeline stage, for the manifest."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, Any]] = {}

    @contextmanager
    def __call__(self, name: str):
        """Time a stage; counters can be added to the yielded dict."""
        record: dict[str, Any] = {}
        start = time.perf_counter()
        try:
            yield record
        finally:
            record["seconds"] = round(time.perf_counter() - start, 3)
            self.stages[name] = record


def write_json(path: Path, data: Any) -> None:
    """JSON with sorted keys and a final newline (stable bytes for stable inputs)."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)
                    + "\n", encoding="utf-8")


def write_yaml(path: Path, data: Any) -> None:
    """YAML in a stable key order."""
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def now_utc() -> str:
    """ISO timestamp for the manifest."""
    return datetime.now(UTC).isoformat(timespec="seconds")
