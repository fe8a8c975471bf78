"""One set of table rules for CSV, TSV and XLSX (issue 10): headers, empty rows, row numbers.

Every table textmine reads (transcript tables, metadata, codes, codebooks, rosters) goes
through ``textmine.io.tables.read_table``; here the same real rows are written in each format
and must come back the same, and the same bad header must fail the same way.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from builders import focus_group_turns

from textmine.errors import InputError
from textmine.io.tables import read_table, row_line

FORMATS = ["csv", "tsv", "xlsx"]


def _write(path, rows: list[list]) -> None:
    """Rows as a CSV/TSV (numbers as their text) or an XLSX (numbers stay numbers)."""
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        path.write_bytes(buffer.getvalue())
        return
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t" if path.suffix == ".tsv" else ",")
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


@pytest.fixture(scope="module")
def real_rows(focus_groups):
    turns = focus_group_turns(focus_groups)["R1_1"][:12]
    return [[f"R1_1-{i:03d}", speaker, text] for i, (speaker, text) in enumerate(turns)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_rows_come_back_the_same_from_every_format(tmp_path, real_rows, fmt):
    rows = [["turn_id", "speaker", "text"], *real_rows[:5], [None, None, None],
            *real_rows[5:]]
    path = tmp_path / f"t.{fmt}"
    _write(path, rows)
    frame = read_table(path)
    assert list(frame.columns) == ["turn_id", "speaker", "text"]
    assert frame.values.tolist() == [[c.strip() for c in r] for r in real_rows]
    # the row numbers a message gives are the file's own (the empty row 7 is skipped)
    assert [row_line(frame, i) for i in range(len(frame))][4:6] == [6, 8]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("header", [
    ["speaker", "text", "text"], ["speaker", "text", " text "], ["speaker", "1", 1]],
    ids=["same", "spaces", "number-and-text"])
def test_a_duplicate_header_is_the_same_error_in_every_format(tmp_path, fmt, header):
    """`1` (number) and `'1'` (text) in an .xlsx used to become one column of "1"s."""
    path = tmp_path / f"t.{fmt}"
    _write(path, [header, ["A", "hello", "again"]])
    with pytest.raises(InputError, match=r"line 1: column '.+' appears twice in the header "
                                         r"\(columns 2 and 3\)"):
        read_table(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unnamed_columns_are_kept_by_position_and_empty_ones_left_out(tmp_path, fmt):
    # R's write.csv puts row names under an empty header; spreadsheets carry empty columns
    path = tmp_path / f"t.{fmt}"
    _write(path, [[None, "speaker", "text", None], ["1", "A", "hello", None],
                  ["2", "B", "hi", None]])
    frame = read_table(path)
    assert list(frame.columns) == ["unnamed_1", "speaker", "text"]
    assert frame["unnamed_1"].tolist() == ["1", "2"]


def test_an_xlsx_header_below_blank_rows_and_a_missing_sheet(tmp_path, real_rows):
    path = tmp_path / "t.xlsx"
    _write(path, [[None], [None], ["turn_id", "speaker", "text"], *real_rows[:3]])
    frame = read_table(path)
    assert len(frame) == 3 and [row_line(frame, i) for i in range(3)] == [4, 5, 6]
    with pytest.raises(InputError, match=r"no sheet 'Interviews' \(the workbook has: 'Sheet'\)"):
        read_table(path, sheet="Interviews")
    with pytest.raises(InputError, match="no sheet number 3"):
        read_table(path, sheet=3)


def test_numbers_in_an_xlsx_header_are_compared_as_they_show(tmp_path):
    # 2 and 2.0 are one number to Excel and show as "2"; in a CSV they are two texts
    path = tmp_path / "t.xlsx"
    _write(path, [["speaker", 2, 2.0], ["A", "x", "y"]])
    with pytest.raises(InputError, match="column '2' appears twice"):
        read_table(path)
    csv_path = tmp_path / "t.csv"
    _write(csv_path, [["speaker", "2", "2.0"], ["A", "x", "y"]])
    assert list(read_table(csv_path).columns) == ["speaker", "2", "2.0"]
