"""Model folders textmine builds itself from the shipped MiniLM, kept in the cache folder.

The static model (:mod:`textmine.models.static`) and the ONNX export
(:mod:`textmine.models.onnx_backend`) are built offline on first use and then reused. Both
follow the same rules, kept here once:

- a folder is built in a temporary sibling and renamed into place when complete, under a
  file lock, so two runs at once build once and never see half a model;
- its ``textmine-model.json`` records what it was built from, how, and the sha256 of every
  file; the files are checked against it before each use;
- a folder that fails the check is set aside (``<name>.corrupt-<time>``) and built again,
  with a warning: it is a cache, never trusted blindly.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

from textmine.errors import ModelError, TextmineWarning
from textmine.models.sources import RECORD_FILE, combine_hashes, file_hashes

_LOCK_TIMEOUT_S = 1800.0


def check_built(folder: Path) -> tuple[dict[str, Any], str] | str:
    """``(record, content sha256)`` if the folder is a complete, undamaged build, else why not."""
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        expected = record["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"its record {RECORD_FILE} is missing or unreadable ({type(exc).__name__})"
    actual = file_hashes(folder)
    if actual != expected:
        bad = sorted(set(actual.items()) ^ set(expected.items()))
        return f"file {bad[0][0]} does not match its recorded sha256"
    return record, combine_hashes(actual)


def write_built(folder: Path, fill: Callable[[Path], dict[str, Any]]) -> None:
    """Build ``folder`` in a temporary sibling, then rename it into place (complete or absent).

    ``fill(tmp)`` writes the model's files into ``tmp`` and returns the record's provenance;
    the files' sha256 are added here.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        start = time.perf_counter()
        record = fill(tmp)
        record = {**record, "seconds": round(time.perf_counter() - start, 1),
                  "files": file_hashes(tmp)}
        (tmp / RECORD_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_built(folder: Path, build: Callable[[Path], None], *,
                 what: str) -> tuple[dict[str, Any], str]:
    """The checked record and content hash of ``folder``, built first if absent or damaged.

    Parameters
    ----------
    folder
        Where the build lives (its parent is created).
    build
        ``build(folder)`` makes the complete folder (with :func:`write_built`).
    what
        What the folder holds, for the warning when it is set aside ("the distilled static
        model").

    Raises
    ------
    ModelError
        If a fresh build fails its own check (a bug, not a damaged cache).
    """
    checked = check_built(folder) if folder.exists() else "absent"
    if isinstance(checked, str):
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with FileLock(str(folder) + ".lock", timeout=_LOCK_TIMEOUT_S):
            # another run may have built it while this one waited for the lock
            checked = check_built(folder) if folder.exists() else "absent"
            if isinstance(checked, str):
                if folder.exists():
                    stamp = time.strftime("%Y%m%d-%H%M%S")
                    aside = folder.with_name(f"{folder.name}.corrupt-{stamp}")
                    os.replace(folder, aside)
                    warnings.warn(
                        f"{folder}: {what} failed its check ({checked}); it was moved to "
                        f"{aside.name} and will be built again", TextmineWarning, stacklevel=3)
                build(folder)
                checked = check_built(folder)
                if isinstance(checked, str):  # pragma: no cover - would be a bug in build
                    raise ModelError(f"{what} fails its check right after it was built: "
                                     f"{checked}", path=folder)
    return checked
