"""Writing figures (the caller's job, never a figure function's) and choosing a run's figures.

Output is deterministic: the same figure gives the same bytes in every format. PDF and PNG
carry no creation date or software version, and SVG ids come from a fixed salt (matplotlib
otherwise draws them from a random one).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from textmine.errors import CorpusError
from textmine.pl.style import style

__all__ = ["FORMATS", "figure_bytes", "run_figures", "save_figures"]

log = logging.getLogger("textmine")

FORMATS = ("pdf", "svg", "png")
#: metadata each writer would otherwise fill with the clock or the matplotlib version
_METADATA = {"pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
             "svg": {"Date": None, "Creator": None},
             "png": {"Software": None}}


def figure_bytes(fig: Figure, fmt: str, *, dpi: int = 300, salt: str = "textmine") -> bytes:
    """The bytes of ``fig`` saved as ``fmt`` (``pdf``, ``svg`` or ``png``), reproducibly.

    Parameters
    ----------
    fig
        The figure.
    fmt
        One of :data:`FORMATS`.
    dpi
        Resolution of a PNG.
    salt
        Seed of the SVG element ids: distinct salts keep ids apart when several SVGs share a
        page (the HTML report).
    """
    if fmt not in FORMATS:
        raise ValueError(f"figure format must be one of {FORMATS}, not {fmt!r}")
    buffer = io.BytesIO()
    with style(), mpl.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
    return buffer.getvalue()


def save_figures(figures: Mapping[str, Figure], folder: str | Path, *,
                 formats: Iterable[str] = FORMATS, dpi: int = 300) -> list[Path]:
    """Write each figure as ``<folder>/<name>.<format>``.

    Parameters
    ----------
    figures
        Name (used as the file name) -> figure.
    folder
        Created if missing.
    formats
        Any of ``pdf``, ``svg``, ``png``.
    dpi
        Resolution of the PNG files.

    Returns
    -------
    list of Path
        The files written, in order.
    """
    formats = list(dict.fromkeys(formats))
    folder = Path(folder)
    written: list[Path] = []
    if not figures or not formats:
        return written
    folder.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"figure name {name!r} cannot be a file name")
        with frozen_layout(fig):
            for fmt in formats:
                path = folder / f"{name}.{fmt}"
                path.write_bytes(figure_bytes(fig, fmt, dpi=dpi, salt=name))
                written.append(path)
    return written


@contextmanager
def frozen_layout(fig: Figure) -> Iterator[None]:
    """Lay ``fig`` out once, and keep that layout while it is saved in several formats.

    Constrained layout re-solves at every save (seconds for 36 small panels); the layout
    does not depend on the format, so it is solved once.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        yield
        return
    with style():
        fig.canvas.draw()
    fig.set_layout_engine("none")
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def _period_like(column: str, params: Mapping) -> bool:
    from textmine.config.track import DERIVED_COLUMNS

    return column in DERIVED_COLUMNS or column == params.get("date")


def run_figures(corpus, *, topics_key: str = "topics", track_key: str = "track",
                align_key: str = "align") -> dict[str, Figure]:
    """Every figure the stored results allow, by file name (what a run writes to figures/).

    Topics: sizes, terms, the map (when the embeddings are there), stability (when refits
    were made). Track: prevalence over each date column (periods, months...), a group x
    topic heatmap for each other column, group x period small multiples for each pair of
    ``track.cross`` that has a date column. Align: the theme x topic heatmap.

    A figure that cannot be drawn (a result without the table it needs) is left out with a
    log message; it never stops a run.
    """
    from textmine import pl

    plans: list[tuple[str, object]] = []
    results = corpus.results
    if topics_key in results and results[topics_key].kind == "topics":
        plans += [("topic_sizes", lambda: pl.topic_sizes(corpus, topics_key)),
                  ("topic_terms", lambda: pl.topic_terms(corpus, topics_key))]
        if results[topics_key].params.get("embedding") in corpus.embeddings:
            plans.append(("topic_map", lambda: pl.topic_map(corpus, topics_key)))
        if (results[topics_key].info.get("stability") or {}).get("per_topic"):
            plans.append(("topic_stability", lambda: pl.topic_stability(corpus, topics_key)))
    if track_key in results and results[track_key].kind == "track":
        track = results[track_key]
        for name in sorted(track.tables):
            if not name.startswith("prevalence_"):
                continue
            column = name[len("prevalence_"):]
            if "_x_" in column:
                a, b = column.split("_x_", 1)
                pair = [list(p) for p in track.params.get("cross", [])]
                if [a, b] not in pair:
                    continue
                if _period_like(b, track.params) and not _period_like(a, track.params):
                    plans.append((f"group_period_{a}_x_{b}", lambda a=a, b=b: pl.group_period(
                        corpus, a, b, key=track_key)))
                elif _period_like(a, track.params) and not _period_like(b, track.params):
                    plans.append((f"group_period_{b}_x_{a}", lambda a=a, b=b: pl.group_period(
                        corpus, b, a, key=track_key)))
            elif _period_like(column, track.params):
                plans.append((f"prevalence_{column}", lambda c=column: pl.prevalence(
                    corpus, c, key=track_key)))
            else:
                plans.append((f"heatmap_{column}", lambda c=column: pl.group_heatmap(
                    corpus, c, key=track_key)))
                if f"codes_prevalence_{column}" in track.tables:
                    plans.append((f"heatmap_{column}_codes", lambda c=column: pl.group_heatmap(
                        corpus, c, codes=True, key=track_key)))
    if align_key in results and results[align_key].kind == "align" and (
            "theme_topic" in results[align_key].tables):
        plans.append(("theme_topic", lambda: pl.theme_topic(corpus, align_key,
                                                            topics_key=topics_key)))
    figures: dict[str, Figure] = {}
    for name, draw in plans:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # matplotlib layout notes
                figures[name] = draw()
        except CorpusError as error:
            log.info("figure %s left out: %s", name, error)
    return figures
