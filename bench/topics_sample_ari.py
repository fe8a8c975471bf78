"""What ``topics.fit_sample`` gives up on the example study: ARI against the full fit.

    flock /work/wt/heavy.lock .venv/bin/python bench/topics_sample_ari.py

The example study (1,061 window segments, 17 sessions), textmine's defaults without
stability refits, seed 0: the full fit, then samples of 250, 500 and 750 segments (stratified
by document) with the rest assigned to the nearest topic. For each: ARI against the full
fit's topics, ARI against the human codes, topics, outlier share. An empty cache folder.
Writes bench/results/topics_sample_ari.json.
"""

from __future__ import annotations

import os
import tempfile
import warnings

from common import write
from embed_floor import example_corpus
from sklearn.metrics import adjusted_rand_score

import textmine as tm


def main() -> None:
    warnings.simplefilter("ignore")
    os.environ["TEXTMINE_CACHE_DIR"] = tempfile.mkdtemp(prefix="textmine-sample-ari-")
    corpus = example_corpus()
    tm.tl.embed(corpus, progress=False)
    full = corpus.copy()
    tm.tl.topics(full, seed=0, stability_seeds=0)
    quality = tm.get.quality(full)
    out = {"load1": os.getloadavg()[0],
           "full": {"n_topics": quality["n_topics"], "ari_codes": round(quality["ari"], 4)}}
    for n in (250, 500, 750):
        sampled = corpus.copy()
        tm.tl.topics(sampled, seed=0, stability_seeds=0, fit_sample=n)
        q = tm.get.quality(sampled)
        out[n] = {"ari_vs_full": round(adjusted_rand_score(
                      tm.get.assignments(full)["topic"], tm.get.assignments(sampled)["topic"]), 4),
                  "ari_codes": round(q["ari"], 4), "n_topics": q["n_topics"],
                  "outlier_share": round(q["outlier_share"], 4)}
        print(n, out[n], flush=True)
    out["load1_end"] = os.getloadavg()[0]
    write("topics_sample_ari", out)


if __name__ == "__main__":
    main()
