r"""Bytes to text, with the rules that keep offsets comparable with QDA tools.

* A byte-order mark (UTF-8, UTF-16, UTF-32) is recognised and removed; it is not counted.
* The encoding is UTF-8 unless the config says otherwise (``input.encoding``, any codec
  Python knows, e.g. ``cp1252``). Nothing is guessed: bytes that do not decode are an error
  naming the file, line and byte, not a silent replacement.
* Line endings are kept as they are in the file (``\\r\\n`` counts as two characters), so
  offsets index the decoded file exactly as a program reading it would.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from textmine.errors import InputError, TranscriptError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_bytes(path: Path, *, error: type[InputError] = TranscriptError) -> bytes:
    """Read a file, turning OS errors into textmine errors naming the file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error("file not found", path=path, hint="check the path in the config") from None
    except IsADirectoryError:
        raise error("is a folder, not a file", path=path,
                    hint="point the config at the file itself") from None
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror})", path=path,
                    hint="check the file's permissions") from None


def decode(data: bytes, path: Path, *, encoding: str = "utf-8",
           error: type[InputError] = TranscriptError) -> str:
    """Decode ``data`` read from ``path``.

    Parameters
    ----------
    data
        The file's bytes.
    path
        Only used in error messages.
    encoding
        Codec for files without a byte-order mark.
    error
        The error class to raise (a transcript, a metadata sheet, codes...).

    Returns
    -------
    str
        The decoded text, BOM removed, line endings untouched.

    Raises
    ------
    TranscriptError
        If the bytes do not decode, or look like a binary file.
    """
    body, codec = data, encoding
    for bom, name in _BOMS:
        if data.startswith(bom):
            body, codec = data[len(bom):], name
            break
    try:
        codecs.lookup(codec)
    except LookupError:
        raise error(
            f"unknown text encoding {codec!r}",
            path=path,
            key="input.encoding",
            hint="use a Python codec name such as utf-8 or cp1252",
        ) from None
    if codec == encoding and b"\x00" in body and not codec.startswith("utf-16"):
        line = body[: body.index(b"\x00")].count(b"\n") + 1
        raise error(
            f"contains NUL bytes: a binary file, or UTF-16 text without a byte-order mark "
            f"(first at line {line})",
            path=path,
            hint="export the transcript as UTF-8 text, or set input.encoding",
        )
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise error(
            f"byte {exc.start} (0x{body[exc.start]:02x}) is not valid {codec}",
            path=path,
            line=line,
            hint="save the file as UTF-8, or set input.encoding to its encoding, e.g. cp1252",
        ) from None
