"""``input``: where the transcripts are and how to read them."""

from __future__ import annotations

import codecs
import re
from typing import Literal

from pydantic import Field, field_validator

from textmine.config.base import Section, not_blank

#: speaker names with the interviewer role unless input.interviewer replaces them
BUILTIN_INTERVIEWER = ("Interviewer", "I")
#: lines that are never speech unless input.skip_lines replaces them: Otter's trailer
BUILTIN_SKIP_LINES = (r"^\s*Transcribed by https?://otter\.ai\s*$",)
#: a list that adds to textmine's built-in entries, or {replace: [...]} that replaces them
ExtendableList = list[str] | dict[Literal["replace"], list[str]]


def extended(value: ExtendableList, builtin: tuple[str, ...]) -> list[str]:
    """The entries in force: the built-ins and the user's, or only the user's if replaced."""
    if isinstance(value, dict):
        return list(value["replace"])
    return list(dict.fromkeys([*builtin, *value]))


class TableColumns(Section):
    """Columns of a one-turn-per-row transcript table (CSV/XLSX)."""

    speaker: str = Field("speaker", description="column with the speaker's name")
    text: str = Field("text", description="column with what was said")
    doc_id: str | list[str] | None = Field(
        None, description="a column naming the transcript, when one table holds several "
        "(a list: their values joined by '_', for ids unique only together)"
    )
    time: str | None = Field(None, description="start time of the turn (seconds or h:mm:ss)")


class InputConfig(Section):
    """Where the transcripts are and how to read them."""

    transcripts: str | list[str] = Field(
        ..., description="a glob or a list of files (relative to the config file); a QDA "
        "project (.qdpx, QualCoder .qda, Taguette .sqlite3) gives its sources, cases and codings"
    )
    format: Literal["auto", "text", "docx", "odt", "vtt", "srt", "table", "qdpx", "qualcoder",
                    "taguette"] = Field(
        "auto", description="reader; auto decides by file extension"
    )
    labels: Literal["auto", "colon", "export", "none"] = Field(
        "auto", description="speaker labels in plain text: Name: text | Name  00:00 | none"
    )
    encoding: str = Field("utf-8", description="text encoding of .txt/.csv files without BOM")
    follow_symlinks: bool = Field(
        False, description="read a transcript that is a symbolic link to a file outside the "
        "folder it is found in (default: refused; links inside it are always read)")
    max_line_chars: int = Field(
        100_000, ge=1_000,
        description="a longer line is not a transcript (binary data, or an export without "
        "line breaks)")
    metadata: str | None = Field(None, description="CSV/XLSX sheet, one row per transcript")
    doc_id_column: str | list[str] = Field(
        "doc_id", description="metadata column matching the file name without extension "
        "(a list: their values joined by '_', as input.columns.doc_id)"
    )
    metadata_columns: list[str] | None = Field(
        None, description="keep only these columns of the metadata sheet (none: all); e.g. "
        "when the transcript table is also the sheet")
    dates: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="metadata column -> date format(s) (strftime, e.g. '%d/%m/%Y') or 'iso'; "
        "no time-zone directives (%z, %Z)",
    )
    interviewer: ExtendableList = Field(
        default_factory=list,
        description="speaker names or regular expressions with the interviewer role, added to "
        "Interviewer and I; {replace: [...]} to use only yours",
    )
    interviewer_column: str | None = Field(
        None, description="metadata column naming each transcript's interviewer label(s) "
        "(e.g. 'Speaker 1'; several separated by ';'), added to input.interviewer for it")
    participants: list[str] | None = Field(
        None, description="if given, speakers matching neither list get the role 'unknown'"
    )
    other: list[str] = Field(
        default_factory=list, description="speakers that are neither (notes, annotations)"
    )
    speakers: list[str] | None = Field(
        None, description="accept only these names as speaker labels"
    )
    line_speakers: dict[str, str] = Field(
        default_factory=dict, description="speaker -> regex: lines matching it are theirs"
    )
    skip_lines: ExtendableList = Field(
        default_factory=list,
        description="regexes of lines that are not speech (page numbers...), added to the "
        "built-in Otter trailer; {replace: [...]} to use only yours",
    )
    unlabelled_speaker: str | None = Field(
        None, description="speaker of lines without a label (default: continue the turn)"
    )
    on_no_speakers: Literal["warn", "error"] = Field(
        "warn", description="a transcript without speaker labels: one speaker + warning, or error"
    )
    columns: TableColumns = Field(default_factory=TableColumns)
    sheet: str | int = Field(0, description="worksheet of .xlsx transcripts (name or index)")

    @field_validator("transcripts")
    @classmethod
    def _some_transcripts(cls, value: str | list[str]) -> str | list[str]:
        items = [value] if isinstance(value, str) else value
        if not items or any(not item.strip() for item in items):
            raise ValueError("is empty: name the transcript files with a glob such as "
                             "transcripts/*.docx or a list of files")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_named(cls, value: str | None) -> str | None:
        return not_blank(value)

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        try:
            info = codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown text encoding {value!r}: use a Python codec name such as utf-8 "
                "or cp1252") from None
        # rot13, base64, zlib... are codecs, but they do not turn bytes into text
        if not getattr(info, "_is_text_encoding", True):
            raise ValueError(f"{value!r} is not a text encoding: use a codec such as utf-8, "
                             "cp1252 or latin-1")
        return value

    @field_validator("dates")
    @classmethod
    def _naive_dates(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        # offsets would make some dates time-zone aware and others not (or two offsets in
        # one column), which cannot be compared; an interview is dated by its local date
        for column, formats in value.items():
            for fmt in [formats] if isinstance(formats, str) else formats:
                if "%z" in fmt or "%Z" in fmt or "%:z" in fmt:
                    raise ValueError(
                        f"format {fmt!r} for {column!r} reads a time zone: dates are read as "
                        "local dates; drop %z/%Z from the format (and the offset from the "
                        "cells)")
        return value

    def interviewer_names(self) -> list[str]:
        """Interviewer names and patterns in force (built-ins unless replaced)."""
        return extended(self.interviewer, BUILTIN_INTERVIEWER)

    def skip_patterns(self) -> list[str]:
        """Skip-line patterns in force (built-ins unless replaced)."""
        return extended(self.skip_lines, BUILTIN_SKIP_LINES)

    @field_validator("skip_lines", "interviewer")
    @classmethod
    def _replace_form(cls, value: ExtendableList):
        if isinstance(value, dict) and "replace" not in value:
            raise ValueError("expected a list (added to the built-ins) or {replace: [...]}")
        return value

    @field_validator("skip_lines")
    @classmethod
    def _skip_lines_compile(cls, value: ExtendableList):
        cls._regexes_compile(value["replace"] if isinstance(value, dict) else value)
        return value

    @field_validator("line_speakers")
    @classmethod
    def _regexes_compile(cls, value: dict[str, str] | list[str]):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for name, pattern in items:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"regular expression for {name!r} does not compile: {exc}") from None
        return value
