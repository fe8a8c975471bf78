"""Publication tables (CSV, XLSX, LaTeX) and the HTML report of a run."""

from textmine.tables.publication import (
    alignment_table,
    prevalence_table,
    run_tables,
    topic_overview,
)
from textmine.tables.report import build_report, write_report
from textmine.tables.write import to_latex, to_xlsx, write_table, write_tables

__all__ = ["alignment_table", "build_report", "prevalence_table", "run_tables", "to_latex",
           "to_xlsx", "topic_overview", "write_report", "write_table", "write_tables"]
