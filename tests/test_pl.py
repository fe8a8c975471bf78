"""Figures (issue 12): what is drawn equals the stored numbers, and stays legible at scale.

The real-data figures are drawn from the example study's topics (fitted once per session,
``example_topics``) and its track tables; the scale tests (36 topics, 15 groups, long labels)
use hand-built results so their shape is known exactly.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import textmine as tm
from textmine.errors import CorpusError
from textmine.pl.labels import overlapping, window_boxes
from textmine.pl.save import figure_bytes
from textmine.pl.style import MIN_FONT, WIDE, palette


@pytest.fixture(scope="module")
def tracked(example_topics):
    """Topics tracked by month (with the codes), and by participant x month."""
    corpus = example_topics.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flagged rows: one session per participant
        tm.tl.track(corpus, by=["participant"], date="session_date", freq="month",
                    cross=[["participant", "month"]], seed=0, n_boot=200)
    return corpus


def _fonts(fig: Figure) -> list[float]:
    return [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))
            if hasattr(t, "get_text") and t.get_text()]


def _barh_widths(ax) -> list[float]:
    return [p.get_width() for p in ax.patches if isinstance(p, Rectangle)]


@pytest.mark.slow
def test_topic_sizes_bars_are_the_sizes(example_topics):
    corpus = example_topics
    fig = tm.pl.topic_sizes(corpus)
    ax = fig.axes[0]
    info = tm.get.topic_info(corpus)
    info = info[info["topic"] >= 0].sort_values(["size", "topic"], ascending=[False, True])
    n_out = int((tm.get.assignments(corpus)["topic"] < 0).sum())
    assert _barh_widths(ax) == [*info["size"].tolist(), n_out]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "outliers"
    assert [int(lbl.split(" · ")[0]) for lbl in labels[:-1]] == info["topic"].tolist()
    assert min(_fonts(fig)) >= MIN_FONT
    assert len(info) >= 30  # the example has as many topics as a real study


@pytest.mark.slow
def test_topic_terms_bars_are_the_term_counts(example_topics):
    corpus = example_topics
    fig = tm.pl.topic_terms(corpus, n_terms=6)
    terms = tm.get.topic_terms(corpus, n_terms=6)
    info = tm.get.topic_info(corpus)
    drawn = [ax for ax in fig.axes if ax.patches]
    assert len(drawn) == int((info["topic"] >= 0).sum())
    for ax, topic in zip(drawn, info.loc[info["topic"] >= 0, "topic"], strict=True):
        rows = terms[terms["topic"] == topic].sort_values("rank")
        np.testing.assert_allclose(_barh_widths(ax), rows["share_of_segments"] * 100)
        assert ax.get_title(loc="right").startswith(f"{topic} · ")
    # a term's count is its segments: a segment of topic 0 holding the top term
    top = terms[(terms["topic"] == 0) & (terms["rank"] == 1)].iloc[0]
    assert 0 < top["n_segments"] <= int(info.loc[info["topic"] == 0, "size"].iloc[0])
    assert min(_fonts(fig)) >= MIN_FONT


@pytest.mark.slow
def test_topic_map_colours_outliers_grey_and_labels_do_not_overlap(example_topics):
    corpus = example_topics.copy()
    # the example has almost no outliers left after reassignment: make some, as a corpus
    # without reassignment would have
    per = corpus.results["topics"].per_segment
    per.loc[per.index[::10], "topic"] = -1
    coords = tm.pl.map_coordinates(corpus)
    again = tm.pl.map_coordinates(corpus)
    pd.testing.assert_frame_equal(coords, again)  # deterministic
    fig = tm.pl.topic_map(corpus)
    ax = fig.axes[0]
    grey = ax.collections[0]
    assert len(grey.get_offsets()) == int((coords["topic"] < 0).sum())
    np.testing.assert_allclose(grey.get_offsets(), coords.loc[coords["topic"] < 0, ["x", "y"]])
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(corpus)
    fig.canvas.draw()
    texts = [t for t in ax.texts if t.get_text()]
    assert len(texts) == coords.loc[coords["topic"] >= 0, "topic"].nunique()
    boxes = np.array([[b.x0, b.y0, b.x1, b.y1] for b in window_boxes(texts)])
    assert overlapping(boxes) == []
    frame = ax.get_window_extent()
    assert (boxes[:, 0] >= frame.x0 - 1).all() and (boxes[:, 2] <= frame.x1 + 1).all()


@pytest.mark.slow
def test_stability_bars_are_the_per_topic_stability(example_topics):
    fig = tm.pl.topic_stability(example_topics)
    per = pd.DataFrame(tm.get.stability(example_topics)["per_topic"])
    np.testing.assert_allclose(_barh_widths(fig.axes[0]), per["stability"].astype(float))
    assert "mean pairwise ARI" in fig.axes[0].get_title(loc="right")
    said = [t for t in fig.axes[0].texts if t.get_text() == "not found again"]
    assert len(said) == len(tm.get.stability(example_topics)["not_found_again"])
    # a topic no refit finds is said to be so on its row, not left as an empty one
    corpus = example_topics.copy()
    result = corpus.results["topics"]
    lost = int(per["topic"].iloc[-1])
    corpus.results["topics"] = dataclasses.replace(result, info={
        **result.info, "stability": {**result.info["stability"], "not_found_again": [lost]}})
    fig = tm.pl.topic_stability(corpus)
    said = [t for t in fig.axes[0].texts if t.get_text() == "not found again"]
    assert [round(t.get_position()[1]) for t in said] == [len(per) - 1]


@pytest.mark.slow
def test_prevalence_points_and_intervals_are_the_table(tracked):
    fig = tm.pl.prevalence(tracked, "month", top=None)
    table = tm.get.prevalence(tracked, "month")
    codes = tm.get.prevalence(tracked, "month", codes=True)
    months = list(dict.fromkeys(table["month"]))
    assert months == sorted(months)
    topic_axes = [ax for ax in fig.subfigs[0].axes if ax.lines]
    code_axes = [ax for ax in fig.subfigs[1].axes if ax.lines]
    assert len(topic_axes) == table.loc[table["topic"] >= 0, "topic"].nunique()
    assert len(code_axes) == codes["code"].nunique()
    for ax in topic_axes + code_axes:
        what, kind = (table, "topic") if ax in topic_axes else (codes, "code")
        ident = ax.get_gid().split(":", 1)[1]
        rows = what[what[kind].astype(str) == ident]
        rows = rows.drop_duplicates("month").set_index("month").reindex(months)
        line = next(ln for ln in ax.lines if ln.get_gid() == "share")
        np.testing.assert_allclose(line.get_ydata(), rows["share"] * 100)
        hollow = [ln for ln in ax.lines if ln.get_gid() == "flagged"]
        n_flagged = int(rows["flagged"].sum())
        assert (len(hollow[0].get_xdata()) if hollow else 0) == n_flagged
        for container in ax.containers:  # error bars: exactly the unflagged intervals
            segments = container.lines[2][0].get_segments()
            ok = rows[~rows["flagged"].astype(bool)]
            np.testing.assert_allclose([s[:, 1].min() for s in segments], ok["ci_low"] * 100)
            np.testing.assert_allclose([s[:, 1].max() for s in segments], ok["ci_high"] * 100)
    assert min(_fonts(fig)) >= MIN_FONT


@pytest.mark.slow
def test_heatmap_cells_are_shares_and_flagged_cells_are_hatched(tracked):
    fig = tm.pl.group_heatmap(tracked, "participant")
    ax = fig.axes[0]
    table = tm.get.prevalence(tracked, "participant")
    table = table[table["topic"] >= 0]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    rows = list(dict.fromkeys(table["participant"]))
    topics = list(dict.fromkeys(table["topic"]))
    values = np.asarray(mesh.get_array()).reshape(len(rows), len(topics))
    wide = table.pivot(index="participant", columns="topic", values="share").loc[rows, topics]
    np.testing.assert_allclose(values, wide.to_numpy() * 100)
    hatched = {(int(p.get_y()), int(p.get_x())) for p in ax.patches if p.get_gid() == "flagged"}
    flagged = {(rows.index(r.participant), topics.index(r.topic))
               for r in table.itertuples() if r.flagged}
    assert hatched == flagged and flagged  # one interview per participant: all flagged
    assert [t.get_text() for t in ax.get_yticklabels()] == rows
    assert [int(t.get_text().split(" · ")[0]) for t in ax.get_xticklabels()] == topics


@pytest.mark.slow
def test_group_period_small_multiples(tracked):
    fig = tm.pl.group_period(tracked, "participant", "month", top=4)
    table = tm.get.prevalence(tracked, ("participant", "month"))
    panels = [ax for ax in fig.axes if ax.lines]
    assert [ax.get_title(loc="left") for ax in panels] == list(
        dict.fromkeys(table["participant"]))
    first = panels[0]
    shares = [ln for ln in first.lines if ln.get_gid() == "share"]
    assert len(shares) == 4
    group = table[table["participant"] == first.get_title(loc="left")]
    months = list(dict.fromkeys(table["month"]))
    for line in shares:
        topic = int(line.get_label().split(" · ")[0])
        expected = (group[group["topic"] == topic].set_index("month")["share"]
                    .reindex(months) * 100)
        np.testing.assert_allclose(line.get_ydata(), expected)


def _align_corpus(n_themes: int = 15, n_topics: int = 36) -> tm.Corpus:
    """A corpus holding only a hand-built align result (the align stage's table shape)."""
    rng = np.random.default_rng(0)
    themes = [f"Theme {i}: a long name for what the coders saw in the transcripts, with "
              "qualifications" for i in range(n_themes)]
    rows = [{"theme": th, "topic": t, "n_segments": int(rng.integers(0, 30))}
            for th in themes for t in range(-1, n_topics)]
    table = pd.DataFrame(rows)
    table["share_of_theme"] = table["n_segments"] / table.groupby("theme")[
        "n_segments"].transform("sum")
    table["share_of_topic"] = table["n_segments"] / table.groupby("topic")[
        "n_segments"].transform("sum").clip(lower=1)
    corpus = tm.Corpus(None, None)
    corpus.results["align"] = tm.Result(kind="align", params={},
                                        tables={"theme_topic": table})
    return corpus


def test_theme_topic_heatmap_cells_are_the_align_table():
    corpus = _align_corpus()
    table = tm.pl.theme_topic_table(corpus)
    for value, scale in (("share_of_theme", 100), ("share_of_topic", 100), ("n_segments", 1)):
        fig = tm.pl.theme_topic(corpus, value=value)
        ax = fig.axes[0]
        mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
        themes = list(dict.fromkeys(table["theme"]))
        topics = sorted(set(table["topic"]))
        wide = table.pivot(index="theme", columns="topic", values=value).loc[themes, topics]
        np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(wide.shape),
                                   wide.to_numpy() * scale)
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert all(len(lbl) <= 30 for lbl in labels) and all(lbl.endswith("…") for lbl in labels)
        assert [t.get_text() for t in ax.get_xticklabels()][0] == "outliers"
    assert fig.get_size_inches()[1] >= 0.2 * 15  # the height grows with the themes
    with pytest.raises(CorpusError, match="no align result"):
        tm.pl.theme_topic(tm.Corpus(None, None))


def test_heatmap_of_36_topics_and_15_groups_keeps_labels_apart():
    groups = [f"Regional innovation network {i} (north-east and the borders)" for i in range(15)]
    rows = [{"network": g, "topic": t, "share": (i + t) / 100, "ci_low": 0.0, "ci_high": 0.5,
             "n_documents": 1 + i % 4, "n_segments": 10, "flagged": 1 + i % 4 < 3,
             "label": f"{t}_care_homes_discharge_delays_winter_pressure"}
            for i, g in enumerate(groups) for t in range(-1, 36)]
    corpus = _align_corpus()
    corpus.results["track"] = tm.Result(kind="track", params={},
                                        tables={"prevalence_network": pd.DataFrame(rows)})
    fig = tm.pl.group_heatmap(corpus, "network")
    fig.canvas.draw()
    ax = fig.axes[0]
    for ticks in (ax.get_xticklabels(), ax.get_yticklabels()):
        boxes = np.array([[b.x0, b.y0, b.x1, b.y1] for b in window_boxes(list(ticks))])
        assert overlapping(boxes) == []
    assert sum(p.get_gid() == "flagged" for p in ax.patches) == sum(
        r["flagged"] for r in rows if r["topic"] >= 0)
    assert min(_fonts(fig)) >= MIN_FONT


@pytest.mark.slow
def test_interactive_map_is_self_contained_with_escaped_hover(example_topics):
    from textmine.pl.interactive import topic_map_html

    corpus = example_topics.copy()
    segments = corpus.segments.copy()
    segments.loc[0, "text"] = "a <b>bold</b> & risky quote"  # hover text is HTML to plotly
    corpus.segments = segments
    page = topic_map_html(corpus)
    assert page == topic_map_html(corpus)  # the same bytes each time (fixed div id)
    assert "<script src" not in page and "<link" not in page  # plotly.js is inline
    assert len(page) > 1_000_000
    # plotly's JSON writes < > & / as \u003c \u003e \u0026 \u002f: decoded to read the hover
    data = (page.replace("\\u003c", "<").replace("\\u003e", ">")
            .replace("\\u0026", "&").replace("\\u002f", "/"))
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp; risky quote" in data
    assert "a <b>bold" not in data
    n_traces = page.count('"mode":"markers"')  # one trace per topic (the template has none)
    assert n_traces == tm.get.assignments(corpus)["topic"].nunique()
    assert corpus.segments["speaker"].iloc[0] in page and corpus.segments["doc_id"].iloc[0] in page


@pytest.mark.slow
def test_interactive_map_leak_check_reads_the_data_not_plotly(example_topics, tmp_path):
    """plotly.js holds common names; the check must look at the page's data, all of it."""
    from textmine.pl.interactive import topic_map_html
    from textmine.pp.verify import find_leaks

    corpus = example_topics.copy()
    path = tmp_path / "figures" / "topic_map.html"
    path.parent.mkdir()
    path.write_text(topic_map_html(corpus), encoding="utf-8")
    vendored = {"Julian", "Georgia", "Marshall"}  # in plotly.js, in no transcript
    assert all(name in path.read_text() for name in vendored)
    assert find_leaks(tmp_path, vendored) == []
    # an identifier in the hover text is found through plotly's JSON and HTML escapes
    segments = corpus.segments.copy()
    segments.loc[0, "text"] = "then Seán O'Brien & Co rang me"
    corpus.segments = segments
    path.write_text(topic_map_html(corpus), encoding="utf-8")
    assert "O'Brien" not in path.read_text()
    assert find_leaks(tmp_path, {"Seán O'Brien"}) == [("figures/topic_map.html", "identifier")]
    assert find_leaks(tmp_path, {"O'Brien & Co"}) != []


def _topics_corpus(terms: list[list[str]], *, per_topic: int = 12, spread: float = 1.0,
                   seed: int = 0) -> tm.Corpus:
    """A corpus holding only a hand-built topics result (the topics stage's table shapes).

    Topic ``t`` has ``per_topic`` segments whose text holds each of ``terms[t]`` (n-grams as
    stored, joined by ``_``), so :func:`textmine.get.topic_terms` finds every term; its
    embeddings sit around a point on a circle of radius ``spread`` (small: crowded labels).
    """
    rng = np.random.default_rng(seed)
    rows, texts, topic_of = [], [], []
    for t, words in enumerate(terms):
        for k in range(per_topic):
            texts.append(" and ".join(w.replace("_", " ") for w in words) + f" number{k}")
            topic_of.append(t)
    start = 0
    for i, text in enumerate(texts):
        rows.append({"segment_id": f"s{i}", "doc_id": "d", "speaker": "P", "role": "participant",
                     "turn": i, "start_char": start, "end_char": start + len(text),
                     "text": text})
        start += len(text) + 1
    documents = pd.DataFrame([{"doc_id": "d", "source": "d.txt", "format": "txt", "labels": "",
                               "sha256": "0", "n_chars": start, "n_turns": len(texts)}])
    angle = 2 * np.pi * np.asarray(topic_of) / len(terms)
    centres = np.column_stack([np.cos(angle), np.sin(angle)]) * spread
    emb = np.hstack([centres, np.zeros((len(texts), 6))]) + rng.normal(0, 0.05, (len(texts), 8))
    info = pd.DataFrame({"topic": list(range(len(terms))), "size": [per_topic] * len(terms),
                         "label": [", ".join(w.replace("_", " ") for w in words[:3])
                                   for words in terms],
                         "terms": [" ".join(words) for words in terms]})
    per_segment = pd.DataFrame({"segment_id": [r["segment_id"] for r in rows],
                                "topic": topic_of})
    corpus = tm.Corpus(documents, None, pd.DataFrame(rows), embeddings={"e": emb})
    corpus.results["topics"] = tm.Result(
        kind="topics", params={"embedding": "e", "ngram_range": [1, 4]},
        per_segment=per_segment, tables={"topic_info": info})
    return corpus


def _numbered_terms(n_topics: int) -> list[list[str]]:
    return [[f"alpha{t}", f"beta{t}", f"gamma{t}", f"delta{t}"] for t in range(n_topics)]


def _marker_shape(collection) -> tuple:
    return tuple(np.round(collection.get_paths()[0].vertices, 3).ravel())


def test_twelve_topics_get_twelve_colours_the_same_in_every_figure():
    """Issue: topics 0 and 7 were both orange (a cycle of seven colours)."""
    corpus = _topics_corpus(_numbered_terms(12))
    sizes = tm.pl.topic_sizes(corpus, outliers=False).axes[0]
    by_size = {int(t.get_text().split(" · ")[0]): p.get_facecolor()
               for t, p in zip(sizes.get_yticklabels(), sizes.patches, strict=True)}
    assert len(set(by_size.values())) == 12
    ax = tm.pl.topic_map(corpus).axes[0]
    assert len(ax.collections[0].get_offsets()) == 0  # the outliers (none here), then topics
    on_map = [tuple(c.get_facecolor()[0]) for c in ax.collections[1:]]
    assert len(set(on_map)) == 12
    assert len({_marker_shape(c) for c in ax.collections[1:]}) == 1  # dots: colours suffice
    terms = [ax for ax in tm.pl.topic_terms(corpus, n_terms=4).axes if ax.patches]
    on_terms = [ax.patches[0].get_facecolor() for ax in terms]
    # a topic keeps its colour from figure to figure
    np.testing.assert_allclose(on_terms, [by_size[t] for t in range(12)])
    np.testing.assert_allclose([c[:3] for c in on_map], [by_size[t][:3] for t in range(12)])
    assert len(set(palette(len(WIDE)))) == len(WIDE) >= 19


def test_beyond_the_palette_topics_sharing_a_colour_differ_in_marker():
    n = 45
    corpus = _topics_corpus(_numbered_terms(n), per_topic=4, spread=5.0)
    fig = tm.pl.topic_map(corpus)
    ax = fig.axes[0]
    drawn = ax.collections[1:]  # [0]: the outliers
    assert len(drawn) == n
    looks = {(tuple(np.round(c.get_facecolor()[0][:3], 3)), _marker_shape(c)) for c in drawn}
    assert len(looks) == n  # no two topics drawn alike
    assert len({look[0] for look in looks}) == len(WIDE)
    numbers = sorted(int(t.get_text().split(" · ")[0]) for t in ax.texts if t.get_text())
    assert numbers == list(range(n))  # and every topic is labelled with its number


def test_topic_terms_draws_every_term_whole():
    """Issue: "preregistrati…", "formal traini…", "science pract…" were cut at 14 characters."""
    long = [["preregistration", "preregistering", "science_practices", "formal_training"],
            ["open_science_practices_framework", "data", "reproducible_research_workflows",
             "irb"],
            *_numbered_terms(6)]
    corpus = _topics_corpus(long)
    fig = tm.pl.topic_terms(corpus, n_terms=4)
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.patches]
    expected = [[w.replace("_", " ") for w in words] for words in long]
    drawn = [[t.get_text() for t in ax.get_yticklabels()] for ax in panels]
    assert [[t.replace("\n", " ") for t in row] for row in drawn] == expected
    assert not any("…" in t for row in drawn for t in row)
    assert "cut" not in fig.get_supxlabel()  # nothing cut, nothing to say
    assert any("\n" in t for t in drawn[1])  # the 32-character term wraps
    renderer = fig.canvas.get_renderer()
    for k, ax in enumerate(panels):
        ticks = list(ax.get_yticklabels())
        boxes = np.array([[b.x0, b.y0, b.x1, b.y1]
                          for b in (t.get_window_extent(renderer) for t in ticks)])
        assert overlapping(boxes) == []  # wrapped terms got taller rows
        if k % 4:  # the term labels stay clear of the panel to their left
            assert boxes[:, 0].min() >= panels[k - 1].get_window_extent(renderer).x1
    assert min(_fonts(fig)) >= MIN_FONT


def test_topic_terms_says_so_when_a_term_must_be_cut():
    word = "pneumonoultramicroscopicsilicovolcanoconiosis"  # one word wider than a panel
    corpus = _topics_corpus([[word, "short", "terms", "here"], *_numbered_terms(3)])
    fig = tm.pl.topic_terms(corpus, n_terms=4)
    first = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert first[0].endswith("…") and word.startswith(first[0][:-1])
    assert first[1:] == ["short", "terms", "here"]
    note = fig.get_supxlabel()
    assert "cut to" in note and "every term whole" in note


def test_topic_map_labels_keep_a_gap_and_the_same_bytes():
    """Crowded topics (all near one point): labels apart by ``label_gap``, deterministic."""
    corpus = _topics_corpus(_numbered_terms(12), spread=0.05)
    fig = tm.pl.topic_map(corpus)
    fig.canvas.draw()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text()]
    assert len(texts) == 12
    boxes = np.array([[b.x0, b.y0, b.x1, b.y1] for b in window_boxes(texts)])
    x_gap = np.maximum(boxes[None, :, 0] - boxes[:, None, 2], boxes[:, None, 0] - boxes[None, :, 2])
    y_gap = np.maximum(boxes[None, :, 1] - boxes[:, None, 3], boxes[:, None, 1] - boxes[None, :, 3])
    gap = np.maximum(x_gap, y_gap)[np.triu_indices(len(texts), k=1)] * 72 / fig.dpi
    assert gap.min() >= 4.0 - 0.1  # points
    frame = ax.get_window_extent()
    assert (boxes[:, 0] >= frame.x0 - 1).all() and (boxes[:, 2] <= frame.x1 + 1).all()
    assert (boxes[:, 1] >= frame.y0 - 1).all() and (boxes[:, 3] <= frame.y1 + 1).all()
    again = tm.pl.topic_map(corpus)
    assert figure_bytes(fig, "png", dpi=100) == figure_bytes(again, "png", dpi=100)
