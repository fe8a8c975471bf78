"""``tl.align``: machine topics (or themes) beside the human coding.

Coded spans become segment labels by a rule (``any`` overlap; ``majority``: the overlap is at
least half of the shorter of span and segment, so a short quote inside a long segment counts
and a segment barely touched by a long span does not; ``min_chars``), at a chosen level of the
codebook. A segment may carry several codes: the contingency table, the per-theme scores and
the triangulation table count it under each of them; the partition metrics (NMI, ARI...),
which need one label per segment, use the code covering most of it.

Everything is computed on the segments the coders coded: an uncoded segment may be one they
chose not to code, so it does not count against a topic; it does show, as ``model-only``, in
the triangulation table. Intervals resample interviews (documents), never segments.

Tables (``corpus.results["align"]``; ``align/`` in a run folder): ``theme_topic``,
``per_theme``, ``per_topic``, ``triangulation``, ``suggested_codes``; info ``metrics`` and
``autocode_cv``.
"""

from __future__ import annotations

import logging
import warnings
import zlib
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.metrics import adjusted_mutual_info_score

from textmine.config import AlignConfig, validate_section
from textmine.corpus import Result
from textmine.errors import ConfigError, CorpusError, TextmineWarning
from textmine.io.codes import PATH_JOIN
from textmine.models.agreement import METRICS
from textmine.models.autocode import CodeSuggester, agreement, best_thresholds, grouped_cv
from textmine.pp.codes import code_at_level, map_codes

log = logging.getLogger("textmine")
DECIMALS = 10
OUTLIER = -1


def _warn(message: str) -> None:
    log.debug(message)
    warnings.warn(message, TextmineWarning, stacklevel=3)


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode())])


# ----------------------------------------------------------------------------- labels
def check(corpus, **options: Any) -> AlignConfig:
    """Check the align options against the codes read, before anything heavy runs."""
    cfg = validate_section(AlignConfig, options, section="align")
    if cfg.parent and len(corpus.codes):
        _parent_depth(corpus, cfg.parent)
    return cfg


def _parent_depth(corpus, parent: str) -> int:
    parent = parent.strip()
    known = corpus.codes["code_path"]
    if not ((known == parent) | known.str.startswith(parent + PATH_JOIN)).any():
        tops = sorted(set(known.str.split(PATH_JOIN).str[0]))
        raise ConfigError(f"align.parent {parent!r} is no code path of the codes",
                          key="align.parent",
                          hint="write the full path, levels joined by ' > '; top-level codes: "
                          + ", ".join(tops[:12]) + (" ..." if len(tops) > 12 else ""))
    return len(parent.split(PATH_JOIN))


def segment_labels(corpus, cfg: AlignConfig) -> tuple[pd.DataFrame, int]:
    """``segment_id, theme, overlap_chars``: each segment's codes at the level, by the rule.

    A theme reached through several codes of one segment keeps their largest overlap. Also
    returns how many segments the (parent's) codes touch at all, before the rule.
    """
    pairs = map_codes(corpus.segments, corpus.codes, lengths=True)
    depth = 0
    if cfg.parent:
        depth = _parent_depth(corpus, cfg.parent)
        pairs = pairs[pairs["code_path"].str.startswith(cfg.parent.strip() + PATH_JOIN)]
    touched = int(pairs["segment_id"].nunique())
    if cfg.rule == "any":
        keep = pairs["overlap_chars"] >= 1
    elif cfg.rule == "min_chars":
        keep = pairs["overlap_chars"] >= cfg.min_chars
    else:
        shorter = np.minimum(pairs["segment_chars"], pairs["span_chars"])
        keep = 2 * pairs["overlap_chars"] >= shorter
    pairs = pairs[keep]
    theme = (pairs["code_path"] if cfg.level == "code" else
             pairs["code_path"].map(lambda p: code_at_level(p, depth + int(cfg.level))))
    out = pd.DataFrame({"segment_id": pairs["segment_id"].to_numpy(),
                        "theme": theme.astype("str").to_numpy(),
                        "overlap_chars": pairs["overlap_chars"].to_numpy()})
    out = (out.sort_values("overlap_chars", ascending=False, kind="stable")
              .drop_duplicates(["segment_id", "theme"]))
    order = {sid: i for i, sid in enumerate(corpus.segments["segment_id"])}
    out = out.assign(_o=out["segment_id"].map(order)).sort_values(["_o", "theme"],
                                                                   kind="stable")
    return out.drop(columns="_o").reset_index(drop=True), touched


def machine_labels(corpus, cfg: AlignConfig) -> tuple[np.ndarray, pd.DataFrame]:
    """Each segment's topic (or theme), and ``label, label_text`` of each one."""
    result = corpus.results.get(cfg.topics)
    if result is None or result.kind != "topics":
        raise CorpusError(f"no topics result {cfg.topics!r} to align; results: "
                          f"{sorted(corpus.results)}", key="align.topics",
                          hint="run textmine.tl.topics first")
    topics = result.per_segment["topic"].to_numpy().astype(np.int64)
    info = result.tables["topic_info"]
    if cfg.against == "topics":
        names = pd.DataFrame({"label": info["topic"].astype("int64"),
                              "label_text": info["label"].astype("str")})
        if (topics == OUTLIER).any() and OUTLIER not in set(names["label"]):
            names = pd.concat([pd.DataFrame({"label": [OUTLIER], "label_text": ["outliers"]}),
                               names], ignore_index=True)
        # an empty label would read back from CSV as missing: name every topic
        names["label_text"] = names["label_text"].where(names["label_text"] != "",
                                                        names["label"].map("topic {}".format))
        return topics, names
    themes = result.tables.get("themes")
    if themes is None:
        raise ConfigError("align.against is themes, but the topics have no themes",
                          key="align.against", hint="set topics.n_themes (auto, or a number)")
    mapping = dict(zip(themes["topic"].astype(int), themes["theme"].astype(int), strict=True))
    found = np.array([mapping.get(int(t), OUTLIER) for t in topics], dtype=np.int64)
    names = (themes.drop_duplicates("theme")[["theme", "theme_label"]]
             .rename(columns={"theme": "label", "theme_label": "label_text"}))
    if (found == OUTLIER).any():
        names = pd.concat([pd.DataFrame({"label": [OUTLIER], "label_text": ["outliers"]}),
                           names], ignore_index=True)
    return found, names.astype({"label": "int64", "label_text": "str"})


# ------------------------------------------------------------------------ the counts
class _Data:
    """The coded segments as index arrays: the one place the counting is set up."""

    def __init__(self, corpus, labels: pd.DataFrame, found: np.ndarray) -> None:
        segs = corpus.segments
        pos = {sid: i for i, sid in enumerate(segs["segment_id"])}
        self.found = found
        self.themes = sorted(labels["theme"].unique())
        self.clusters = sorted(set(found.tolist()))
        t_index = {t: i for i, t in enumerate(self.themes)}
        c_index = {c: j for j, c in enumerate(self.clusters)}
        self.seg = labels["segment_id"].map(pos).to_numpy()          # pair -> segment row
        self.ti = labels["theme"].map(t_index).to_numpy()            # pair -> theme
        self.ci_all = np.array([c_index[c] for c in found.tolist()])  # segment -> cluster
        self.ci = self.ci_all[self.seg]                               # pair -> cluster
        doc_codes, self.doc_ids = pd.factorize(segs["doc_id"])
        self.doc_all = doc_codes
        self.doc = doc_codes[self.seg]
        # each coded segment's dominant theme (largest overlap; ties: first in order)
        first = labels.sort_values("overlap_chars", ascending=False, kind="stable") \
            .drop_duplicates("segment_id")
        self.coded = np.sort(first["segment_id"].map(pos).to_numpy())
        dominant = dict(zip(first["segment_id"].map(pos), first["theme"].map(t_index),
                            strict=True))
        self.dom = np.array([dominant[i] for i in self.coded], dtype=np.int64)
        self.n_t, self.n_c, self.n_d = len(self.themes), len(self.clusters), len(self.doc_ids)

    def pair_counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """(themes x clusters) counts of (segment, theme) pairs, weighted by document."""
        w = None if weights is None else weights[self.doc]
        return np.bincount(self.ti * self.n_c + self.ci, weights=w,
                           minlength=self.n_t * self.n_c).reshape(self.n_t, self.n_c)

    def dominant_cells(self) -> sparse.csr_matrix:
        """Documents x (theme, cluster) cells of the coded segments' dominant labels."""
        cell = self.dom * self.n_c + self.ci_all[self.coded]
        ones = np.ones(len(cell))
        return sparse.csr_matrix((ones, (self.doc_all[self.coded], cell)),
                                 shape=(self.n_d, self.n_t * self.n_c))


def _draws(n_docs: int, docs: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot x n_docs) weights: how often each of ``docs`` is drawn in each resample."""
    W = np.zeros((n_boot, n_docs))
    picks = rng.integers(0, len(docs), size=(n_boot, len(docs)))
    for b in range(n_boot):
        np.add.at(W[b], docs[picks[b]], 1.0)
    return W


def _interval(values: np.ndarray, point: float | None = None,
              ) -> tuple[float | None, float | None]:
    """95% percentile interval; with ``point``, shifted by the bootstrap's estimated bias.

    Resampling interviews with replacement inflates agreement scores (an interview drawn
    twice agrees with itself), so the draws of NMI, ARI... sit above the estimate; the
    percentiles of ``draws - (mean(draws) - point)`` keep the spread without that bias.
    """
    values = values[np.isfinite(values)]
    if not len(values):
        return None, None
    if point is not None and np.isfinite(point):
        values = values - (values.mean() - point)
    low, high = np.quantile(values, [0.025, 0.975])
    return round(float(low), DECIMALS), round(float(min(high, 1.0)), DECIMALS)


def partition_metrics(data: _Data, W: np.ndarray | None) -> dict[str, Any]:
    """NMI, ARI, AMI, homogeneity, completeness, harmonic purity, with intervals."""
    cells = data.dominant_cells()
    C = np.asarray(cells.sum(axis=0)).reshape(data.n_t, data.n_c)
    out: dict[str, Any] = {name: round(f(C), DECIMALS) for name, f in METRICS.items()}
    out["ami"] = round(float(adjusted_mutual_info_score(
        data.dom, data.ci_all[data.coded])), DECIMALS)
    if W is not None:
        boot = np.asarray(cells.T @ W.T).T.reshape(len(W), data.n_t, data.n_c)
        draws = {name: np.array([f(b) for b in boot]) for name, f in METRICS.items()}
        out["intervals"] = {name: list(_interval(d, out[name])) for name, d in draws.items()}
        out["bootstrap_bias"] = {name: round(float(np.nanmean(d) - out[name]), DECIMALS)
                                 for name, d in draws.items()}
    return out


# ---------------------------------------------------------------------- per theme
def _best_topics(C: np.ndarray, coded_in: np.ndarray, theme_total: np.ndarray, t: int,
                 usable: np.ndarray, limit: int) -> tuple[list[int], float, float, float]:
    """Greedy: add the most precise topics while the theme's F1 rises."""
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(coded_in > 0, C[t] / coded_in, 0.0)
    order = [j for j in np.lexsort((-C[t], -precision)) if usable[j] and C[t, j] > 0]
    chosen: list[int] = []
    best = (0.0, 0.0, 0.0)
    for j in order[:max(limit * 4, limit)]:
        trial = [*chosen, j]
        tp, pred = C[t, trial].sum(), coded_in[trial].sum()
        p, r = tp / pred if pred else 0.0, tp / theme_total[t] if theme_total[t] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        if f > best[2] + 1e-12:
            chosen, best = trial, (p, r, f)
            if len(chosen) == limit:
                break
    return chosen, *best


def per_theme(data: _Data, cfg: AlignConfig, names: pd.DataFrame,
              W: np.ndarray | None) -> tuple[pd.DataFrame, dict[int, list[int]]]:
    """Each theme's best topics with precision, recall and F1 (and F1's interval)."""
    C = data.pair_counts()
    coded_in = np.bincount(data.ci_all[data.coded], minlength=data.n_c).astype(float)
    theme_total = np.bincount(data.ti, minlength=data.n_t).astype(float)
    usable = np.array([c != OUTLIER for c in data.clusters])
    text = dict(zip(names["label"], names["label_text"], strict=True))
    rows, best = [], {}
    # per document: pairs in each (theme, cluster), coded segments in each cluster
    pair_doc = sparse.csr_matrix((np.ones(len(data.ti)), (data.doc, data.ti * data.n_c
                                                            + data.ci)),
                                 shape=(data.n_d, data.n_t * data.n_c))
    coded_doc = sparse.csr_matrix((np.ones(len(data.coded)), (data.doc_all[data.coded],
                                                               data.ci_all[data.coded])),
                                  shape=(data.n_d, data.n_c))
    if W is not None:
        pairs_b = np.asarray(pair_doc.T @ W.T).T.reshape(len(W), data.n_t, data.n_c)
        coded_b = np.asarray(coded_doc.T @ W.T).T
    for t, theme in enumerate(data.themes):
        chosen, p, r, f = _best_topics(C, coded_in, theme_total, t, usable, cfg.max_best_topics)
        best[t] = chosen
        low = high = None
        if W is not None and chosen:
            tp = pairs_b[:, t, chosen].sum(axis=1)
            pred = coded_b[:, chosen].sum(axis=1)
            total = pairs_b[:, t, :].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                pb, rb = tp / pred, tp / total
                fb = np.where(pb + rb > 0, 2 * pb * rb / (pb + rb), 0.0)
            low, high = _interval(fb, f)
        labels = [data.clusters[j] for j in chosen]
        rows.append({
            "theme": theme, "best_topics": " ".join(map(str, labels)),
            "best_labels": " | ".join(text.get(c, str(c)) for c in labels),
            "precision": p, "recall": r, "f1": f, "f1_ci_low": low, "f1_ci_high": high,
            "n_segments": int(theme_total[t]),
            "n_documents": int(len(np.unique(data.doc[data.ti == t]))),
            "missed": bool(f < cfg.min_f1),
        })
    frame = pd.DataFrame(rows).astype({"theme": "str", "best_topics": "str",
                                       "best_labels": "str"})
    return _round(frame), best


def theme_topic(data: _Data, names: pd.DataFrame) -> pd.DataFrame:
    """The full theme x topic contingency table, long, with each cell's share of both."""
    C = data.pair_counts()
    coded_in = np.bincount(data.ci_all[data.coded], minlength=data.n_c).astype(float)
    text = dict(zip(names["label"], names["label_text"], strict=True))
    theme_total = C.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        of_theme = np.where(theme_total > 0, C / theme_total, 0.0)
        of_topic = np.where(coded_in[None, :] > 0, C / coded_in[None, :], 0.0)
    t_idx, c_idx = np.meshgrid(np.arange(data.n_t), np.arange(data.n_c), indexing="ij")
    frame = pd.DataFrame({
        "theme": np.asarray(data.themes, dtype=object)[t_idx.ravel()],
        "topic": np.asarray(data.clusters, dtype=np.int64)[c_idx.ravel()],
        "label": [text.get(data.clusters[j], "") for j in c_idx.ravel()],
        "n_segments": C.ravel().astype("int64"),
        "share_of_theme": of_theme.ravel(), "share_of_topic": of_topic.ravel(),
    }).astype({"theme": "str", "label": "str"})
    return _round(frame)


def per_topic(data: _Data, cfg: AlignConfig, names: pd.DataFrame) -> pd.DataFrame:
    """Each topic's coded share and best theme; ``emergent`` where no theme covers it."""
    C = data.pair_counts()
    sizes = np.bincount(data.ci_all, minlength=data.n_c).astype(float)
    coded_in = np.bincount(data.ci_all[data.coded], minlength=data.n_c).astype(float)
    text = dict(zip(names["label"], names["label_text"], strict=True))
    rows = []
    for j, cluster in enumerate(data.clusters):
        t = int(np.argmax(C[:, j])) if C[:, j].any() else None
        share = float(C[t, j] / coded_in[j]) if t is not None and coded_in[j] else 0.0
        coded_share = float(coded_in[j] / sizes[j]) if sizes[j] else 0.0
        rows.append({
            "topic": int(cluster), "label": text.get(cluster, ""),
            "n_segments": int(sizes[j]), "n_coded": int(coded_in[j]),
            "coded_share": coded_share,
            "best_theme": data.themes[t] if t is not None else None,
            "share_of_topic": share,
            "emergent": bool(cluster != OUTLIER and (coded_share < cfg.min_share
                                                     or share < cfg.min_share)),
        })
    return _round(pd.DataFrame(rows).astype({"label": "str", "best_theme": "str"}))


def triangulation(corpus, data: _Data, labels: pd.DataFrame, best: dict[int, list[int]],
                  names: pd.DataFrame) -> pd.DataFrame:
    """Per theme and its best topics: segments both put there, only the model, only coders."""
    segs = corpus.segments
    themes_of = labels.groupby("segment_id", sort=False)["theme"].agg("; ".join)
    text = dict(zip(names["label"], names["label_text"], strict=True))
    parts = []
    for t, theme in enumerate(data.themes):
        clusters = np.array([data.clusters[j] for j in best.get(t, [])], dtype=np.int64)
        in_theme = np.zeros(len(segs), dtype=bool)
        in_theme[data.seg[data.ti == t]] = True
        in_topics = np.isin(data.found, clusters)
        for relation, mask in (("agree", in_theme & in_topics),
                               ("model-only", in_topics & ~in_theme),
                               ("human-only", in_theme & ~in_topics)):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            part = segs.iloc[idx][["segment_id", "doc_id", "speaker", "start_char", "end_char",
                                   "text"]].copy()
            part.insert(0, "relation", relation)
            part.insert(0, "topic", data.found[idx])
            part.insert(0, "theme", theme)
            part.insert(2, "label", [text.get(int(c), "") for c in data.found[idx]])
            part["human_codes"] = part["segment_id"].map(themes_of)  # NA: uncoded
            parts.append(part)
    columns = ["theme", "topic", "label", "relation", "segment_id", "doc_id", "speaker",
               "start_char", "end_char", "text", "human_codes"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("topic", "start_char",
                                                                  "end_char") else "str")
                             for c in columns})
    return pd.concat(parts, ignore_index=True)[columns].astype(
        {"theme": "str", "label": "str", "relation": "str", "human_codes": "str"})


def _round(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if frame[column].dtype == "float64":
            frame[column] = frame[column].round(DECIMALS)
    return frame


# ----------------------------------------------------------------------- autocode
def autocode(corpus, data: _Data, labels: pd.DataFrame, cfg: AlignConfig,
             emb_key: str, seed: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """Suggested codes: grouped cross-validation on the coded segments, then suggestions.

    Returns the ``autocode_cv`` report and the ``suggested_codes`` table (uncoded segments).
    """
    X = corpus.embeddings[emb_key]
    segs = corpus.segments
    coded = data.coded
    docs_of = data.doc_all
    counts = np.bincount(data.ti, minlength=data.n_t)
    doc_counts = np.array([len(np.unique(data.doc[data.ti == t])) for t in range(data.n_t)])
    learnt = [t for t in range(data.n_t) if counts[t] >= cfg.min_examples and doc_counts[t] >= 2]
    skipped = [{"code": data.themes[t], "n_segments": int(counts[t]),
                "n_documents": int(doc_counts[t])} for t in range(data.n_t) if t not in learnt]
    report: dict[str, Any] = {
        "model": "logistic regression per code on embeddings (class weights balanced)",
        "embedding": emb_key, "level": cfg.level, "rule": cfg.rule,
        "threshold": cfg.threshold, "grouped_by": "doc_id",
        "n_coded_segments": int(len(coded)), "n_codes": len(learnt),
        "codes_too_few": skipped, "min_examples": cfg.min_examples,
    }
    empty = pd.DataFrame({"segment_id": pd.Series(dtype="str"), "code": pd.Series(dtype="str"),
                          "confidence": pd.Series(dtype="float64")})
    if not learnt or len(np.unique(docs_of[coded])) < 2:
        report["skipped"] = ("no code has enough coded segments in two interviews"
                             if not learnt else "coded segments come from one interview")
        _warn(f"align: no suggested codes: {report['skipped']}")
        return report, empty
    row = {s: i for i, s in enumerate(coded)}
    Y = np.zeros((len(coded), len(learnt)), dtype=np.int8)
    col = {t: k for k, t in enumerate(learnt)}
    for s, t in zip(data.seg, data.ti, strict=True):
        if t in col:
            Y[row[s], col[t]] = 1

    def make() -> CodeSuggester:
        return CodeSuggester(seed=seed)

    names = [data.themes[t] for t in learnt]
    proba, P, folds = grouped_cv(X[coded], Y, docs_of[coded], folds=cfg.folds, make=make,
                                 threshold=cfg.threshold)
    report.update(agreement(Y, P, names))
    # the suggestions' thresholds: chosen on every coded interview's held-out probabilities
    cut = (best_thresholds(Y, proba) if cfg.threshold == "auto"
           else np.full(len(names), float(cfg.threshold)))
    for entry, t in zip(report["per_code"], cut, strict=True):
        entry["threshold"] = float(t)
    report["folds"] = [{**f, "test_documents": [str(data.doc_ids[int(d)])
                                                for d in f["test_documents"]]}
                       for f in folds]
    report["target_kappa"] = 0.6
    short = [c["code"] for c in report["per_code"]
             if c["kappa"] is None or c["kappa"] < 0.6]
    report["codes_below_target"] = short
    if report["kappa"] is not None and report["kappa"] < 0.6:
        _warn(f"align: suggested codes agree with the coders at kappa {report['kappa']:.3f} on "
              f"held-out interviews, below the 0.60 of good inter-coder agreement; "
              f"{len(short)} of {len(names)} codes fall short (align/autocode_cv.json)")
    uncoded = np.setdiff1d(np.arange(len(segs)), coded)
    if not len(uncoded):
        return report, empty
    model = make().fit(X[coded], Y)
    found = model.predict_proba(X[uncoded])
    r, c = np.nonzero(found >= cut[None, :])
    table = pd.DataFrame({"segment_id": segs["segment_id"].to_numpy()[uncoded[r]],
                          "code": np.asarray(names, dtype=object)[c],
                          "confidence": found[r, c].round(DECIMALS)})
    table = table.assign(_o=uncoded[r]).sort_values(["_o", "confidence"],
                                                    ascending=[True, False], kind="stable")
    report["n_suggested"] = int(len(table))
    report["n_segments_with_suggestions"] = int(table["segment_id"].nunique())
    return report, table.drop(columns="_o").reset_index(drop=True).astype(
        {"segment_id": "str", "code": "str"})


# --------------------------------------------------------------------------- stage
def align(corpus, *, key_added: str = "align", seed: int = 0,
          stats: dict[str, Any] | None = None, **options: Any) -> Result:
    """Align the topics (or themes) with the human codes and store it under ``key_added``.

    Parameters
    ----------
    corpus
        A corpus with a topics result and human codes.
    key_added
        Key in ``corpus.results``.
    seed
        Seed of the bootstrap over interviews.
    stats
        If given, filled with counts for the manifest.
    **options
        Keys of the ``align`` config section.

    Returns
    -------
    Result
        Tables ``theme_topic``, ``per_theme``, ``per_topic``, ``triangulation``,
        ``suggested_codes``; info ``metrics`` and ``autocode_cv``.
    """
    cfg = validate_section(AlignConfig, options, section="align")
    stats = {} if stats is None else stats
    if not len(corpus.codes):
        raise CorpusError("the corpus has no human codes to align with",
                          hint="give codes.path, or read the codes with textmine.io.read_codes")
    found, names = machine_labels(corpus, cfg)
    labels, touched = segment_labels(corpus, cfg)
    if labels.empty:
        raise CorpusError(f"no coded span labels a segment under rule {cfg.rule!r}",
                          key="align.rule", hint="try rule: any, or a smaller min_chars")
    data = _Data(corpus, labels, found)
    coded_docs = np.unique(data.doc_all[data.coded])
    W = (_draws(data.n_d, coded_docs, cfg.n_boot, _rng(seed, "align"))
         if cfg.n_boot and len(coded_docs) >= 2 else None)
    metrics = partition_metrics(data, W)
    per_theme_table, best = per_theme(data, cfg, names, W)
    per_topic_table = per_topic(data, cfg, names)
    metrics.update({
        "level": cfg.level, "parent": cfg.parent, "rule": cfg.rule,
        "min_chars": cfg.min_chars if cfg.rule == "min_chars" else None,
        "against": cfg.against, "n_segments": int(len(corpus)),
        "n_coded_segments": int(len(data.coded)),
        "n_segments_touched_by_codes": touched,
        "n_multi_coded_segments": int((labels.groupby("segment_id").size() > 1).sum()),
        "n_themes": data.n_t, "n_topics": int(sum(c != OUTLIER for c in data.clusters)),
        "n_documents": int(len(coded_docs)), "n_boot": cfg.n_boot if W is not None else 0,
        "outliers": "topic -1 counts as one more cluster",
        "missed_themes": per_theme_table.loc[per_theme_table["missed"], "theme"].tolist(),
        "emergent_topics": [int(t) for t in per_topic_table.loc[per_topic_table["emergent"],
                                                                "topic"]],
    })
    metrics["n_segments_left_by_rule"] = int(touched - len(data.coded))
    tables = {"theme_topic": theme_topic(data, names), "per_theme": per_theme_table,
              "per_topic": per_topic_table,
              "triangulation": triangulation(corpus, data, labels, best, names)}
    autocode_cv = None
    if cfg.autocode:
        emb_key = cfg.embedding or corpus.results[cfg.topics].params.get("embedding")
        if emb_key not in corpus.embeddings:
            raise CorpusError(f"no embeddings {emb_key!r} for the suggested codes",
                              key="align.embedding", hint="run textmine.tl.embed first")
        autocode_cv, tables["suggested_codes"] = autocode(corpus, data, labels, cfg, emb_key,
                                                          seed)
    params = {**cfg.model_dump(mode="json"), "seed": seed}
    result = Result(kind="align", params=params, tables=tables,
                    info={"metrics": metrics, "autocode_cv": autocode_cv})
    corpus.results[key_added] = result
    log.info("align: %d themes against %d %s on %d coded segments: NMI %.3f, ARI %.3f; "
             "%d missed, %d emergent", data.n_t, metrics["n_topics"], cfg.against,
             len(data.coded), metrics["nmi"], metrics["ari"], len(metrics["missed_themes"]),
             len(metrics["emergent_topics"]))
    stats.update(n_themes=data.n_t, n_coded_segments=int(len(data.coded)),
                 nmi=round(metrics["nmi"], 4), ari=round(metrics["ari"], 4),
                 missed_themes=len(metrics["missed_themes"]),
                 emergent_topics=len(metrics["emergent_topics"]),
                 kappa=None if not autocode_cv or autocode_cv.get("kappa") is None
                 else round(autocode_cv["kappa"], 4))
    return result
