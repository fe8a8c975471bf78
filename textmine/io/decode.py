r"""Bytes to text, with the rules that keep offsets comparable with QDA tools.

* A byte-order mark (UTF-8, UTF-16, UTF-32) is recognised and removed; it is not counted.
* The encoding is UTF-8 unless the config says otherwise (``input.encoding``, any codec
  Python knows, e.g. ``cp1252``). Nothing is guessed: bytes that do not decode are an error
  naming the file, line and byte, not a silent replacement.
* Line endings are kept as they are in the file (``\\r\\n`` counts as two characters), so
  offsets index the decoded file exactly as a program reading it would.
* Control characters (other than whitespace) are not text: a file with many of them (1% or
  more) is refused as binary data or a wrong encoding (latin-1 decodes any bytes at all);
  a few are reported with a warning.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from textmine.errors import InputError, TextmineWarning, TranscriptError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


#: C0 and C1 control characters that are not whitespace (tab, line breaks, separators and NEL
#: are whitespace in Python and are read as such)
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
#: share of control characters from which a file is refused rather than warned about
CONTROL_LIMIT = 0.01

_READS: ContextVar[list[tuple[Path, str]] | None] = ContextVar("textmine_reads", default=None)


@contextmanager
def recording_reads() -> Iterator[list[tuple[Path, str]]]:
    """Collect ``(path, sha256)`` of every input file read inside the block.

    Every reader of transcripts, metadata, codes, codebooks and rosters reads through
    :func:`read_bytes`, so the list is every input file the block read (the manifest's
    ``inputs``), hashed from the very bytes that were read.
    """
    reads: list[tuple[Path, str]] = []
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


def read_bytes(path: Path, *, error: type[InputError] = TranscriptError) -> bytes:
    """Read a file, turning OS errors into textmine errors naming the file.

    Inside :func:`recording_reads` the file and the sha256 of its bytes are recorded.
    """
    try:
        data = path.read_bytes()
        reads = _READS.get()
        if reads is not None:
            reads.append((path, hashlib.sha256(data).hexdigest()))
        return data
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
        info = codecs.lookup(codec)
    except LookupError:
        raise error(
            f"unknown text encoding {codec!r}",
            path=path,
            key="input.encoding",
            hint="use a Python codec name such as utf-8 or cp1252",
        ) from None
    if not getattr(info, "_is_text_encoding", True):  # rot13, base64...
        raise error(f"{codec!r} is not a text encoding", path=path, key="input.encoding",
                    hint="use a text codec such as utf-8, cp1252 or latin-1")
    if (codec == encoding and b"\x00" in body
            and not info.name.startswith(("utf-16", "utf-32"))):
        line = body[: body.index(b"\x00")].count(b"\n") + 1
        raise error(
            f"contains NUL bytes: a binary file, or UTF-16 text without a byte-order mark "
            f"(first at line {line})",
            path=path,
            hint="export the transcript as UTF-8 text, or set input.encoding",
        )
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise error(
            f"byte {exc.start} (0x{body[exc.start]:02x}) is not valid {codec}",
            path=path,
            line=line,
            hint="save the file as UTF-8, or set input.encoding to its encoding, e.g. cp1252",
        ) from None
    _check_controls(text, path, codec, error, body)
    return text


def _clean_as(body: bytes, codec: str) -> bool:
    """Whether the bytes decode as ``codec`` with no control character."""
    try:
        return _CONTROL.search(body.decode(codec)) is None
    except UnicodeDecodeError:
        return False


def _check_controls(text: str, path: Path, codec: str, error: type[InputError],
                    body: bytes) -> None:
    """Refuse a text that is mostly control characters; warn about a few."""
    first = _CONTROL.search(text)
    if first is None:
        return
    count = len(_CONTROL.findall(text))
    line = max(1, text.count("\n", 0, first.start()) + 1)
    name = codecs.lookup(codec).name
    if name != "utf-8" and _clean_as(body, "utf-8"):
        hint = "the file is UTF-8 text: set input.encoding to utf-8"
    elif name != "cp1252" and _clean_as(body, "cp1252"):
        hint = ("the file reads as cp1252 (Windows) text, whose curly quotes and dashes are "
                "control characters in latin-1: set input.encoding to cp1252")
    else:
        hint = ("this is binary data or text in another encoding: export it again as UTF-8 "
                "text, or set input.encoding")
    if count >= CONTROL_LIMIT * len(text):
        raise error(f"{count:,} of {len(text):,} characters are control characters "
                    f"(first on line {line}, decoded as {codec}): not text", path=path,
                    line=line, key="input.encoding", hint=hint)
    warnings.warn(f"{path.name}: {count} control character(s), first on line {line} "
                  f"(decoded as {codec}); {hint}", TextmineWarning, stacklevel=4)
