"""``report``: figures, tables and the HTML report."""

from __future__ import annotations

from textmine.config.base import Section


class ReportConfig(Section):
    """Figures, tables and the HTML report (filled by the report step)."""
