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


def _analyzer(params: dict[str, Any]):
    """The topic model's own term analyzer (stop words, fillers, n-grams), built unfitted."""
    from textmine.models.terms import term_vectorizer

    return term_vectorizer(tuple(params.get("stop_words", ())),
                           fillers=bool(params.get("fillers", True)),
                           ngram_range=tuple(params.get("ngram_range", (1, 2)))).build_analyzer()


def topic_terms(corpus, key: str = "topics", n_terms: int = 10) -> pd.DataFrame:
    """Each topic's top terms with how many of its segments use them.

    Columns: ``topic, rank, term, n_segments, share_of_segments``. ``rank`` is the stored
    c-TF-IDF order (1 = most distinctive); a segment uses a term when the topic model's own
    analyzer (its stop words, fillers and n-grams) finds the term in the segment's text. The
    counts come from the stored segments and assignments: nothing is fitted, and the numbers
    are the same after :meth:`~textmine.Corpus.read`.
    """
    info = topic_info(corpus, key)
    analyze = _analyzer(_result(corpus, key).params)
    joined = corpus.segments[["segment_id", "text"]].merge(
        assignments(corpus, key)[["segment_id", "topic"]], on="segment_id", how="inner")
    rows = []
    for row in info.itertuples():
        if int(row.topic) < 0:
            continue
        found = [set(analyze(str(t))) for t in joined.loc[joined["topic"] == row.topic, "text"]]
        for rank, term in enumerate(str(row.terms).split()[:n_terms], start=1):
            n = sum(term.replace("_", " ") in terms for terms in found)
            rows.append({"topic": int(row.topic), "rank": rank, "term": term,
                         "n_segments": n, "share_of_segments": n / max(len(found), 1)})
    return pd.DataFrame(rows, columns=["topic", "rank", "term", "n_segments",
                                       "share_of_segments"])
