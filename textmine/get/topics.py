"""Tidy tables of a stored topics result (what figures, tables and the run folder use)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from textmine.errors import CorpusError


def _result(corpus, key: str):
    result = corpus.results.get(key)
    if result is None or result.kind != "topics":
        raise CorpusError(f"no topics result {key!r}; results: {sorted(corpus.results)}",
                          hint="run textmine.tl.topics first")
    return result


def topic_info(corpus, key: str = "topics") -> pd.DataFrame:
    """``topic, size, label, terms`` (terms space-separated; n-grams joined by ``_``)."""
    return _result(corpus, key).tables["topic_info"].copy()


def assignments(corpus, key: str = "topics") -> pd.DataFrame:
    """``segment_id, topic, probability, assignment, similarity`` (topic -1: outlier)."""
    return _result(corpus, key).per_segment.copy()


def quotes(corpus, key: str = "topics") -> pd.DataFrame:
    """Representative quotes, most central first.

    Columns: ``topic, rank, segment_id, doc_id, speaker, start_char, end_char, similarity,
    text``.
    """
    return _result(corpus, key).tables["quotes"].copy()


def themes(corpus, key: str = "topics") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Topics grouped into themes, and the merge tree (``topics.n_themes``).

    Returns ``themes`` (``theme, topic, label, theme_label, n_topics_in_theme``) and ``tree``
    (``node, left, right, distance, n_topics``: scipy's linkage, named by topic numbers).
    """
    tables = _result(corpus, key).tables
    if "themes" not in tables:
        raise CorpusError("the topics have no themes", hint="set topics.n_themes")
    return tables["themes"].copy(), tables["theme_tree"].copy()


def quality(corpus, key: str = "topics") -> dict[str, Any]:
    """NPMI, diversity, outlier share, topic count (and ARI/NMI against codes)."""
    return dict(_result(corpus, key).info["quality"])


def stability(corpus, key: str = "topics") -> dict[str, Any] | None:
    """Seeds, mean pairwise ARI and per-topic stability (``None`` if not computed)."""
    found = _result(corpus, key).info.get("stability")
    return None if found is None else dict(found)


def segments_with_topics(corpus, key: str = "topics") -> pd.DataFrame:
    """Segments (with metadata) joined with their topic and label."""
    info = topic_info(corpus, key)[["topic", "label"]]
    joined = corpus.segments.merge(assignments(corpus, key), on="segment_id", how="left")
    return joined.merge(info, on="topic", how="left")
