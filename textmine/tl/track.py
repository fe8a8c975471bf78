"""``tl.track``: topic and human-code prevalence by metadata, periods and calendar bins.

The interview is the unit. Segments are nested in documents, and a long interview must not
outweigh a short one: by default each document's share of each topic (the fraction of its
segments in the topic) is computed first, and a cell's prevalence is the mean of its
documents' shares (``unit: segment`` pools the segments instead). Every interval resamples
documents, never segments (:mod:`textmine.models.resample`); contrasts permute documents;
the effects table regresses each document's share on covariates
(:mod:`textmine.models.effects`). With the stability refits of the topics stage, the topic
model's own uncertainty is folded into the intervals (method of composition).

Tables (``corpus.results["track"].tables``; ``track/<name>.csv`` in a run folder):
``prevalence_<column>``, ``prevalence_<a>_x_<b>``, ``contrasts_<column>``, ``effects``,
``terms_<column>``, ``changes_<column>``, ``periods``, and ``codes_*`` for the human codes.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from textmine.config import TrackConfig, validate_section
from textmine.config.track import DERIVED_COLUMNS, REST
from textmine.corpus import Result
from textmine.errors import ConfigError, CorpusError, MetadataError, TextmineWarning
from textmine.models.ctfidf import class_terms
from textmine.models.effects import design, effects_table
from textmine.models.resample import (
    bh_qvalues,
    bootstrap_cells,
    percentile_interval,
    permutation_pvalues,
)

#: decimals kept in the tables: far below any meaningful difference, and the same bytes
#: whatever order a BLAS summed in
DECIMALS = 10
REST_LABEL = "(rest)"
#: log odds ratios (or standard errors) beyond this are separation, not estimates (e^10)
SEPARATED = 10.0
OUTSIDE = "(outside every period)"


# ---------------------------------------------------------------------------- documents
@dataclass
class Documents:
    """The documents tracked, one row each, and what was left out of which table.

    Attributes
    ----------
    frame
        ``doc_id``, ``n_segments`` and every tracked column (categorical, levels in order);
        missing or excluded values are NaN.
    excluded
        Reason -> doc_ids left out of the date-based tables.
    missing
        Column -> number of documents without a value (left out of that column's tables).
    periods
        The ``periods`` table: each period's edges and documents (and those outside).
    """

    frame: pd.DataFrame
    excluded: dict[str, list[str]] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    periods: pd.DataFrame | None = None


def _columns_needed(cfg: TrackConfig) -> list[str]:
    out = list(cfg.columns())
    for pair in cfg.cross:
        out += list(pair)
    out += [c[0] for c in cfg.contrasts]
    if cfg.cluster:
        out.append(cfg.cluster)
    if cfg.formula:
        out += _formula_variables(cfg.formula)
    return list(dict.fromkeys(out))


def _formula_variables(formula: str) -> list[str]:
    from formulaic import Formula

    try:
        found = Formula(formula).required_variables
    except Exception as exc:  # formulaic's parse errors have no common base class
        raise ConfigError(f"track.formula cannot be read: {exc}", key="track.formula",
                          hint="write it as 'share ~ period + network'") from None
    return sorted(str(v) for v in found if str(v) != "share")


def _derived(cfg: TrackConfig) -> list[str]:
    return (["period"] if cfg.periods else []) + ([cfg.freq] if cfg.freq else [])


def _metadata_place(corpus, doc_id: str) -> tuple[Path | None, int | None]:
    """The metadata sheet and the line of ``doc_id``'s row in it, where they can be found."""
    from textmine.io.tables import read_table, row_line

    options = corpus.uns.get("input") or {}
    path = options.get("metadata")
    if not path:
        return None, None
    path = Path(path)
    try:
        frame = read_table(path, encoding=options.get("encoding", "utf-8"), error=MetadataError)
        column = options.get("doc_id_column", "doc_id")
        ids = [None if v is None else str(v) for v in frame[column]]
        return path, row_line(frame, ids.index(doc_id))
    except Exception:  # the sheet moved or changed since it was read: name what we can
        return path, None


def _dates(corpus, cfg: TrackConfig, values: pd.Series, doc_ids: pd.Series,
           excluded: dict[str, list[str]]) -> pd.Series:
    """The date column as timestamps (NaT where excluded); errors name the sheet and row."""
    from textmine.io.metadata import parse_date

    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
        bad = parsed.isna()
        reason = "no date"
    else:
        # a column not declared in input.dates: ISO dates only (textmine never guesses d/m)
        parsed, bad_list = [], []
        for value in values:
            try:
                parsed.append(parse_date(None if pd.isna(value) else value, ["iso"],
                                         path=Path("."), line=0, column=cfg.date))
                bad_list.append(pd.isna(parsed[-1]))
            except MetadataError:
                parsed.append(pd.NaT)
                bad_list.append(True)
        parsed = pd.to_datetime(pd.Series(parsed, index=values.index, dtype=object))
        bad = pd.Series(bad_list, index=values.index)
        reason = "no ISO date"
    if bad.any():
        if cfg.on_missing_date == "error":
            doc_id = str(doc_ids[bad].iloc[0])
            path, line = _metadata_place(corpus, doc_id)
            raise MetadataError(
                f"document {doc_id!r} has {reason} in column {cfg.date!r} "
                f"({int(bad.sum())} document(s) in all)", path=path, line=line,
                key="track.date",
                hint=(f"fill the cell, declare its format in input.dates.{cfg.date}, or set "
                      "track.on_missing_date: exclude to leave such documents out of the "
                      "date tables (they are reported)"))
        excluded["missing_date"] = sorted(doc_ids[bad].astype(str))
    return parsed.dt.normalize()


def _bins(dates: pd.Series, freq: str) -> pd.Series:
    """Calendar bins, every bin from the first to the last date (empty ones included)."""
    code = {"month": "M", "quarter": "Q", "year": "Y"}[freq]
    spans = dates.dt.to_period(code)
    known = spans.dropna()
    if not len(known):
        return pd.Series(pd.Categorical([None] * len(dates), categories=[]), index=dates.index)
    levels = pd.period_range(known.min(), known.max(), freq=code)
    labels = [str(p) for p in levels]
    return pd.Series(pd.Categorical([None if pd.isna(p) else str(p) for p in spans],
                                    categories=labels), index=dates.index)


def _periods(cfg: TrackConfig, dates: pd.Series, frame: pd.DataFrame,
             excluded: dict[str, list[str]]) -> tuple[pd.Series, pd.DataFrame]:
    names = list(cfg.periods)
    label = pd.Series([None] * len(dates), index=dates.index, dtype=object)
    for name, (start, end) in cfg.periods.items():
        inside = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
        label[inside.fillna(False).to_numpy()] = name
    outside = dates.notna() & label.isna()
    if outside.any():
        excluded["outside_periods"] = sorted(frame.loc[outside, "doc_id"].astype(str))
    column = pd.Series(pd.Categorical(label, categories=names), index=dates.index)
    rows = []
    for name, (start, end) in cfg.periods.items():
        members = column == name
        rows.append({"period": name, "start": str(start), "end": str(end),
                     "n_documents": int(members.sum()),
                     "n_segments": int(frame.loc[members, "n_segments"].sum())})
    rows.append({"period": OUTSIDE, "start": None, "end": None,
                 "n_documents": int(outside.sum()),
                 "n_segments": int(frame.loc[outside, "n_segments"].sum())})
    if "missing_date" in excluded:
        missing = frame["doc_id"].isin(excluded["missing_date"])
        rows.append({"period": "(no date)", "start": None, "end": None,
                     "n_documents": int(missing.sum()),
                     "n_segments": int(frame.loc[missing, "n_segments"].sum())})
    table = pd.DataFrame(rows, columns=["period", "start", "end", "n_documents", "n_segments"])
    table["start"] = table["start"].astype("str")
    table["end"] = table["end"].astype("str")
    return column, table


def documents(corpus, cfg: TrackConfig) -> Documents:
    """The documents with segments, their tracked columns, and what was left out.

    Raises
    ------
    ConfigError
        A column that does not exist (the message lists those that do), a derived column
        that clashes with a metadata column.
    MetadataError
        A missing or unreadable date with ``on_missing_date: error`` (names sheet and row).
    """
    meta = corpus.metadata_columns
    derived = _derived(cfg)
    # a metadata column named like a calendar bin is accepted if it says the same thing
    clash = [c for c in derived if c in meta and c == "period"]
    if clash:
        raise ConfigError(f"track makes the column {clash[0]!r} from track.date, but the "
                          f"metadata already has one", key="track.periods" if clash[0] ==
                          "period" else "track.freq",
                          hint=f"rename the metadata column {clash[0]!r}")
    known = meta + [c for c in derived if c not in meta]
    for column in [*_columns_needed(cfg), *([cfg.date] if cfg.date else [])]:
        if column not in known:
            key = _key_of(cfg, column)
            listed = ", ".join(map(repr, meta)) or "none"
            extra = (f"; track makes {', '.join(map(repr, derived))}" if derived else "")
            raise ConfigError(f"no column {column!r} in the metadata (columns: {listed}"
                              f"{extra})", key=key,
                              hint="name a column of the metadata sheet (input.metadata)")
    if cfg.date and cfg.date in DERIVED_COLUMNS and cfg.date not in meta:
        raise ConfigError(f"track.date names {cfg.date!r}, which is not a metadata column",
                          key="track.date", hint="name the date column of the metadata sheet")
    counts = corpus.segments.groupby("doc_id", sort=False).size()
    docs = corpus.documents[corpus.documents["doc_id"].isin(counts.index)].reset_index(drop=True)
    frame = pd.DataFrame({"doc_id": docs["doc_id"].astype("str"),
                          "n_segments": docs["doc_id"].map(counts).astype("int64")})
    excluded: dict[str, list[str]] = {}
    missing: dict[str, int] = {}
    for column in dict.fromkeys([c for c in _columns_needed(cfg) if c in meta]):
        if column == cfg.date or column in derived:
            continue
        values = docs[column]
        text = values.map(lambda v: None if v is None or pd.isna(v) else str(v))
        levels = sorted(set(text.dropna()))
        frame[column] = pd.Categorical(text, categories=levels)
        if text.isna().any():
            missing[column] = int(text.isna().sum())
    periods = None
    if cfg.date:
        dates = _dates(corpus, cfg, docs[cfg.date], docs["doc_id"], excluded)
        if cfg.date in _columns_needed(cfg):
            frame[cfg.date] = pd.Categorical(dates.dt.strftime("%Y-%m-%d").where(dates.notna()))
        if cfg.periods:
            frame["period"], periods = _periods(cfg, dates, frame, excluded)
        if cfg.freq:
            frame[cfg.freq] = _bins(dates, cfg.freq)
            if cfg.freq in meta:
                _same_bins(corpus, cfg, docs, frame)
    for column, values in frame.items():
        if column in derived and values.isna().any():
            missing[column] = int(values.isna().sum())
    return Documents(frame, excluded, missing, periods)


def _same_bins(corpus, cfg: TrackConfig, docs: pd.DataFrame, frame: pd.DataFrame) -> None:
    """A metadata column named like the calendar bins must hold the same bins."""
    given = docs[cfg.freq].map(lambda v: None if v is None or pd.isna(v) else str(v))
    made = frame[cfg.freq].astype(object).where(frame[cfg.freq].notna(), None)
    differ = [i for i, (a, b) in enumerate(zip(given, made, strict=True))
              if a is not None and b is not None and a != b]
    if differ:
        doc_id = str(frame["doc_id"].iloc[differ[0]])
        path, line = _metadata_place(corpus, doc_id)
        raise ConfigError(
            f"track.freq makes the column {cfg.freq!r} from {cfg.date!r}, and the metadata's "
            f"own {cfg.freq!r} column disagrees for document {doc_id!r}", path=path,
            line=line, key="track.freq",
            hint=f"rename the metadata column {cfg.freq!r}, or track it with track.by")


def _key_of(cfg: TrackConfig, column: str) -> str:
    if column in cfg.by:
        return "track.by"
    if any(column in pair for pair in cfg.cross):
        return "track.cross"
    if any(column == c[0] for c in cfg.contrasts):
        return "track.contrasts"
    if column == cfg.cluster:
        return "track.cluster"
    if column == cfg.date:
        return "track.date"
    return "track.formula"


def check(corpus, **options: Any) -> TrackConfig:
    """Check the track options against the corpus's metadata, before anything heavy runs.

    The same checks as :func:`track` makes on columns, dates, periods and contrast levels,
    so that a typo stops a run before embedding, not after.
    """
    cfg = validate_section(TrackConfig, options, section="track")
    if cfg.wanted():
        docs = (documents(corpus, cfg) if len(corpus.segments)
                else _documents_unsegmented(corpus, cfg))
        _contrast_levels(docs.frame, cfg)
    return cfg


def _documents_unsegmented(corpus, cfg: TrackConfig) -> Documents:
    """:func:`documents` before segmentation: every document counts one segment."""
    from textmine.corpus import Corpus

    docs = corpus.documents
    fake = pd.DataFrame({"segment_id": docs["doc_id"] + ":0-1", "doc_id": docs["doc_id"],
                         "speaker": "", "role": "participant", "turn": 0, "start_char": 0,
                         "end_char": 1, "text": ""})
    shell = Corpus.__new__(Corpus)
    shell.documents, shell.segments, shell.uns = docs, fake, corpus.uns
    return documents(shell, cfg)


def _contrast_levels(frame: pd.DataFrame, cfg: TrackConfig) -> list[tuple[str, str, str]]:
    out = []
    for position, (column, a, b) in enumerate(cfg.contrasts):
        levels = list(frame[column].cat.categories)
        if a == REST and b == REST:
            raise ConfigError("a contrast needs at least one named level",
                              key=f"track.contrasts.{position}")
        for level in (a, b):
            if level != REST and level not in levels:
                raise ConfigError(
                    f"contrast level {level!r} is not a value of {column!r} (values: "
                    + ", ".join(map(repr, levels[:20])) + ("..." if len(levels) > 20 else "")
                    + ")", key=f"track.contrasts.{position}",
                    hint=f"name two values of {column!r}, or '*' for all the others")
        if a == b:
            raise ConfigError(f"contrast of {a!r} with itself", key=f"track.contrasts.{position}")
        out.append((column, a, b))
    return out


# ---------------------------------------------------------------------------- outcomes
@dataclass
class Outcomes:
    """Per-document numbers of one family of outcomes (topics, or human codes).

    ``counts[d, k]``: segments of document ``d`` in outcome ``k``; ``alternatives``: the
    same under refits of the topic model.
    """

    kind: str  # "topic" | "code"
    ids: list
    counts: np.ndarray
    segments: np.ndarray
    rows: np.ndarray  # positions in Documents.frame
    labels: dict = field(default_factory=dict)
    alternatives: list[np.ndarray] = field(default_factory=list)
    in_tests: np.ndarray | None = None  # outcomes tested (topic -1 is not)


def _count_matrix(doc_pos: np.ndarray, outcome_pos: np.ndarray, n_docs: int,
                  n_out: int) -> np.ndarray:
    matrix = np.zeros((n_docs, n_out))
    np.add.at(matrix, (doc_pos, outcome_pos), 1.0)
    return matrix


def _topic_outcomes(corpus, cfg: TrackConfig, frame: pd.DataFrame,
                    use_refits: bool) -> Outcomes:
    result = corpus.results.get(cfg.topics)
    if result is None or result.kind != "topics":
        raise CorpusError(f"no topics result {cfg.topics!r} to track; results: "
                          f"{sorted(corpus.results)}", key="track.topics",
                          hint="run textmine.tl.topics first, or set track.topics")
    per = corpus.segments[["segment_id", "doc_id"]].merge(
        result.per_segment[["segment_id", "topic"]], on="segment_id", how="left")
    if per["topic"].isna().any():
        raise CorpusError(f"topics result {cfg.topics!r} does not cover every segment",
                          key="track.topics", hint="run textmine.tl.topics again")
    info = result.tables["topic_info"]
    ids = [-1] + [int(t) for t in info["topic"]]
    labels = {-1: "(outliers)", **{int(t): str(lab) for t, lab in
                                   zip(info["topic"], info["label"], strict=True)}}
    position = {t: i for i, t in enumerate(ids)}
    doc_index = {d: i for i, d in enumerate(frame["doc_id"])}
    doc_pos = per["doc_id"].map(doc_index).to_numpy()
    counts = _count_matrix(doc_pos, per["topic"].astype(int).map(position).to_numpy(),
                           len(frame), len(ids))
    alternatives = []
    if use_refits:
        refits = result.tables["refits"]
        for _, one in refits.groupby("seed", sort=True):
            joined = per[["segment_id", "doc_id"]].merge(one[["segment_id", "matched_topic"]],
                                                         on="segment_id", how="left")
            if joined["matched_topic"].isna().any():
                raise CorpusError("the topics result's refits do not cover every segment",
                                  key="track.model_uncertainty")
            alternatives.append(_count_matrix(
                joined["doc_id"].map(doc_index).to_numpy(),
                joined["matched_topic"].astype(int).map(position).to_numpy(),
                len(frame), len(ids)))
    keep = np.ones(len(ids), dtype=bool)
    if counts[:, 0].sum() == 0 and all(a[:, 0].sum() == 0 for a in alternatives):
        keep[0] = False  # no outliers anywhere: no row for them
    ids = [t for t, k in zip(ids, keep, strict=True) if k]
    counts = counts[:, keep]
    alternatives = [a[:, keep] for a in alternatives]
    return Outcomes("topic", ids, counts, frame["n_segments"].to_numpy(float),
                    np.arange(len(frame)), labels, alternatives,
                    np.array([t >= 0 for t in ids]))


def _code_outcomes(corpus, frame: pd.DataFrame) -> Outcomes | None:
    codes = corpus.segment_codes
    if not len(codes):
        return None
    pairs = codes[["segment_id", "code"]].drop_duplicates().merge(
        corpus.segments[["segment_id", "doc_id"]], on="segment_id")
    coded = frame["doc_id"].isin(set(pairs["doc_id"])).to_numpy()
    rows = np.flatnonzero(coded)
    if not len(rows):
        return None
    ids = sorted(pairs["code"].unique())
    doc_index = {d: i for i, d in enumerate(frame["doc_id"].iloc[rows])}
    counts = _count_matrix(pairs["doc_id"].map(doc_index).to_numpy(),
                           pairs["code"].map({c: i for i, c in enumerate(ids)}).to_numpy(),
                           len(rows), len(ids))
    return Outcomes("code", ids, counts, frame["n_segments"].to_numpy(float)[rows], rows,
                    in_tests=np.ones(len(ids), dtype=bool))


# ---------------------------------------------------------------------------- tables
def _rng(seed: int, name: str) -> np.random.Generator:
    """One stream per table: a table's draws do not depend on which other tables are made."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode())])


@dataclass
class _Setup:
    cfg: TrackConfig
    seed: int
    frame: pd.DataFrame  # Documents.frame restricted to the outcome's documents
    effects_excluded: dict = field(default_factory=dict)

    @property
    def doc_unit(self) -> bool:
        return self.cfg.unit == "document"


def _values(out: Outcomes, doc_unit: bool) -> tuple[np.ndarray, np.ndarray | None, list]:
    """``(values, denominators, alternatives)`` for the resampling functions."""
    if doc_unit:
        seg = out.segments[:, None]
        return out.counts / seg, None, [a / seg for a in out.alternatives]
    return out.counts, out.segments, list(out.alternatives)


def _round(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if frame[column].dtype == "float64":
            frame[column] = frame[column].round(DECIMALS)
    return frame


def _prevalence(out: Outcomes, setup: _Setup, columns: list[str], name: str) -> pd.DataFrame:
    cfg, frame = setup.cfg, setup.frame
    values, den, alternatives = _values(out, setup.doc_unit)
    codes = [frame[c].cat.codes.to_numpy() for c in columns]
    levels = [list(frame[c].cat.categories) for c in columns]
    cells, keys = [], []
    for combo in np.ndindex(*[len(lv) for lv in levels]):
        mask = np.ones(len(frame), dtype=bool)
        for code, k in zip(codes, combo, strict=True):
            mask &= code == k
        cells.append(np.flatnonzero(mask))
        keys.append(tuple(lv[k] for lv, k in zip(levels, combo, strict=True)))
    boot = bootstrap_cells(values, cells, n_boot=cfg.n_boot, rng=_rng(setup.seed, name),
                           denominators=den, alternatives=alternatives)
    low, high = boot.interval(cfg.level)
    present = out.counts > 0
    rows = []
    for c, (key, idx) in enumerate(zip(keys, cells, strict=True)):
        n_docs = len(idx)
        flagged = n_docs < cfg.min_documents
        for k, outcome in enumerate(out.ids):
            row = dict(zip(columns, key, strict=True))
            row.update({out.kind: outcome, "share": boot.estimate[c, k],
                        "ci_low": np.nan if flagged else low[c, k],
                        "ci_high": np.nan if flagged else high[c, k],
                        "n_documents": n_docs,
                        "n_segments": int(out.segments[idx].sum()), "flagged": flagged,
                        f"n_{out.kind}_segments": int(out.counts[idx, k].sum()),
                        f"n_{out.kind}_documents": int(present[idx, k].sum())})
            if out.labels:
                row["label"] = out.labels[outcome]
            rows.append(row)
    table = pd.DataFrame(rows)
    for column, lv in zip(columns, levels, strict=True):
        table[column] = table[column].astype("str")
        del lv
    return _round(table)


def _cell(frame: pd.DataFrame, column: str, level: str, other: str) -> np.ndarray:
    values = frame[column]
    if level == REST:
        return np.flatnonzero((values.notna() & (values != other)).to_numpy())
    return np.flatnonzero((values == level).to_numpy())


def _contrasts(out: Outcomes, setup: _Setup, column: str,
               pairs: list[tuple[str, str]], name: str) -> pd.DataFrame:
    cfg, frame = setup.cfg, setup.frame
    values, den, alternatives = _values(out, setup.doc_unit)
    rng = _rng(setup.seed, name)
    tables = []
    for a, b in pairs:
        ia, ib = _cell(frame, column, a, b), _cell(frame, column, b, a)
        boot = bootstrap_cells(values, [ia, ib], n_boot=cfg.n_boot, rng=rng,
                               denominators=den, alternatives=alternatives)
        diff_draws = boot.draws[:, 1] - boot.draws[:, 0]
        low, high = percentile_interval(diff_draws, cfg.level,
                                        n=max(2, min(len(ia), len(ib))))
        flagged = min(len(ia), len(ib)) < cfg.min_documents
        both = np.concatenate([ia, ib])
        in_b = np.concatenate([np.zeros(len(ia), bool), np.ones(len(ib), bool)])
        p = np.full(len(out.ids), np.nan)
        if not flagged:
            _, p = permutation_pvalues(values[both], in_b, n_permutations=cfg.n_permutations,
                                       rng=rng, denominators=None if den is None else den[both])
            p = np.where(out.in_tests, p, np.nan)
        q = bh_qvalues(p)
        shares = boot.estimate
        table = pd.DataFrame({
            "a": a if a != REST else REST_LABEL, "b": b if b != REST else REST_LABEL,
            out.kind: out.ids, "difference": shares[1] - shares[0],
            "ci_low": np.nan if flagged else low, "ci_high": np.nan if flagged else high,
            "p": p, "q": q, "share_a": shares[0], "share_b": shares[1],
            "n_documents_a": len(ia), "n_documents_b": len(ib),
            "n_segments_a": int(out.segments[ia].sum()),
            "n_segments_b": int(out.segments[ib].sum()), "flagged": flagged})
        if out.labels:
            table["label"] = [out.labels[t] for t in out.ids]
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    table["a"] = table["a"].astype("str")
    table["b"] = table["b"].astype("str")
    return _round(table)


def _effects(out: Outcomes, setup: _Setup, name: str) -> pd.DataFrame:
    cfg, frame = setup.cfg, setup.frame
    variables = _formula_variables(cfg.formula)
    needed = list(dict.fromkeys(variables + ([cfg.cluster] if cfg.cluster else [])))
    usable = frame[needed].notna().all(axis=1).to_numpy().copy()
    # a level with fewer than min_documents documents cannot be estimated (one interview
    # alone is perfectly separated): its documents are left out of the fit, and reported
    small_levels: dict[str, list[str]] = {}
    for column in variables:
        sizes = frame.loc[usable, column].value_counts()
        small = [str(v) for v, n in sizes.items() if 0 < n < cfg.min_documents]
        if small:
            small_levels[column] = sorted(small)
            usable &= ~frame[column].isin(small).to_numpy()
    data = frame.loc[usable, variables].reset_index(drop=True)
    for column in variables:
        values = data[column].cat.remove_unused_categories()
        if len(values.cat.categories) < 2:
            raise ConfigError(
                f"track.formula: {column!r} has fewer than two values with at least "
                f"{cfg.min_documents} documents (track.min_documents), so it has no effect "
                "to estimate", key="track.formula",
                hint=f"leave {column!r} out of the formula, or group its values")
        if column not in _derived(cfg):
            # the reference level is the largest group (periods and bins: the first), so
            # that every coefficient compares with a well-estimated baseline
            sizes = values.value_counts(sort=False)
            first = max(values.cat.categories, key=lambda v: (sizes[v], -list(
                values.cat.categories).index(v)))
            values = values.cat.reorder_categories(
                [first] + [v for v in values.cat.categories if v != first])
        data[column] = values
    setup.effects_excluded = {"small_levels": small_levels,
                              "n_documents_left_out": int(len(frame) - usable.sum())}
    X, names, kept = design(cfg.formula, data)
    rows = np.flatnonzero(usable)[kept]
    tested = np.flatnonzero(out.in_tests)
    seg = out.segments[rows]
    Y = out.counts[rows][:, tested] / seg[:, None]
    alternatives = [a[rows][:, tested] / seg[:, None] for a in out.alternatives]
    groups = (frame[cfg.cluster].cat.codes.to_numpy()[rows] if cfg.cluster else None)
    table = effects_table(Y, X, names, [out.ids[k] for k in tested], groups=groups,
                          weights=None if setup.doc_unit else seg, level=cfg.level,
                          alternatives=alternatives, n_draws=cfg.n_boot,
                          rng=_rng(setup.seed, name))
    table = table.rename(columns={"outcome": out.kind})
    # a dummy of a level with too few documents estimates nothing
    binary = {j: int(X[:, j].sum()) for j in range(X.shape[1])
              if np.isin(X[:, j], (0.0, 1.0)).all() and names[j] != "Intercept"}
    small = {names[j] for j, n in binary.items() if n < cfg.min_documents}
    # a topic absent from every document of a level is separated: its estimate runs off
    # towards -infinity with a huge standard error, and says nothing
    separated = (table["estimate"].abs() > SEPARATED) | (table["se"] > SEPARATED)
    table["flagged"] = table["term"].isin(small) | ~table["converged"] | separated
    table.loc[table["flagged"], ["ci_low", "ci_high", "p"]] = np.nan
    table["q"] = np.nan
    for term, index in table.groupby("term", sort=False).groups.items():
        del term
        table.loc[index, "q"] = bh_qvalues(table.loc[index, "p"].to_numpy())
    order = [out.kind, "term", "estimate", "ci_low", "ci_high", "p", "q", "se",
             "n_documents", "n_clusters", "converged", "flagged"]
    table = table[order]
    if out.labels:
        table["label"] = table[out.kind].map(out.labels).astype("str")
    return _round(table)


def _terms(corpus, out: Outcomes, setup: _Setup, column: str, params: dict) -> pd.DataFrame:
    frame, cfg = setup.frame, setup.cfg
    segs = corpus.segments[["segment_id", "doc_id", "text"]].merge(
        corpus.results[cfg.topics].per_segment[["segment_id", "topic"]], on="segment_id")
    level_of = dict(zip(frame["doc_id"], frame[column], strict=True))
    segs = segs.assign(level=segs["doc_id"].map(level_of))
    segs = segs[(segs["topic"] >= 0) & segs["level"].notna()]
    options = {"stop_words": tuple(params.get("stop_words") or ()),
               "fillers": bool(params.get("fillers", True)),
               "ngram_range": tuple(params.get("ngram_range") or (1, 2))}
    rows = []
    for level in frame[column].cat.categories:
        inside = segs[segs["level"] == level]
        if not len(inside):
            continue
        sizes = inside.groupby("topic", sort=True).size()
        found = class_terms(inside["text"].tolist(), inside["topic"].to_numpy(),
                            n_terms=cfg.n_terms, **options)
        for topic, terms in found.items():
            for rank, (term, weight) in enumerate(terms, start=1):
                rows.append({column: str(level), "topic": int(topic), "rank": rank,
                             "term": term.replace(" ", "_"), "weight": weight,
                             "n_segments": int(sizes[topic]),
                             "label": out.labels.get(int(topic), "")})
    table = pd.DataFrame(rows, columns=[column, "topic", "rank", "term", "weight",
                                        "n_segments", "label"])
    table = table.astype({column: "str", "topic": "int64", "rank": "int64", "term": "str",
                          "weight": "float64", "n_segments": "int64", "label": "str"})
    return _round(table)


def _changes(contrasts: pd.DataFrame, terms: pd.DataFrame | None, column: str,
             n_show: int = 5) -> pd.DataFrame:
    """Topics that emerge or decline between two levels, with the evidence."""
    rows = []
    for record in contrasts.to_dict("records"):
        if record["topic"] < 0 or REST_LABEL in (record["a"], record["b"]):
            continue
        top = {}
        for side in ("a", "b"):
            if terms is None:
                top[side] = []
                continue
            sel = terms[(terms[column] == record[side]) & (terms["topic"] == record["topic"])]
            top[side] = sel.sort_values("rank")["term"].tolist()
        if record["flagged"]:
            change = "too few documents"
        # both the permutation test (q, on the reported topics) and the interval (which
        # may carry the topic model's own uncertainty) must say so
        elif record["q"] < 0.05 and record["ci_low"] > 0:
            change = "emerging"
        elif record["q"] < 0.05 and record["ci_high"] < 0:
            change = "declining"
        else:
            change = "no clear change"
        rows.append({
            "a": record["a"], "b": record["b"], "topic": record["topic"],
            "label": record.get("label", ""), "change": change,
            "share_a": record["share_a"], "share_b": record["share_b"],
            "difference": record["difference"], "ci_low": record["ci_low"],
            "ci_high": record["ci_high"], "q": record["q"],
            "terms_a": " ".join(top["a"][:n_show]), "terms_b": " ".join(top["b"][:n_show]),
            "terms_gained": " ".join(t for t in top["b"] if t not in top["a"]),
            "terms_lost": " ".join(t for t in top["a"] if t not in top["b"])})
    columns = ["a", "b", "topic", "label", "change", "share_a", "share_b", "difference",
               "ci_low", "ci_high", "q", "terms_a", "terms_b", "terms_gained", "terms_lost"]
    table = pd.DataFrame(rows, columns=columns)
    rank = table["change"].map({"emerging": 0, "declining": 1}).fillna(2)
    table = table.assign(_rank=rank).sort_values(
        ["a", "b", "_rank", "q", "topic"], kind="stable").drop(columns="_rank")
    return table.reset_index(drop=True).astype({c: "str" for c in columns
                                                if c.startswith("terms") or c in
                                                ("a", "b", "label", "change")})


def _family_tables(corpus, out: Outcomes, docs: Documents, cfg: TrackConfig, seed: int,
                   prefix: str, params: dict | None,
                   notes: dict[str, Any]) -> dict[str, pd.DataFrame]:
    frame = docs.frame.iloc[out.rows].reset_index(drop=True)
    setup = _Setup(cfg, seed, frame)
    tables: dict[str, pd.DataFrame] = {}
    for column in cfg.columns():
        name = f"{prefix}prevalence_{column}"
        tables[name] = _prevalence(out, setup, [column], name)
    for a, b in cfg.cross:
        name = f"{prefix}prevalence_{a}_x_{b}"
        tables[name] = _prevalence(out, setup, [a, b], name)
    by_column: dict[str, list[tuple[str, str]]] = {}
    for column, a, b in _contrast_levels(frame, cfg):
        by_column.setdefault(column, []).append((a, b))
    terms: dict[str, pd.DataFrame] = {}
    if params is not None and cfg.n_terms:
        for column in dict.fromkeys([*cfg.columns(), *by_column]):
            terms[column] = _terms(corpus, out, setup, column, params)
            tables[f"terms_{column}"] = terms[column]
    for column, pairs in by_column.items():
        name = f"{prefix}contrasts_{column}"
        tables[name] = _contrasts(out, setup, column, pairs, name)
        if out.kind == "topic" and column in _derived(cfg):
            tables[f"changes_{column}"] = _changes(tables[name], terms.get(column), column)
    if cfg.formula:
        tables[f"{prefix}effects"] = _effects(out, setup, f"{prefix}effects")
        notes[f"{prefix}effects"] = setup.effects_excluded
    return tables


# ---------------------------------------------------------------------------- the stage
def track(corpus, *, key_added: str = "track", seed: int = 0,
          stats: dict[str, Any] | None = None, **options: Any) -> Result:
    """Topic (and human-code) prevalence by metadata columns, periods and calendar bins.

    Parameters
    ----------
    corpus
        A corpus with a topics result (``textmine.tl.topics``) and, optionally, human codes.
    key_added
        Key in ``corpus.results``.
    seed
        Seed of the bootstrap, permutations and composition draws (a run's ``seed``).
    stats
        If given, filled with counts for the manifest.
    **options
        Keys of the ``track`` config section: ``by``, ``date``, ``periods``, ``freq``,
        ``cross``, ``contrasts``, ``formula``, ``cluster``, ``unit``, ``n_boot``...

    Returns
    -------
    Result
        ``tables``: ``prevalence_<column>``, ``prevalence_<a>_x_<b>``,
        ``contrasts_<column>``, ``effects``, ``terms_<column>``, ``changes_<column>``,
        ``periods`` and ``codes_*``; ``info["summary"]``: documents, exclusions, flags.

    Examples
    --------
    >>> tm.tl.track(corpus, by=["network"], date="interview_date",  # doctest: +SKIP
    ...             periods={"pre": ["2018-01-01", "2020-02-29"],
    ...                      "covid": ["2020-03-01", "2020-05-31"]},
    ...             contrasts=[["period", "pre", "covid"]])
    """
    cfg = validate_section(TrackConfig, options, section="track")
    stats = {} if stats is None else stats
    if not cfg.wanted():
        raise ConfigError("nothing to track: set track.by, track.date or track.formula",
                          key="track.by", hint="for example by: [network]")
    docs = documents(corpus, cfg)
    _contrast_levels(docs.frame, cfg)
    has_topics = cfg.topics in corpus.results
    result = corpus.results.get(cfg.topics)
    has_refits = bool(has_topics and "refits" in result.tables and len(result.tables["refits"]))
    if cfg.model_uncertainty is True and not has_refits:
        raise ConfigError("track.model_uncertainty needs the stability refits, and the "
                          "topics result has none", key="track.model_uncertainty",
                          hint="set topics.stability_seeds to 3 (or more), or "
                               "model_uncertainty: auto")
    use_refits = has_refits and cfg.model_uncertainty is not False
    codes_out = _code_outcomes(corpus, docs.frame) if cfg.codes else None
    if not has_topics and codes_out is None:
        raise CorpusError(f"nothing to track: no topics result {cfg.topics!r} and no codes",
                          key="track.topics", hint="run textmine.tl.topics first")
    tables: dict[str, pd.DataFrame] = {}
    notes: dict[str, Any] = {}
    if has_topics:
        topics_out = _topic_outcomes(corpus, cfg, docs.frame, use_refits)
        tables.update(_family_tables(corpus, topics_out, docs, cfg, seed, "", result.params,
                                     notes))
    if codes_out is not None:
        tables.update(_family_tables(corpus, codes_out, docs, cfg, seed, "codes_", None,
                                     notes))
    if docs.periods is not None:
        tables["periods"] = docs.periods
    flagged = {name: int(t["flagged"].sum()) for name, t in tables.items()
               if "flagged" in t.columns and t["flagged"].any()}
    summary = {
        "unit": cfg.unit,
        "n_documents": int(len(docs.frame)),
        "n_documents_without_segments": int(corpus.n_docs - len(docs.frame)),
        "n_segments": int(docs.frame["n_segments"].sum()),
        "model_uncertainty": use_refits,
        "n_refits": len(topics_out.alternatives) if has_topics else 0,
        "excluded": {k: {"n_documents": len(v), "doc_ids": v} for k, v in docs.excluded.items()},
        "missing_values": docs.missing,
        "flagged_rows": flagged,
        "effects": notes,
        "n_coded_documents": 0 if codes_out is None else int(len(codes_out.rows)),
        "tables": sorted(tables),
    }
    _warn(summary, cfg)
    params = {**cfg.model_dump(mode="json"), "seed": seed}
    out = Result(kind="track", params=params, tables=tables, info={"summary": summary})
    corpus.results[key_added] = out
    stats.update(n_documents=summary["n_documents"], n_tables=len(tables),
                 model_uncertainty=use_refits,
                 n_excluded=sum(v["n_documents"] for v in summary["excluded"].values()),
                 n_flagged_rows=sum(flagged.values()))
    return out


def _warn(summary: dict, cfg: TrackConfig) -> None:
    notes = []
    for reason, entry in summary["excluded"].items():
        what = {"missing_date": f"have no date in {cfg.date!r}",
                "outside_periods": "fall outside every period"}[reason]
        notes.append(f"track: {entry['n_documents']} document(s) {what}; they are left out "
                     "of the date tables and listed in track/summary.json")
    for column, n in summary["missing_values"].items():
        if column not in _derived(cfg):
            notes.append(f"track: {n} document(s) have no value in {column!r} and are left "
                         "out of its tables")
    if summary["flagged_rows"]:
        notes.append(f"track: {sum(summary['flagged_rows'].values())} row(s) rest on fewer "
                     f"than {cfg.min_documents} documents: flagged, without interval or "
                     "p-value")
    for note in notes:
        warnings.warn(note, TextmineWarning, stacklevel=3)
