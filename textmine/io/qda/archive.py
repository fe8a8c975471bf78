"""Zip members of a ``.qdpx``, read only after the archive has been checked.

:func:`check_zip` is the one place that decides whether a zip is safe to open. It has the
signature of the shared zip guard that the docx/odt/xlsx readers are getting
(``textmine/io/zipguard.py``, issue 10); when that lands, this function is meant to be replaced
by an import of it. What it refuses:

* members that would decompress to more than :data:`MAX_TOTAL_BYTES` in all, or one member of
  at least :data:`RATIO_FROM_BYTES` that grows more than :data:`MAX_RATIO` times (a zip bomb);
* more than :data:`MAX_MEMBERS` members;
* a member named with an absolute path, a drive, or ``..`` (made to write outside a folder).

The sizes checked are the ones the central directory declares, which is also the most Python's
``zipfile`` ever returns for a member, so checking costs nothing and bounds all later work.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from textmine.errors import InputError, describe_value

#: the most a zip-based input may decompress to, in all (a large project is tens of MB)
MAX_TOTAL_BYTES = 256 * 2**20
#: the most one member may grow when decompressed (XML and text are typically 3-20x)...
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
              max_members: int = MAX_MEMBERS) -> None:
    """Refuse a zip that is too large once decompressed, or that names unsafe paths.

    Parameters
    ----------
    data
        The file's bytes (or its path).
    path
        The file, for the message.
    kind
        What the file should be (``".qdpx"``), for the message.
    error
        The error class to raise.
    max_total_bytes, max_ratio, max_members
        The limits (module constants by default).

    Raises
    ------
    InputError
        (of class ``error``) naming the file, the member and the limit it breaks. A file that
        is not a zip at all passes: the reader of the format reports it in its own words.
    """
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    hint = (f"open it in the tool that made it and export the {kind} again; if it really is "
            "this large, export the text sources alone")
    if len(members) > max_members:
        raise error(f"not a {kind} file textmine reads: {len(members):,} members (limit "
                    f"{max_members:,})", path=path, hint=hint)
    total = 0
    for member in members:
        name = describe_value(member.filename, limit=80)
        if _unsafe_name(member.filename):
            raise error(f"not a {kind} file textmine reads: member {name} is named with an "
                        "absolute path or '..', which is made to write outside a folder",
                        path=path, hint=f"do not unpack it; ask for the {kind} file again")
        size = member.file_size
        total += size
        ratio = size / max(member.compress_size, 1)
        if size >= RATIO_FROM_BYTES and ratio > max_ratio:
            raise error(f"not a {kind} file textmine reads: member {name} would grow "
                        f"{ratio:,.0f} times when decompressed (limit {max_ratio:,.0f}; a "
                        "'zip bomb')", path=path, hint=hint)
        if total > max_total_bytes:
            raise error(f"not a {kind} file textmine reads: it decompresses to more than "
                        f"{max_total_bytes / 2**20:,.0f} MB (at member {name})", path=path,
                        hint=hint)


def read_member(archive: zipfile.ZipFile, name: str, path: Path, *,
                error: type[InputError]) -> bytes:
    """The bytes of one member, never more than it declares (the guard's bound)."""
    info = archive.getinfo(name)
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise error(f"member {describe_value(name, limit=80)} is damaged ({exc})", path=path,
                    hint="export the project again") from None
    if len(data) > info.file_size:
        raise error(f"member {describe_value(name, limit=80)} is larger than it declares",
                    path=path, hint="export the project again")
    return data
