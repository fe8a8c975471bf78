"""Spreadsheets (CSV, XLSX) read as tables of strings, with errors that name file and row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from textmine.errors import InputError
from textmine.io.decode import decode, read_bytes


def read_table(
    path: Path,
    *,
    encoding: str = "utf-8",
    error: type[InputError] = InputError,
    sheet: str | int = 0,
) -> pd.DataFrame:
    """Read a CSV or XLSX file with every cell as a string (``None`` where empty).

    Nothing is type-guessed: ids such as ``007`` keep their zeros; dates are parsed later,
    only where the config says how. Excel cells that hold real dates arrive as
    :class:`datetime.datetime`. ``.xls`` (the pre-2007 format) is not read: save as .xlsx.
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        data = read_bytes(path, error=error)
        try:
            frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet, dtype=object,
                                  engine="openpyxl")
        except Exception as exc:  # zipfile / openpyxl / xml errors on broken files
            raise error(
                f"not a readable .xlsx workbook ({type(exc).__name__}): corrupt, truncated or "
                "another format",
                path=path,
                hint="open it in a spreadsheet program and save it again as .xlsx",
            ) from None
        # built column by column as object Series: assigning a list lets pandas infer a
        # string dtype that turns None back into NaN (an empty cell would read as "nan")
        frame = pd.DataFrame({
            column: pd.Series([
                None if _missing(v) else v if hasattr(v, "year") else str(v).strip() or None
                for v in frame[column]
            ], dtype=object)
            for column in frame.columns
        })
    elif suffix in (".csv", ".tsv"):
        text = decode(read_bytes(path, error=error), path, encoding=encoding, error=error)
        if not text.strip():
            raise error("the file is empty", path=path,
                        hint="fill it, or remove it from the config")
        delimiter = "\t" if suffix == ".tsv" else ","
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                   strict=True))
        except csv.Error as exc:
            problem = str(exc)
            if "field larger" in problem:
                problem = "a cell is longer than 131,072 characters"
            raise error(f"malformed CSV: {problem}", path=path,
                        hint="check for an unclosed quote, or save the sheet again as CSV "
                        "(UTF-8) from a spreadsheet program") from None
        header, body = rows[0], rows[1:]
        for number, row in enumerate(body, start=2):
            if len(row) != len(header) and any(cell.strip() for cell in row):
                raise error(
                    f"row has {len(row)} cells, the header has {len(header)}",
                    path=path,
                    line=number,
                    hint="check for an unquoted comma or a missing quote",
                )
        body = [row for row in body if any(cell.strip() for cell in row)]
        frame = pd.DataFrame(
            [[cell.strip() or None for cell in row] for row in body],
            columns=[h.strip() for h in header],
            dtype=object,
        )
        frame.attrs["lines"] = _data_line_numbers(text, delimiter)
    else:
        raise error(
            f"unsupported table type {suffix!r}", path=path, hint="use .csv, .tsv or .xlsx"
        )
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise error(f"column {dup!r} appears twice in the header", path=path, line=1,
                    hint="rename one of them")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _data_line_numbers(text: str, delimiter: str) -> list[int]:
    """File line on which each non-empty data row starts (cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbers = []
    next(reader, None)
    start = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            numbers.append(start)
        start = reader.line_num + 1
    return numbers


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
