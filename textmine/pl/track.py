"""Figures of a stored track result: prevalence over periods, groups x topics, groups x periods.

Every number drawn is a row of a track table (:func:`textmine.get.prevalence`): ``share`` as
the point, ``ci_low``/``ci_high`` as the interval, ``flagged`` (fewer than
``track.min_documents`` documents) as a hollow marker or a hatched cell, without interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from textmine import get
from textmine.errors import CorpusError
from textmine.pl.style import (
    CODE_COLOUR,
    FLAG_HATCH,
    SEQUENTIAL,
    TOPIC_COLOUR,
    TWO_COLUMN,
    colour,
    grid,
    new_figure,
    shorten,
    style,
    topic_name,
)

__all__ = ["group_heatmap", "group_period", "levels", "prevalence"]


def levels(table: pd.DataFrame, column: str) -> list[str]:
    """The levels of ``column`` in the order the track stage wrote them (period order)."""
    return list(dict.fromkeys(table[column].astype(str)))


def _outcome(table: pd.DataFrame) -> str:
    return "code" if "code" in table.columns else "topic"


def _name(table: pd.DataFrame, value, width: int = 28) -> str:
    if _outcome(table) == "code":
        return shorten(str(value), width=width)
    label = None
    if "label" in table.columns:
        found = table.loc[table["topic"] == value, "label"]
        label = None if found.empty else str(found.iloc[0])
    return topic_name(int(value), label, width=width)


def _choose(table: pd.DataFrame, chosen, top: int | None) -> list:
    """The topics (or codes) to draw: those asked for, else the ``top`` most prevalent."""
    what = _outcome(table)
    if chosen is not None and not isinstance(chosen, bool):
        return list(chosen)
    rows = table if what == "code" else table[table["topic"].astype(int) >= 0]
    order = (rows.groupby(what, sort=False)["share"].max()
             .sort_values(ascending=False, kind="stable"))
    ids = list(order.index)
    return ids if top is None else ids[:top]


def _draw_series(ax: Axes, rows: pd.DataFrame, xs: list[str], *, colour_: str,
                 label: str | None = None, offset: float = 0.0) -> None:
    """One series of shares with intervals: flagged points hollow, without an interval."""
    rows = rows.set_index(rows.columns[0]).reindex(xs)
    x = np.arange(len(xs)) + offset
    share = rows["share"].to_numpy(dtype=float) * 100
    low = rows["ci_low"].to_numpy(dtype=float) * 100
    high = rows["ci_high"].to_numpy(dtype=float) * 100
    flagged = rows["flagged"].fillna(False).to_numpy(dtype=bool)
    ax.plot(x, share, color=colour_, lw=1.0, label=label, gid="share")
    ok = ~flagged & np.isfinite(low)
    ax.errorbar(x[ok], share[ok], yerr=[share[ok] - low[ok], high[ok] - share[ok]], fmt="o",
                ms=3, color=colour_, elinewidth=0.8, capsize=1.5, gid="interval")
    if flagged.any():
        ax.plot(x[flagged], share[flagged], "o", ms=3, mfc="white", mec=colour_, mew=0.8,
                gid="flagged")


def _x_ticks(ax: Axes, xs: list[str], panel_width: float) -> None:
    """Level names under a panel, turned upright when they would not fit side by side."""
    names = [shorten(x, 10) for x in xs]
    wide = len(names) * max(len(n) for n in names) * 7 * 0.62 / 72 > 0.75 * panel_width
    ax.set_xticks(np.arange(len(xs)), names, rotation=90 if wide else 0)


def _panels(fig, table: pd.DataFrame, column: str, ids: list, *, title: str, colour_: str,
            ncols: int, width: float) -> list[Axes]:
    xs = levels(table, column)
    rows, cols = grid(len(ids), ncols)
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    what = _outcome(table)
    panel = width / cols
    chars = max(10, int(0.9 * panel * 72 / (7 * 0.6)))  # what a 7 pt title line holds
    for i, ax in enumerate(axes):
        if i >= len(ids):
            ax.set_axis_off()
            continue
        _draw_series(ax, table.loc[table[what] == ids[i], [column, "share", "ci_low",
                                                         "ci_high", "flagged"]],
                     xs, colour_=colour_)
        ax.set_title(_name(table, ids[i], width=chars), loc="left", fontsize=7)
        ax.set_gid(f"{what}:{ids[i]}")
        _x_ticks(ax, xs, panel)
    _shared_ylim(axes[:len(ids)])
    fig.suptitle(title, fontsize=8, x=0.02, ha="left")
    return list(axes[:len(ids)])


def _shared_ylim(axes) -> None:
    """From 0 to just above the highest point or interval of every panel sharing the axis.

    Set once all panels are drawn: a limit fixed while drawing would cut the later panels.
    """
    tops = [ax.dataLim.y1 for ax in axes if np.isfinite(ax.dataLim.y1)]
    top = max(tops + [1.0])
    for ax in axes:
        ax.set_ylim(0, top * 1.08)


def prevalence(corpus, column: str, *, topics: list[int] | None = None,
               codes: bool | list[str] | None = None, top: int | None = 12,
               key: str = "track", ncols: int = 3, width: float = TWO_COLUMN) -> Figure:
    """Prevalence over the levels of ``column`` (periods), topics and human codes side by side.

    One small panel per topic (left) and per human code (right), sharing the y axis within
    each side; points are shares in %, bars their intervals, hollow points flagged cells.

    Parameters
    ----------
    corpus
        A corpus holding a track result.
    column
        A column the track stage tracked (``period``, ``month``, ``network``...).
    topics
        Topics to draw (default: the ``top`` with the highest share anywhere).
    codes
        ``None``: the human codes beside the topics when they were tracked; ``False``: none;
        a list: those codes.
    top
        How many topics (and codes) to draw by default; ``None`` for all.
    key
        The track result.
    ncols
        Panels per row on each side.
    width
        Figure width in inches.

    Returns
    -------
    Figure
    """
    blocks = []
    for title, is_codes, ids, c in (("Machine topics", False, topics, TOPIC_COLOUR),
                                    ("Human codes", True, codes, CODE_COLOUR)):
        if is_codes and codes is False:
            continue
        try:
            blocks.append((title, get.prevalence(corpus, column, codes=is_codes, key=key),
                           ids, c))
        except CorpusError:
            if ids:  # asked for by name: say they are missing
                raise
    if not blocks:  # neither was tracked: the usual error, naming the tables there are
        get.prevalence(corpus, column, key=key)
    chosen = [(title, table, _choose(table, ids, top), c) for title, table, ids, c in blocks]
    n_rows = max(grid(len(ids), ncols)[0] for _, _, ids, _ in chosen)
    fig = new_figure(width, 0.6 + 1.25 * n_rows)
    with style():
        subs = fig.subfigures(1, len(chosen), squeeze=False).ravel()
        for sub, (title, table, ids, c) in zip(subs, chosen, strict=True):
            axes = _panels(sub, table, column, ids, title=title, colour_=c,
                           ncols=ncols if len(chosen) > 1 else 2 * ncols,
                           width=width / len(chosen))
            for ax in axes[::ncols]:
                ax.set_ylabel("share (%)")
        fig.legend(handles=_flag_legend(), loc="outside lower center", ncols=2, frameon=False)
    return fig


def _flag_legend() -> list[Line2D]:
    return [Line2D([], [], marker="o", ms=3, color="#444444", lw=0,
                   label="share, with interval"),
            Line2D([], [], marker="o", ms=3, mfc="white", mec="#444444", lw=0,
                   label="too few documents: no interval")]


def group_heatmap(corpus, column: str, *, codes: bool = False, topics: list | None = None,
                  outliers: bool = False, key: str = "track", annotate: bool | None = None,
                  ax: Axes | None = None) -> Figure:
    """Share of each topic (columns) in each level of ``column`` (rows), flagged cells hatched.

    Parameters
    ----------
    corpus
        A corpus holding a track result.
    column
        A tracked column (``network``, ``role``...).
    codes
        Human codes instead of topics.
    topics
        Topics (or codes) to show, in this order (default: all).
    outliers
        Keep the outlier topic (-1) as a column.
    key
        The track result.
    annotate
        Write each share in its cell (default: when there are at most 20 columns).
    ax
        Draw into this axes instead of a new figure.

    Returns
    -------
    Figure
    """
    table = get.prevalence(corpus, column, codes=codes, key=key)
    what = _outcome(table)
    if topics is not None:
        ids = list(topics)
    else:
        ids = list(dict.fromkeys(table[what]))
        if what == "topic" and not outliers:
            ids = [t for t in ids if int(t) >= 0]
    rows = levels(table, column)
    wide = table.pivot_table(index=column, columns=what, values="share", aggfunc="first",
                             observed=True).reindex(index=rows, columns=ids) * 100
    flags = table.pivot_table(index=column, columns=what, values="flagged", aggfunc="first",
                              observed=True).reindex(index=rows, columns=ids).fillna(False)
    if ax is None:
        fig = new_figure(TWO_COLUMN, 1.6 + 0.2 * len(rows))
        with style():
            ax = fig.add_subplot()
    fig = ax.figure
    with style():
        mesh = ax.pcolormesh(wide.to_numpy(dtype=float), cmap=SEQUENTIAL, vmin=0,
                             edgecolors="white", linewidth=0.3)
        for (r, c), flagged in np.ndenumerate(flags.to_numpy(dtype=bool)):
            if flagged:
                ax.add_patch(Rectangle((c, r), 1, 1, fill=False, hatch=FLAG_HATCH, lw=0,
                                       edgecolor="#DDDDDD", gid="flagged"))
        ax.set_xticks(np.arange(len(ids)) + 0.5,
                      [_name(table, t, width=22) for t in ids], rotation=90)
        ax.set_yticks(np.arange(len(rows)) + 0.5, [shorten(r, 24) for r in rows])
        ax.set_ylim(len(rows), 0)
        ax.tick_params(length=0)
        ax.spines[:].set_visible(False)
        if annotate is None:
            annotate = len(ids) <= 20
        if annotate:
            values = wide.to_numpy(dtype=float)
            top = np.nanmax(values) if np.isfinite(values).any() else 1
            for (r, c), v in np.ndenumerate(values):
                if np.isfinite(v):
                    ax.text(c + 0.5, r + 0.5, f"{v:.0f}", ha="center", va="center",
                            fontsize=7, color="black" if v > 0.6 * top else "white")
        bar = fig.colorbar(mesh, ax=ax, shrink=0.8, pad=0.01)
        bar.set_label("share (%)")
        ax.set_title(f"{'codes' if codes else 'topics'} by {column}; hatched: fewer than the "
                     "minimum documents (no interval)", loc="left", fontsize=7)
    return fig


def group_period(corpus, group: str, period: str, *, codes: bool = False,
                 topics: list | None = None, top: int = 6, key: str = "track",
                 ncols: int = 5, width: float = TWO_COLUMN) -> Figure:
    """One panel per level of ``group``: the ``top`` topics' shares over ``period``.

    Reads the table of the two columns tracked together (``track.cross: [[group, period]]``).

    Parameters
    ----------
    corpus
        A corpus holding a track result.
    group, period
        The pair of columns, as in ``track.cross``.
    codes
        Human codes instead of topics.
    topics
        Topics (or codes) to draw (default: the ``top`` most prevalent, at most 7 so each
        keeps its own colour).
    top
        How many to draw by default.
    key
        The track result.
    ncols
        Panels per row.
    width
        Figure width in inches.

    Returns
    -------
    Figure
    """
    table = get.prevalence(corpus, (group, period), codes=codes, key=key)
    what = _outcome(table)
    ids = _choose(table, topics, min(top, 7))
    groups, xs = levels(table, group), levels(table, period)
    rows, cols = grid(len(groups), ncols)
    fig = new_figure(width, 0.9 + 1.2 * rows)
    with style():
        axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
        n = len(ids)
        for i, ax in enumerate(axes):
            if i >= len(groups):
                ax.set_axis_off()
                continue
            part = table[table[group] == groups[i]]
            for k, t in enumerate(ids):
                _draw_series(ax, part.loc[part[what] == t, [period, "share", "ci_low",
                                                          "ci_high", "flagged"]],
                             xs, colour_=colour(k), offset=(k - (n - 1) / 2) * 0.06,
                             label=_name(table, t, width=30) if i == 0 else None)
            ax.set_title(shorten(groups[i], int(0.9 * width / cols * 72 / (7 * 0.6))),
                         loc="left", fontsize=7)
            _x_ticks(ax, xs, width / cols)
        _shared_ylim(axes[:len(groups)])
        for ax in axes[::cols]:
            ax.set_ylabel("share (%)")
        handles = [Line2D([], [], color=colour(k), marker="o", ms=3,
                          label=_name(table, t, width=30)) for k, t in enumerate(ids)]
        fig.legend(handles=handles + _flag_legend()[1:], loc="outside lower center",
                   ncols=min(3, len(handles) + 1), frameon=False)
    return fig
