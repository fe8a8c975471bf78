"""Does track's document bootstrap say what it claims? A simulation on real documents.

The pool: the UK Commons COVID-19 speeches (Jan-Jun 2020), one pool document per member of
parliament with at least 10 sentences (all of their speeches: 84 documents of 10 to 400
sentences, like interviews of very different lengths), each sentence with its topic from
textmine's own topic stage (MiniLM, seed 0, 38 topics). The topic mixture of every pool
document is therefore real and known.

Each replication builds a study like the one textmine serves: 15 networks, 140 interviews
(9 or 10 per network), half before and half during a period change. A network draws its
interviews from the pool with probabilities tilted towards a topic of its own (networks
differ, as real ones do); interviews of the second period are tilted further towards one
target topic by ``exp(delta * share)``, which plants a known shift. Because the sampling
probabilities are known, so is every true value: a cell's true prevalence is the expected
mean share of its documents (``unit: document``), or the expected ratio of its segments
(``unit: segment``). The study is then run through ``tl.track`` itself, and we count how
often the 95% intervals contain the truth, how often contrasts are called at q < 0.05 when
nothing was planted, and how often the planted shift is found.

For comparison, the same cells are bootstrapped by resampling *segments* as if they were
independent (what a segment-level analysis would claim).

    .venv/bin/python bench/track_simulation.py            # 200 replications per scenario
    .venv/bin/python bench/track_simulation.py --reps 20  # a quick look

Writes bench/results/track_simulation.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import data_dir, write  # noqa: E402

import textmine as tm  # noqa: E402
from textmine.corpus import Result  # noqa: E402
from textmine.errors import TextmineWarning  # noqa: E402

N_NETWORKS = 15
N_DOCS = 140
NETWORK_TILT = 4.0  # how far a network leans to its own topic (document-share scale)
MIN_SEGMENTS = 10  # pool documents: members of parliament with at least this many sentences


def pool(seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Topic of every sentence of the Commons speeches, grouped by speaker.

    Returns ``segments`` (pool document index, topic) and the topic labels. Kept in
    ``bench/results/.track_pool.npz`` (git-ignored) so that a re-run skips the topic model.
    """
    cached = Path(__file__).resolve().parent / "results" / ".track_pool.npz"
    if cached.is_file():
        data = np.load(cached, allow_pickle=False)
        return data["segments"], data["labels"].tolist()
    segments, labels = _pool(seed)
    np.savez(cached, segments=segments, labels=np.array(labels))
    return segments, labels


def _pool(seed: int) -> tuple[np.ndarray, list[str]]:
    path = data_dir() / "uk_commons_covid_2020" / "uk_covid_speeches_2020.csv"
    corpus = tm.io.read_transcripts(
        str(path), format="table",
        columns={"doc_id": ["date", "speech_id", "words"], "speaker": "speaker_name",
                 "text": "text"})
    tm.pp.segment(corpus, unit="sentence", min_words=3)
    tm.tl.embed(corpus, model="minilm", progress=False)
    tm.tl.topics(corpus, seed=seed, stability_seeds=0)
    topics = corpus.results["topics"].per_segment["topic"].to_numpy()
    speakers = corpus.segments["speaker"]
    # an interview has more than a handful of segments: members with fewer are left out
    sizes = speakers.map(speakers.value_counts())
    keep = (sizes >= MIN_SEGMENTS).to_numpy()
    codes = pd.factorize(speakers[keep])[0]
    labels = corpus.results["topics"].tables["topic_info"]["label"].tolist()
    return np.column_stack([codes, topics[keep]]), labels


def study(rng: np.random.Generator, shares: np.ndarray, delta: float, target: int,
          favourite: np.ndarray):
    """Draw one study: pool document, network and period of each of the 140 interviews.

    Returns the draws and the sampling probabilities of each (network, period).
    """
    docs, probs = [], {}
    sizes = [10 if g < N_DOCS - 9 * N_NETWORKS else 9 for g in range(N_NETWORKS)]
    for g in range(N_NETWORKS):
        base = np.exp(NETWORK_TILT * shares[:, favourite[g]])
        for period, n in ((0, sizes[g] // 2), (1, sizes[g] - sizes[g] // 2)):
            weight = base * (np.exp(delta * shares[:, target]) if period else 1.0)
            p = weight / weight.sum()
            probs[(g, period)] = (p, n)
            for d in rng.choice(len(shares), size=n, p=p):
                docs.append((d, g, period))
    return np.array(docs), probs


def truths(probs, counts: np.ndarray, segments: np.ndarray, cells) -> tuple[np.ndarray, ...]:
    """True document-unit and segment-unit prevalence of cells (lists of (g, period))."""
    shares = counts / segments[:, None]
    doc_truth, seg_truth = [], []
    for members in cells:
        n = sum(probs[m][1] for m in members)
        doc_truth.append(sum(probs[m][1] * (probs[m][0] @ shares) for m in members) / n)
        num = sum(probs[m][1] * (probs[m][0] @ counts) for m in members)
        den = sum(probs[m][1] * (probs[m][0] @ segments) for m in members)
        seg_truth.append(num / den)
    return np.array(doc_truth), np.array(seg_truth)


def as_corpus(draws: np.ndarray, seg_pool: np.ndarray, labels: list[str]) -> tm.Corpus:
    """A Corpus of the drawn interviews (each a copy of a pool document's segments)."""
    by_doc = {d: seg_pool[seg_pool[:, 0] == d, 1] for d in np.unique(draws[:, 0])}
    seg_rows, doc_rows, topic = [], [], []
    for i, (d, g, period) in enumerate(draws):
        doc_id = f"int{i:03d}"
        ts = by_doc[d]
        doc_rows.append({"doc_id": doc_id, "source": "sim", "format": "text",
                         "labels": "none", "sha256": "", "n_chars": len(ts) + 1,
                         "n_turns": 1, "network": f"N{g + 1:02d}",
                         "interview_date": pd.Timestamp("2019-06-01" if period == 0
                                                        else "2020-04-01")})
        for j, t in enumerate(ts):
            seg_rows.append({"segment_id": f"{doc_id}:{j}-{j + 1}", "doc_id": doc_id,
                             "speaker": "P", "role": "participant", "turn": 0,
                             "start_char": j, "end_char": j + 1, "text": "x"})
            topic.append(int(t))
    documents = pd.DataFrame(doc_rows)
    turns = pd.DataFrame({"doc_id": documents["doc_id"], "turn": 0, "speaker": "P",
                          "role": "participant", "start_char": 0,
                          "end_char": documents["n_chars"], "start_time": np.nan,
                          "text": "x"})
    segments = pd.DataFrame(seg_rows)
    corpus = tm.Corpus(documents, turns, segments)
    k = len(labels)
    per = pd.DataFrame({"segment_id": segments["segment_id"], "topic": topic,
                        "probability": 1.0, "assignment": "cluster", "similarity": 1.0})
    info = pd.DataFrame({"topic": range(k), "size": 0, "label": labels, "terms": ""})
    corpus.results["topics"] = Result("topics", {}, per, {"topic_info": info}, {})
    return corpus


def covered(low, high, truth) -> np.ndarray:
    return (low <= truth + 1e-12) & (truth <= high + 1e-12)


def replicate(rng, seg_pool, labels, counts, segments, delta, target, n_boot, n_perm, seed):
    shares = counts / segments[:, None]
    favourite = rng.choice(np.flatnonzero(shares.mean(0) > 0.02), size=N_NETWORKS)
    draws, probs = study(rng, shares, delta, target, favourite)
    corpus = as_corpus(draws, seg_pool, labels)
    options = dict(by=["network"], date="interview_date",
                   periods={"pre": ["2019-01-01", "2019-12-31"],
                            "during": ["2020-01-01", "2020-12-31"]},
                   contrasts=[["period", "pre", "during"]], n_boot=n_boot,
                   n_permutations=n_perm, n_terms=0, codes=False, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextmineWarning)
        doc = tm.tl.track(corpus, **options).tables
        seg = tm.tl.track(corpus, unit="segment", **{k: v for k, v in options.items()
                                                      if k != "contrasts"}).tables
    period_cells = [[(g, p) for g in range(N_NETWORKS)] for p in (0, 1)]
    network_cells = [[(g, 0), (g, 1)] for g in range(N_NETWORKS)]
    k = len(labels)
    doc_p, seg_p = truths(probs, counts, segments, period_cells)
    doc_n, _ = truths(probs, counts, segments, network_cells)
    out = {}
    prev = doc["prevalence_period"].query("topic >= 0")
    low, high = prev["ci_low"].to_numpy().reshape(2, k), prev["ci_high"].to_numpy().reshape(2, k)
    out["period"] = covered(low, high, doc_p)
    out["period_width"] = high - low
    prev = doc["prevalence_network"].query("topic >= 0")
    low = prev["ci_low"].to_numpy().reshape(N_NETWORKS, k)
    high = prev["ci_high"].to_numpy().reshape(N_NETWORKS, k)
    out["network"] = covered(low, high, doc_n)
    con = doc["contrasts_period"].query("topic >= 0")
    diff = doc_p[1] - doc_p[0]
    out["contrast"] = covered(con["ci_low"].to_numpy(), con["ci_high"].to_numpy(), diff)
    out["q"] = con["q"].to_numpy()
    out["p"] = con["p"].to_numpy()
    prev = seg["prevalence_period"].query("topic >= 0")
    low, high = prev["ci_low"].to_numpy().reshape(2, k), prev["ci_high"].to_numpy().reshape(2, k)
    out["segment_unit_doc_boot"] = covered(low, high, seg_p)
    # what a segment-level bootstrap claims: every segment resampled on its own
    # (resampling the n segments of a cell, each with one topic, is a multinomial draw of
    # the cell's topic counts: drawn directly, it is the same bootstrap, much faster)
    seg_topic = corpus.results["topics"].per_segment["topic"].to_numpy()
    doc_period = np.repeat(draws[:, 2], [np.sum(seg_pool[:, 0] == d) for d in draws[:, 0]])
    low, high = np.zeros((2, k)), np.zeros((2, k))
    for p in (0, 1):
        topics_p = seg_topic[doc_period == p]
        n = len(topics_p)
        freq = np.bincount(topics_p + 1, minlength=k + 1) / n  # outliers first
        boot = rng.multinomial(n, freq, size=n_boot)[:, 1:] / n
        low[p], high[p] = np.quantile(boot, [0.025, 0.975], axis=0)
    out["segment_boot"] = covered(low, high, seg_p)
    out["segment_boot_width"] = high - low
    out["truth_period"] = doc_p
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--n-perm", type=int, default=1999)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    seg_pool, labels = pool()
    k = len(labels)
    n_pool = int(seg_pool[:, 0].max()) + 1
    keep = seg_pool[:, 1] >= 0
    counts = np.zeros((n_pool, k))
    np.add.at(counts, (seg_pool[keep, 0], seg_pool[keep, 1]), 1)
    segments = np.bincount(seg_pool[:, 0], minlength=n_pool).astype(float)
    shares = counts / segments[:, None]
    # the target: a mid-sized topic (what a study would want to detect)
    mean = shares.mean(0)
    target = int(np.argsort(-mean)[len(mean) // 3])
    print(f"pool: {n_pool} documents, {len(seg_pool)} segments, {k} topics; target topic "
          f"{target} ({labels[target]}), pool share {mean[target]:.3f}", flush=True)
    scenarios = {"null": 0.0, "small": 8.0, "medium": 15.0, "large": 25.0}
    results = {}
    for name, delta in scenarios.items():
        rng = np.random.default_rng([7, int(delta * 10)])
        reps = [replicate(rng, seg_pool, labels, counts, segments, delta, target,
                          args.n_boot, args.n_perm, seed=r) for r in range(args.reps)]
        stack = {key: np.array([r[key] for r in reps]) for key in reps[0]}
        truth = stack["truth_period"]
        planted = truth[:, 1, target] - truth[:, 0, target]
        big = truth.mean(axis=0).min(axis=0) >= 0.01  # topics of at least 1% in both periods
        others = np.arange(k) != target
        entry = {
            "delta": delta,
            "planted_difference_target": round(float(planted.mean()), 4),
            "coverage_period_cells": round(float(stack["period"].mean()), 4),
            "coverage_period_cells_topics_ge_1pct": round(float(stack["period"][:, :, big]
                                                                .mean()), 4),
            "coverage_network_cells": round(float(np.nanmean(stack["network"])), 4),
            "coverage_contrast": round(float(stack["contrast"].mean()), 4),
            "coverage_segment_unit_document_bootstrap": round(
                float(stack["segment_unit_doc_boot"].mean()), 4),
            "coverage_segment_bootstrap": round(float(stack["segment_boot"].mean()), 4),
            "mean_width_document_bootstrap": round(float(stack["period_width"].mean()), 4),
            "mean_width_segment_bootstrap": round(float(stack["segment_boot_width"].mean()),
                                                  4),
            "rate_q_below_05_target": round(float((stack["q"][:, target] < 0.05).mean()), 4),
            "rate_q_below_05_other_topics": round(float((stack["q"][:, others] < 0.05)
                                                        .mean()), 4),
            "rate_any_other_topic_q_below_05": round(float((stack["q"][:, others] < 0.05)
                                                           .any(axis=1).mean()), 4),
            "rate_p_below_05_other_topics": round(float((stack["p"][:, others] < 0.05)
                                                        .mean()), 4),
        }
        results[name] = entry
        print(name, entry, flush=True)
    write("track_simulation", {
        "command": "python bench/track_simulation.py " + " ".join(argv),
        "pool": {"documents": n_pool, "segments": int(len(seg_pool)), "topics": k,
                 "target_topic": target, "target_label": labels[target],
                 "target_pool_share": round(float(mean[target]), 4)},
        "design": {"networks": N_NETWORKS, "documents": N_DOCS, "periods": 2,
                   "network_tilt": NETWORK_TILT, "replications": args.reps,
                   "n_boot": args.n_boot, "n_permutations": args.n_perm, "level": 0.95},
        "scenarios": results,
        "seconds": round(time.perf_counter() - start, 1),
        "loadavg": os.getloadavg(),
    })


if __name__ == "__main__":
    main(sys.argv[1:])
