"""Zip members of a ``.qdpx``, read only after the archive has passed the shared zip guard.

:func:`textmine.io.zipguard.check_zip` decides whether a zip is safe to open (sizes, ratio,
member names); :func:`read_member` then never returns more than a member declares.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from textmine.errors import InputError, describe_value
from textmine.io.zipguard import check_zip

__all__ = ["check_zip", "read_member"]


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
