"""Spreadsheets (CSV, TSV, XLSX) read as tables of strings, by one set of header rules."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from textmine.errors import InputError
from textmine.io.decode import decode, read_bytes
from textmine.io.zipguard import check_zip


def read_table(
    path: Path,
    *,
    encoding: str = "utf-8",
    error: type[InputError] = InputError,
    sheet: str | int = 0,
    data: bytes | None = None,
) -> pd.DataFrame:
    """Read a CSV, TSV or XLSX file with every cell as a string (``None`` where empty).

    Nothing is type-guessed: ids such as ``007`` keep their zeros; dates are parsed later,
    only where the config says how. Excel cells that hold real dates arrive as
    :class:`datetime.datetime`. ``.xls`` (the pre-2007 format) is not read: save as .xlsx.

    One set of header rules for every format: the first non-empty row is the header; header
    cells are compared as text after trimming (a number ``1`` and a text ``'1'`` are the same
    name), and a name that appears twice is an error. A column with values but no header is
    named ``unnamed_<n>`` (its 1-based position: R and pandas write row names so); an empty
    one without a header is left out. Empty rows hold nothing and are skipped; every other
    row is returned, with its line (CSV) or row (XLSX) number in ``frame.attrs["lines"]``
    (see :func:`row_line`).

    ``data``: the file's bytes, if already read.
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        data = read_bytes(path, error=error) if data is None else data
        check_zip(data, path, kind=".xlsx", error=error)
        header, rows, lines = _xlsx_rows(data, path, sheet, error)
    elif suffix in (".csv", ".tsv"):
        data = read_bytes(path, error=error) if data is None else data
        header, rows, lines = _csv_rows(decode(data, path, encoding=encoding, error=error),
                                        path, "\t" if suffix == ".tsv" else ",", error)
    else:
        raise error(
            f"unsupported table type {suffix!r}", path=path, hint="use .csv, .tsv or .xlsx"
        )
    names = _header(header, rows, path, error, line=lines.pop(0))
    keep = [i for i, name in enumerate(names) if name is not None]
    # built column by column as object Series: assigning a list lets pandas infer a
    # string dtype that turns None back into NaN (an empty cell would read as "nan")
    frame = pd.DataFrame({
        names[i]: pd.Series([row[i] if i < len(row) else None for row in rows], dtype=object)
        for i in keep
    })
    frame.attrs["lines"] = lines
    return frame


def _cell(value):
    """A data cell: ``None`` if empty, a date as it is, anything else trimmed text."""
    if _missing(value):
        return None
    if hasattr(value, "year"):
        return value
    return str(value).strip() or None


def _header_name(value) -> str:
    """A header cell as text: ``1`` (number), ``1.0`` and ``'1'`` are all ``"1"``."""
    if _missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header(header: list, rows: list[list], path: Path, error: type[InputError], *,
            line: int) -> list[str | None]:
    """Column names, ``None`` for an empty unnamed column (left out)."""
    width = max([len(header), *map(len, rows)])
    names: list[str | None] = []
    seen: dict[str, int] = {}
    for i in range(width):
        name = _header_name(header[i] if i < len(header) else None)
        if not name:
            if not any(i < len(row) and row[i] is not None for row in rows):
                names.append(None)
                continue
            name = f"unnamed_{i + 1}"  # e.g. the row names R and pandas write first
        if name in seen:
            raise error(f"column {name!r} appears twice in the header (columns {seen[name]} "
                        f"and {i + 1})", path=path, line=line, hint="rename one of them")
        seen[name] = i + 1
        names.append(name)
    return names


def _blank(value) -> bool:
    return _missing(value) or (isinstance(value, str) and not value.strip())


def _split_header(numbered: list[tuple[int, list]], path: Path,
                  error: type[InputError]) -> tuple[list, list[list], list[int]]:
    """Header (first non-empty row), body rows as cells, and lines (header's first)."""
    filled = [(n, row) for n, row in numbered if not all(_blank(v) for v in row)]
    if not filled:
        raise error("the file is empty", path=path, hint="fill it, or remove it from the config")
    (header_line, header), body = filled[0], filled[1:]
    return (header, [[_cell(v) for v in row] for _, row in body],
            [header_line] + [n for n, _ in body])


def _csv_rows(text: str, path: Path, delimiter: str,
              error: type[InputError]) -> tuple[list, list[list], list[int]]:
    if not text.strip():
        raise error("the file is empty", path=path, hint="fill it, or remove it from the config")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    numbered: list[tuple[int, list]] = []
    start = 1
    try:
        for row in reader:
            numbered.append((start, row))  # a quoted cell may span lines: its first line
            start = reader.line_num + 1
    except csv.Error as exc:
        problem = str(exc)
        if "field larger" in problem:
            problem = "a cell is longer than 131,072 characters"
        raise error(f"malformed CSV: {problem}", path=path, line=start,
                    hint="check for an unclosed quote, or save the sheet again as CSV "
                    "(UTF-8) from a spreadsheet program") from None
    header, body, lines = _split_header(numbered, path, error)
    for number, row in zip(lines[1:], body, strict=True):
        if len(row) != len(header):
            raise error(f"row has {len(row)} cells, the header has {len(header)}", path=path,
                        line=number, hint="check for an unquoted comma or a missing quote")
    return header, body, lines


def _xlsx_rows(data: bytes, path: Path, sheet: str | int,
               error: type[InputError]) -> tuple[list, list[list], list[int]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile / openpyxl / xml errors on broken files
        raise error(
            f"not a readable .xlsx workbook ({type(exc).__name__}): corrupt, truncated or "
            "another format",
            path=path,
            hint="open it in a spreadsheet program and save it again as .xlsx",
        ) from None
    try:
        names = book.sheetnames
        if isinstance(sheet, int):
            if not 0 <= sheet < len(book.worksheets):
                raise error(f"no sheet number {sheet} (the workbook has {len(names)}: "
                            + ", ".join(map(repr, names[:10])) + "; the first is 0)",
                            path=path, key="input.sheet",
                            hint="set input.sheet to a sheet's name or number")
            worksheet = book.worksheets[sheet]
        elif sheet in names:
            worksheet = book[sheet]
        else:
            raise error(f"no sheet {sheet!r} (the workbook has: "
                        + ", ".join(map(repr, names[:10])) + ")", path=path, key="input.sheet",
                        hint="set input.sheet to a sheet's name or number")
        try:
            numbered = [(number, list(values)) for number, values in
                        enumerate(worksheet.iter_rows(values_only=True), start=1)]
        except Exception as exc:
            raise error(f"not a readable .xlsx workbook ({type(exc).__name__}): corrupt or "
                        "truncated", path=path,
                        hint="open it in a spreadsheet program and save it again as .xlsx"
                        ) from None
    finally:
        book.close()
    return _split_header(numbered, path, error)


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def row_line(frame: pd.DataFrame, position: int) -> int:
    """File line (CSV) or spreadsheet row (XLSX) of the data row at ``position``."""
    lines = frame.attrs.get("lines")
    if lines is not None and position < len(lines):
        return lines[position]
    return position + 2  # header is row 1


def require_columns(frame: pd.DataFrame, columns: dict[str, str], path: Path, key: str,
                    error: type[InputError] = InputError) -> None:
    """Raise if a configured column is missing, listing those the file has."""
    for role, column in columns.items():
        if column not in frame.columns:
            raise error(
                f"no column {column!r} (the {role} column); the file has: "
                + ", ".join(map(repr, frame.columns)),
                path=path,
                line=1,
                key=f"{key}.{role}",
                hint=f"set {key}.{role} to the right column name",
            )


def join_key(frame: pd.DataFrame, columns: str | list[str], name: str) -> str:
    """The column holding an id made of one column, or of several joined by ``_``.

    With several columns a new column ``name`` is added to ``frame`` (in place, so that row
    line numbers stay attached); a row missing any part gets no id.
    """
    if isinstance(columns, str):
        return columns
    parts = [frame[c] for c in columns]
    frame[name] = [None if any(_missing(v) for v in values) else
                   "_".join(str(v).strip() for v in values) for values in zip(*parts, strict=True)]
    return name
