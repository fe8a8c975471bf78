"""Print style shared by every figure: palettes, journal sizes, fonts, label wrapping.

Figures are made with :class:`matplotlib.figure.Figure` and an Agg canvas, never through
``pyplot``: no global figure registry to leak memory in long runs, no GUI backend needed on a
server, and a notebook still shows the returned figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Okabe & Ito (2008): eight colours told apart with every common colour-vision deficiency
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
#: the cycle of topic colours: Okabe-Ito without its yellow, too faint for thin bars and dots
#: on white paper
CYCLE = tuple(c for c in OKABE_ITO if c != "#F0E442")
#: topic colours when there are more than seven topics: matplotlib's tab20 without its two
#: greys (grey means outliers), its nine strong colours first, then black, then their light
#: partners (fainter on paper, so used last): the first ``n`` are as far apart as the palette
#: allows. Written out rather than read from matplotlib, so that a matplotlib release cannot
#: change a run's figures.
WIDE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
        "#bcbd22", "#17becf", "#000000",
        "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
        "#dbdb8d", "#9edae5")
#: marker shapes of the topic map: topics beyond ``len(WIDE)`` share a colour with an earlier
#: topic, so each pass through :data:`WIDE` takes the next shape (``topic // len(WIDE)``)
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
#: outliers and anything "not a topic"
GREY = "#9A9A9A"
#: machine topics and human codes, when they are drawn side by side
TOPIC_COLOUR, CODE_COLOUR = "#0072B2", "#D55E00"
#: perceptually uniform and readable in grey scale and with colour-vision deficiencies
SEQUENTIAL = "viridis"
#: hatch of cells resting on too few documents (flagged by track)
FLAG_HATCH = "///"

#: journal column widths in inches (Elsevier, BMJ, PLOS and Springer all sit near these)
ONE_COLUMN = 3.5
TWO_COLUMN = 7.2
#: the tallest figure a journal page takes
MAX_HEIGHT = 9.0
#: smallest font size (points) anywhere on a figure: legible when printed at 100 %
MIN_FONT = 7.0

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.2,
    "hatch.linewidth": 0.6,
    "axes.prop_cycle": mpl.cycler(color=list(CYCLE)),
    # text stays text in vector files: editable by journals, searchable by the leak check
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    # constrained layout fits the figure to the journal size; a tight box is the safety net
    # for a label that still overflows (it never crops anything drawn)
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
}


@contextmanager
def style() -> Iterator[None]:
    """Matplotlib settings of textmine's figures, for the duration of a ``with`` block."""
    with mpl.rc_context(RC):
        yield


def new_figure(width: float = TWO_COLUMN, height: float = 3.0, **kwargs: Any) -> Figure:
    """An empty figure with an Agg canvas and constrained layout, in textmine's style.

    Parameters
    ----------
    width, height
        Size in inches; the height is capped at :data:`MAX_HEIGHT`.
    **kwargs
        Passed to :class:`~matplotlib.figure.Figure`.
    """
    with style():
        fig = Figure(figsize=(width, min(height, MAX_HEIGHT)), layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def palette(n: int) -> tuple[str, ...]:
    """Colours for ``n`` topics: distinct up to ``len(WIDE)``, then repeating.

    Up to seven topics get :data:`CYCLE` (Okabe-Ito, safe with colour-vision deficiencies),
    eight to nineteen the first ``n`` of :data:`WIDE`. Beyond that no palette keeps every
    colour apart on paper: :data:`WIDE` repeats, and :func:`marker` and the topic numbers in
    the labels tell topics that share a colour apart.
    """
    if n <= len(CYCLE):
        return CYCLE
    return WIDE[:n]


def colour(i: int, n: int | None = None) -> str:
    """The colour of topic (or series) ``i`` out of ``n`` (default: at most seven).

    ``n`` is the number of topics of the result, not of one figure, so that a topic keeps its
    colour in every figure of a run.
    """
    colours = CYCLE if n is None else palette(n)
    return colours[i % len(colours)]


def marker(i: int, n: int) -> str:
    """The marker shape of topic ``i`` out of ``n``: a circle unless colours repeat.

    Topics ``i`` and ``i + len(WIDE)`` share a colour; they never share a shape (up to
    ``len(WIDE) * len(MARKERS)`` topics).
    """
    if n <= len(WIDE):
        return MARKERS[0]
    return MARKERS[(i // len(WIDE)) % len(MARKERS)]


def wrap(text: str, width: int) -> str:
    """``text`` on lines of at most ``width`` characters, broken only between words.

    Nothing is cut: a word longer than ``width`` keeps a line of its own, whole.
    """
    text = " ".join(str(text).split())
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False,
                                   break_on_hyphens=False) or [""])


def shorten(text: str, width: int = 28, lines: int = 1) -> str:
    """``text`` in at most ``lines`` lines of at most ``width`` characters.

    What does not fit is cut (at a word boundary when one is near) and ends in an ellipsis,
    so a long label never runs into its neighbour and a reader sees that it was cut.
    """
    text = " ".join(str(text).split())
    wrapped = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    head, rest = wrapped[: lines - 1], " ".join(wrapped[lines - 1:])
    cut = rest[: width - 1]
    space = cut.rfind(" ")
    if space >= 0.6 * width:  # a word boundary close to the end: cut there
        cut = cut[:space]
    return "\n".join([*head, cut.rstrip(" ,;:·-") + "…"])


def topic_name(topic: int, label: str | None = None, width: int = 28, lines: int = 1) -> str:
    """``"3 · label"`` shortened (label as stored by the topics stage, ``_`` as a space)."""
    if topic == -1:
        return "outliers"
    if not label:
        return str(topic)
    words = str(label).replace("_", " ").split()
    # BERTopic labels start with the topic number already ("3_care_home_staff")
    if words and words[0].lstrip("-").isdigit():
        words = words[1:]
    return shorten(f"{topic} · {' '.join(words)}", width=width, lines=lines)


def grid(n: int, ncols: int | None = None, max_cols: int = 5) -> tuple[int, int]:
    """Rows and columns of a small-multiples grid for ``n`` panels."""
    cols = ncols or min(max_cols, max(1, n))
    return max(1, -(-n // cols)), cols
