"""Tidy tables of a stored align result (what figures, publication tables and the report use)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from textmine.errors import CorpusError


def _result(corpus, key: str):
    result = corpus.results.get(key)
    if result is None or result.kind != "align":
        raise CorpusError(f"no align result {key!r}; results: {sorted(corpus.results)}",
                          hint="run textmine.tl.align first")
    return result


def _table(corpus, name: str, key: str) -> pd.DataFrame:
    tables = _result(corpus, key).tables
    if name not in tables:
        raise CorpusError(f"the align result has no table {name!r}",
                          hint="set align.autocode: true for the suggested codes")
    return tables[name].copy()


def alignment(corpus, key: str = "align") -> dict[str, Any]:
    """The partition metrics (with intervals), the level, rule, missed themes, emergent topics.

    NMI, ARI, AMI, homogeneity, completeness and harmonic purity on the coded segments.
    """
    return dict(_result(corpus, key).info["metrics"])


def theme_topic(corpus, key: str = "align") -> pd.DataFrame:
    """``theme, topic, label, n_segments, share_of_theme, share_of_topic`` (every cell)."""
    return _table(corpus, "theme_topic", key)


def per_theme(corpus, key: str = "align") -> pd.DataFrame:
    """Each theme's best topics with precision, recall, F1 (interval), ``missed``."""
    return _table(corpus, "per_theme", key)


def per_topic(corpus, key: str = "align") -> pd.DataFrame:
    """Each topic's coded share, best theme and ``emergent`` flag."""
    return _table(corpus, "per_topic", key)


def triangulation(corpus, key: str = "align") -> pd.DataFrame:
    """Segments where model and coders agree, and where only one of them places a theme."""
    return _table(corpus, "triangulation", key)


def suggested_codes(corpus, key: str = "align") -> pd.DataFrame:
    """``segment_id, code, confidence`` for segments the coders did not code."""
    return _table(corpus, "suggested_codes", key)


def autocode_cv(corpus, key: str = "align") -> dict[str, Any] | None:
    """Agreement of the suggested codes with the coders on held-out interviews."""
    found = _result(corpus, key).info.get("autocode_cv")
    return None if found is None else dict(found)
