"""Peak memory and time of the topic stage on ~100k segments with ``topics.fit_sample``.

    flock /work/wt/heavy.lock .venv/bin/python bench/topics_sample.py [--sample 20000]

Every State of the Union address (../shared/data/sotu, 1790-2026) as textmine's sentence
segments, embedded with the static model (MiniLM on this many segments would take hours on
two cores; the topic stage's memory does not depend on which vectors it clusters, only their
dimension: 256 here, 384 for MiniLM). The corpus is written once as a corpus folder; then
each measurement runs in a fresh process that reads it back (embeddings memory-mapped) and
runs ``tl.topics`` with ``fit_sample``, so its peak RSS (``ru_maxrss``) is the topic stage's
and the reading's alone:

``cold``  an empty UMAP cache: UMAP on the sample, HDBSCAN, terms, the rest assigned;
``warm``  then a clustering change (``min_topic_size`` 30): the UMAP reduction is read from
          the cache, nothing is embedded.

Writes bench/results/topics_sample.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from common import ROOT, data_dir, machine, write


def build(folder: Path) -> dict:
    import textmine as tm

    files = sorted(str(p) for p in (data_dir() / "sotu" / "speeches").glob("*.txt"))
    start = time.perf_counter()
    corpus = tm.io.read_transcripts(files, unlabelled_speaker="PRESIDENT")
    tm.pp.segment(corpus, unit="sentence")
    stats = tm.tl.embed(corpus, model="static", progress=False)
    corpus.write(folder)
    return {"documents": corpus.n_docs, "segments": len(corpus.segments),
            "embed_seconds": stats.seconds, "build_seconds": round(time.perf_counter() - start, 1),
            "dim": int(corpus.embeddings["static"].shape[1])}


def measure(folder: str, sample: int, min_topic_size: str) -> dict:
    """Run in a fresh process: read the corpus folder, fit topics on a sample."""
    warnings.simplefilter("ignore")
    import numpy as np

    import textmine as tm

    load = os.getloadavg()[0]
    start = time.perf_counter()
    corpus = tm.io.read_corpus(Path(folder))
    mapped = isinstance(corpus.embeddings["static"], np.memmap)
    size = min_topic_size if min_topic_size == "auto" else int(min_topic_size)
    stats: dict = {}
    tm.tl.topics(corpus, seed=0, stability_seeds=0, fit_sample=sample, min_topic_size=size,
                 stats=stats)
    quality = tm.get.quality(corpus)
    return {"wall_s": round(time.perf_counter() - start, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "embeddings_memory_mapped": mapped, "load1_before": round(load, 2),
            "load1_after": round(os.getloadavg()[0], 2),
            "umap_seconds": round(stats.get("umap_seconds", 0.0), 1),
            "umap_cache_hits": stats.get("umap_cache_hits"),
            "cluster_seconds": round(stats.get("cluster_seconds", 0.0), 1),
            "assign_seconds": stats.get("assign_seconds"),
            "n_topics": quality["n_topics"], "outlier_share": round(quality["outlier_share"], 4),
            "fit_sample": quality["fit_sample"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=20000)
    parser.add_argument("--child", nargs=3, metavar=("FOLDER", "SAMPLE", "MIN_TOPIC_SIZE"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.child[2])))
        return
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="textmine-sample-") as tmp:
        env = {**os.environ, "TEXTMINE_CACHE_DIR": str(Path(tmp) / "cache"),
               "PYTHONPATH": str(ROOT)}
        os.environ.update(env)
        folder = Path(tmp) / "corpus"
        result = {**machine(), "corpus": build(folder), "sample": args.sample, "runs": {}}
        print(result["corpus"], flush=True)
        for label, size in (("cold", "auto"), ("warm", "30")):
            out = subprocess.run([sys.executable, __file__, "--child", str(folder),
                                  str(args.sample), size], env=env, check=True,
                                 capture_output=True, text=True)
            result["runs"][label] = json.loads(out.stdout.strip().splitlines()[-1])
            print(label, result["runs"][label], flush=True)
    result["loadavg_end"] = os.getloadavg()
    write("topics_sample", result)


if __name__ == "__main__":
    main()
