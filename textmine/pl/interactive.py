"""The topic map to explore in a browser: one self-contained HTML page (plotly, no CDN).

The page carries plotly.js inline, so it opens on a machine with no internet. Hovering a
point shows the segment's (pseudonymised) text, speaker and document; clicking a topic in the
legend hides or shows it, double-clicking shows that topic alone (plotly's legend filters).
"""

from __future__ import annotations

import html

from textmine import get
from textmine.pl.style import GREY, MARKERS, colour, marker, topic_name
from textmine.pl.topics import map_coordinates, n_colours

__all__ = ["topic_map_html"]

#: plotly's names of the matplotlib markers of :data:`textmine.pl.style.MARKERS`, so a topic
#: has the same colour and shape on the page as in the printed map
SYMBOLS = dict(zip(MARKERS, ("circle", "square", "triangle-up", "diamond", "triangle-down",
                             "cross", "x"), strict=True))


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def topic_map_html(corpus, key: str = "topics", *, quote_chars: int = 240,
                   title: str | None = None) -> str:
    """The 2-D topic map (:func:`textmine.pl.map_coordinates`) as a self-contained HTML page.

    Parameters
    ----------
    corpus
        A corpus holding a topics result and its embeddings.
    key
        The topics result.
    quote_chars
        Characters of each segment's text shown on hover.
    title
        Page and plot title.

    Returns
    -------
    str
        The HTML page (the caller writes it; a run writes ``figures/topic_map.html``).
    """
    import plotly.graph_objects as go  # a dependency of BERTopic: always installed

    coords = map_coordinates(corpus, key)
    segs = corpus.segments[["segment_id", "doc_id", "speaker", "text"]]
    points = coords.merge(segs, on="segment_id", how="left")
    info = get.topic_info(corpus, key)
    names = dict(zip(info["topic"].astype(int), info["label"], strict=True))
    n = n_colours(info)
    fig = go.Figure()
    for topic in sorted(points["topic"].unique()):
        rows = points[points["topic"] == topic]
        name = topic_name(int(topic), names.get(int(topic)), width=40)
        # plotly renders hover text as HTML: every piece of text is escaped first
        hover = [f"<b>{html.escape(name)}</b><br>{html.escape(str(r.speaker))}, "
                 f"{html.escape(str(r.doc_id))}<br>{html.escape(_clip(r.text, quote_chars))}"
                 for r in rows.itertuples()]
        fig.add_trace(go.Scatter(
            x=rows["x"].round(5), y=rows["y"].round(5), mode="markers", name=name,
            text=hover, hovertemplate="%{text}<extra></extra>",
            marker={"size": 5, "color": GREY if topic < 0 else colour(int(topic), n),
                    "symbol": SYMBOLS[marker(max(int(topic), 0), n)], "opacity": 0.8}))
    ex = coords.attrs["explained"]
    fig.update_layout(
        title=title or "Segments by topic (principal components of the embeddings)",
        xaxis={"title": f"principal component 1 ({ex[0]:.0%} of variance)",
               "showticklabels": False, "zeroline": False},
        yaxis={"title": f"principal component 2 ({ex[1]:.0%})", "showticklabels": False,
               "zeroline": False},
        template="simple_white", legend={"title": "topics: click to hide, double-click to "
                                                  "isolate", "itemsizing": "constant"},
        hoverlabel={"align": "left"}, height=720)
    # a fixed div id and no CDN, MathJax or config links: the same bytes on every run, and
    # not one request when the page opens
    return fig.to_html(include_plotlyjs=True, include_mathjax=False, full_html=True,
                       div_id="textmine-topic-map",
                       config={"displaylogo": False,
                               "modeBarButtonsToRemove": ["sendDataToCloud"]})
