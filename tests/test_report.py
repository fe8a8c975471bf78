"""The report stage (issue 12): figures/, tables/ and report.html of a run, in a real browser.

A run of the example config writes the run folder once for this module; the page is then
checked against the run's own files (manifest.json, topics/topic_info.csv), and opened in
headless Chromium: no console error, figures drawn, numbers equal to the files.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLE_CONFIG
from matplotlib.figure import Figure
from PIL import Image

import textmine as tm
from textmine.pl.save import figure_bytes
from textmine.tables.report import strip_volatile

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "example"
    # the interactive map is off by default (see docs/figures.md); its page is tested here
    tm.run(EXAMPLE_CONFIG, out=out, overrides=["report.interactive=true"])
    return out


class _Cells(HTMLParser):
    """``data-key`` cells and the rows of tables with an id, from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._key = self._table = None
        self._row: list[str] | None = None
        self._text: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = attrs["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th"):
            self._in_cell, self._text = True, []
            self._key = attrs.get("data-key")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            text = "".join(self._text).strip()
            if self._key:
                self.keys[self._key] = text
            if self._row is not None:
                self._row.append(text)
            self._in_cell, self._key = False, None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_cell:
            self._text.append(data)


def _parse(page: str) -> _Cells:
    cells = _Cells()
    cells.feed(page)
    return cells


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.slow
def test_run_writes_figures_tables_and_report(run_folder):
    manifest = json.loads((run_folder / "manifest.json").read_text())
    figures = sorted(p.name for p in (run_folder / "figures").iterdir())
    for name in ("topic_sizes", "topic_terms", "topic_map", "topic_stability",
                 "prevalence_month"):
        assert {f"{name}.pdf", f"{name}.svg", f"{name}.png"} <= set(figures), name
    assert "topic_map.html" in figures
    figures = [f for f in figures if not f.endswith(".html")]
    with Image.open(run_folder / "figures" / "topic_map.png") as png:
        assert round(png.info["dpi"][0]) == 300
        # a two-column figure (the tight box only trims the white margin)
        assert 6.8 * 300 <= png.size[0] <= 7.3 * 300
    tables = sorted(p.name for p in (run_folder / "tables").iterdir())
    assert {"topic_overview.csv", "topic_overview.xlsx", "topic_overview.tex"} <= set(tables)
    assert manifest["stages"]["report"]["figures"] == len(figures) // 3
    marker = json.loads((run_folder / ".textmine-run").read_text())
    assert "report.html" in marker["files"] and "figures/topic_map.svg" in marker["files"]
    overview = pd.read_csv(run_folder / "tables" / "topic_overview.csv")
    info = pd.read_csv(run_folder / "topics" / "topic_info.csv")
    info = info[info["topic"] >= 0]
    assert overview["Segments"].tolist() == info["size"].tolist()
    assert overview["Label"].tolist() == info["label"].tolist()


@pytest.mark.slow
def test_report_numbers_equal_the_run_files_and_nothing_is_fetched(run_folder):
    page = (run_folder / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((run_folder / "manifest.json").read_text())
    cells = _parse(page)
    assert _number(cells.keys["documents"]) == manifest["corpus"]["documents"] == 17
    assert _number(cells.keys["segments"]) == manifest["corpus"]["segments"]
    assert _number(cells.keys["speakers"]) == manifest["stages"]["read"]["speakers"]
    assert _number(cells.keys["codes_n_placed"]) == manifest["stages"]["codes"]["n_placed"]
    assert _number(cells.keys["codes_n_unplaced"]) == manifest["stages"]["codes"]["n_unplaced"]
    # the page points to the unplaced-codes report only when the run wrote it
    assert ("reports/codes_unplaced.csv" in page) == (
        run_folder / "reports" / "codes_unplaced.csv").is_file()
    quality = json.loads((run_folder / "topics" / "quality.json").read_text())
    stability = json.loads((run_folder / "topics" / "stability.json").read_text())
    assert _number(cells.keys["n_topics"]) == quality["n_topics"]
    for key in ("outlier_share_before_reassignment", "n_reassigned", "outlier_share"):
        assert _number(cells.keys[key]) == pytest.approx(quality[key], abs=5e-4), key
    assert quality["outlier_share_before_reassignment"] >= quality["outlier_share"]
    assert _number(cells.keys["mean_pairwise_ari"]) == pytest.approx(
        stability["mean_pairwise_ari"], abs=5e-4)
    info = pd.read_csv(run_folder / "topics" / "topic_info.csv")
    info = info[info["topic"] >= 0]
    rows = cells.tables["topic_overview"]
    header, body = rows[0], rows[1:]
    assert [int(r[header.index("Segments")]) for r in body] == info["size"].tolist()
    assert [r[header.index("Label")] for r in body] == info["label"].tolist()
    # the backend the embedding ran on, not the config's "auto"
    assert cells.keys["model_embed_backend"] == manifest["models"]["embed"]["backend"]
    assert cells.keys["model_embed_backend"] in {"torch", "onednn", "onnx"}
    assert cells.keys["model_embed_sha256"] == manifest["models"]["embed"]["sha256"]
    for stage in manifest["stages"]:
        if stage != "report":
            assert f"<th>{stage}</th>" in page
    # self-contained: no external src, href, url() or import; no script at all
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*['"]?(?!#)""", page)  # only url(#clip) inside the SVGs
    assert "@import" not in page and "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert page.count("<svg ") == manifest["stages"]["report"]["figures"]
    # every quote is the stored (pseudonymised) segment text, escaped
    quotes = pd.read_csv(run_folder / "topics" / "quotes.csv")
    assert html.escape(quotes["text"].iloc[0], quote=True) in page


def _label(page: str, key: str) -> str:
    """The row label of the ``data-key`` cell ``key`` in a two-column table of the page."""
    found = re.search(r'<th>([^<]*)</th><td[^>]*data-key="' + re.escape(key) + '"', page)
    assert found, key
    return html.unescape(found.group(1))


@pytest.mark.slow
def test_report_says_what_each_agreement_is_measured_against(run_folder):
    """The topics' and align's NMI/ARI are two measures: each names its level and segments;
    the per-theme table names align/per_theme.csv's best topics."""
    page = (run_folder / "report.html").read_text(encoding="utf-8")
    quality = json.loads((run_folder / "topics" / "quality.json").read_text())
    metrics = json.loads((run_folder / "align" / "metrics.json").read_text())
    assert quality["codes_level"] == "code" and quality["codes_rule"] == "any"
    topics_basis = (f"(code level: {quality['n_codes']} codes, "
                    f"{quality['n_coded_segments']} coded segments)")
    align_basis = (f"(codebook level {metrics['level']}: {metrics['n_themes']} themes, "
                   f"{metrics['n_coded_segments']} coded segments)")
    for name in ("nmi", "ari"):
        assert _label(page, name) == f"{name.upper()} against the human codes {topics_basis}"
        assert _label(page, f"align_{name}") == (f"{name.upper()} against the human codes "
                                                 f"{align_basis}")
    assert f"align.rule {metrics['rule']}" in page
    per_theme = pd.read_csv(run_folder / "align" / "per_theme.csv", dtype={"theme": str})
    table = pd.read_csv(run_folder / "tables" / "alignment.csv", dtype={"Theme": str})
    assert table["Theme"].tolist() == per_theme["theme"].tolist()
    named = [" ".join(part.split(" · ")[0] for part in cell.split("; "))
             for cell in table["Best topics"].fillna("")]
    assert named == per_theme["best_topics"].fillna("").astype(str).tolist()
    assert not table["Best topics"].fillna("").str.contains(r"\(0%\)").any()
    np.testing.assert_allclose(table["F1"], per_theme["f1"].round(2))
    rows = _parse(page).tables["alignment"]
    assert [r[rows[0].index("Best topics")] for r in rows[1:]] == \
        table["Best topics"].fillna("").tolist()


def test_report_escapes_every_text(example_corpus):
    corpus = example_corpus.copy()
    manifest = {"run_name": "<b>study</b> & co", "stages": {"read": {"documents": 1,
                                                                     "seconds": 0.5}},
                "warnings": ["a <script>alert(1)</script> warning"],
                "config": {"input": {"transcripts": "a&b_<c>.txt"}}}
    page = tm.tables.build_report(corpus, manifest, figures={}, tables={})
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;study&lt;/b&gt; &amp; co" in page
    assert "a&amp;b_&lt;c&gt;.txt" in page
    # timings are the only volatile parts
    assert '<span class="volatile">0.5</span>' in page
    assert "0.5" not in strip_volatile(page).split("Stages and timings")[1]


def test_latex_escapes_quotes_and_uses_booktabs():
    frame = pd.DataFrame({"Topic": [3], "Label": ["waiting_lists"],
                          "Top quote": ["50% of staff & the NHS_trust said #1 costs $5 {x}"],
                          "Share (%)": [12.345]})
    latex = tm.tables.to_latex(frame, caption="Topics & quotes", label="tab:topics")
    assert r"50\% of staff \& the NHS\_trust said \#1 costs \$5 \{x\}" in latex
    assert r"waiting\_lists" in latex and r"Share (\%)" in latex
    assert r"Topics \& quotes" not in latex or r"\caption{Topics" in latex
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert latex.count(rule) == 1
    assert "12.3" in latex and "12.345" not in latex


def test_xlsx_round_trip_and_same_bytes_twice():
    frame = pd.DataFrame({"Topic": [0, 1], "Label": ["care homes", "discharge & delays"],
                          "Share (%)": [12.5, 3.0],
                          "Top quote": ["We had 50% fewer beds_", "=cmd|' /C calc'!A0"]})
    data = tm.tables.to_xlsx({"topic_overview": frame})
    assert data == tm.tables.to_xlsx({"topic_overview": frame})  # no clock in the file
    back = pd.read_excel(__import__("io").BytesIO(data), sheet_name="topic_overview")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


@pytest.mark.slow
def test_publication_tables_from_stored_results(example_topics):
    corpus = example_topics.copy()
    with pytest.warns(tm.TextmineWarning):
        tm.tl.track(corpus, date="session_date", freq="month", seed=0, n_boot=200)
    overview = tm.tables.topic_overview(corpus)
    info = tm.get.topic_info(corpus)
    info = info[info["topic"] >= 0]
    assert overview["Segments"].tolist() == info["size"].tolist()
    quotes = tm.get.quotes(corpus)
    first = quotes[quotes["rank"] == 1].set_index("topic")
    for row in overview.head(5).itertuples():
        assert first.loc[row.Topic, "text"].startswith(row[overview.columns.get_loc(
            "Top quote") + 1].rstrip("…"))
    table = tm.tables.prevalence_table(corpus, "month")
    stored = tm.get.prevalence(corpus, "month")
    stored = stored[stored["topic"] >= 0]
    np.testing.assert_allclose(table["Share (%)"], (stored["share"] * 100).round(1))
    assert (table["Note"] != "").tolist() == stored["flagged"].tolist()


def test_alignment_table_per_theme():
    """The table names per_theme's best topics (the ones its scores are of), none at 0%.

    It used to name the two topics holding most of each theme beside the precision, recall and
    F1 of per_theme's own choice, so the topics and the scores in one row disagreed, and a
    theme in one topic got a 0% runner-up.
    """
    cells = [("Access", 0, 6), ("Access", 1, 3), ("Access", 2, 0), ("Access", -1, 1),
             ("Staffing", 0, 0), ("Staffing", 1, 8), ("Staffing", 2, 2), ("Staffing", -1, 0),
             ("Rare", 0, 0), ("Rare", 1, 0), ("Rare", 2, 1), ("Rare", -1, 0)]
    theme_topic = pd.DataFrame(cells, columns=["theme", "topic", "n_segments"])
    theme_topic["label"] = theme_topic["topic"].map({0: "beds", 1: "rotas", 2: "agency",
                                                     -1: "outliers"})
    theme_topic["share_of_theme"] = theme_topic["n_segments"] / theme_topic.groupby(
        "theme")["n_segments"].transform("sum")
    theme_topic["share_of_topic"] = theme_topic["n_segments"] / theme_topic.groupby(
        "topic")["n_segments"].transform("sum")
    # as tl.align chooses them: most precise first, added while the F1 rises
    per_theme = pd.DataFrame({
        "theme": ["Access", "Staffing", "Rare"], "best_topics": ["0", "2 1", "2"],
        "best_labels": ["beds", "agency | rotas", "agency"],
        "precision": [1.0, 10 / 14, 1 / 3], "recall": [0.6, 1.0, 1.0],
        "f1": [0.75, 2 * (10 / 14) / (10 / 14 + 1), 0.5], "n_segments": [10, 10, 1]})
    corpus = tm.Corpus(None, None)
    corpus.results["align"] = tm.Result(kind="align", params={}, tables={
        "theme_topic": theme_topic, "per_theme": per_theme})
    table = tm.tables.alignment_table(corpus)
    assert list(table.columns) == ["Theme", "Segments", "Best topics", "Precision", "Recall",
                                   "F1"]
    assert table["Theme"].tolist() == ["Access", "Staffing", "Rare"]
    assert table["Segments"].tolist() == [10, 10, 1]  # all the theme's segments
    assert table["Best topics"].tolist() == [
        "0 · beds (60%)", "2 · agency (20%); 1 · rotas (80%)", "2 · agency (100%)"]
    assert table["F1"].tolist() == [0.75, 0.83, 0.5]
    # a best topic holding a sliver of the theme does not read as a 0% runner-up
    corpus.results["align"].tables["theme_topic"].loc[6, "share_of_theme"] = 0.004
    assert tm.tables.alignment_table(corpus)["Best topics"].iloc[1].startswith(
        "2 · agency (<1%)")
    # without per_theme there are no best topics to show: the table is left out
    del corpus.results["align"].tables["per_theme"]
    with pytest.raises(tm.errors.CorpusError, match="per_theme"):
        tm.tables.alignment_table(corpus)


def test_report_names_only_files_the_run_wrote(example_corpus):
    """No pointer to reports/codes_unplaced.csv when nothing was unplaced (it is not written),
    nor to figures/ when report.formats is []."""
    corpus = example_corpus.copy()
    fig = Figure()
    fig.add_subplot().plot([0, 1])
    corpus.results["align"] = tm.Result(kind="align", params={}, tables={},
                                        info={"metrics": {}})
    manifest = {"stages": {"codes": {"n_rows": 3, "n_placed": 3, "n_unplaced": 0}},
                "config": {"report": {"formats": []}}}
    page = tm.tables.build_report(corpus, manifest, figures={"theme_topic": fig}, tables={})
    assert "codes_unplaced" not in page and "figures/" not in page
    assert 'data-figure="theme_topic"' in page  # the figure itself is still on the page
    manifest = {"stages": {"codes": {"n_rows": 3, "n_placed": 1, "n_unplaced": 2}},
                "config": {"report": {"formats": ["svg"]}}}
    page = tm.tables.build_report(corpus, manifest, figures={"theme_topic": fig}, tables={})
    assert "Unplaced (see reports/codes_unplaced.csv)" in page
    assert "<code>figures/theme_topic.*</code>" in page


def test_figures_give_the_same_bytes_twice(tmp_path):
    corpus = tm.Corpus(None, None)
    rows = [{"g": g, "topic": t, "share": 0.1 * t, "ci_low": 0.0, "ci_high": 0.5,
             "n_documents": 4, "n_segments": 9, "flagged": g == "b", "label": f"{t}_x"}
            for g in "ab" for t in range(3)]
    corpus.results["track"] = tm.Result(kind="track", params={},
                                        tables={"prevalence_g": pd.DataFrame(rows)})
    # the same calls give the same files (a run saves pdf, svg, png in this order)
    first = tm.pl.save_figures({"heat": tm.pl.group_heatmap(corpus, "g")}, tmp_path / "a")
    again = tm.pl.save_figures({"heat": tm.pl.group_heatmap(corpus, "g")}, tmp_path / "b")
    assert [p.name for p in first] == ["heat.pdf", "heat.svg", "heat.png"]
    for a, b in zip(first, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    fig = tm.pl.group_heatmap(corpus, "g")
    assert b"CreationDate" not in figure_bytes(fig, "pdf")


# ---------------------------------------------------------------------------- the browser


def _chromium() -> str:
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed to test report.html in a browser: install it "
                "(Debian/Ubuntu: apt-get install chromium; .ci/run installs it)")


def _open(page: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--enable-logging=stderr", "--v=0", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120)


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line]


@pytest.mark.slow
def test_report_in_headless_chromium(run_folder, tmp_path):
    # the check can see a console error at all: a page that logs one
    control = tmp_path / "control.html"
    control.write_text("<html><body><script>console.error('textmine-control')</script>"
                       "</body></html>")
    seen = _console_errors(_open(control, "--dump-dom").stderr)
    assert any("textmine-control" in line for line in seen), "console not captured"

    page = run_folder / "report.html"
    done = _open(page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console_errors(done.stderr) == []
    dom = _parse(done.stdout)  # the page as the browser built it
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert _number(dom.keys["documents"]) == manifest["corpus"]["documents"]
    assert _number(dom.keys["segments"]) == manifest["corpus"]["segments"]
    info = pd.read_csv(run_folder / "topics" / "topic_info.csv")
    assert _number(dom.keys["n_topics"]) == int((info["topic"] >= 0).sum())
    rows = dom.tables["topic_overview"]
    assert [int(r[rows[0].index("Segments")]) for r in rows[1:]] == info.loc[
        info["topic"] >= 0, "size"].tolist()

    # the interactive map: plotly.js inline, and not one failed request or script error
    done = _open(run_folder / "figures" / "topic_map.html", "--dump-dom")
    assert done.returncode == 0 and _console_errors(done.stderr) == []
    assert 'class="plot-container plotly"' in done.stdout  # plotly drew the map

    shot = tmp_path / "report.png"
    done = _open(page, f"--screenshot={shot}", "--window-size=1200,5000",
                 "--hide-scrollbars")
    assert shot.is_file(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    assert (pixels < 250).any(axis=2).mean() > 0.02  # not a blank page
    # the figures are drawn: pixels in the colours of the first two topics, as the run's
    # palette gives them for its number of topics
    from textmine.pl.style import colour

    n = int(info["topic"].max()) + 1
    for hex_colour in (colour(0, n), colour(1, n)):
        rgb = tuple(int(hex_colour[k:k + 2], 16) for k in (1, 3, 5))
        near = (np.abs(pixels - np.array(rgb)).sum(axis=2) < 40).sum()
        assert near > 500, f"no figure colour {rgb} on the page"
