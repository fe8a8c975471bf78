"""Exchange with QDA tools: read their projects, write textmine's topics as one.

Readers (one module per format), each returning a :class:`QDAProject` whose spans index the
project's own texts:

=============  ==========================================  ==============================
format         files                                       module
=============  ==========================================  ==============================
``qdpx``       REFI-QDA ``.qdpx`` (NVivo, ATLAS.ti,        :mod:`~textmine.io.qda.refi`
               MAXQDA, QualCoder exports)
``qualcoder``  a QualCoder project folder ``*.qda`` or     :mod:`~textmine.io.qda.qualcoder`
               its ``data.qda`` SQLite file
``taguette``   a Taguette ``.sqlite3`` export              :mod:`~textmine.io.qda.taguette`
=============  ==========================================  ==============================

:func:`read_project_codes` places a project's spans onto a corpus's transcripts (by offsets
when the texts agree, by quote otherwise: :mod:`~textmine.io.qda.place`); a project can also be
the transcripts themselves (``input.transcripts: study.qdpx``). :func:`write_qdpx` exports
topics and suggested codes as a REFI-QDA project. :func:`code_at_level` (from
:mod:`textmine.pp.codes`) cuts a ``code_path`` at a level of the codebook hierarchy.
"""

from __future__ import annotations

from pathlib import Path

from textmine.errors import QDAError
from textmine.io.qda.model import PATH_JOIN, ProjectSource, QDAProject
from textmine.io.qda.place import place_project, read_project_codes
from textmine.io.qda.qualcoder import database_of, is_qualcoder, read_qualcoder
from textmine.io.qda.refi import read_qdpx
from textmine.io.qda.taguette import is_taguette, read_taguette
from textmine.io.qda.writer import write_qdpx
from textmine.pp.codes import code_at_level, codes_at_level

PROJECT_FORMATS = ("qdpx", "qualcoder", "taguette")
SQLITE_SUFFIXES = frozenset({".sqlite3", ".sqlite", ".db"})


def project_format(path: str | Path, requested: str = "auto") -> str | None:
    """The QDA format of ``path`` (``qdpx``, ``qualcoder``, ``taguette``), or ``None``.

    ``None`` means a plain codes table (CSV/XLSX). ``requested`` other than ``auto`` is
    taken as it is (``csv`` gives ``None``).
    """
    if requested != "auto":
        return requested if requested in PROJECT_FORMATS else None
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".qdpx", ".qde"):
        return "qdpx"
    if suffix == ".qda" or (path.is_dir() and (path / "data.qda").is_file()):
        return "qualcoder"
    if suffix in SQLITE_SUFFIXES:
        if not path.is_file():
            raise QDAError("no such file", path=path,
                           hint="check the path (relative to the config file's folder)")
        if is_taguette(path):
            return "taguette"
        if is_qualcoder(path):
            return "qualcoder"
        raise QDAError("an SQLite file that is neither a Taguette nor a QualCoder project",
                       path=path, key="codes.format",
                       hint="name a Taguette .sqlite3 export, a QualCoder project or a .qdpx")
    return None


def read_project(path: str | Path, *, format: str = "auto",
                 path_separator: str | None = None) -> QDAProject:
    """Read a QDA project of any supported format.

    Parameters
    ----------
    path
        ``.qdpx``, QualCoder ``.qda`` (folder or ``data.qda``), Taguette ``.sqlite3``.
    format
        ``auto`` or one of :data:`PROJECT_FORMATS`.
    path_separator
        Taguette only: split tag names into hierarchy levels at this string.
    """
    fmt = project_format(path, format)
    if fmt == "qdpx":
        return read_qdpx(path)
    if fmt == "qualcoder":
        return read_qualcoder(path)
    if fmt == "taguette":
        return read_taguette(path, path_separator=path_separator)
    raise QDAError("not a QDA project (.qdpx, QualCoder .qda, Taguette .sqlite3)", path=path,
                   hint="name a project file, or set the format")


def project_file(path: str | Path) -> Path:
    """The file whose bytes are the project (a QualCoder folder's ``data.qda``)."""
    path = Path(path)
    return database_of(path) if path.is_dir() else path


__all__ = [
    "PATH_JOIN", "PROJECT_FORMATS", "ProjectSource", "QDAProject", "code_at_level",
    "codes_at_level", "place_project", "project_file", "project_format", "read_project",
    "read_project_codes", "read_qdpx", "read_qualcoder", "read_taguette", "write_qdpx",
]
