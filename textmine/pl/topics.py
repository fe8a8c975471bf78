"""Figures of a stored topics result: terms, sizes, a 2-D map of the segments, stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from textmine import get
from textmine.errors import CorpusError
from textmine.pl.labels import repel
from textmine.pl.style import (
    GREY,
    MAX_HEIGHT,
    ONE_COLUMN,
    TWO_COLUMN,
    colour,
    grid,
    marker,
    new_figure,
    shorten,
    style,
    topic_name,
    wrap,
)

__all__ = ["map_coordinates", "topic_map", "topic_sizes", "topic_stability", "topic_terms"]


def _axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(width, height)
    with style():
        return fig, fig.add_subplot()


def _bar_height(n: int) -> float:
    """Figure height (inches) for ``n`` horizontal bars at a legible spacing."""
    return 0.55 + 0.15 * n


def n_colours(info: pd.DataFrame) -> int:
    """How many topic colours a result needs: one per topic number (outliers are grey).

    Every figure of a result sizes its palette by this, not by the topics it draws, so a
    topic has the same colour in each figure.
    """
    topics = info["topic"].astype(int)
    return int(topics.max()) + 1 if (topics >= 0).any() else 0


#: height (inches) of one term's row in :func:`topic_terms`: one 7 pt line, and each more line
TERM_ROW, TERM_LINE = 0.105, 0.115


def _terms_height(rows: int, n_terms: int, lines: int) -> float:
    return rows * (0.3 + n_terms * (TERM_ROW + TERM_LINE * (lines - 1))) + 0.3


def term_labels(terms: list[str], *, chars: int, rows: int,
                n_terms: int) -> tuple[dict[str, str], int, int]:
    """Tick labels of ``terms`` in panels ``chars`` characters wide, whole when possible.

    A term up to about two thirds of the panel stays on one line (constrained layout widens
    the axis to hold it); a longer one wraps between words onto more lines, and every row
    grows to hold that many. Terms are cut (ending in an ellipsis) only when nothing else
    works: a single word wider than three quarters of the panel (its bar would have no room),
    or wrapped terms that would make the figure taller than a page (then every term gets one
    line of that width).

    Returns
    -------
    labels
        Term (as stored, n-grams joined by ``_``) -> tick label.
    lines
        Lines of the tallest label: the rows' height.
    cut
        The width (characters) terms were cut to; 0 when none was.
    """
    soft, hard = max(14, int(0.65 * chars)), max(16, int(0.75 * chars))
    plain = {t: " ".join(str(t).replace("_", " ").split()) for t in dict.fromkeys(terms)}
    if not plain:
        return {}, 1, 0
    labels = {t: "\n".join(shorten(line, width=hard) for line in wrap(text, soft).split("\n"))
              for t, text in plain.items()}
    lines = max(label.count("\n") + 1 for label in labels.values())
    if lines > 1 and _terms_height(rows, n_terms, lines) > MAX_HEIGHT:
        labels = {t: shorten(text, width=hard) for t, text in plain.items()}
        lines = 1
    cut = any(label.replace("\n", " ") != plain[t] for t, label in labels.items())
    return labels, lines, hard if cut else 0


def topic_terms(corpus, key: str = "topics", *, topics: list[int] | None = None,
                n_terms: int = 8, ncols: int | None = None,
                width: float = TWO_COLUMN) -> Figure:
    """Each topic's top terms as bars, one small panel per topic.

    Terms are in the stored c-TF-IDF order (most distinctive at the top); a bar is the share
    of the topic's segments that use the term (:func:`textmine.get.topic_terms`). Terms are
    drawn whole, wrapped between words when long (:func:`term_labels`); if a page cannot hold
    them and some must be cut, the cut ones end in an ellipsis and the figure says so under
    its axis label.

    Parameters
    ----------
    corpus
        A corpus holding a topics result.
    key
        The topics result.
    topics
        Topics to draw (default: every topic except the outliers).
    n_terms
        Terms per topic.
    ncols
        Panels per row (default: 4, or 5 beyond 20 topics).
    width
        Figure width in inches.

    Returns
    -------
    Figure
    """
    info = get.topic_info(corpus, key)
    terms = get.topic_terms(corpus, key, n_terms=n_terms)
    wanted = [int(t) for t in info["topic"] if int(t) >= 0] if topics is None else list(topics)
    labels = dict(zip(info["topic"].astype(int), info["label"], strict=True))
    if not wanted:
        raise CorpusError("the topics result has no topics to draw", key=key)
    rows, cols = grid(len(wanted), ncols or (5 if len(wanted) > 20 else 4))
    # characters a panel holds at 7 pt (about 0.6 em each): the title is right-aligned and
    # runs over the term labels, so it can use the whole panel
    chars = max(10, int(width / cols * 72 / (7 * 0.6)) - 2)
    names, lines, cut = term_labels(terms.loc[terms["topic"].isin(wanted), "term"].tolist(),
                                    chars=chars, rows=rows, n_terms=n_terms)
    fig = new_figure(width, _terms_height(rows, n_terms, lines) + (0.25 if cut else 0.0))
    top = max(float(terms["share_of_segments"].max()) if len(terms) else 0.0, 0.01) * 100
    n = n_colours(info)
    with style():
        axes = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
        for i, ax in enumerate(axes):
            if i >= len(wanted):
                ax.set_axis_off()
                continue
            topic = wanted[i]
            rows_t = terms[terms["topic"] == topic].sort_values("rank")
            y = np.arange(len(rows_t))
            ax.barh(y, rows_t["share_of_segments"].to_numpy() * 100, color=colour(topic, n),
                    height=0.75)
            ax.set_yticks(y, [names[t] for t in rows_t["term"]])
            ax.set_ylim(n_terms - 0.5, -0.5)
            ax.set_title(topic_name(topic, labels.get(topic), width=chars), loc="right",
                         fontsize=7)
            ax.set_xlim(0, top * 1.05)
            ax.tick_params(axis="y", length=0, pad=1)
        note = (f"\n… ends a term cut to {cut} characters to fit; topic_info.csv "
                "(terms) has every term whole" if cut else "")
        fig.supxlabel("% of the topic's segments using the term" + note)
    return fig


def topic_sizes(corpus, key: str = "topics", *, outliers: bool = True,
                ax: Axes | None = None) -> Figure:
    """Segments per topic as horizontal bars, largest first (outliers last, in grey).

    Parameters
    ----------
    corpus
        A corpus holding a topics result.
    key
        The topics result.
    outliers
        Add a grey bar for the segments left as outliers (topic -1).
    ax
        Draw into this axes instead of a new figure.

    Returns
    -------
    Figure
    """
    info = get.topic_info(corpus, key)
    info = info[info["topic"] >= 0].sort_values(["size", "topic"], ascending=[False, True])
    names = [topic_name(int(t), lbl, width=34) for t, lbl in zip(info["topic"], info["label"],
                                                                  strict=True)]
    sizes = info["size"].astype(int).tolist()
    n = n_colours(info)
    colours = [colour(int(t), n) for t in info["topic"]]
    if outliers:
        n_out = int((get.assignments(corpus, key)["topic"] < 0).sum())
        names.append("outliers")
        sizes.append(n_out)
        colours.append(GREY)
    fig, ax = _axes(ax, ONE_COLUMN, _bar_height(len(sizes)))
    with style():
        y = np.arange(len(sizes))
        ax.barh(y, sizes, color=colours, height=0.72)
        ax.set_yticks(y, names)
        ax.set_ylim(len(sizes) - 0.5, -0.5)
        for yi, size in zip(y, sizes, strict=True):
            ax.annotate(f"{size:,}", (size, yi), xytext=(2, 0), textcoords="offset points",
                        va="center", fontsize=7)
        ax.set_xlim(0, max(sizes + [1]) * 1.15)
        ax.set_xlabel("segments")
        ax.tick_params(axis="y", length=0)
    return fig


def map_coordinates(corpus, key: str = "topics") -> pd.DataFrame:
    """The 2-D coordinates :func:`topic_map` draws: ``segment_id, topic, x, y``.

    A principal component projection of the stored segment embeddings (the ones the topics
    were fitted on): cheap, deterministic (signs fixed so that each component's largest
    loading is positive) and fitting no topic model. It is not the UMAP the clustering ran
    in, so topics that UMAP separates can overlap here.
    """
    result = corpus.results.get(key)
    if result is None or result.kind != "topics":
        get.topic_info(corpus, key)  # raises the usual error
    emb_key = result.params.get("embedding")
    if emb_key not in corpus.embeddings:
        raise CorpusError(f"the embeddings {emb_key!r} the topics were fitted on are not in "
                          "the corpus", key=key, hint="read the corpus with its embeddings")
    X = np.asarray(corpus.embeddings[emb_key], dtype=np.float64)
    centred = X - X.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2] * np.sign(vt[:2][np.arange(2), np.abs(vt[:2]).argmax(axis=1)])[:, None]
    xy = centred @ components.T
    explained = (s[:2] ** 2) / max(float((s ** 2).sum()), 1e-12)
    frame = pd.DataFrame({"segment_id": corpus.segments["segment_id"].to_numpy(),
                          "x": xy[:, 0], "y": xy[:, 1]})
    frame = frame.merge(get.assignments(corpus, key)[["segment_id", "topic"]],
                        on="segment_id", how="left")
    frame["topic"] = frame["topic"].fillna(-1).astype(int)
    frame.attrs["explained"] = [float(v) for v in explained]
    return frame


def topic_map(corpus, key: str = "topics", *, labels: bool = True, label_width: int = 22,
              label_gap: float = 4.0, ax: Axes | None = None) -> Figure:
    """The segments in two dimensions, coloured by topic, outliers grey, topics labelled.

    Coordinates come from :func:`map_coordinates` (principal components of the stored
    embeddings). Each topic has its own colour up to 19 topics
    (:func:`~textmine.pl.style.palette`); beyond that colours repeat, and topics sharing a
    colour differ in marker shape. Each label sits at its topic's median point and is pushed
    clear of the other labels, keeping a gap of ``label_gap`` points (a thin line leads back
    when it moved).

    Parameters
    ----------
    corpus
        A corpus holding a topics result and its embeddings.
    key
        The topics result.
    labels
        Label each topic with its number and label.
    label_width
        Characters per label before it is shortened with an ellipsis.
    label_gap
        Least space (points) between two labels.
    ax
        Draw into this axes instead of a new figure.

    Returns
    -------
    Figure
    """
    coords = map_coordinates(corpus, key)
    info = get.topic_info(corpus, key)
    names = dict(zip(info["topic"].astype(int), info["label"], strict=True))
    fig, ax = _axes(ax, TWO_COLUMN, 5.0)
    with style():
        out = coords[coords["topic"] < 0]
        ax.scatter(out["x"], out["y"], s=2, color=GREY, alpha=0.5, linewidths=0,
                   label="outliers", rasterized=len(coords) > 20_000)
        topics = sorted(t for t in coords["topic"].unique() if t >= 0)
        n = n_colours(info)
        for t in topics:
            rows = coords[coords["topic"] == t]
            shape = marker(t, n)
            # a shape other than a dot needs some area to be seen as one
            ax.scatter(rows["x"], rows["y"], s=3 if shape == "o" else 7, color=colour(t, n),
                       marker=shape, alpha=0.8, linewidths=0,
                       rasterized=len(coords) > 20_000)
        ex = coords.attrs["explained"]
        ax.set_xlabel(f"principal component 1 ({ex[0]:.0%} of variance)")
        ax.set_ylabel(f"principal component 2 ({ex[1]:.0%})")
        ax.set_xticks([])
        ax.set_yticks([])
        if labels:
            texts = []
            for t in topics:
                rows = coords[coords["topic"] == t]
                texts.append(ax.text(
                    float(rows["x"].median()), float(rows["y"].median()),
                    topic_name(t, names.get(t), width=label_width), fontsize=7,
                    ha="center", va="center", zorder=5,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour(t, n),
                          "lw": 0.6, "alpha": 0.85}))
            repel(ax, texts, gap=label_gap)
    return fig


def topic_stability(corpus, key: str = "topics", *, ax: Axes | None = None) -> Figure:
    """How well each topic is found again with other seeds (one bar per topic).

    A bar is the topic's mean Jaccard overlap with its matched topic in each refit
    (``stability.json``, ``per_topic``); a topic no refit has as a topic of its own
    (``not_found_again``) reads "not found again" instead of an empty row. The title gives the
    mean pairwise ARI of the fits.

    Raises
    ------
    CorpusError
        If the topics were fitted with one seed only (``topics.stability_seeds: 0``).
    """
    found = get.stability(corpus, key)
    if not found or not found.get("per_topic"):
        raise CorpusError("the topics result has no stability report", key=key,
                          hint="set topics.stability_seeds to 2 or more")
    info = get.topic_info(corpus, key)
    names = dict(zip(info["topic"].astype(int), info["label"], strict=True))
    per = pd.DataFrame(found["per_topic"])
    values = per["stability"].astype(float).fillna(0.0).to_numpy()
    fig, ax = _axes(ax, ONE_COLUMN, _bar_height(len(per)))
    with style():
        y = np.arange(len(per))
        n = n_colours(info)
        ax.barh(y, values, color=[colour(int(t), n) for t in per["topic"]], height=0.72)
        ax.set_yticks(y, [topic_name(int(t), names.get(int(t)), width=34) for t in per["topic"]])
        ax.set_ylim(len(per) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.axvline(0.5, color=GREY, lw=0.6, ls="--")
        # a topic no refit finds has no bar to see: say so where the bar would start
        lost = set(found.get("not_found_again") or [])
        for k, topic in enumerate(per["topic"].astype(int)):
            if topic in lost:
                ax.text(0.01, k, "not found again", va="center", ha="left", fontsize=6,
                        color=GREY)
        ax.set_xlabel("overlap with the matched\ntopic in other seeds (Jaccard)")
        ari = found.get("mean_pairwise_ari")
        # right-aligned: a title anchored at the axes' right edge may run over the labels
        ax.set_title(f"{len(found.get('seeds', []))} seeds; mean pairwise ARI "
                     + ("n/a" if ari is None else f"{ari:.2f}"), loc="right")
        ax.tick_params(axis="y", length=0)
    return fig
