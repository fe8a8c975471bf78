"""``track``: topic and code prevalence over periods and groups."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from textmine.config.base import Section

#: columns the track stage makes from ``track.date``: named periods, or calendar bins
DERIVED_COLUMNS = ("period", "month", "quarter", "year")
#: the level of a contrast that stands for "every other level"
REST = "*"


class TrackConfig(Section):
    """Topic and human-code prevalence by metadata columns, periods and calendar bins."""

    enabled: bool = Field(
        True, description="run the track step (it runs when by, date or formula is set)")
    topics: str = Field("topics", description="key of the topics result to track")
    by: list[str] = Field(
        default_factory=list, description="categorical metadata columns (network, outcome...)")
    date: str | None = Field(
        None, description="a date column of the metadata (parsed through input.dates)")
    periods: dict[str, tuple[dt.date, dt.date]] = Field(
        default_factory=dict,
        description="named periods [first day, last day], both inclusive; they make the "
                    "column `period`; overlaps are errors")
    freq: Literal["month", "quarter", "year"] | None = Field(
        None, description="calendar bins of `date`: they make the column month, quarter "
                          "or year")
    on_missing_date: Literal["error", "exclude"] = Field(
        "error", description="a document without a date (or, for a text column, with one "
                             "that is not ISO): error naming the file and row, or exclude "
                             "it and report it")
    cross: list[tuple[str, str]] = Field(
        default_factory=list, description="pairs of columns tracked together, e.g. "
                                          "[[network, period]]")
    contrasts: list[tuple[str, str, str]] = Field(
        default_factory=list,
        description="[column, level a, level b]: difference b - a; '*' as a level means "
                    "every other level")
    formula: str | None = Field(
        None, description="effects table: each document's share regressed on metadata, "
                          "e.g. 'share ~ period + network' (fractional logit)")
    cluster: str | None = Field(
        None, description="column whose levels cluster the effects' standard errors "
                          "(none: each document its own cluster)")
    unit: Literal["document", "segment"] = Field(
        "document", description="document: each interview weighs the same; segment: "
                                "each segment does")
    n_boot: int = Field(1000, ge=100, le=100_000,
                        description="bootstrap resamples of documents for the intervals")
    n_permutations: int = Field(
        4999, ge=99, le=100_000,
        description="document permutations for a contrast's p-value")
    level: float = Field(0.95, gt=0.5, lt=1, description="confidence level of intervals")
    min_documents: int = Field(
        3, ge=1, description="cells with fewer documents are flagged, without interval or "
                             "p-value")
    model_uncertainty: Literal["auto"] | bool = Field(
        "auto", description="fold the topic model's own uncertainty (the stability refits, "
                            "matched to the reported topics) into the intervals, as "
                            "stm::estimateEffect's method of composition; auto: when the "
                            "topics result has refits")
    codes: bool = Field(True, description="track the human codes too (when there are any)")
    n_terms: int = Field(10, ge=0, le=100,
                         description="c-TF-IDF terms per topic and bin (0: no terms tables)")

    @field_validator("periods")
    @classmethod
    def _periods_apart(cls, value: dict[str, tuple[dt.date, dt.date]]):
        for name, (start, end) in value.items():
            if not str(name).strip():
                raise ValueError("a period needs a name")
            if end < start:
                raise ValueError(f"period {name!r} ends ({end}) before it starts ({start})")
        ordered = sorted(value.items(), key=lambda item: item[1][0])
        for (first, (_, end)), (second, (start, _)) in zip(ordered, ordered[1:], strict=False):
            if start <= end:
                raise ValueError(
                    f"periods {first!r} and {second!r} overlap ({second!r} starts {start}, "
                    f"{first!r} ends {end}); edges are inclusive, so give each day to one "
                    "period")
        return value

    @field_validator("formula")
    @classmethod
    def _formula_shape(cls, value: str | None) -> str | None:
        if value is not None and (value.count("~") != 1 or
                                  value.split("~")[0].strip() != "share"):
            raise ValueError("write it as 'share ~ column + column ...'")
        return value

    @model_validator(mode="after")
    def _date_for_bins(self) -> TrackConfig:
        if (self.periods or self.freq) and not self.date:
            raise ValueError("periods and freq need track.date: the date column to bin")
        return self

    def columns(self) -> list[str]:
        """The columns tracked on their own, in order: ``by``, then period and calendar bins."""
        out = list(self.by)
        if self.periods:
            out.append("period")
        if self.freq:
            out.append(self.freq)
        return list(dict.fromkeys(out))

    def wanted(self) -> bool:
        """Whether there is anything to track."""
        return bool(self.by or self.date or self.formula or self.cross)
