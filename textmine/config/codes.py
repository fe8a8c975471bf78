"""``codes``: the human coding to set beside the machine's reading."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from textmine.config.base import Section, not_blank


class CodeColumns(Section):
    """Columns of a generic codes CSV: spans (start/end) or quotes without offsets."""

    doc_id: str = Field("doc_id", description="transcript (file name, extension optional)")
    code: str = Field("code", description="the code applied")
    start_char: str = Field("start_char", description="span start (offsets mode)")
    end_char: str = Field("end_char", description="span end, exclusive (offsets mode)")
    quote: str = Field("quote", description="coded text (quotes mode, no offsets)")
    coder: str = Field("coder", description="who coded it (optional column)")


class CodesConfig(Section):
    """Human codes to set beside the machine's reading."""

    path: str | None = Field(
        None, description="codes file (CSV/XLSX), REFI-QDA .qdpx, QualCoder .qda (folder or "
        "data.qda) or Taguette .sqlite3; none: no codes (or the codings of a QDA project "
        "read as input.transcripts)")
    format: Literal["auto", "csv", "qdpx", "qualcoder", "taguette"] = Field(
        "auto", description="codes file format; auto decides by extension and content")
    columns: CodeColumns = Field(default_factory=CodeColumns)
    codebook: str | None = Field(None, description="CSV/XLSX: one row per code")
    codebook_columns: list[str] = Field(
        default_factory=lambda: ["code"],
        description="hierarchy columns, top level first; the last one holds the code",
    )
    codebook_description: str | None = Field(
        "description", description="codebook column with each code's definition"
    )
    path_separator: str | None = Field(
        None, description="codes (or Taguette tags) that carry their own path, e.g. "
        "'Barriers/Time' with '/'"
    )
    split_codes: str | None = Field(
        None, description="a cell holding several codes, e.g. 'B-OA, B-M' with ','"
    )
    min_match: float = Field(
        90.0, ge=50, le=100,
        description="fuzzy score to place a quote (or a QDA span whose text differs)")

    @field_validator("path", "codebook")
    @classmethod
    def _paths_named(cls, value: str | None) -> str | None:
        return not_blank(value)
