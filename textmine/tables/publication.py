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


def alignment_table(corpus, key: str = "align", *, topics_key: str = "topics",
                    n_best: int = 2) -> pd.DataFrame:
    """One row per human theme: its segments and the topics that hold most of them.

    ``Segments`` counts all of the theme's segments, outliers included (the denominator of
    ``share_of_theme``); outliers are never named among the best topics.

    Columns ``Theme, Segments, Best topics`` (``topic · label (share of theme %)``),
    ``Share of theme (%)`` and ``Share of topic (%)`` of the best topic; precision, recall
    and F1 are added when the align result has its ``per_theme`` table.
    """
    table = theme_topic_table(corpus, key)
    totals = table.groupby("theme", sort=False)["n_segments"].sum()  # outliers included
    table = table[table["topic"].astype(int) >= 0]
    labels = {}
    found = corpus.results.get(topics_key)
    if found is not None and found.kind == "topics":
        info = found.tables["topic_info"]
        labels = dict(zip(info["topic"].astype(int), info["label"].astype(str), strict=True))
    rows = []
    for theme, part in table.groupby("theme", sort=False):
        part = part.sort_values(["share_of_theme", "topic"], ascending=[False, True],
                                kind="stable")
        best = part.head(n_best)
        names = [f"{int(r.topic)} · {labels.get(int(r.topic), '')} "
                 f"({100 * float(r.share_of_theme):.0f}%)".replace(" ·  (", " (")
                 for r in best.itertuples()]
        top = best.iloc[0] if len(best) else None
        rows.append({"Theme": str(theme), "Segments": int(totals[theme]),
                     "Best topics": "; ".join(names),
                     "Share of theme (%)": None if top is None else
                     round(100 * float(top["share_of_theme"]), 1),
                     "Share of topic (%)": None if top is None else
                     round(100 * float(top["share_of_topic"]), 1)})
    out = pd.DataFrame(rows)
    per_theme = corpus.results[key].tables.get("per_theme")
    if per_theme is not None and {"theme", "precision", "recall", "f1"} <= set(per_theme):
        scores = per_theme[["theme", "precision", "recall", "f1"]].rename(columns={
            "theme": "Theme", "precision": "Precision", "recall": "Recall", "f1": "F1"})
        scores["Theme"] = scores["Theme"].astype(str)
        out = out.merge(scores.round(2), on="Theme", how="left")
    return out


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
