"""The static model against MiniLM, measured with the real topic stage on coded data.

For each data set: embed with ``minilm`` and with ``static`` (cache off, so encoding is timed),
then textmine's topic stage with seeds 0, 1, 2, and agreement of topics with the human codes
(ARI, NMI, AMI; outliers as one more cluster). Data sets and labels as in
bench/topics_agreement.py.

    python bench/static_topics.py     # ~5 min on 2 idle cores (distils the static model once)
"""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np
import pandas as pd
from common import machine, timed, write
from topics_agreement import DATASETS, scores

import textmine as tm

SEEDS = (0, 1, 2)


def run(name: str) -> dict:
    title, load = DATASETS[name]
    corpus, labels = load()
    rows, seconds = [], {}
    for model in ("minilm", "static"):
        c = corpus.copy()
        tm.tl.embed(c, model=model, progress=False)  # distils the static model once
        stats, wall, _, _ = timed(lambda c=c, m=model: tm.tl.embed(c, model=m, cache=False,
                                                                    progress=False))
        seconds[model] = {"embed_seconds": round(wall, 3),
                          "encode_seconds": stats.encode_seconds,
                          "texts_per_second": round(stats.n_unique / stats.encode_seconds, 1)}
        for seed in SEEDS:
            tm.tl.topics(c, seed=seed, stability_seeds=0)
            found = tm.get.assignments(c)["topic"].to_numpy()
            rows.append({"model": model, "seed": seed,
                         "n_topics": tm.get.quality(c)["n_topics"],
                         "outlier_share": float(np.mean(found < 0)),
                         "npmi": tm.get.quality(c)["npmi"], **scores(found, labels)})
    frame = pd.DataFrame(rows)
    mean = frame.groupby("model", sort=False).mean(numeric_only=True).drop(columns="seed")
    print(name, title, "\n", mean.round(3).to_string(), seconds, flush=True)
    return {"title": title, "n_units": len(corpus), "timing": seconds,
            "speed_ratio_encode": round(seconds["minilm"]["encode_seconds"]
                                        / max(seconds["static"]["encode_seconds"], 1e-9), 1),
            "mean": mean.round(4).to_dict(orient="index"),
            "runs": frame.round(4).to_dict(orient="records")}


def main(names: list[str]) -> None:
    warnings.simplefilter("ignore")
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    write("static_topics", {"machine": machine(), **{n: run(n) for n in names}})


if __name__ == "__main__":
    main(sys.argv[1:] or ["serdif", "quotes", "focus", "nhs"])
