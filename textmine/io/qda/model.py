"""What every QDA project reader returns: text sources, coded spans, codebook, cases.

Each reader (:mod:`~textmine.io.qda.refi`, :mod:`~textmine.io.qda.qualcoder`,
:mod:`~textmine.io.qda.taguette`) turns its format into one :class:`QDAProject`, whose spans
index the project's *own* source texts. :mod:`~textmine.io.qda.place` then puts them onto the
transcripts a corpus was read from (which may be other exports of the same interviews).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from textmine.errors import QDAError
from textmine.io.codes import PATH_JOIN

#: columns of :attr:`QDAProject.codes`
PROJECT_CODE_COLUMNS = ["doc_id", "start_char", "end_char", "code", "code_path", "coder",
                        "where", "quote"]
#: columns of :attr:`QDAProject.problems` (spans the project itself cannot place)
PROBLEM_COLUMNS = ["doc_id", "code", "where", "reason"]
#: extensions a QDA tool keeps in a source's name; the doc_id is the name without it
SOURCE_SUFFIXES = frozenset({
    ".txt", ".text", ".md", ".docx", ".doc", ".odt", ".rtf", ".pdf", ".htm", ".html", ".vtt",
    ".srt", ".csv", ".tsv", ".xlsx",
})


@dataclass
class ProjectSource:
    """One text source of a project.

    Attributes
    ----------
    key
        Where it is in the project, for messages (``TextSource 1c0e...``, ``source id 3``).
    name
        Its name in the tool.
    doc_id
        The name without a file extension (what a transcript file of it would be called).
    text
        Its plain text: the text the project's offsets index.
    metadata
        Case and variable values (as text), ``case`` and ``sets`` among them when present.
    """

    key: str
    name: str
    doc_id: str
    text: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class QDAProject:
    """A QDA project as read: sources, coded spans in the sources' own offsets, codebook.

    Attributes
    ----------
    path
        The project file (a QualCoder project folder's ``data.qda``).
    format
        ``qdpx``, ``qualcoder`` or ``taguette``.
    sources
        Text sources in project order.
    codes
        :data:`PROJECT_CODE_COLUMNS`: spans in the project's own text; ``where`` names the
        selection in the project; ``quote`` is the coded text the tool recorded, if it records
        one (QualCoder, Taguette), else missing.
    problems
        :data:`PROBLEM_COLUMNS`: codings that cannot become spans (past the end of the text,
        an unknown code, a whole-source coding), each with its reason.
    descriptions
        Code -> its description (memo, definition).
    info
        Counts and names for the report (tool, users, sources left out and why).
    """

    path: Path
    format: str
    sources: list[ProjectSource]
    codes: pd.DataFrame
    problems: pd.DataFrame
    descriptions: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def source(self, doc_id: str) -> ProjectSource:
        """The source whose doc_id is ``doc_id``."""
        for src in self.sources:
            if src.doc_id == doc_id:
                return src
        raise KeyError(doc_id)


def doc_id_of(name: str) -> str:
    """A source's doc_id: its name without a file extension a QDA tool keeps."""
    name = name.strip()
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in SOURCE_SUFFIXES:
        return stem.strip()
    return name


def unique_doc_ids(sources: list[ProjectSource], path: Path) -> None:
    """Two sources with one doc_id cannot both be transcripts: an error naming both."""
    seen: dict[str, ProjectSource] = {}
    for src in sources:
        if not src.doc_id:
            raise QDAError(f"{src.key} has no name", path=path,
                           hint="name every source in the QDA tool and export again")
        if src.doc_id in seen:
            raise QDAError(
                f"{seen[src.doc_id].key} and {src.key} are both named {src.doc_id!r} "
                "(without extension)", path=path,
                hint="rename one of them in the QDA tool and export again")
        seen[src.doc_id] = src


def check_span(start: int, end: int, n_chars: int) -> str | None:
    """Why ``[start, end)`` is not a span of a text of ``n_chars``, or ``None``."""
    if start < 0 or end < 0:
        return f"negative position ({start}-{end})"
    if end < start:
        return f"ends before it starts ({start}-{end})"
    if end == start:
        return f"is empty ({start}-{end})"
    if end > n_chars:
        return f"runs past the end of the text ({start}-{end}, text has {n_chars} characters)"
    return None


def code_names(paths: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """``{key: (code, code_path)}`` for codes given as lists of levels, top first.

    ``code`` is the code's own name, or its full path when two codes of the codebook share
    the name (``Other`` under two themes stays two codes).
    """
    joined = {key: PATH_JOIN.join(levels) for key, levels in paths.items()}
    by_name: dict[str, set[str]] = {}
    for key, levels in paths.items():
        by_name.setdefault(levels[-1], set()).add(joined[key])
    return {key: (levels[-1] if len(by_name[levels[-1]]) == 1 else joined[key], joined[key])
            for key, levels in paths.items()}


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as a DataFrame with exactly ``columns`` (an empty one keeps them)."""
    out = pd.DataFrame(rows, columns=columns)
    for column in ("start_char", "end_char"):
        if column in out.columns:
            out[column] = out[column].astype("int64")
    return out
