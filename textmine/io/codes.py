"""Human codes from a generic CSV/XLSX: spans with offsets, or quotes located by fuzzy matching.

(QDA projects, ``.qdpx`` / ``.qda`` / Taguette ``.sqlite3``, are read by :mod:`textmine.io.qda`;
:func:`read_codes` hands them over.)

Spans: columns ``doc_id, start_char, end_char, code`` (offsets into the decoded text, see
:mod:`textmine.text`). Quotes: ``doc_id, quote, code``; each quote is placed in its
transcript by :class:`textmine.io.locate.QuoteLocator`, and those that cannot be placed are
reported, never silently dropped: every row is placed, listed in ``unplaced`` (with its
reason) or counted under an unknown document, or it stops the read with an error naming its
line. ``coder`` is optional. The codebook hierarchy becomes ``code_path`` (levels joined by
``" > "``), from a codebook sheet or from codes that carry their path (``path_separator``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from textmine.config import CodesConfig, validate_section
from textmine.errors import CodesError, TextmineWarning, describe_value
from textmine.io.locate import QuoteLocator
from textmine.io.tables import read_table, require_columns, row_line
from textmine.io.transcripts import TRANSCRIPT_SUFFIXES
from textmine.text import normalize_ws

PATH_JOIN = " > "


@dataclass
class CodesReport:
    """What happened to each row of a codes file."""

    path: str
    mode: str  # spans | quotes
    n_rows: int = 0
    n_placed: int = 0
    n_exact: int = 0
    n_fuzzy: int = 0
    n_ambiguous: int = 0
    n_whitespace: int = 0
    unplaced: pd.DataFrame = field(default_factory=pd.DataFrame)
    unknown_documents: list[str] = field(default_factory=list)
    n_rows_unknown_documents: int = 0
    not_in_codebook: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific counts (QDA projects)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable counts (for the manifest); quote text is left out."""
        return {
            "path": self.path, "mode": self.mode, "n_rows": self.n_rows,
            "n_placed": self.n_placed, "n_exact": self.n_exact, "n_fuzzy": self.n_fuzzy,
            "n_ambiguous": self.n_ambiguous, "n_unplaced": len(self.unplaced),
            "n_whitespace_spans": self.n_whitespace,
            "unknown_documents": self.unknown_documents,
            "n_rows_unknown_documents": self.n_rows_unknown_documents,
            "not_in_codebook": self.not_in_codebook, **self.extra,
        }


def _doc_key(value: str, known: Mapping[str, str]) -> str | None:
    if value in known:
        return value
    path = Path(value)
    if path.suffix.lower() in TRANSCRIPT_SUFFIXES and path.stem in known:
        return path.stem
    return None


def _read_codebook(cfg: CodesConfig, path: Path, encoding: str):
    frame = read_table(path, encoding=encoding, error=CodesError)
    require_columns(frame, {f"codebook_columns[{i}]": c for i, c in
                            enumerate(cfg.codebook_columns)}, path, "codes", CodesError)
    paths: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    parents: dict[str, tuple[str, int]] = {}  # level name -> (its parent, line)
    for position, row in enumerate(frame.itertuples(index=False)):
        row = dict(zip(frame.columns, row, strict=True))
        levels = [str(row[c]).strip() for c in cfg.codebook_columns
                  if row[c] is not None and str(row[c]).strip() not in ("", "NA")]
        line = row_line(frame, position)
        chain = list(dict.fromkeys(levels))
        for parent, child in zip(chain, chain[1:], strict=False):
            parents.setdefault(child, (parent, line))
            _no_cycle(child, parents, path)
        code = row[cfg.codebook_columns[-1]]
        if code is None:
            continue
        code = str(code).strip()
        code_path = PATH_JOIN.join(dict.fromkeys(levels))  # a level repeated below is one level
        if code in paths and paths[code] != code_path:
            raise CodesError(
                f"code {code!r} has two places in the codebook ({paths[code]!r} and "
                f"{code_path!r})", path=path, line=row_line(frame, position),
                hint="give each code one place, or rename one of them",
            )
        paths[code] = code_path
        desc_col = cfg.codebook_description
        if desc_col and desc_col in frame.columns and row[desc_col]:
            descriptions[code] = str(row[desc_col]).strip()
    return paths, descriptions


def _no_cycle(start: str, parents: dict[str, tuple[str, int]], path: Path) -> None:
    """A code may not be its own ancestor (A under B on one row, B under A on another)."""
    seen, name = [start], start
    while name in parents:
        name, line = parents[name]
        if name == start:
            lines = sorted({parents[n][1] for n in seen})
            raise CodesError(
                f"the codebook hierarchy has a cycle: {' > '.join(reversed([*seen, start]))} "
                f"(lines {', '.join(map(str, lines))})", path=path, line=lines[0],
                hint="each code has one parent: fix the rows so no code is above itself")
        if name in seen:
            return  # a cycle above, not through start: reported from its own rows
        seen.append(name)


def load_codes(
    path: str | Path,
    sources: Mapping[str, str],
    *,
    encoding: str = "utf-8",
    base_dir: Path | None = None,
    **options: Any,
) -> tuple[pd.DataFrame, CodesReport]:
    """Read a codes file against the transcripts' source texts.

    Parameters
    ----------
    path
        CSV or XLSX.
    sources
        ``{doc_id: decoded source text}``.
    encoding
        Text encoding of a CSV.
    base_dir
        Folder that a relative ``codebook`` path resolves against.
    **options
        Keys of the ``codes`` config section (``columns``, ``codebook``, ``min_match``...).

    Returns
    -------
    codes, report
        The spans (``doc_id, start_char, end_char, code, code_path, coder, placement,
        match_score``) and what could not be placed.
    """
    cfg = validate_section(CodesConfig, {"path": str(path), **options}, section="codes")
    path = Path(path)
    frame = read_table(path, encoding=encoding, error=CodesError)
    cols = cfg.columns
    has_spans = cols.start_char in frame.columns and cols.end_char in frame.columns
    mode = "spans" if has_spans else "quotes"
    needed = {"doc_id": cols.doc_id, "code": cols.code}
    needed.update({"start_char": cols.start_char, "end_char": cols.end_char} if has_spans
                  else {"quote": cols.quote})
    if not has_spans and cols.quote not in frame.columns:
        raise CodesError(
            f"neither span columns ({cols.start_char!r}, {cols.end_char!r}) nor a quote column "
            f"({cols.quote!r}); the file has: " + ", ".join(map(repr, frame.columns)),
            path=path, line=1, key="codes.columns",
            hint="set codes.columns to the names your file uses",
        )
    require_columns(frame, needed, path, "codes.columns", CodesError)
    report = CodesReport(path=str(path), mode=mode, n_rows=len(frame))

    paths: dict[str, str] | None = None
    if cfg.codebook:
        book = Path(cfg.codebook)
        if not book.is_absolute() and base_dir is not None:
            book = base_dir / book
        paths, report.descriptions = _read_codebook(cfg, book, encoding)

    locators: dict[str, QuoteLocator] = {}
    taken: dict[tuple[str, str], set[int]] = {}
    rows: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    unknown: dict[str, int] = {}
    for position, record in enumerate(frame.to_dict("records")):
        line = row_line(frame, position)
        raw_doc, code = record[cols.doc_id], record[cols.code]
        if raw_doc is None or code is None:
            raise CodesError(f"empty {cols.doc_id if raw_doc is None else cols.code!r} cell",
                             path=path, line=line,
                             hint="every coded row needs its transcript and its code")
        doc_id = _doc_key(str(raw_doc), sources)
        if doc_id is None:
            unknown[str(raw_doc)] = unknown.get(str(raw_doc), 0) + 1
            continue
        names = ([c for c in (p.strip() for p in str(code).split(cfg.split_codes)) if c]
                 if cfg.split_codes else [str(code).strip()])
        if not names:
            raise CodesError(f"the {cols.code!r} cell holds no code once split on "
                             f"codes.split_codes ({cfg.split_codes!r})", path=path, line=line,
                             hint="fill in the code, or delete the row")
        labelled = [_code_path(name, cfg, paths, report, path=path, line=line)
                    for name in names]
        coder = record.get(cols.coder) if cols.coder in frame.columns else None
        source = sources[doc_id]
        if has_spans:
            start, end = (_as_int(record[c], path, line, c)
                          for c in (cols.start_char, cols.end_char))
            if not 0 <= start < end <= len(source):
                problem = ("ends before it starts" if end < start else "is empty" if end == start
                           else f"is outside document {doc_id!r} ({len(source)} characters)")
                raise CodesError(
                    f"code span {start}-{end} {problem}",
                    path=path, line=line,
                    hint="offsets count characters of the decoded text, which "
                    "textmine.io.source_text shows",
                )
            if not source[start:end].strip():
                # it overlaps no word: kept, it would code nothing; reported instead
                report.n_whitespace += 1
                unplaced.append({"line": line, "doc_id": doc_id, "code": ", ".join(names),
                                 "best_score": None, "n_words": 0,
                                 "reason": "span covers only whitespace"})
                continue
            placement, score = "span", None
        else:
            quote = record[cols.quote] or ""
            locator = locators.get(doc_id) or locators.setdefault(doc_id, QuoteLocator(source))
            used = taken.setdefault((doc_id, tuple(names)), set())
            found = locator.find(quote, min_score=cfg.min_match, taken=used)
            if found is None:
                unplaced.append({"line": line, "doc_id": doc_id, "code": ", ".join(names),
                                 "best_score": locator.best_score(quote),
                                 "n_words": len(normalize_ws(quote).split()),
                                 "reason": "quote not found" if normalize_ws(quote)
                                 else "empty quote"})
                continue
            used.add(found.start_char)
            start, end, placement, score = (found.start_char, found.end_char, found.method,
                                            found.score)
            report.n_exact += found.method == "exact"
            report.n_fuzzy += found.method == "fuzzy"
            report.n_ambiguous += found.n_candidates > 1
        report.n_placed += 1
        rows.extend({"doc_id": doc_id, "start_char": start, "end_char": end, "code": name,
                     "code_path": code_path, "coder": None if coder is None else str(coder),
                     "placement": placement, "match_score": score}
                    for name, code_path in labelled)
    report.unplaced = pd.DataFrame(unplaced, columns=["line", "doc_id", "code", "best_score",
                                                       "n_words", "reason"])
    report.unknown_documents = sorted(unknown)
    report.n_rows_unknown_documents = sum(unknown.values())
    codes = pd.DataFrame(rows, columns=["doc_id", "start_char", "end_char", "code", "code_path",
                                        "coder", "placement", "match_score"])
    codes["match_score"] = codes["match_score"].astype("float64")
    codes["placement"] = codes["placement"].astype("str")
    return codes, report


def _code_path(name: str, cfg: CodesConfig, paths: dict[str, str] | None,
               report: CodesReport, *, path: Path, line: int) -> tuple[str, str]:
    """``(code, code_path)`` of one code name."""
    if cfg.path_separator:
        parts = [p.strip() for p in name.split(cfg.path_separator) if p.strip()]
        if not parts:
            raise CodesError(f"the code cell holds only the path separator "
                             f"(codes.path_separator {cfg.path_separator!r})", path=path,
                             line=line, hint="fill in the code's path, or delete the row")
        return parts[-1], PATH_JOIN.join(parts)
    if paths is None:
        return name, name
    if name not in paths:
        if name not in report.not_in_codebook:
            report.not_in_codebook.append(name)
        return name, name
    return name, paths[name]


def _as_int(value, path: Path, line: int, column: str) -> int:
    hint = "offsets are whole numbers of characters; check codes.columns"
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise CodesError(f"{column} {describe_value(value)} is not a number", path=path,
                         line=line, hint=hint) from None
    if not number.is_integer():
        raise CodesError(f"{column} {describe_value(value)} is not a whole number", path=path,
                         line=line, hint=hint)
    return int(number)


def read_codes(corpus, path: str | Path, **options: Any) -> CodesReport:
    """Attach human codes to ``corpus`` (in place) and return what could not be placed.

    Parameters
    ----------
    corpus
        A :class:`textmine.Corpus` read with its source texts.
    path
        Codes file (CSV/XLSX), or a QDA project (REFI-QDA ``.qdpx``, QualCoder ``.qda``,
        Taguette ``.sqlite3``: see :func:`textmine.io.qda.read_project_codes`).
    **options
        Keys of the ``codes`` config section.

    Returns
    -------
    CodesReport
        Counts, unplaced quotes (line, doc, code, best score) and unknown documents; also
        stored, without quote text, in ``corpus.uns["codes"]``.
    """
    import warnings

    from textmine.io.qda import project_format, read_project_codes

    fmt = options.get("format", "auto")
    if project_format(path, fmt) is not None:
        return read_project_codes(corpus, path, **options)
    if not corpus.sources:
        raise CodesError("the corpus holds no source texts to place codes in",
                         hint="read the transcripts with textmine.io.read_transcripts first")
    codes, report = load_codes(path, corpus.sources, **options)
    corpus.set_codes(codes)
    corpus.uns["codes"] = report.to_dict()
    if report.descriptions:
        corpus.uns["codebook"] = report.descriptions
    n_quotes = len(report.unplaced) - report.n_whitespace
    if n_quotes:
        warnings.warn(
            f"{path}: {n_quotes} of {report.n_rows} coded quotes could not be "
            f"placed (score < {options.get('min_match', 90)}); see the unplaced-quote report",
            TextmineWarning, stacklevel=2)
    if report.n_whitespace:
        first = int(report.unplaced.loc[report.unplaced["reason"].str.startswith("span"),
                                        "line"].iloc[0])
        warnings.warn(
            f"{path}: {report.n_whitespace} code span(s) cover only whitespace (first on line "
            f"{first}); they code no text and were left out (see the unplaced report)",
            TextmineWarning, stacklevel=2)
    if report.not_in_codebook:
        warnings.warn(
            f"{path}: {len(report.not_in_codebook)} codes are not in the codebook "
            f"(e.g. {report.not_in_codebook[0]!r}); their code_path is the code alone",
            TextmineWarning, stacklevel=2)
    if report.unknown_documents:
        warnings.warn(
            f"{path}: {report.n_rows_unknown_documents} rows refer to "
            f"{len(report.unknown_documents)} documents that are not in the corpus "
            f"(e.g. {report.unknown_documents[0]!r})", TextmineWarning, stacklevel=2)
    return report
