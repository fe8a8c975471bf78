"""Do the terms counted on the fitting sample describe the whole corpus? (``topics.fit_sample``)

    TEXTMINE_CACHE_DIR=<folder> .venv/bin/python bench/topics_sample_terms.py [--size 100000]

With ``fit_sample`` (``auto``: a 20,000-segment sample beyond 30,000 segments) the topic
stage runs on the sample and the other segments are assigned to the nearest topic. Terms
counted on the sample alone would describe 20% of each topic; this measures how far they are
from the terms of every segment, which the stage now counts. The segments are
bench/scale.py's (BBC News, then State of the Union sentences, whole documents in a seeded
order until ``--size``), embedded with the default model and clustered with the defaults.
Then, with the final assignment of every segment, each topic's top-10 c-TF-IDF terms
(:func:`textmine.models.ctfidf.class_terms`, the topic stage's own counter, outliers as one
more class as BERTopic counts them) are computed

``sample``  on the sampled segments only (what the topic stage stored until 2026-12-06),
``all``     on every segment of the corpus (what it stores since: checked against them),

and compared per topic: how many of the 10 terms the two share, whether the label's three
terms are among the other's ten, and how long counting all takes (inside ``tl.topics``:
``terms_counted_on_all_in_the_topic_stage_s``), the process's peak RSS (``VmHWM``) after the
topic stage, and a clustering change in the same process (``topics_again_s``).
Writes bench/results/topics_sample_terms.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from common import machine, write
from scale import _vmhwm_kb, _write_documents, choose

from textmine.runfolder import package_versions
from textmine.tl.sampled import stratified_rows


def top_terms(texts: list[str], topics: np.ndarray, params: dict) -> dict[int, list[str]]:
    """Each topic's top terms, counted as the topic stage counts them (outliers a class)."""
    from textmine.models.ctfidf import class_terms

    found = class_terms(texts, topics, n_terms=int(params["top_n_words"]),
                        stop_words=tuple(params.get("stop_words") or ()),
                        fillers=bool(params.get("fillers", True)),
                        ngram_range=tuple(params.get("ngram_range") or (1, 2)))
    return {i: [w.replace(" ", "_") for w, _ in terms] for i, terms in found.items() if i >= 0}


def compare(a: dict[int, list[str]], b: dict[int, list[str]], n: int = 10) -> dict:
    shared = [len(set(a[t][:n]) & set(b.get(t, [])[:n])) for t in a]
    label = [len(set(a[t][:3]) & set(b.get(t, [])[:n])) == len(a[t][:3]) for t in a]
    return {"topics": len(a), "shared_of_10_mean": round(float(np.mean(shared)), 2),
            "shared_of_10_min": int(min(shared)),
            "shared_of_10_quartiles": [float(q) for q in np.percentile(shared, [25, 50, 75])],
            "topics_sharing_at_least_8": int(sum(s >= 8 for s in shared)),
            "label_terms_all_in_other_top_10": int(sum(label))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import textmine as tm

    result = {**machine(), "command": " ".join(sys.argv), "packages": package_versions()}
    with tempfile.TemporaryDirectory(prefix="textmine-terms-") as tmp:
        spec = choose(_write_documents(Path(tmp)), [args.size])[args.size]
        corpus = tm.io.read_transcripts(spec["files"], unlabelled_speaker="WRITER")
        tm.pp.segment(corpus, unit="sentence")
    tm.tl.embed(corpus, progress=False)
    start = time.perf_counter()
    stats: dict = {}
    tm.tl.topics(corpus, seed=0, stats=stats)
    result["topics_s"] = round(time.perf_counter() - start, 1)
    result["terms_counted_on_all_in_the_topic_stage_s"] = stats.get("terms_seconds")
    quality = tm.get.quality(corpus)
    params = corpus.results["topics"].params
    texts = corpus.segments["text"].tolist()
    topics = tm.get.assignments(corpus)["topic"].to_numpy()
    # the sample the topic stage drew (the same seeded draw)
    rows = stratified_rows(corpus.segments["doc_id"].to_numpy(),
                           int(quality["fit_sample"]["n_sampled"]), seed=0)
    stored = {int(r.topic): str(r.terms).split()
              for r in tm.get.topic_info(corpus).itertuples() if int(r.topic) >= 0}
    on_sample = top_terms([texts[i] for i in rows], topics[rows], params)
    topics_peak_gb = _vmhwm_kb() / 2**20
    start = time.perf_counter()
    on_all = top_terms(texts, topics, params)
    count_s = time.perf_counter() - start
    result.update({
        "segments": len(texts), "n_sampled": int(quality["fit_sample"]["n_sampled"]),
        "n_topics": int(quality["n_topics"]),
        "terms_counted_on": quality["fit_sample"]["terms_counted_on"],
        "stored_vs_all": compare(stored, on_all),
        "sample_vs_all": compare(on_sample, on_all),
        "count_all_s": round(count_s, 1),
        "peak_rss_gb_after_topics": round(topics_peak_gb, 3),
        "examples": {str(t): {"sample": on_sample[t], "all": on_all[t]}
                     for t in sorted(on_sample)[:5]}})
    # a clustering change as a notebook makes it (as bench/scale.py's topics_again_s)
    start = time.perf_counter()
    tm.tl.topics(corpus, seed=0, min_topic_size=40)
    result["topics_again_s"] = round(time.perf_counter() - start, 1)
    result["peak_rss_gb"] = round(_vmhwm_kb() / 2**20, 3)
    write("topics_sample_terms", result)


if __name__ == "__main__":
    main()
