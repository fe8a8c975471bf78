r"""Plain text out of word-processor files (.docx, .odt).

The *decoded text* of such a file, which offsets index, is its paragraphs in document order
joined by ``\\n``: tabs stay tabs, line breaks inside a paragraph become ``\\n``, repeated
spaces are kept, table cells are read row by row as paragraphs of their own. Headers,
footers, comments and text boxes are left out. ``textmine.io.source_text(path)`` returns
exactly this text, so a QDA tool given the same text reports the same offsets.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from textmine.errors import TranscriptError
from textmine.io.decode import read_bytes
from textmine.io.zipguard import check_zip


def _corrupt(path: Path, kind: str, exc: Exception) -> TranscriptError:
    return TranscriptError(
        f"not a readable {kind} file ({type(exc).__name__}): corrupt, truncated or another format",
        path=path,
        hint=f"open it in a word processor and save it again as {kind}, or set input.format",
    )


def _zip_bytes(path: Path, data: bytes | None, kind: str) -> bytes:
    data = read_bytes(path) if data is None else data
    check_zip(data, path, kind=kind, error=TranscriptError)
    return data


def docx_text(path: Path, data: bytes | None = None) -> str:
    """Text of a .docx file, paragraphs joined by newlines (see module docstring).

    ``data``: the file's bytes, if already read (the file is then not opened again).
    """
    data = _zip_bytes(path, data, ".docx")
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
        parts: list[str] = []

        def walk(container) -> None:
            for block in container.iter_inner_content():
                if isinstance(block, Table):
                    seen: set[int] = set()
                    for row in block.rows:
                        for cell in row.cells:
                            if id(cell._tc) in seen:  # merged cells repeat
                                continue
                            seen.add(id(cell._tc))
                            walk(cell)
                else:
                    parts.append(block.text)

        walk(document)
    except TranscriptError:
        raise
    except Exception as exc:  # python-docx raises many kinds on broken files
        raise _corrupt(path, ".docx", exc) from None
    return "\n".join(parts)


def odt_text(path: Path, data: bytes | None = None) -> str:
    """Text of an .odt file, paragraphs and headings joined by newlines."""
    data = _zip_bytes(path, data, ".odt")
    try:
        from odf import teletype
        from odf.namespaces import TEXTNS
        from odf.opendocument import load

        # odfpy prints the XML of a part it cannot parse: that would put transcript text
        # on the console, so its output is swallowed
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(
                io.StringIO()):
            document = load(io.BytesIO(data))
        parts: list[str] = []
        paragraph_tags = {(TEXTNS, "p"), (TEXTNS, "h")}

        def walk(node) -> None:
            for child in node.childNodes:
                if getattr(child, "qname", None) in paragraph_tags:
                    parts.append(teletype.extractText(child))
                elif child.nodeType == child.ELEMENT_NODE:
                    walk(child)

        walk(document.text)
    except Exception as exc:  # zipfile, xml.sax and odfpy errors on broken files
        raise _corrupt(path, ".odt", exc) from None
    return "\n".join(parts)
