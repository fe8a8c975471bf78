"""``report``: figures, publication tables and the HTML report of a run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from textmine.config.base import Section


class ReportConfig(Section):
    """Figures, publication tables and the HTML report, drawn from the stored results."""

    enabled: bool = Field(True, description="write figures/, tables/ and report.html")
    formats: list[Literal["pdf", "svg", "png"]] = Field(
        ["pdf", "svg", "png"], description="figure files: pdf and svg (vector, text kept as "
        "text), png (raster at report.dpi); [] for none")
    dpi: int = Field(300, ge=72, le=1200, description="resolution of the PNG figures")
    tables: list[Literal["csv", "xlsx", "tex"]] = Field(
        ["csv", "xlsx", "tex"], description="publication tables: csv, xlsx, tex (LaTeX, "
        "booktabs, special characters escaped); [] for none")
    interactive: bool = Field(
        False, description="write figures/topic_map.html: the topic map to explore (plotly, "
        "inline, no CDN; about 5 MB), hover shows each segment's pseudonymised text")
    html: bool = Field(True, description="write report.html: one self-contained page, "
                                         "figures embedded, no external requests")

    @field_validator("formats", "tables")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))
