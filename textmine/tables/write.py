"""Publication tables written as CSV, XLSX and LaTeX, with the same bytes on every run.

LaTeX goes through pandas' Styler (booktabs rules, every cell and header escaped: quotes hold
``%``, ``&``, ``_``, ``#``, ``$``...), never through hand-built strings.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

__all__ = ["TABLE_FORMATS", "to_latex", "to_xlsx", "write_table", "write_tables"]

TABLE_FORMATS = ("csv", "xlsx", "tex")
#: a fixed time for the XLSX package: openpyxl stamps the clock into it otherwise
_EPOCH = (1980, 1, 1, 0, 0, 0)
_STAMP = "2000-01-01T00:00:00Z"
#: text columns longer than this get a paragraph column in LaTeX (they wrap)
_LONG = 40


def to_latex(frame: pd.DataFrame, *, caption: str | None = None, label: str | None = None,
             precision: int = 1) -> str:
    r"""A booktabs ``tabular`` (in a ``table`` float when a caption is given), all escaped.

    Parameters
    ----------
    frame
        The table; its index is not written.
    caption, label
        ``\caption`` and ``\label`` of the float.
    precision
        Decimals of float columns.
    """
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            columns.append("r")
        elif column.astype(str).str.len().max() > _LONG if len(column) else False:
            columns.append(r"p{0.4\linewidth}" if column.astype(str).str.len().max() > 80
                           else r"p{0.22\linewidth}")
        else:
            columns.append("l")
    styler = (frame.style.hide(axis="index")
              .format(escape="latex", precision=precision, na_rep="")
              .format_index(escape="latex", axis="columns"))
    return styler.to_latex(hrules=True, column_format="".join(columns), caption=caption,
                           label=label, position="htbp" if caption else None,
                           position_float="centering" if caption else None)


def _reproducible_zip(data: bytes) -> bytes:
    """The same zip with fixed member times and fixed document dates (docProps/core.xml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
            out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              rb"\g<1>" + _STAMP.encode() + rb"\g<3>", body)
            member = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, body)
    return out.getvalue()


def to_xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook, one sheet per table (names cut to Excel's 31 characters)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "table"
            frame.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    if cell.data_type == "f":  # a quote starting with "=" is text, never a
                        cell.data_type = "s"   # formula Excel would run
            for k, column in enumerate(frame.columns, start=1):  # widths that fit the text
                width = max([len(str(column))] + [len(str(v)) for v in frame[column]])
                ws.column_dimensions[ws.cell(1, k).column_letter].width = min(60, width + 2)
    return _reproducible_zip(buffer.getvalue())


def write_table(frame: pd.DataFrame, path: str | Path, *, caption: str | None = None,
                label: str | None = None) -> Path:
    """Write one table as ``.csv``, ``.xlsx`` or ``.tex`` (chosen by the suffix)."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "csv":
        path.write_text(frame.to_csv(index=False), encoding="utf-8")
    elif suffix == "xlsx":
        path.write_bytes(to_xlsx({path.stem: frame}))
    elif suffix == "tex":
        path.write_text(to_latex(frame, caption=caption, label=label), encoding="utf-8")
    else:
        raise ValueError(f"table file {path.name!r}: the suffix must be one of {TABLE_FORMATS}")
    return path


def write_tables(tables: Mapping[str, pd.DataFrame], folder: str | Path, *,
                 formats: Iterable[str] = TABLE_FORMATS,
                 captions: Mapping[str, str] | None = None) -> list[Path]:
    """Write each table as ``<folder>/<name>.<format>``; returns the files written."""
    formats = list(dict.fromkeys(formats))
    written: list[Path] = []
    if not tables or not formats:
        return written
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        for fmt in formats:
            caption = (captions or {}).get(name)
            written.append(write_table(frame, folder / f"{name}.{fmt}", caption=caption,
                                       label=f"tab:{name}" if caption else None))
    return written
