"""What textmine may write where: it never deletes or overwrites a file it did not make.

Every folder textmine writes as a whole (a run folder, a corpus folder) is built beside its
target and swapped into place (:func:`textmine.io.corpus_dir.staging_folder`), which
replaces whatever the target held. So before any work is done, and once more just before the
swap, the target is checked here:

* it may replace only a folder it made itself: one holding its marker (``.textmine-run`` in
  a run folder, ``corpus.json`` in a corpus folder) and no file textmine did not write (a
  researcher's notes saved into an old run folder are not deleted). An empty folder, or
  none, is fine; anything else is refused;
* never the current folder, the home folder, the root of a drive, or a folder above them;
* never a folder that is, holds, or lies inside the inputs: a transcript, the metadata,
  codes, codebook or roster, the config file, a local model; nor a folder transcripts are
  read from, nor one a transcript glob reaches into (``data/**/*.txt``);
* it must be possible to write there (checked up front, not after an hour of embedding).

The pseudonym map (``protect.map_file``) is a single file with rules of its own
(:func:`check_map_file`): never an input, never where a transcript glob would read it, never
inside the run folder, and it replaces only an earlier pseudonym map.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from textmine.errors import OutputError

RUN_MARKER = ".textmine-run"
CORPUS_MARKER = "corpus.json"
#: the header of a pseudonym map file (textmine.pp.protect.write_pseudonym_map)
MAP_HEADER = "kind,pseudonym,original,source,n"
# what file browsers and editors leave in any folder they show; not the user's work
_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".ipynb_checkpoints"})
_LITTER_PREFIXES = ("._", "~$", ".~lock.")


@dataclass
class Inputs:
    """What a run reads: no output may be, hold, or lie inside these.

    Attributes
    ----------
    paths
        Input files and folders (transcripts, metadata, codes, codebook, roster, the config
        file, a local model folder), absolute.
    folders
        The folders transcripts are read from (each transcript's folder, each glob's root).
    patterns
        The transcript globs, absolute.
    """

    paths: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)


def _forms(path: Path) -> set[Path]:
    """A path as written (made absolute) and with its links resolved."""
    path = Path(os.path.abspath(path))
    return {path, path.resolve()}


def _within(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies inside it (under any spelling of either)."""
    return any(p == f or f in p.parents for p in _forms(path) for f in _forms(folder))


def protected_places() -> list[Path]:
    """Folders no output may be or contain: the current folder, home, the root."""
    places = [Path.cwd(), Path.home()]
    return places + [Path(places[0].anchor)]


# ---------------------------------------------------------------------------- globs

def _component(pattern: str, name: str) -> bool:
    if glob.has_magic(pattern) and name.startswith(".") and not pattern.startswith("."):
        return False  # glob's wildcards skip hidden names
    return fnmatch.fnmatchcase(os.path.normcase(name), os.path.normcase(pattern))


def _match(pattern: Sequence[str], parts: Sequence[str], *, below: bool) -> bool:
    """Whether ``pattern`` matches ``parts`` (``below``: some path strictly under them)."""
    if not pattern:
        return not parts and not below
    head, rest = pattern[0], pattern[1:]
    if head == "**":  # recursive glob: zero or more folders
        if _match(rest, parts, below=below):
            return True
        if parts:
            return not parts[0].startswith(".") and _match(pattern, parts[1:], below=below)
        return below
    if not parts:
        return below  # what a run writes under the folder could be named to match
    return _component(head, parts[0]) and _match(rest, parts[1:], below=below)


def _pattern_parts(pattern: str) -> list[list[str]]:
    """The parts of an absolute glob, as written and with its literal folders resolved."""
    path = Path(os.path.abspath(pattern))
    parts = list(path.parts)
    literal = next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))
    resolved = list(Path(*parts[:literal]).resolve().parts) + parts[literal:] if literal else []
    return [parts] + ([resolved] if resolved and resolved != parts else [])


def glob_reads(pattern: str, path: Path) -> bool:
    """Whether the transcript glob ``pattern`` would read the file ``path``."""
    return any(_match(p, list(form.parts), below=False)
               for p in _pattern_parts(pattern) for form in _forms(path))


def glob_reaches(pattern: str, folder: Path) -> bool:
    """Whether the glob ``pattern`` could read a file written anywhere under ``folder``."""
    return any(_match(p, list(form.parts), below=True)
               for p in _pattern_parts(pattern) for form in _forms(folder))


# ---------------------------------------------------------------------------- folders

def _litter(name: str) -> bool:
    return name in _LITTER or name.startswith(_LITTER_PREFIXES)


def _files_under(folder: Path) -> set[str]:
    out = set()
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not _litter(d)]
        for name in files:
            if not _litter(name):
                out.add(Path(root, name).relative_to(folder).as_posix())
    return out


def _run_files(folder: Path) -> set[str] | None:
    """The files a run folder's marker says textmine wrote (``None``: not a run folder)."""
    try:
        marker = json.loads((folder / RUN_MARKER).read_text(encoding="utf-8"))
        return set(marker["files"]) | {RUN_MARKER}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _corpus_files(folder: Path) -> set[str] | None:
    """The files of a corpus folder, as its corpus.json describes it (``None``: not one)."""
    try:
        meta = json.loads((folder / CORPUS_MARKER).read_text(encoding="utf-8"))
        results = meta.get("results", {})
        files = {CORPUS_MARKER, *(f"{n}.parquet" for n in (
            "documents", "turns", "segments", "codes", "segment_codes"))}
        for info in results.values():
            # a result's own folder, relative to the corpus folder; results kept in a run's
            # stage folders (``../topics``) lie outside it and are not counted here
            sub = PurePosixPath(info.get("folder", ""))
            if ".." in sub.parts or not sub.parts:
                continue
            files.update(str(sub / f) for f in (*info.get("files", {}).values(),
                                                *info.get("info_files", {}).values()) if f)
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    if (folder / "embeddings").is_dir():
        files.update(f"embeddings/{p.name}" for p in (folder / "embeddings").glob("*.npy"))
    return files


def _why_not_replaceable(folder: Path, marker: str) -> str | None:
    """Why textmine may not replace ``folder`` (``None``: it may)."""
    if not folder.exists() and not folder.is_symlink():
        return None
    if not folder.is_dir():
        return "is a file, not a folder"
    present = _files_under(folder)
    if not present and not any(p for p in folder.iterdir() if not _litter(p.name)):
        return None
    made = _run_files(folder) if marker == RUN_MARKER else _corpus_files(folder)
    kind = "run" if marker == RUN_MARKER else "corpus"
    if made is None:
        return (f"exists, is not empty, and is not a {kind} folder textmine made (it has no "
                f"{marker}): replacing it would delete what it holds")
    foreign = sorted(present - made)
    if foreign:
        shown = ", ".join(repr(f) for f in foreign[:3])
        return (f"holds {len(foreign)} file(s) textmine did not write ({shown}): replacing "
                "the folder would delete them")
    return None


def check_replaceable(folder: Path, *, marker: str, key: str | None = None,
                      source: Path | None = None) -> None:
    """Raise unless textmine may replace ``folder`` (absent, empty, or its own)."""
    reason = _why_not_replaceable(folder, marker)
    if reason is not None:
        what = "run folder" if marker == RUN_MARKER else "corpus folder"
        raise OutputError(f"{folder}: refused as the {what}{f' ({key})' if key else ''}: "
                          f"{reason}", path=source, key=key,
                          hint="choose a new folder, or move your files out; textmine "
                          "replaces only folders it made itself")


def check_writable(path: Path, *, what: str, key: str | None = None,
                   source: Path | None = None) -> None:
    """Raise unless ``path`` could be created (or replaced) now."""
    parent = Path(os.path.abspath(path)).parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    problem = None
    if not parent.is_dir():
        problem = f"{parent} is a file, not a folder"
    elif not os.access(parent, os.W_OK | os.X_OK):
        problem = f"{parent} is not writable"
    if problem:
        raise OutputError(f"{path}: the {what}{f' ({key})' if key else ''} cannot be written: "
                          f"{problem}", path=source, key=key,
                          hint="choose a place you can write to")


def _refuse(path: Path, what: str, key: str, reason: str, source: Path | None,
            hint: str) -> OutputError:
    return OutputError(f"{path}: refused as the {what} ({key}): {reason}", path=source, key=key,
                       hint=hint)


def check_output_folder(folder: Path, inputs: Inputs, *, marker: str = RUN_MARKER,
                        key: str = "out", source: Path | None = None) -> None:
    """Every rule for a folder textmine is about to replace (see the module docstring)."""
    what = "run folder" if marker == RUN_MARKER else "corpus folder"
    hint = "choose a new folder outside the project's inputs, e.g. outputs/<run_name>"
    places = dict(zip(protected_places(), ("the current folder", "the home folder",
                                            "the root folder"), strict=True))
    for place, name in places.items():
        if _within(folder, place) and _within(place, folder):
            raise _refuse(folder, what, key, f"it is {name}", source, hint)
    for place, name in places.items():
        if _within(place, folder):
            raise _refuse(folder, what, key, f"it holds {name}", source, hint)
    for path in inputs.paths:
        if _within(path, folder):
            reason = ("it is an input" if _within(folder, path)
                      else f"it holds an input ({path.name})")
            raise _refuse(folder, what, key, reason, source, hint)
    for read_from in inputs.folders:
        if _within(folder, read_from):
            raise _refuse(folder, what, key,
                          f"it lies in {read_from}, which transcripts are read from", source,
                          hint)
    for pattern in inputs.patterns:
        if glob_reaches(pattern, folder):
            raise _refuse(folder, what, key, f"the transcript pattern {pattern} would read "
                          "what is written there", source, hint)
    check_replaceable(folder, marker=marker, key=key, source=source)
    check_writable(folder, what=what, key=key, source=source)


def looks_like_map(path: Path) -> bool:
    """Whether ``path`` is a pseudonym map textmine wrote (judged by its header)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.readline().rstrip("\r\n") == MAP_HEADER
    except (OSError, UnicodeDecodeError):
        return False


def check_map_file(path: Path, inputs: Inputs, *, run_folder: Path | None = None,
                   sources: Iterable[Path] = (), source: Path | None = None) -> None:
    """Every rule for the pseudonym map file (see the module docstring).

    ``sources``: transcript files already read (a notebook's corpus), as further inputs.
    """
    key = "protect.map_file"
    what = "pseudonym map"
    if path.is_dir():
        raise OutputError("protect.map_file is a folder", path=source or path, key=key,
                          hint="name a .csv file in it")
    hint = ("write it to a private folder of its own, outside the run folder and outside "
            "the folders transcripts are read from")
    for given in [*inputs.paths, *sources]:
        if _within(path, given):
            raise _refuse(path, what, key, "it is an input file, which it would overwrite"
                          if _within(given, path) else "it lies inside an input", source, hint)
    for pattern in inputs.patterns:
        if glob_reads(pattern, path):
            raise _refuse(path, what, key, f"the transcript pattern {pattern} would read it "
                          "as a transcript", source, hint)
    if run_folder is not None and _within(path, run_folder):
        raise OutputError(
            "protect.map_file is inside the run folder, which is meant to be shared",
            path=source, key=key, hint=hint)
    if (path.exists() or path.is_symlink()) and not looks_like_map(path):
        raise _refuse(path, what, key, "the file exists and is not a pseudonym map textmine "
                      "wrote: it would be overwritten", source, hint)
    check_writable(path, what=what, key=key, source=source)


def write_marker(folder: Path) -> None:
    """Mark ``folder`` as a run folder textmine made, listing every file in it."""
    files = sorted(_files_under(folder) - {RUN_MARKER})
    (folder / RUN_MARKER).write_text(
        json.dumps({"made_by": "textmine", "kind": "run", "files": files}, indent=1) + "\n",
        encoding="utf-8")
