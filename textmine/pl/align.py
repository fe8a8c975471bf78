"""The theme x topic heatmap of a stored align result (human themes against machine topics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from textmine.errors import CorpusError
from textmine.pl.style import SEQUENTIAL, TWO_COLUMN, new_figure, shorten, style, topic_name

__all__ = ["theme_topic", "theme_topic_table"]

#: columns of the align stage's ``theme_topic`` table (docs/outputs.md)
THEME_TOPIC_COLUMNS = ("theme", "topic", "n_segments", "share_of_theme", "share_of_topic")


def theme_topic_table(corpus, key: str = "align") -> pd.DataFrame:
    """The align result's ``theme_topic`` table.

    Columns ``theme, topic, n_segments, share_of_theme, share_of_topic``, read from
    ``corpus.results[key].tables["theme_topic"]`` (a result of kind ``align``).
    """
    result = corpus.results.get(key)
    if result is None or result.kind != "align":
        raise CorpusError(f"no align result {key!r}; results: {sorted(corpus.results)}",
                          hint="run textmine.tl.align first")
    table = result.tables.get("theme_topic")
    if table is None:
        raise CorpusError("the align result has no theme_topic table; it has: "
                          + ", ".join(sorted(result.tables)), key=key)
    missing = [c for c in THEME_TOPIC_COLUMNS if c not in table.columns]
    if missing:
        raise CorpusError(f"the align result's theme_topic table lacks {missing}", key=key)
    return table.copy()


def theme_topic(corpus, key: str = "align", *, value: str = "share_of_theme",
                topics_key: str = "topics", annotate: bool | None = None,
                ax: Axes | None = None) -> Figure:
    """Human themes (rows) against machine topics (columns).

    Parameters
    ----------
    corpus
        A corpus holding an align result.
    key
        The align result.
    value
        ``share_of_theme`` (each row sums to 1 over the topics: where a theme's segments
        went), ``share_of_topic`` (what each topic's segments were coded), or ``n_segments``.
    topics_key
        The topics result whose labels name the columns (numbers only if it is absent).
    annotate
        Write each value in its cell (default: at most 20 topics).
    ax
        Draw into this axes instead of a new figure.

    Returns
    -------
    Figure
    """
    if value not in THEME_TOPIC_COLUMNS[2:]:
        raise CorpusError(f"value must be one of {list(THEME_TOPIC_COLUMNS[2:])}, not "
                          f"{value!r}")
    table = theme_topic_table(corpus, key)
    themes = list(dict.fromkeys(table["theme"].astype(str)))
    topics = sorted(dict.fromkeys(int(t) for t in table["topic"]))
    wide = (table.assign(theme=table["theme"].astype(str), topic=table["topic"].astype(int))
            .pivot_table(index="theme", columns="topic", values=value, aggfunc="sum")
            .reindex(index=themes, columns=topics))
    scale = 1.0 if value == "n_segments" else 100.0
    values = wide.to_numpy(dtype=float) * scale
    labels = {}
    found = corpus.results.get(topics_key)
    if found is not None and found.kind == "topics":
        info = found.tables["topic_info"]
        labels = dict(zip(info["topic"].astype(int), info["label"], strict=True))
    if ax is None:
        fig = new_figure(TWO_COLUMN, 1.7 + 0.2 * len(themes))
        with style():
            ax = fig.add_subplot()
    fig = ax.figure
    with style():
        mesh = ax.pcolormesh(np.nan_to_num(values, nan=0.0), cmap=SEQUENTIAL, vmin=0,
                             edgecolors="white", linewidth=0.3)
        ax.set_xticks(np.arange(len(topics)) + 0.5,
                      [topic_name(t, labels.get(t), width=22) for t in topics], rotation=90)
        ax.set_yticks(np.arange(len(themes)) + 0.5, [shorten(t, 30) for t in themes])
        ax.set_ylim(len(themes), 0)
        ax.tick_params(length=0)
        ax.spines[:].set_visible(False)
        if annotate is None:
            annotate = len(topics) <= 20
        if annotate:
            top = np.nanmax(values) if np.isfinite(values).any() else 1
            for (r, c), v in np.ndenumerate(values):
                if np.isfinite(v) and v > 0:
                    ax.text(c + 0.5, r + 0.5, f"{v:.0f}", ha="center", va="center",
                            fontsize=7, color="black" if v > 0.6 * top else "white")
        bar = fig.colorbar(mesh, ax=ax, shrink=0.8, pad=0.01)
        bar.set_label({"share_of_theme": "% of the theme's segments",
                       "share_of_topic": "% of the topic's segments",
                       "n_segments": "segments"}[value])
        ax.set_title("human themes (rows) x machine topics (columns)", loc="left", fontsize=7)
    return fig
