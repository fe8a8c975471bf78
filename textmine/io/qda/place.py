"""Put a QDA project's coded spans onto the transcripts a corpus was read from.

The project's offsets index *its* copy of each text, which may not be the transcript textmine
read (another export, other line endings, a header added). Each project document is matched to
a corpus document by name (extension ignored), then every span is placed by the first rule
that holds, and the rule is recorded in the span's ``placement``:

``span``
    the two texts are identical: the offsets are used as they are;
``mapped``
    the texts differ only in whitespace (line endings, tabs, spaces): the offsets are mapped
    through the whitespace, character for character;
``exact`` / ``fuzzy``
    otherwise the span's text (its quote) is searched in the transcript, exactly after
    whitespace normalisation, then fuzzily (``codes.min_match``). A quote found more than
    once is given the occurrence nearest to where the project's offsets, shifted like their
    neighbours' unambiguous quotes, put it.

A span whose offsets no longer hold the text the tool recorded for it (QualCoder's
``seltext``, Taguette's snippet) is placed by the recorded text. A span that cannot be placed
goes to the unplaced report (``reports/codes_unplaced.csv``) with its reason; none is shifted
silently and none is dropped unreported.
"""

from __future__ import annotations

import bisect
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from textmine.errors import CodesError, TextmineWarning
from textmine.io.codes import CodesReport, _doc_key
from textmine.io.locate import QuoteLocator
from textmine.io.qda.model import QDAProject
from textmine.text import normalize_ws, normalized_with_map, strip_span

UNPLACED_COLUMNS = ["doc_id", "code", "where", "reason", "best_score", "n_words"]
CODE_OUTPUT = ["doc_id", "start_char", "end_char", "code", "code_path", "coder", "placement",
               "match_score"]


def _doc_target(doc_id: str, name: str, sources: Mapping[str, str]) -> str | None:
    for key in (doc_id, name):
        found = _doc_key(key, sources)
        if found is not None:
            return found
    return None


class _WhitespaceMap:
    """Offsets of one text onto another that differs from it only in whitespace."""

    def __init__(self, source: str, target: str) -> None:
        _, self.source_index = normalized_with_map(source)
        _, self.target_index = normalized_with_map(target)
        self.source = source

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        start, end = strip_span(self.source, start, end)
        if end <= start:
            return None
        i = bisect.bisect_left(self.source_index, start)
        k = bisect.bisect_left(self.source_index, end - 1)
        return self.target_index[i], self.target_index[k] + 1


def place_project(project: QDAProject, sources: Mapping[str, str], *,
                  min_match: float = 90.0) -> tuple[pd.DataFrame, CodesReport]:
    """Place a project's spans on ``sources`` (``{doc_id: decoded text}``).

    Returns
    -------
    codes, report
        The placed spans (``doc_id, start_char, end_char, code, code_path, coder, placement,
        match_score``) and a :class:`~textmine.io.codes.CodesReport` whose ``unplaced`` lists
        every span that could not be placed, with ``where`` (the selection in the project)
        and ``reason``.
    """
    report = CodesReport(path=str(project.path), mode=project.format,
                         n_rows=len(project.codes) + len(project.problems),
                         descriptions=dict(project.descriptions))
    unplaced: list[dict[str, Any]] = [
        {**row, "best_score": np.nan, "n_words": np.nan}
        for row in project.problems.to_dict("records")]
    rows: list[dict[str, Any]] = []
    unknown: dict[str, int] = {}
    rules = {"span": 0, "mapped": 0, "exact": 0, "fuzzy": 0}
    docs_by_rule: dict[str, list[str]] = {"span": [], "mapped": [], "quote": []}
    stale = 0
    for doc_id, spans in project.codes.groupby("doc_id", sort=False):
        src = project.source(doc_id)
        target = _doc_target(doc_id, src.name, sources)
        if target is None:
            unknown[doc_id] = unknown.get(doc_id, 0) + len(spans)
            continue
        text = sources[target]
        records = spans.to_dict("records")
        # a span whose offsets no longer hold the text the tool recorded goes by that text
        trusted = []
        for record in records:
            recorded = record["quote"]
            ok = (not isinstance(recorded, str) or normalize_ws(recorded)
                  == normalize_ws(src.text[record["start_char"]:record["end_char"]]))
            stale += not ok
            trusted.append(ok)
        if src.text == text:
            rule = "span"
        elif normalize_ws(src.text) == normalize_ws(text):
            rule = "mapped"
        else:
            rule = "quote"
        docs_by_rule[rule].append(target)
        mapper = _WhitespaceMap(src.text, text) if rule == "mapped" else None
        by_quote = []
        for record, ok in zip(records, trusted, strict=True):
            if rule == "quote" or not ok:
                by_quote.append(record)
                continue
            start, end = record["start_char"], record["end_char"]
            if mapper is not None:
                mapped = mapper.span(start, end)
                if mapped is None:
                    unplaced.append(_unplaced(record, "the selection holds only whitespace"))
                    continue
                start, end = mapped
            rows.append(_row(record, target, start, end, rule, None))
            rules[rule] += 1
        if by_quote:
            _place_by_quote(by_quote, src.text, text, target, min_match, rows, unplaced,
                            rules, report)
    report.n_placed = len(rows)
    report.n_exact, report.n_fuzzy = rules["exact"], rules["fuzzy"]
    report.unplaced = pd.DataFrame(unplaced, columns=UNPLACED_COLUMNS)
    report.unknown_documents = sorted(unknown)
    report.n_rows_unknown_documents = sum(unknown.values())
    report.extra = {
        "format": project.format, "tool": project.info.get("tool"),
        "n_by_offsets": rules["span"], "n_by_offsets_mapped": rules["mapped"],
        "n_offsets_disagree_with_quote": stale,
        "documents_by_offsets": len(docs_by_rule["span"]),
        "documents_mapped_through_whitespace": len(docs_by_rule["mapped"]),
        "documents_by_quote": len(docs_by_rule["quote"]),
        "n_problems": len(project.problems),
        "project": {k: v for k, v in project.info.items() if k != "tool"},
    }
    codes = pd.DataFrame(rows, columns=CODE_OUTPUT)
    codes["match_score"] = codes["match_score"].astype("float64")
    codes["placement"] = codes["placement"].astype("str")
    return codes, report


def _row(record: dict[str, Any], doc_id: str, start: int, end: int, placement: str,
         score: float | None) -> dict[str, Any]:
    return {"doc_id": doc_id, "start_char": int(start), "end_char": int(end),
            "code": record["code"], "code_path": record["code_path"], "coder": record["coder"],
            "placement": placement, "match_score": score}


def _unplaced(record: dict[str, Any], reason: str, best: float = np.nan,
              n_words: float = np.nan) -> dict[str, Any]:
    return {"doc_id": record["doc_id"], "code": record["code"], "where": record["where"],
            "reason": reason, "best_score": best, "n_words": n_words}


def _place_by_quote(records: list[dict[str, Any]], own: str, text: str, target: str,
                    min_match: float, rows: list[dict[str, Any]],
                    unplaced: list[dict[str, Any]], rules: dict[str, int],
                    report: CodesReport) -> None:
    """Place spans by their text; repeated quotes go where their neighbours' shift puts them."""
    locator = QuoteLocator(text)
    quotes = [r["quote"] if isinstance(r["quote"], str)
              else own[r["start_char"]:r["end_char"]] for r in records]
    hits = [locator.exact_hits(q) for q in quotes]
    anchors = sorted((r["start_char"], h[0][0] - r["start_char"])
                     for r, h in zip(records, hits, strict=True) if len(h) == 1)
    anchor_at = [a[0] for a in anchors]
    taken: dict[str, set[int]] = {}
    for record, quote, found in zip(records, quotes, hits, strict=True):
        used = taken.setdefault(record["code"], set())
        if found:
            if len(found) > 1:
                report.n_ambiguous += 1
                expected = record["start_char"] + _shift(anchors, anchor_at,
                                                         record["start_char"])
                free = [h for h in found if h[0] not in used] or found
                start, end = min(free, key=lambda h: (abs(h[0] - expected), h[0]))
            else:
                start, end = found[0]
            used.add(start)
            rows.append(_row(record, target, start, end, "exact", 100.0))
            rules["exact"] += 1
            continue
        placed = locator.find(quote, min_score=min_match, taken=used)
        if placed is None:
            unplaced.append(_unplaced(
                record, f"its text is not in transcript {target!r} (best fuzzy score below "
                f"codes.min_match {min_match:g})", locator.best_score(quote),
                len(normalize_ws(quote).split())))
            continue
        used.add(placed.start_char)
        rows.append(_row(record, target, placed.start_char, placed.end_char, placed.method,
                         placed.score))
        rules[placed.method] += 1


def _shift(anchors: list[tuple[int, int]], at: list[int], start: int) -> int:
    """The offset shift of the nearest unambiguous quote (0 without any)."""
    if not anchors:
        return 0
    i = bisect.bisect_left(at, start)
    near = [anchors[j] for j in (i - 1, i) if 0 <= j < len(anchors)]
    return min(near, key=lambda a: abs(a[0] - start))[1]


def read_project_codes(corpus, paths: str | Path | Sequence[str | Path], *,
                       format: str = "auto", **options: Any) -> CodesReport:
    """Attach the codings of one or more QDA projects to ``corpus`` (in place).

    Parameters
    ----------
    corpus
        A corpus read with its source texts.
    paths
        The project(s): ``.qdpx``, a QualCoder ``.qda`` folder or file, a Taguette
        ``.sqlite3``.
    format
        ``auto`` (by content) or ``qdpx`` / ``qualcoder`` / ``taguette``.
    **options
        Keys of the ``codes`` config section that apply to projects: ``min_match``,
        ``path_separator`` (Taguette tags that carry their hierarchy in their names).
        ``codebook`` and ``split_codes`` describe CSV codes; a project carries its own.

    Returns
    -------
    CodesReport
        Counts (how many spans were placed by offsets and how many by quote), the unplaced
        spans with their reason, project documents the corpus lacks; also stored, without
        quote text, in ``corpus.uns["codes"]``.
    """
    from textmine.io.qda import project_format, read_project

    for key in ("codebook", "split_codes"):
        if options.get(key):
            raise CodesError(f"codes.{key} is for CSV codes; a QDA project carries its own "
                             "codebook", key=f"codes.{key}", hint=f"remove codes.{key}")
    if not corpus.sources:
        raise CodesError("the corpus holds no source texts to place codes in",
                         hint="read the transcripts with textmine.io.read_transcripts first")
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    parts, reports = [], []
    for item in items:
        fmt = project_format(item, format)
        if fmt is None:
            raise CodesError("not a QDA project (.qdpx, QualCoder .qda, Taguette .sqlite3)",
                             path=item, key="codes.format",
                             hint="set codes.format, or name a CSV/XLSX codes file")
        project = read_project(item, format=fmt, path_separator=options.get("path_separator"))
        codes, report = place_project(project, corpus.sources,
                                      min_match=options.get("min_match", 90.0))
        parts.append(codes)
        reports.append(report)
    report = reports[0] if len(reports) == 1 else _merge(reports)
    corpus.set_codes(pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0])
    corpus.uns["codes"] = report.to_dict()
    if report.descriptions:
        corpus.uns["codebook"] = report.descriptions
    _warn(report)
    return report


def _merge(reports: list[CodesReport]) -> CodesReport:
    out = CodesReport(path="; ".join(r.path for r in reports),
                      mode="; ".join(dict.fromkeys(r.mode for r in reports)))
    for r in reports:
        out.n_rows += r.n_rows
        out.n_placed += r.n_placed
        out.n_exact += r.n_exact
        out.n_fuzzy += r.n_fuzzy
        out.n_ambiguous += r.n_ambiguous
        out.unknown_documents += r.unknown_documents
        out.n_rows_unknown_documents += r.n_rows_unknown_documents
        out.descriptions.update(r.descriptions)
        for key, value in r.extra.items():
            if isinstance(value, int) and not isinstance(value, bool):
                out.extra[key] = out.extra.get(key, 0) + value
    out.unplaced = pd.concat([r.unplaced for r in reports], ignore_index=True)
    return out


def _warn(report: CodesReport) -> None:
    path, extra = report.path, report.extra
    if len(report.unplaced):
        reasons = report.unplaced["reason"].str.split(" \\(").str[0].value_counts()
        warnings.warn(
            f"{path}: {len(report.unplaced)} of {report.n_rows} coded spans could not be "
            f"placed (e.g. {reasons.index[0]}: {int(reasons.iloc[0])}); see the unplaced-span "
            "report (reports/codes_unplaced.csv)", TextmineWarning, stacklevel=3)
    if extra.get("documents_by_quote"):
        warnings.warn(
            f"{path}: the text of {extra['documents_by_quote']} document(s) in the project "
            "differs from the transcript read, so their spans were placed by their quoted "
            f"text ({report.n_exact} exactly, {report.n_fuzzy} fuzzily), not by offsets",
            TextmineWarning, stacklevel=3)
    if extra.get("n_offsets_disagree_with_quote"):
        warnings.warn(
            f"{path}: {extra['n_offsets_disagree_with_quote']} span(s) no longer hold the text "
            "the QDA tool recorded for them; they were placed by that text", TextmineWarning,
            stacklevel=3)
    if report.unknown_documents:
        warnings.warn(
            f"{path}: {report.n_rows_unknown_documents} coded spans are in "
            f"{len(report.unknown_documents)} project document(s) that are not in the corpus "
            f"(e.g. {report.unknown_documents[0]!r})", TextmineWarning, stacklevel=3)
