"""One guard for every zip-based input (.docx, .odt, .xlsx, .qdpx): checked before it is opened.

A zip's central directory says how large each member is once decompressed; Python's
``zipfile`` (which python-docx, odfpy and openpyxl all read through) never returns more than
that. So the declared sizes bound the work, and checking them costs nothing: the members
are not decompressed here. A file is refused, with one line naming it, when

* its members would decompress to more than :data:`MAX_TOTAL_BYTES` in all, or one member
  of at least :data:`RATIO_FROM_BYTES` would grow more than :data:`MAX_RATIO` times (an
  852 KB .docx "zip bomb" otherwise ran for minutes and took gigabytes of memory);
* it has more than :data:`MAX_MEMBERS` members;
* a member's name is absolute or climbs out of the archive (``../``), which no office
  document or REFI-QDA project has: such names are made to write outside a folder when
  the archive is unpacked.

Usage, by every reader of a zip-based format::

    data = read_bytes(path)
    check_zip(data, path, kind=".docx", error=TranscriptError)
    document = docx.Document(io.BytesIO(data))
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from textmine.errors import InputError, describe_value

#: the most a zip-based input may decompress to, in all (a long interview is a few MB)
MAX_TOTAL_BYTES = 256 * 2**20
#: the most one member may grow when decompressed (office XML is typically 5-20x)...
MAX_RATIO = 200
#: ...checked for members that decompress to at least this much (small parts vary widely)
RATIO_FROM_BYTES = 2**20
#: the most members an archive may have
MAX_MEMBERS = 20_000


def _unsafe_name(name: str) -> bool:
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return (posix.is_absolute() or windows.is_absolute() or bool(windows.drive)
            or ".." in posix.parts or ".." in windows.parts)


def check_zip(data: bytes | Path, path: Path, *, kind: str,
              error: type[InputError] = InputError,
              max_total_bytes: int = MAX_TOTAL_BYTES, max_ratio: float = MAX_RATIO,
              max_members: int = MAX_MEMBERS, hint: str | None = None) -> None:
    """Refuse a zip-based input that is too large once decompressed, or names unsafe paths.

    Parameters
    ----------
    data
        The file's bytes (or its path).
    path
        The file, for the message.
    kind
        What the file should be (``".docx"``, ``".qdpx"``...), for the message.
    error
        The error class to raise (a transcript, metadata, codes, a QDA project...).
    max_total_bytes, max_ratio, max_members
        The limits (module constants by default).
    hint
        What the user can do (default: save the file again as ``kind``).

    Raises
    ------
    InputError
        (of class ``error``) naming the file, the member and the limit it breaks. A file
        that is not a zip at all passes: the format's own reader reports it as corrupt.
    """
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: the reader of the format says so in its own words
    hint = hint or (f"open it and save it again as {kind}; if it really is this large, save "
                    "the text alone (e.g. as .txt)")
    if len(members) > max_members:
        raise error(f"not a {kind} file textmine reads: {len(members):,} parts (limit "
                    f"{max_members:,})", path=path, hint=hint)
    total = 0
    for member in members:
        name = describe_value(member.filename, limit=80)
        if _unsafe_name(member.filename):
            raise error(f"not a {kind} file textmine reads: part {name} is named with an "
                        "absolute path or '..', which is made to write outside a folder",
                        path=path, hint=f"do not open or unpack it; ask for the {kind} file "
                        "again")
        size = member.file_size
        total += size
        ratio = size / max(member.compress_size, 1)
        if size >= RATIO_FROM_BYTES and ratio > max_ratio:
            raise error(f"not a {kind} file textmine reads: part {name} would grow "
                        f"{ratio:,.0f} times when decompressed (limit {max_ratio:,.0f}; a "
                        "'zip bomb')", path=path, hint=hint)
        if total > max_total_bytes:
            raise error(f"not a {kind} file textmine reads: it decompresses to more than "
                        f"{max_total_bytes / 2**20:,.0f} MB (at part {name})", path=path,
                        hint=hint)
