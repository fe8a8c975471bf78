"""The metadata sheet: one row per transcript, joined on ``doc_id``.

Dates are parsed only where the config names the column and its format. Without a format
(``iso``), only ISO dates (``2020-03-23``) are accepted: ``03/04/2020`` could be March or
April, and textmine does not guess; the error says which format key to set.

A column is never refused for its name. One that textmine uses for its own column
(``source``, ``role``, ``text``, ``doc_id`` when the ids come from another column...) is
kept as ``meta_<name>`` (:func:`textmine.corpus.metadata_names`); the renaming is recorded
in the returned frame's ``attrs["renamed_columns"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from textmine.corpus import metadata_names
from textmine.errors import MetadataError
from textmine.io.tables import join_key, read_table, require_columns, row_line

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$")
_AMBIGUOUS = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")


def parse_date(value, formats: Sequence[str], *, path: Path, line: int, column: str):
    """Parse one cell with the configured formats, tried in order (``iso`` = ISO 8601)."""
    if value is None:
        return pd.NaT
    if isinstance(value, datetime):
        return pd.Timestamp(value)
    text = str(value).strip()
    for fmt in formats:
        try:
            if fmt == "iso":
                if _ISO.match(text):
                    return pd.Timestamp(datetime.fromisoformat(text))
                continue
            return pd.Timestamp(datetime.strptime(text, fmt))
        except ValueError:
            continue
    if formats == ["iso"] and _AMBIGUOUS.match(text):
        first, second, _ = _AMBIGUOUS.match(text).groups()
        kind = ("ambiguous (day and month could be either)"
                if int(first) <= 12 and int(second) <= 12 else "not ISO")
        raise MetadataError(
            f"date {text!r} in column {column!r} is {kind}",
            path=path, line=line, key=f"input.dates.{column}",
            hint=f"set input.dates.{column} to its format, e.g. '%d/%m/%Y' or '%m/%d/%Y'",
        )
    raise MetadataError(
        f"date {text!r} in column {column!r} does not match {' or '.join(formats)}",
        path=path, line=line, key=f"input.dates.{column}",
        hint=f"fix the cell or add its format to input.dates.{column}",
    )


def read_metadata(
    path: Path,
    *,
    doc_id_column: str = "doc_id",
    dates: Mapping[str, str | Sequence[str]] | None = None,
    encoding: str = "utf-8",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read the metadata sheet; return one row per ``doc_id`` with dates parsed.

    ``columns`` keeps only those columns (besides the id): a sheet that is also the
    transcript table need not repeat its text as metadata.
    The id column becomes ``doc_id``; a column named like one of textmine's own becomes
    ``meta_<name>`` (``attrs["renamed_columns"]`` maps sheet name -> new name).

    Raises
    ------
    MetadataError
        Missing ``doc_id`` column or cells, duplicate ids, undeclared or unparsable dates.
    """
    frame = read_table(path, encoding=encoding, error=MetadataError)
    if columns is not None:
        require_columns(frame, {f"metadata_columns[{i}]": c for i, c in enumerate(columns)},
                        path, "input", MetadataError)
        ids = [doc_id_column] if isinstance(doc_id_column, str) else list(doc_id_column)
        lines = frame.attrs.get("lines")
        frame = frame[list(dict.fromkeys([*ids, *columns]))].copy()
        frame.attrs["lines"] = lines
    ids = [doc_id_column] if isinstance(doc_id_column, str) else list(doc_id_column)
    require_columns(frame, {("doc_id_column" if len(ids) == 1 else f"doc_id_column[{i}]"): c
                            for i, c in enumerate(ids)}, path, "input", MetadataError)
    doc_id_column = join_key(frame, doc_id_column, " doc_id")
    for position, value in enumerate(frame[doc_id_column]):
        if value is None:
            raise MetadataError(f"empty {doc_id_column!r} cell", path=path,
                                line=row_line(frame, position),
                                hint="every row needs the transcript's id")
    duplicated = frame[doc_id_column].duplicated(keep="first")
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        first = int((frame[doc_id_column] == frame[doc_id_column].iloc[position]).to_numpy()
                    .nonzero()[0][0])
        raise MetadataError(
            f"doc_id {frame[doc_id_column].iloc[position]!r} appears twice "
            f"(also on line {row_line(frame, first)})",
            path=path, line=row_line(frame, position), hint="keep one row per transcript",
        )
    names = metadata_names(list(frame.columns), key=doc_id_column)
    # a sheet column called doc_id is the user's, not the join key, when the ids are in
    # another column: it is kept as meta_doc_id and never overwrites the ids
    out = pd.DataFrame({"doc_id": frame[doc_id_column].astype("str")})
    for column in frame.columns:
        if column == doc_id_column or column == " doc_id":
            continue
        name = names[column]
        if column in (dates or {}):
            fmts = dates[column]
            fmts = [fmts] if isinstance(fmts, str) else list(fmts)
            out[name] = pd.to_datetime(pd.Series([
                parse_date(v, fmts, path=path, line=row_line(frame, i), column=column)
                for i, v in enumerate(frame[column])
            ], dtype=object))
        else:
            out[name] = pd.Series(
                [None if v is None else str(v) for v in frame[column]], dtype="str")
    out.attrs["renamed_columns"] = {c: n for c, n in names.items()
                                    if c != doc_id_column and n != c}
    for column in dates or {}:
        if column not in frame.columns:
            raise MetadataError(
                f"no column {column!r} for input.dates; the sheet has: "
                + ", ".join(map(repr, frame.columns)),
                path=path, line=1, key=f"input.dates.{column}",
                hint=f"rename the column in the sheet, or remove input.dates.{column}",
            )
    return out
