"""``report.html``: one self-contained page that explains a run to someone who never opens Python.

Everything on the page comes from the run's manifest and the stored results (nothing is
recomputed); figures are inline SVG (text stays text, so the run's leak check reads it too);
there is no script, no stylesheet link, no image URL: the page makes no request at all.
Every piece of text is escaped with :func:`html.escape`.

Values that measure the clock or the state of the cache (timings, the creation time, cache
hits) are wrapped in ``<span class="volatile">``: they are the only parts of the page that
may differ between two runs of the same config on the same data.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from matplotlib.figure import Figure

from textmine import get
from textmine.pl.save import figure_bytes
from textmine.tables.publication import run_tables

__all__ = ["VOLATILE_KEYS", "build_report", "write_report"]

#: manifest keys that measure the clock or the cache's state, not the results
VOLATILE_KEYS = ("seconds", "created_utc", "cache_hits", "cache_misses", "corrupt_recomputed",
                 "cache_unsaved", "cache_dir", "torch_threads")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 max-width:1100px;margin:0 auto;padding:1.2em 1.5em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}
h3{margin-top:1.3em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border-bottom:1px solid #e3e3e3;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#444}
nav a{margin-right:.8em}.note{color:#555;font-size:.92em}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.85em}
.volatile{color:#555}
blockquote{margin:.2em 0;color:#333}
"""

_CAPTIONS = {
    "topic_sizes": "Segments per topic (outliers in grey).",
    "topic_terms": "Top terms of each topic, in c-TF-IDF order; a bar is the share of the "
                   "topic's segments that use the term.",
    "topic_map": "Segments in two dimensions (principal components of the stored embeddings, "
                 "not the UMAP the topics were found in), coloured by topic, outliers grey.",
    "topic_stability": "How well each topic is found again when refitted with other seeds.",
    "theme_topic": "Human themes against machine topics: the share of each theme's segments "
                   "in each topic.",
}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _volatile(key: str) -> bool:
    return any(key == k or key.endswith("_" + k) for k in VOLATILE_KEYS)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) if value else "none"
    return str(value)


def _cell(key: str, value: Any) -> str:
    text = _e(_fmt(value))
    if _volatile(key):
        text = f'<span class="volatile">{text}</span>'
    cls = ' class="n"' if isinstance(value, int | float) and not isinstance(value, bool) else ""
    return f'<td{cls} data-key="{_e(key)}">{text}</td>'


def _pairs(rows: Iterable[tuple[str, str, Any]]) -> str:
    """A two-column table: label, value (``data-key`` names the number for tests)."""
    body = "".join(f"<tr><th>{_e(label)}</th>{_cell(key, value)}</tr>"
                   for label, key, value in rows)
    return f"<table>{body}</table>"


def _frame(frame: pd.DataFrame, *, table_id: str | None = None, max_rows: int = 200) -> str:
    frame = frame.head(max_rows)
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for value in values:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            missing = value is None or (isinstance(value, float) and pd.isna(value))
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{_e('' if missing else _fmt(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _svg(fig: Figure, name: str) -> str:
    """The figure as inline SVG: no XML prolog or DOCTYPE (the only URL an SVG file holds)."""
    text = figure_bytes(fig, "svg", salt=name).decode("utf-8")
    text = text[max(text.find("<svg"), 0):]
    # as wide on the page as in print: a two-column figure fills the page, one-column half
    share = min(100, round(100 * fig.get_size_inches()[0] / 7.2))
    return text.replace("<svg ", f'<svg style="width:{share}%;height:auto" ', 1)


def _figure(figures: Mapping[str, Figure], name: str, caption: str | None = None, *,
            files: bool = False) -> str:
    """A figure inline; ``files``: the run saved it as ``figures/<name>.*``, so say where."""
    if name not in figures:
        return ""
    caption = caption or _CAPTIONS.get(name, name.replace("_", " "))
    where = f" <code>figures/{_e(name)}.*</code>" if files else ""
    return (f'<figure id="fig-{_e(name)}" data-figure="{_e(name)}">{_svg(figures[name], name)}'
            f"<figcaption>{_e(caption)}{where}</figcaption></figure>")


def _figure_files(manifest: Mapping[str, Any]) -> bool:
    """Whether the run saved its figures as files: ``report.formats`` of its config.

    A page built from a manifest without a report config (a notebook) has its figures only
    inline, so it names no file.
    """
    report = (manifest.get("config") or {}).get("report")
    return isinstance(report, Mapping) and bool(report.get("formats"))


def _read_section(manifest: Mapping[str, Any], corpus) -> str:
    stages = manifest.get("stages", {})
    read, segment, codes = (stages.get(k, {}) for k in ("read", "segment", "codes"))
    counts = manifest.get("corpus", {})
    rows = [("Documents", "documents", counts.get("documents", read.get("documents"))),
            ("Speaker turns", "turns", counts.get("turns", read.get("turns"))),
            ("Speakers", "speakers", read.get("speakers")),
            ("Segments analysed", "segments", counts.get("segments",
                                                         segment.get("n_segments"))),
            ("Segments dropped as too short", "n_dropped_short",
             segment.get("n_dropped_short", 0))]
    out = ["<h2 id=\"read\">What the run read</h2>", _pairs(rows)]
    if len(corpus.turns) and "role" in corpus.turns.columns:
        roles = (corpus.turns.groupby("role", observed=True).agg(
            turns=("role", "size"), speakers=("speaker", "nunique")).reset_index())
        seg_roles = corpus.segments["role"].value_counts() if len(corpus.segments) else {}
        roles["segments analysed"] = [int(seg_roles.get(r, 0)) for r in roles["role"]]
        out += ["<h3>Roles</h3>", _frame(roles, table_id="roles")]
    if codes:
        out += ["<h3>Human codes</h3>", _pairs([
            ("Coded rows read", "codes_n_rows", codes.get("n_rows")),
            ("Placed on the transcripts", "codes_n_placed", codes.get("n_placed")),
            ("Placed exactly", "codes_n_exact", codes.get("n_exact")),
            ("Placed by fuzzy match", "codes_n_fuzzy", codes.get("n_fuzzy")),
            # the run writes reports/codes_unplaced.csv only when a span is unplaced
            ("Unplaced (see reports/codes_unplaced.csv)" if codes.get("n_unplaced")
             else "Unplaced", "codes_n_unplaced", codes.get("n_unplaced")),
            ("Rows naming unknown documents", "codes_n_rows_unknown_documents",
             codes.get("n_rows_unknown_documents")),
            ("Codes not in the codebook", "codes_not_in_codebook",
             len(codes.get("not_in_codebook") or []))])]
    return "".join(out)


def _protect_section(manifest: Mapping[str, Any]) -> str:
    protect = manifest.get("stages", {}).get("protect")
    if protect is None:
        return ""
    replacements = protect.get("replacements") or {}
    rows = [("Roster entries", "roster_entries", protect.get("roster_entries", 0)),
            ("Identifiers replaced", "replacements_total", int(sum(replacements.values())))]
    rows += [(f"… {kind}", f"replacements_{kind}", n) for kind, n in replacements.items()]
    fields = protect.get("fields") or {}
    rows += [(f"Replaced in {name}", f"field_{name}", int(sum(c.values())))
             for name, c in fields.items()]
    return ("<h2 id=\"protect\">What was protected</h2><p class=\"note\">Counts only: the "
            "pseudonym map is never written into the run folder.</p>" + _pairs(rows))


def _level(level: Any, parent: Any = None) -> str:
    """A codebook level as a reader says it: ``code level``, ``codebook level 1 under X``."""
    text = "code level" if level == "code" else f"codebook level {level}"
    return f"{text} under {parent}" if parent else text


def _quality_basis(quality: Mapping[str, Any]) -> str:
    """What the topics' ARI and NMI were measured against: level, codes, coded segments.

    A result stored before ``codes_level`` was recorded was measured the same way (the codes
    as coded), hence the defaults.
    """
    return (f"{_level(quality.get('codes_level', 'code'))}: {_fmt(quality.get('n_codes'))} "
            f"codes, {_fmt(quality.get('n_coded_segments'))} coded segments")


def _align_basis(metrics: Mapping[str, Any]) -> str:
    """What align's partition metrics were measured against: level, themes, coded segments."""
    return (f"{_level(metrics.get('level'), metrics.get('parent'))}: "
            f"{_fmt(metrics.get('n_themes'))} themes, "
            f"{_fmt(metrics.get('n_coded_segments'))} coded segments")


def _topics_section(corpus, figures: Mapping[str, Figure], tables: Mapping[str, pd.DataFrame],
                    key: str, interactive: str | None = None, *, files: bool = False) -> str:
    if key not in corpus.results or corpus.results[key].kind != "topics":
        return ""
    quality = get.quality(corpus, key)
    stability = get.stability(corpus, key)
    rows = [("Topics", "n_topics", quality.get("n_topics")),
            # HDBSCAN's own outliers first: a high share reassigned means many topics
            # are the nearest fit of segments that fit none well
            ("Outlier share before reassignment", "outlier_share_before_reassignment",
             quality.get("outlier_share_before_reassignment")),
            ("Outliers reassigned to a topic", "n_reassigned", quality.get("n_reassigned")),
            ("Outlier share after reassignment", "outlier_share", quality.get("outlier_share")),
            ("Largest topic's share", "largest_topic_share",
             quality.get("largest_topic_share")),
            ("Coherence (NPMI)", "npmi", quality.get("npmi")),
            ("Diversity", "diversity", quality.get("diversity"))]
    measured = [name for name in ("ari", "nmi") if name in quality]
    rows += [(f"{name.upper()} against the human codes ({_quality_basis(quality)})", name,
              quality[name]) for name in measured]
    if stability:
        rows += [("Seeds fitted", "seeds", stability.get("seeds")),
                 ("Mean pairwise ARI between seeds", "mean_pairwise_ari",
                  stability.get("mean_pairwise_ari")),
                 ("Below topics.min_stability", "below_min_stability",
                  stability.get("below_min_stability"))]
    out = ["<h2 id=\"topics\">Topics</h2>", "<h3>Quality and stability</h3>", _pairs(rows)]
    if measured:
        rule = quality.get("codes_rule", "any")
        out.append('<p class="note" id="topics-basis">ARI and NMI: each coded segment counts '
                   "under the code covering most of it ("
                   + ("any overlap codes a segment" if rule == "any" else f"rule {_e(rule)}")
                   + "); outliers count as one more cluster.</p>")
    out += [_figure(figures, n, files=files) for n in ("topic_sizes", "topic_terms",
                                                       "topic_map", "topic_stability")]
    if interactive:  # a file of the same run folder (a relative link, no request)
        out.append(f'<p>To explore the map (hover for the quotes, filter topics): open '
                   f'<a href="{_e(interactive)}">{_e(interactive)}</a>.</p>')
    if "topic_overview" in tables:
        out += ["<h3>Topics with their terms and most central quote</h3>",
                _frame(tables["topic_overview"], table_id="topic_overview")]
    quotes = get.quotes(corpus, key)
    info = get.topic_info(corpus, key).set_index("topic")
    if len(quotes):
        out.append("<h3>Quotes</h3><p class=\"note\">The most central segments of each topic "
                   "(pseudonymised), with speaker and document.</p>")
        for topic, part in quotes.groupby("topic", sort=True):
            label = info["label"].get(topic, "")
            out.append(f"<details><summary>{_e(topic)} · {_e(label)}</summary>")
            for q in part.sort_values("rank").itertuples():
                out.append(f"<blockquote>{_e(q.text)}<br><span class=\"note\">— "
                           f"{_e(q.speaker)}, {_e(q.doc_id)}, characters {_e(q.start_char)}–"
                           f"{_e(q.end_char)}</span></blockquote>")
            out.append("</details>")
    return "".join(out)


def _track_section(corpus, figures: Mapping[str, Figure], key: str, *,
                   files: bool = False) -> str:
    if key not in corpus.results or corpus.results[key].kind != "track":
        return ""
    summary = get.track_summary(corpus, key)
    flagged = summary.get("flagged_rows") or {}
    rows = [("Documents tracked", "track_n_documents", summary.get("n_documents")),
            ("Segments tracked", "track_n_segments", summary.get("n_segments")),
            ("Unit", "track_unit", summary.get("unit")),
            ("Topic model's uncertainty in the intervals", "model_uncertainty",
             summary.get("model_uncertainty")),
            ("Rows flagged (too few documents)", "track_flagged",
             int(sum(flagged.values()))),
            ("Documents left out", "track_excluded",
             int(sum(v.get("n_documents", 0) for v in (summary.get("excluded") or {})
                     .values())))]
    out = ["<h2 id=\"track\">Tracking over periods and groups</h2>", _pairs(rows)]
    out += [_figure(figures, n, _track_caption(n), files=files) for n in figures
            if n.startswith(("prevalence_", "heatmap_", "group_period_"))]
    for name, table in sorted(corpus.results[key].tables.items()):
        if name.startswith("changes_") and len(table):
            shown = [c for c in ("a", "b", "topic", "label", "change", "share_a", "share_b",
                                 "difference", "ci_low", "ci_high", "q") if c in table.columns]
            out += [f"<h3>Topics that emerge or decline ({_e(name[len('changes_'):])})</h3>",
                    _frame(table[shown].round(3), table_id=name)]
    return "".join(out)


def _track_caption(name: str) -> str:
    if name.startswith("prevalence_"):
        return (f"Prevalence by {name[len('prevalence_'):]}: machine topics and human codes "
                "side by side; bars are intervals, hollow points rest on too few documents.")
    if name.startswith("heatmap_"):
        return (f"Share of each topic by {name[len('heatmap_'):].replace('_codes', '')}; "
                "hatched cells rest on too few documents.")
    return f"{name[len('group_period_'):].replace('_x_', ' by ')}: the most prevalent topics."


def _align_section(corpus, figures: Mapping[str, Figure], tables: Mapping[str, pd.DataFrame],
                   key: str, *, files: bool = False) -> str:
    if key not in corpus.results or corpus.results[key].kind != "align":
        return ""
    info = corpus.results[key].info
    metrics = info.get("metrics", info)
    if not isinstance(metrics, Mapping):
        metrics = {}
    basis = _align_basis(metrics)
    rows = [(f"{name.upper()} against the human codes ({basis})" if name in ("nmi", "ari")
             else name.upper() if len(name) <= 4 else name.replace("_", " "),
             f"align_{name}", metrics[name])
            for name in ("nmi", "ari", "ami", "homogeneity", "completeness", "harmonic_purity",
                         "missed_themes", "emergent_topics")
            if name in metrics]
    out = ["<h2 id=\"align\">Alignment with the human codes</h2>"]
    if rows:
        machine = "machine themes" if metrics.get("against") == "themes" else "topics"
        rule = metrics.get("rule")
        if rule == "min_chars":
            rule = f"min_chars {metrics.get('min_chars')}"
        out.append(f'<p class="note" id="align-basis">NMI, ARI, AMI, homogeneity, completeness '
                   f"and harmonic purity set the {machine} against the human codes at "
                   f"{_e(basis)} (align.rule {_e(rule)}; a segment coded with several themes "
                   "counts under the one covering most of it; outliers count as one more "
                   "cluster).</p>")
        out.append(_pairs(rows))
    out.append(_figure(figures, "theme_topic", files=files))
    if "alignment" in tables:
        out += ["<h3>Per theme</h3><p class=\"note\">Best topics: the topics chosen for the "
                "theme, most precise first, added while its F1 rises (as in "
                "<code>align/per_theme.csv</code>); in brackets, each one's share of the "
                "theme's segments. Precision, recall and F1 are those of the best topics "
                "together.</p>", _frame(tables["alignment"], table_id="alignment")]
    return "".join(out)


def _stages_section(manifest: Mapping[str, Any]) -> str:
    rows = []
    for stage, record in manifest.get("stages", {}).items():
        seconds = record.get("seconds")
        counters = {k: v for k, v in record.items()
                    if k != "seconds" and isinstance(v, int | float | bool)
                    and not isinstance(v, bool) and not _volatile(k) and not k.endswith(
                        "_seconds")}
        timing = {k: v for k, v in record.items() if k != "seconds" and _volatile(k)
                  and isinstance(v, int | float)}
        timing.update({k: round(v, 3) for k, v in record.items()
                       if k.endswith("_seconds") and isinstance(v, int | float)})
        rows.append(f"<tr><th>{_e(stage)}</th>{_cell('seconds', seconds)}"
                    f"<td>{_e(_fmt(counters))}</td>"
                    f'<td><span class="volatile">{_e(_fmt(timing))}</span></td></tr>')
    return ("<h2 id=\"stages\">Stages and timings</h2><p class=\"note\">Seconds on this "
            "machine for this run (a warm cache makes a re-run faster).</p><table><thead><tr>"
            "<th>stage</th><th>seconds</th><th>counts</th><th>timing and cache</th></tr>"
            "</thead><tbody>" + "".join(rows) + "</tbody></table>")


def build_report(corpus, manifest: Mapping[str, Any], *, figures: Mapping[str, Figure],
                 tables: Mapping[str, pd.DataFrame] | None = None,
                 topics_key: str = "topics", track_key: str = "track",
                 align_key: str = "align", interactive: str | None = None) -> str:
    """The report page as a string.

    Parameters
    ----------
    corpus
        The run's corpus with its stored results.
    manifest
        The run's manifest (``manifest.json``): what was read, stage records, config. The
        page names a run-folder file only where the manifest says the run wrote it: figure
        files when its config's ``report.formats`` is not empty, the unplaced-codes report
        when a coded span was unplaced.
    figures
        Name -> figure (:func:`textmine.pl.save.run_figures`), embedded as inline SVG.
    tables
        Name -> publication table (default: :func:`textmine.tables.run_tables`).
    topics_key, track_key, align_key
        Keys of the stored results.
    interactive
        Relative path of the interactive topic map, linked from the topics section.

    Returns
    -------
    str
        A complete HTML document.
    """
    tables = run_tables(corpus, topics_key=topics_key, track_key=track_key,
                        align_key=align_key) if tables is None else tables
    name = manifest.get("run_name", "textmine run")
    files = _figure_files(manifest)
    sections = [
        _read_section(manifest, corpus),
        _protect_section(manifest),
        _topics_section(corpus, figures, tables, topics_key, interactive, files=files),
        _track_section(corpus, figures, track_key, files=files),
        _align_section(corpus, figures, tables, align_key, files=files),
    ]
    warnings = manifest.get("warnings") or []
    if warnings:
        sections.append("<h2 id=\"warnings\">Warnings</h2><ul>"
                        + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>")
    sections.append(_stages_section(manifest))
    embed = (manifest.get("models") or {}).get("embed")
    if embed:  # the config may say backend "auto": what it resolved to is named here
        sections.append("<h2 id=\"models\">Models</h2>" + _pairs(
            [("Embedding model", "model_embed_name", embed.get("name")),
             ("Backend it ran on", "model_embed_backend", embed.get("backend")),
             ("Weights (sha256)", "model_embed_sha256", embed.get("sha256"))]))
    config = yaml.safe_dump(manifest.get("config", {}), sort_keys=False, allow_unicode=True)
    sections.append("<h2 id=\"config\">Resolved config</h2><pre>" + _e(config) + "</pre>")
    packages = manifest.get("packages") or {}
    if packages:
        sections.append("<h3>Package versions</h3>" + _pairs(
            (k, f"package_{k}", v) for k, v in packages.items()))
    links = [(a, t) for a, t in (("read", "Read"), ("protect", "Protected"),
                                 ("topics", "Topics"), ("track", "Tracking"),
                                 ("align", "Alignment"), ("stages", "Timings"),
                                 ("models", "Models"), ("config", "Config"))
             if f'id="{a}"' in "".join(sections)]
    nav = "<nav>" + "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in links) + "</nav>"
    head = (f"<h1>{_e(name)}</h1><p class=\"note\">textmine {_e(manifest.get('textmine_version'))}"
            f"; run created <span class=\"volatile\">{_e(manifest.get('created_utc'))}</span>"
            f"; seed {_e((manifest.get('seeds') or {}).get('seed'))}"
            f"; config {_e(manifest.get('config_file'))}</p>"
            "<p>This page describes one run of textmine, a computational second reading of "
            "interview transcripts: what it read, what it pseudonymised, the topics it found "
            "in the segments (with their terms and the most central quotes), how the topics "
            "and the human codes vary over periods and groups, and how the topics line up with "
            "the human themes, when those stages ran. Every number comes from the files of "
            "this run folder; quotes are pseudonymised.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            # a policy that forbids every request: the page must work on an offline machine
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{_e(name)} · textmine report</title><style>{CSS}</style></head><body>"
            + head + nav + "".join(s for s in sections if s) + "</body></html>\n")


def write_report(path: str | Path, corpus, manifest: Mapping[str, Any], *,
                 figures: Mapping[str, Figure],
                 tables: Mapping[str, pd.DataFrame] | None = None, **keys: str | None) -> Path:
    """Write :func:`build_report` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(build_report(corpus, manifest, figures=figures, tables=tables, **keys),
                    encoding="utf-8")
    return path


def strip_volatile(page: str) -> str:
    """``page`` without the contents of its volatile spans (what two runs may differ in)."""
    return re.sub(r'(<span class="volatile">)[^<]*(</span>)', r"\1\2", page)
