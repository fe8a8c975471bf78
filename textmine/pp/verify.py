"""The last line of defence: look for identifiers in a folder before it is put in place.

Every identifier :func:`textmine.pp.protect` found (and every roster name and alias) is
searched, as written, in every file of a folder about to become a run folder or a corpus
folder: text files (CSV, JSON, YAML, HTML, Markdown, LaTeX, SVG), the string columns of
parquet tables, the XML inside .xlsx/.docx files and the project XML and source texts inside
a .qdpx. A hit means a code path wrote text
without passing it through the protection; the run then stops with
:class:`~textmine.errors.ProtectError` naming the file and the kind of identifier (never the
identifier), and nothing is written.

Binary files (``.npy`` arrays, PNG and PDF figures) are not searched: they are drawn from
tables that are.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from textmine.errors import ProtectError
from textmine.pp.detect import _Trie

TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".json", ".yaml", ".yml", ".txt", ".md", ".html",
                           ".htm", ".tex", ".svg", ".xml", ".log"})
ZIP_SUFFIXES = frozenset({".xlsx", ".docx", ".odt", ".ods", ".qdpx"})
#: members of those zips that hold text (a .qdpx keeps its sources as .txt)
ZIP_TEXT_MEMBERS = (".xml", ".qde", ".txt")
BINARY_SUFFIXES = frozenset({".npy", ".npz", ".png", ".pdf", ".jpg", ".jpeg", ".gif", ".pkl",
                             ".pt", ".bin", ".safetensors"})


class _LiteralTrie(_Trie):
    """Identifiers exactly as found; a whitespace run matches any whitespace run."""

    @staticmethod
    def _atoms(form: str) -> list[str]:
        atoms: list[str] = []
        for i, word in enumerate(form.split()):
            if i:
                atoms.append(r"\s+")
            atoms.extend(re.escape(ch) for ch in word)
        return atoms


def _literal_pattern(strings: set[str]) -> re.Pattern[str] | None:
    """One regex for all ``strings``, bounded by non-alphanumerics, longest match first."""
    trie = _LiteralTrie()
    for s in strings:
        if s.split():
            trie.add(s)
    body = trie.pattern()
    if body is None:
        return None
    return re.compile(r"(?<![^\W_])(?:" + body + r")(?![^\W_])")


def _texts(path: Path) -> Iterator[str]:
    suffix = path.suffix.lower()
    if suffix in BINARY_SUFFIXES:
        return
    if suffix == ".parquet":
        table = pq.read_table(path)
        for name in table.column_names:
            column = table.column(name)
            if str(column.type) in ("string", "large_string") or str(column.type).startswith(
                    "dictionary"):
                yield "\n".join(str(v) for v in column.to_pylist() if v is not None)
        yield "\n".join(table.column_names)
        return
    if suffix in ZIP_SUFFIXES:
        try:
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if member.lower().endswith(ZIP_TEXT_MEMBERS):
                        yield html.unescape(archive.read(member).decode("utf-8", "replace"))
        except zipfile.BadZipFile:
            yield path.read_bytes().decode("utf-8", "replace")
        return
    data = path.read_bytes()
    if suffix in TEXT_SUFFIXES or b"\x00" not in data[:4096]:
        text = data.decode("utf-8", "replace")
        if suffix in (".html", ".htm"):
            yield page_text(text)
        else:
            yield html.unescape(text) if suffix in (".svg", ".xml") else text


#: a JSON string escape (plotly writes ``< > & /`` and others as ``\u003c``...)
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def page_text(page: str) -> str:
    r"""What an HTML page says: vendored plotly.js taken out, JSON and HTML escapes decoded.

    The plotly.js bundle inlined in the interactive topic map is 4.8 MB of someone else's
    code holding common names (calendars, countries, fonts: "Julian", "Georgia", "Marshall"):
    it would trip the check on names nobody wrote there. The page's own data is a JSON blob
    whose strings are HTML-escaped, so an identifier with an apostrophe appears as
    ``O\u0026#x27;Brien``; both escapes are decoded so that it is found.
    """
    if "plotly.js v" in page:
        from plotly.offline import get_plotlyjs

        page = page.replace(get_plotlyjs(), "")
    return html.unescape(_JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), page))


def find_leaks(folder: Path, identifiers: set[str], kinds: dict[str, str] | None = None
               ) -> list[tuple[str, str]]:
    """``(file, kind)`` for every file of ``folder`` holding one of ``identifiers``."""
    pattern = _literal_pattern(identifiers)
    if pattern is None:
        return []
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for text in _texts(path):
            m = pattern.search(text)
            if m:
                kind = (kinds or {}).get(" ".join(m.group().split()), "identifier")
                leaks.append((str(path.relative_to(folder)), kind))
                break
    return leaks


def check_folder(folder: Path, protection) -> None:
    """Raise :class:`ProtectError` if any file of ``folder`` holds an identifier."""
    if protection is None or not protection.verify:
        return
    kinds = {" ".join(o.split()): k for (k, _, o) in protection.originals}
    for entry in protection.detector.entries:
        for name in [entry.name, *entry.aliases]:
            kinds.setdefault(" ".join(name.split()), entry.kind)
    leaks = find_leaks(Path(folder), protection.identifiers(), kinds)
    if leaks:
        file, kind = leaks[0]
        raise ProtectError(
            f"{file} would contain an identifier ({kind}) that protect replaced elsewhere; "
            f"nothing was written ({len(leaks)} file(s) affected)",
            key="protect.verify",
            hint="this is a textmine bug: please report it; protect.verify: false skips the "
            "check at your own risk")
