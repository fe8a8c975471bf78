"""A corpus folder: the Corpus on disk, in formats any tool reads (parquet, npy, json).

::

    corpus.json              format version, run notes (uns), embedding and result parameters
    documents.parquet        turns.parquet   segments.parquet   codes.parquet
    segment_codes.parquet    (derived; written for other tools, recomputed on reading)
    embeddings/<key>.npy     one float32 row per segment
    results/<key>/           each result in its kind's layout (textmine.io.results); in a run
                             folder the stage folder instead (../topics), never both

Source texts are not written: a corpus folder can be shared without the raw transcripts.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from textmine.corpus import FORMAT_VERSION, Corpus
from textmine.errors import CorpusError
from textmine.io.guard import CORPUS_MARKER, Inputs, check_output_folder, check_replaceable
from textmine.io.results import read_result, write_result


def _safe_key(key: str) -> str:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise CorpusError(f"key {key!r} cannot be used as a file name")
    return key


def write_tables(corpus: Corpus, folder: Path, *,
                 result_folders: Mapping[str, Path] | None = None) -> None:
    """Write the corpus files into an existing folder (no atomicity: see write_corpus).

    Parameters
    ----------
    corpus
        The corpus.
    folder
        The corpus folder.
    result_folders
        Result key -> folder it is written to instead of ``results/<key>/`` (a run writes
        each stage's result into its stage folder, once); ``corpus.json`` records the folder
        relative to ``folder``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("documents", "turns", "segments", "codes"):
        getattr(corpus, name).to_parquet(folder / f"{name}.parquet", index=False)
    corpus.segment_codes.to_parquet(folder / "segment_codes.parquet", index=False)
    meta = {"format_version": FORMAT_VERSION, "uns": corpus.uns, "results": {}}
    if corpus.embeddings:
        (folder / "embeddings").mkdir(exist_ok=True)
        for key, matrix in corpus.embeddings.items():
            np.save(folder / "embeddings" / f"{_safe_key(key)}.npy",
                    np.ascontiguousarray(matrix), allow_pickle=False)
    elsewhere = dict(result_folders or {})
    for key, result in corpus.results.items():
        sub = elsewhere.get(key) or folder / "results" / _safe_key(key)
        entry = write_result(result, sub)
        entry["folder"] = Path(os.path.relpath(sub, folder)).as_posix()
        meta["results"][key] = entry
    (folder / "corpus.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def write_corpus(corpus: Corpus, folder: Path) -> Path:
    """Write ``corpus`` to ``folder`` atomically (an existing corpus folder is replaced).

    Only a corpus folder (one with ``corpus.json`` and nothing textmine did not write), an
    empty folder or a new one may be the target; never the current, home or root folder,
    nor a folder holding the corpus's transcripts (:mod:`textmine.io.guard`). A protected
    corpus is checked for identifiers before the folder is put in place
    (:mod:`textmine.pp.verify`).
    """
    from textmine.pp.verify import check_folder

    folder = folder.resolve()
    sources = [Path(s) for s in corpus.documents["source"] if s]
    check_output_folder(folder, Inputs(paths=sources), marker=CORPUS_MARKER, key="path")
    with staging_folder(folder, marker=CORPUS_MARKER) as tmp:
        write_tables(corpus, tmp)
        check_folder(tmp, corpus.protection)
    return folder


# ---------------------------------------------------------------------------- atomic folders
# A folder is written into a temporary sibling ".<name>.tmp-<pid>-<random>" and swapped into
# place only when complete. On Linux the swap is one atomic renameat2(RENAME_EXCHANGE): at
# every instant the target is either the old folder or the new one, whatever kills the
# process. Elsewhere the old folder is first moved to ".<name>.old-<pid>" and a later run
# puts it back if the process died between the two renames. Siblings left by dead processes
# are removed (or restored) when the next write to the same target starts.

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _libc_renameat2():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    return function


_RENAMEAT2 = _libc_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; ``False`` if the system or file system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_folder(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; an old ``target`` survives until the new one is in place."""
    if target.is_dir() and not target.is_symlink():
        if _exchange(new, target):
            shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old folder
            return
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        try:
            os.replace(new, target)
        except BaseException:
            os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    os.replace(new, target)


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


_SIBLING = re.compile(r"^\.(?P<name>.+)\.(?P<what>tmp|old)-(?P<pid>\d+)(?:-.*)?$")


def clean_stale(target: Path) -> None:
    """Remove temporary siblings of ``target`` left by dead processes; restore a lost folder."""
    if not target.parent.is_dir():
        return
    for sibling in sorted(target.parent.iterdir()):
        m = _SIBLING.match(sibling.name)
        if not m or m["name"] != target.name or _alive(int(m["pid"])):
            continue
        if m["what"] == "old" and not target.exists():
            os.replace(sibling, target)  # killed between the two renames: put it back
        else:
            shutil.rmtree(sibling, ignore_errors=True)


#: errors that mean the disk (or the user's quota) is full
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


@contextmanager
def staging_folder(target: Path, *, marker: str | None = None):
    """Yield a temporary folder beside ``target``; move it to ``target`` if the block succeeds.

    ``marker`` (:data:`textmine.io.guard.RUN_MARKER` or ``CORPUS_MARKER``): ``target`` is
    replaced only if it is absent, empty or a folder of that kind textmine made, checked
    before the block and again just before the swap.
    """
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise CorpusError("the output path is a file, not a folder", path=target,
                          hint="choose another output folder (--out) or remove the file")
    if marker is not None:
        check_replaceable(target, marker=marker)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-",
                                dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp's 0700 would hide the outputs from the team
    try:
        yield tmp
        if marker is not None:  # whatever happened to the target while the work was done
            check_replaceable(target, marker=marker)
        replace_folder(tmp, target)
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            raise
        raise CorpusError(
            f"the disk is full ({exc.strerror}): {target.name} could not be written; nothing "
            "of it was kept and the folder that was there, if any, is unchanged",
            path=target.parent, hint="free some space, or write elsewhere (--out)") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_corpus(folder: Path) -> Corpus:
    """Read a corpus folder written by :func:`write_corpus`, or a run folder's ``corpus/``.

    A run folder itself may be given: its ``corpus/`` is read.
    """
    if not (folder / "corpus.json").is_file() and (folder / "corpus" / "corpus.json").is_file():
        folder = folder / "corpus"
    meta_path = folder / "corpus.json"
    if not meta_path.is_file():
        raise CorpusError("not a corpus folder (no corpus.json)", path=folder)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise CorpusError(
            f"corpus format {meta.get('format_version')} is not {FORMAT_VERSION}", path=folder,
            hint="write it again with this version of textmine")
    tables = {name: pd.read_parquet(folder / f"{name}.parquet")
              for name in ("documents", "turns", "segments", "codes")}
    embeddings = {}
    if (folder / "embeddings").is_dir():
        for file in sorted((folder / "embeddings").glob("*.npy")):
            # memory-mapped, read-only: a 100k-segment corpus is not read into RAM until used,
            # and only the pages a step touches are (slicing copies just the rows taken)
            embeddings[file.stem] = np.load(file, mmap_mode="r", allow_pickle=False)
    results = {key: read_result((folder / entry.get("folder", f"results/{key}")).resolve(),
                                entry)
               for key, entry in meta.get("results", {}).items()}
    return Corpus(tables["documents"], tables["turns"], tables["segments"], tables["codes"],
                  embeddings=embeddings, results=results, uns=meta.get("uns", {}))
