"""Publication tables built from stored results: topics, prevalence, alignment per theme.

Each builder returns a pandas DataFrame with reader-facing column names and rounded
numbers; :mod:`textmine.tables.write` turns it into CSV, XLSX or LaTeX.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from textmine import get
from textmine.errors import CorpusError
from textmine.pl.align import theme_topic_table

__all__ = ["alignment_table", "prevalence_table", "run_tables", "topic_overview"]

log = logging.getLogger("textmine")


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def topic_overview(corpus, key: str = "topics", *, n_terms: int = 8,
                   quote_chars: int = 240) -> pd.DataFrame:
    """One row per topic: label, size, share, documents, terms and the most central quote.

    Columns ``Topic, Label, Segments, Share (%), Documents, Terms, Top quote, Source``
    (``Stability`` too when the topics were refitted with other seeds). Quotes are the
    stored pseudonymised segment text, cut at ``quote_chars``.
    """
    info = get.topic_info(corpus, key)
    info = info[info["topic"] >= 0]
    per = get.assignments(corpus, key).merge(corpus.segments[["segment_id", "doc_id"]],
                                             on="segment_id", how="left")
    docs = per.groupby("topic")["doc_id"].nunique()
    quotes = get.quotes(corpus, key)
    first = quotes.sort_values(["topic", "rank"]).drop_duplicates("topic").set_index("topic")
    stability = get.stability(corpus, key)
    per_topic = ({int(r["topic"]): r["stability"] for r in stability["per_topic"]}
                 if stability and stability.get("per_topic") else None)
    total = max(len(per), 1)
    rows = []
    for row in info.itertuples():
        t = int(row.topic)
        quote = first.loc[t] if t in first.index else None
        entry = {
            "Topic": t,
            "Label": str(row.label),
            "Segments": int(row.size),
            "Share (%)": round(100 * int(row.size) / total, 1),
            "Documents": int(docs.get(t, 0)),
            "Terms": ", ".join(w.replace("_", " ") for w in str(row.terms).split()[:n_terms]),
            "Top quote": "" if quote is None else _clip(quote["text"], quote_chars),
            "Source": "" if quote is None else f"{quote['speaker']}, {quote['doc_id']}",
        }
        if per_topic is not None:
            value = per_topic.get(t)
            entry["Stability"] = None if value is None else round(float(value), 2)
        rows.append(entry)
    return pd.DataFrame(rows)


def prevalence_table(corpus, column: str | tuple[str, str], *, codes: bool = False,
                     key: str = "track", outliers: bool = False) -> pd.DataFrame:
    """Prevalence by a column (or a pair) with its interval, one row per level and topic.

    Columns: the tracked column(s), ``Topic`` (or ``Code``), ``Label``, ``Share (%)``,
    ``CI low (%)``, ``CI high (%)``, ``Documents``, ``Note`` (why a row has no interval).
    """
    table = get.prevalence(corpus, column, codes=codes, key=key)
    columns = [column] if isinstance(column, str) else list(column)
    what = "code" if codes else "topic"
    if not codes and not outliers:
        table = table[table["topic"].astype(int) >= 0]
    out = table[columns].copy()
    out[what.capitalize()] = table[what].to_numpy()
    if "label" in table.columns:
        out["Label"] = table["label"].astype(str).to_numpy()
    for name, source in (("Share (%)", "share"), ("CI low (%)", "ci_low"),
                         ("CI high (%)", "ci_high")):
        out[name] = (table[source].astype(float) * 100).round(1).to_numpy()
    out["Documents"] = table["n_documents"].astype(int).to_numpy()
    flagged = table["flagged"].fillna(False).astype(bool).to_numpy()
    out["Note"] = np.where(flagged, "too few documents: no interval", "")
    return out.reset_index(drop=True)


def _percent(share: float) -> str:
    """A share as a whole percentage; a share that rounds to 0 but is not 0 reads ``<1%``."""
    value = 100 * share
    return "<1%" if 0 < value < 0.5 else f"{value:.0f}%"


def alignment_table(corpus, key: str = "align", *, topics_key: str = "topics") -> pd.DataFrame:
    """One row per human theme: its segments, its best topics and their precision, recall, F1.

    The best topics are the align result's own (``per_theme``: most precise first, added
    while the theme's F1 rises, at most ``align.max_best_topics``), so the topics named and
    the scores beside them are one result, the same as in ``align/per_theme.csv``. Each is
    shown with its share of the theme's segments (from ``theme_topic``); a topic holding none
    of the theme is never a best topic.

    Parameters
    ----------
    corpus
        A corpus with an align result.
    key
        The align result.
    topics_key
        The topics result, for labels the align tables lack.

    Returns
    -------
    DataFrame
        Columns ``Theme, Segments`` (all of the theme's segments, outliers included),
        ``Best topics`` (``topic · label (share of theme %)``), ``Precision, Recall, F1``.

    Raises
    ------
    CorpusError
        If the align result lacks its ``per_theme`` or ``theme_topic`` table.
    """
    shares = theme_topic_table(corpus, key)
    best = get.per_theme(corpus, key)
    share = {(str(r.theme), int(r.topic)): float(r.share_of_theme)
             for r in shares.itertuples()}
    # theme_topic names what was aligned (topics, or machine themes); topic_info is the
    # fallback for an align table written without labels
    labels: dict[int, str] = {}
    found = corpus.results.get(topics_key)
    if found is not None and found.kind == "topics":
        info = found.tables["topic_info"]
        labels = dict(zip(info["topic"].astype(int), info["label"].astype(str), strict=True))
    if "label" in shares.columns:
        named = shares.dropna(subset=["label"])
        labels.update(zip(named["topic"].astype(int), named["label"].astype(str),
                          strict=True))
    rows = []
    for row in best.itertuples():
        theme = str(row.theme)
        # a theme whose segments all sit in outliers has no best topic (empty, or NA when
        # read back from CSV)
        topics = ([] if pd.isna(row.best_topics) else
                  [int(t) for t in str(row.best_topics).split()])
        names = [f"{t} · {labels.get(t, '')} ({_percent(share.get((theme, t), 0.0))})"
                 .replace(" ·  (", " (") for t in topics]
        rows.append({"Theme": theme, "Segments": int(row.n_segments),
                     "Best topics": "; ".join(names),
                     "Precision": round(float(row.precision), 2),
                     "Recall": round(float(row.recall), 2), "F1": round(float(row.f1), 2)})
    return pd.DataFrame(rows, columns=["Theme", "Segments", "Best topics", "Precision",
                                       "Recall", "F1"])


def run_tables(corpus, *, topics_key: str = "topics", track_key: str = "track",
               align_key: str = "align") -> dict[str, pd.DataFrame]:
    """Every publication table the stored results allow, by file name (a run's tables/)."""
    tables: dict[str, pd.DataFrame] = {}
    results = corpus.results
    if topics_key in results and results[topics_key].kind == "topics":
        tables["topic_overview"] = topic_overview(corpus, topics_key)
    if track_key in results and results[track_key].kind == "track":
        for name in sorted(results[track_key].tables):
            for prefix, codes in (("prevalence_", False), ("codes_prevalence_", True)):
                if name.startswith(prefix):
                    column = name[len(prefix):]
                    arg = tuple(column.split("_x_", 1)) if "_x_" in column else column
                    try:
                        tables[name] = prevalence_table(corpus, arg, codes=codes,
                                                        key=track_key)
                    except (CorpusError, KeyError) as error:
                        log.info("table %s left out: %s", name, error)
    if align_key in results and results[align_key].kind == "align":
        try:
            tables["alignment"] = alignment_table(corpus, align_key, topics_key=topics_key)
        except CorpusError as error:
            log.info("table alignment left out: %s", error)
    return tables
