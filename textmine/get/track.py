"""Tidy tables of a stored track result (what figures and publication tables use)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from textmine.errors import CorpusError


def _result(corpus, key: str):
    result = corpus.results.get(key)
    if result is None or result.kind != "track":
        raise CorpusError(f"no track result {key!r}; results: {sorted(corpus.results)}",
                          hint="run textmine.tl.track first")
    return result


def _table(corpus, name: str, key: str) -> pd.DataFrame:
    tables = _result(corpus, key).tables
    if name not in tables:
        raise CorpusError(f"the track result has no table {name!r}; it has: "
                          + ", ".join(sorted(tables)),
                          hint="add the column to track.by, track.cross or track.contrasts")
    return tables[name].copy()


def _prefix(codes: bool) -> str:
    return "codes_" if codes else ""


def prevalence(corpus, column: str | tuple[str, str], *, codes: bool = False,
               key: str = "track") -> pd.DataFrame:
    """Prevalence by one column, or by two together (a pair).

    Columns: ``<column(s)>, topic (or code), share, ci_low, ci_high, n_documents,
    n_segments, flagged``, then counts and the topic label.
    """
    name = column if isinstance(column, str) else f"{column[0]}_x_{column[1]}"
    return _table(corpus, f"{_prefix(codes)}prevalence_{name}", key)


def contrasts(corpus, column: str, *, codes: bool = False, key: str = "track") -> pd.DataFrame:
    """Contrasts of two levels of ``column``.

    Columns ``a, b, topic, difference (b - a), ci_low, ci_high, p, q`` and the evidence
    (shares and documents on each side, flagged).
    """
    return _table(corpus, f"{_prefix(codes)}contrasts_{column}", key)


def effects(corpus, *, codes: bool = False, key: str = "track") -> pd.DataFrame:
    """The effects table: ``topic, term, estimate (log odds ratio), ci_low, ci_high, p, q``."""
    return _table(corpus, f"{_prefix(codes)}effects", key)


def terms(corpus, column: str, key: str = "track") -> pd.DataFrame:
    """Each topic's c-TF-IDF terms within each level of ``column``."""
    return _table(corpus, f"terms_{column}", key)


def changes(corpus, column: str = "period", key: str = "track") -> pd.DataFrame:
    """Topics that emerge or decline between two levels of a date column, with evidence."""
    return _table(corpus, f"changes_{column}", key)


def track_summary(corpus, key: str = "track") -> dict[str, Any]:
    """Documents tracked, those left out (and why), flagged rows, the tables made."""
    return dict(_result(corpus, key).info["summary"])
