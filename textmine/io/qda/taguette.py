"""Taguette projects (``.sqlite3``, as Taguette's "export project" writes them).

Taguette keeps each document as sanitised HTML (``documents.contents``) and each highlight as
a pair of offsets into it (``highlights.start_offset``, ``end_offset``) counted, as Taguette's
``extract.py`` does, in **UTF-8 bytes of the text nodes only** (tags do not count; ``&amp;``
counts as the one character it stands for). Tags are in ``tags`` (``path``, ``description``),
joined to highlights by ``highlight_tags``; who made a highlight is in the ``commands`` log
(the last ``highlight_add`` of that highlight).

The text of a document, as textmine reads it, is its text nodes in order, with a line break
added after a block element (paragraph, heading, list item, table row, ``<br>``) where the
HTML has none, so paragraphs stay apart. Every highlight's byte offsets are mapped onto that
text; the HTML snippet Taguette stored with the highlight is kept as its quote, so a highlight
whose offsets do not hold its snippet's text is placed by that text and counted.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from textmine.errors import QDAError
from textmine.io.qda.model import (
    PATH_JOIN,
    PROBLEM_COLUMNS,
    PROJECT_CODE_COLUMNS,
    ProjectSource,
    QDAProject,
    code_names,
    doc_id_of,
    frame,
    unique_doc_ids,
)
from textmine.io.qda.qualcoder import connect, tables
from textmine.text import normalize_ws, strip_span

REQUIRED = ("documents", "highlights", "tags", "highlight_tags")
BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr",
                    "dt", "dd", "caption", "div", "ul", "ol", "table", "br"})


class HtmlText(HTMLParser):
    """Text nodes of an HTML document, with each character's UTF-8 byte offset.

    Attributes
    ----------
    text
        The text (after :meth:`close`).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._n = 0
        self._bytes = 0
        self._pending = False
        self.char_at: list[int] = []  # output index of each text-node character
        self.byte_at: list[int] = []  # UTF-8 byte offset at which it starts
        self.text = ""

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: D102
        if tag == "br":
            self._pending = True

    def handle_endtag(self, tag: str) -> None:  # noqa: D102
        if tag in BLOCKS:
            self._pending = True

    def handle_data(self, data: str) -> None:  # noqa: D102
        if not data:
            return
        if self._pending and self._n and data[0] not in "\r\n":
            self._parts.append("\n")  # a break the HTML implies: in the text, not counted
            self._n += 1
        self._pending = False
        for ch in data:
            self.char_at.append(self._n)
            self.byte_at.append(self._bytes)
            self._bytes += len(ch.encode("utf-8"))
            self._n += 1
        self._parts.append(data)

    def close(self) -> None:  # noqa: D102
        super().close()
        self.text = "".join(self._parts)

    def span(self, start_byte: int, end_byte: int) -> tuple[int, int]:
        """Text offsets of a byte span (a byte inside a character takes the whole one)."""
        i = bisect.bisect_left(self.byte_at, start_byte)
        start = self.char_at[i] if i < len(self.char_at) else len(self.text)
        k = bisect.bisect_left(self.byte_at, end_byte)
        end = self.char_at[k - 1] + 1 if k else 0
        if end <= start:
            return start, start
        return strip_span(self.text, start, end)

    @property
    def n_bytes(self) -> int:
        """Length of the text nodes in UTF-8 bytes (the range of Taguette's offsets)."""
        return self._bytes


def html_text(html: str) -> HtmlText:
    """Parse ``html`` into :class:`HtmlText`."""
    parser = HtmlText()
    parser.feed(html)
    parser.close()
    return parser


def is_taguette(path: str | Path) -> bool:
    """Whether ``path`` is an SQLite file with Taguette's tables."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return False
        connection = connect(path)
    except (OSError, QDAError):
        return False
    try:
        return set(REQUIRED) <= set(tables(connection))
    finally:
        connection.close()


def read_taguette(path: str | Path, *, path_separator: str | None = None) -> QDAProject:
    """Read a Taguette project: documents as text, highlights as spans, tags as codes.

    Parameters
    ----------
    path
        The ``.sqlite3`` file.
    path_separator
        Tags that carry a hierarchy in their name (``Barriers.Time`` with ``"."``): split
        into ``code_path`` levels. By default a tag is one level.

    Returns
    -------
    QDAProject
    """
    path = Path(path)
    connection = connect(path)
    try:
        schema = tables(connection)
        missing = [t for t in REQUIRED if t not in schema]
        if missing:
            raise QDAError(f"not a Taguette project: no table {', '.join(missing)}", path=path,
                           hint="export the project from Taguette (Export project > sqlite3)")
        return _read(connection, schema, path, path_separator)
    except sqlite3.DatabaseError as exc:
        raise QDAError(f"the Taguette database cannot be read ({exc})", path=path,
                       hint="export the project from Taguette again") from None
    finally:
        connection.close()


def _coders(connection: sqlite3.Connection, schema: dict[str, set[str]]) -> dict[int, str]:
    """Highlight id -> login of the last user who added or changed it (the command log)."""
    if "commands" not in schema:
        return {}
    coders: dict[int, str] = {}
    for login, payload in connection.execute(
            "select user_login, payload from commands order by id"):
        try:
            command = json.loads(payload)
        except (TypeError, ValueError):
            continue
        if isinstance(command, dict) and command.get("type") == "highlight_add":
            hid = command.get("highlight_id")
            if isinstance(hid, int):
                coders[hid] = login
    return coders


def _read(connection: sqlite3.Connection, schema: dict[str, set[str]], path: Path,
          separator: str | None) -> QDAProject:
    sources: list[ProjectSource] = []
    parsed: dict[int, tuple[ProjectSource, HtmlText]] = {}
    for did, name, contents in connection.execute(
            "select id, name, contents from documents order by id"):
        name = (name or "").strip() or f"document {did}"
        text = html_text(contents or "")
        src = ProjectSource(f"document id {did}", name, doc_id_of(name), text.text)
        sources.append(src)
        parsed[did] = (src, text)
    unique_doc_ids(sources, path)

    tags = {tid: (tag_path, description) for tid, tag_path, description in connection.execute(
        "select id, path, description from tags")}
    levels = {tid: ([p.strip() for p in tag_path.split(separator) if p.strip()]
                    if separator else [tag_path.strip()]) or [tag_path]
              for tid, (tag_path, _) in tags.items()}
    names = code_names(levels)
    descriptions = {names[t][0]: str(d).strip() for t, (_, d) in tags.items()
                    if d and str(d).strip()}
    tagged: dict[int, list[int]] = {}
    for hid, tid in connection.execute(
            "select highlight_id, tag_id from highlight_tags order by highlight_id, tag_id"):
        tagged.setdefault(hid, []).append(tid)
    coders = _coders(connection, schema)

    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    n_untagged = n_highlights = 0
    for hid, did, start_byte, end_byte, snippet in connection.execute(
            "select id, document_id, start_offset, end_offset, snippet from highlights "
            "order by document_id, start_offset, id"):
        n_highlights += 1
        where = f"highlight id {hid}"
        tag_ids = tagged.get(hid, [])
        if not tag_ids:
            n_untagged += 1
            continue
        if did not in parsed:
            problems.extend({"doc_id": f"? document id {did}", "code": _label(names, t),
                             "where": where, "reason": f"refers to document id {did}, which "
                             "the project does not have"} for t in tag_ids)
            continue
        src, text = parsed[did]
        start, end = text.span(int(start_byte), int(end_byte))
        reason = None
        if not 0 <= int(start_byte) < int(end_byte) <= text.n_bytes:
            reason = (f"bytes {start_byte}-{end_byte} are outside the document's text "
                      f"({text.n_bytes} bytes)")
        elif end <= start:
            reason = f"bytes {start_byte}-{end_byte} hold no text"
        quote = normalize_ws(html_text(snippet).text) if snippet else None
        for tid in tag_ids:
            if tid not in names:
                problems.append({"doc_id": src.doc_id, "code": f"? tag id {tid}",
                                 "where": where, "reason": f"refers to tag id {tid}, which "
                                 "the project does not have"})
            elif reason:
                problems.append({"doc_id": src.doc_id, "code": names[tid][0], "where": where,
                                 "reason": reason})
            else:
                code, code_path = names[tid]
                rows.append({"doc_id": src.doc_id, "start_char": start, "end_char": end,
                             "code": code, "code_path": code_path, "coder": coders.get(hid),
                             "where": where, "quote": quote})
    projects = [r[0] for r in connection.execute("select name from projects")] \
        if "projects" in schema else []
    info = {"tool": "Taguette", "project_name": "; ".join(map(str, projects)) or None,
            "users": sorted(set(coders.values())), "n_sources": len(sources),
            "n_highlights": n_highlights, "n_untagged_highlights": n_untagged,
            "n_codes": len(tags), "path_join": PATH_JOIN if separator else None}
    return QDAProject(path, "taguette", sources, frame(rows, PROJECT_CODE_COLUMNS),
                      frame(problems, PROBLEM_COLUMNS), descriptions, info)


def _label(names: dict[int, tuple[str, str]], tid: int) -> str:
    return names[tid][0] if tid in names else f"? tag id {tid}"
