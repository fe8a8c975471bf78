"""Is int8 MiniLM equivalent to fp32? Speed, cosine per segment, and topics against codes.

    flock /work/wt/heavy.lock .venv/bin/python bench/embed_int8.py

int8 here is torch's dynamic quantisation of every ``nn.Linear`` of the verified MiniLM
(``torch.ao.quantization.quantize_dynamic``, weights int8, activations quantised per batch):
built in memory from the shipped weights, nothing downloaded, no new package. On the same
texts as textmine batches them (padding ladder), it is compared with fp32 on

1. speed (wall and CPU seconds, SOTU 1980-2020 windows sample and the example study),
2. cosine similarity to the fp32 vector, per segment (the issue's bar: >= 0.99 for every one),
3. the real topic stage on the example study (textmine's defaults, seeds 0, 1, 2, no
   stability refits): ARI and NMI against the human codes (the bar: within 2% of fp32).

Writes bench/results/embed_int8.json.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import warnings

import numpy as np
from common import machine, write
from embed_floor import example_corpus, sotu_corpus

import textmine as tm
from textmine.models.embedder import SentenceEmbedder
from textmine.tl.embed import embedding_texts

SEEDS = (0, 1, 2)


def quantised(model: SentenceEmbedder) -> SentenceEmbedder:
    """A copy of a fitted MiniLM embedder whose linear layers run in int8."""
    import copy

    import torch

    out = copy.copy(model)
    out.model_ = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(model.model_), {torch.nn.Linear}, dtype=torch.qint8)
    return out


def timed_transform(model: SentenceEmbedder, texts: list[str]) -> tuple[np.ndarray, dict]:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = model.transform(texts)
    return vectors, {"wall_s": round(time.perf_counter() - wall, 2),
                     "cpu_s": round(time.process_time() - cpu, 2), "load1": round(load, 2)}


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def topics_agreement(corpus, vectors: np.ndarray) -> list[dict]:
    rows = []
    for seed in SEEDS:
        c = corpus.copy()
        c.embeddings["minilm"] = vectors
        tm.tl.topics(c, seed=seed, stability_seeds=0)
        q = tm.get.quality(c)
        rows.append({"seed": seed, "ari": round(q["ari"], 4), "nmi": round(q["nmi"], 4),
                     "n_topics": q["n_topics"]})
    return rows


def main() -> None:
    warnings.simplefilter("ignore")
    os.environ["TEXTMINE_CACHE_DIR"] = tempfile.mkdtemp(prefix="textmine-int8-")
    fp32 = SentenceEmbedder("minilm", backend="torch").fit()
    int8 = quantised(fp32)
    example = example_corpus()
    sets = {"sotu_sample": random.Random(0).sample(
                list(dict.fromkeys(embedding_texts(sotu_corpus()))), 600),
            "example": embedding_texts(example)}
    result = {**machine(), "method": "torch dynamic quantisation of nn.Linear (qint8)"}
    vectors = {}
    for name, texts in sets.items():
        fp32.transform(texts[:64])
        int8.transform(texts[:64])
        entry = {"n_texts": len(texts)}
        for _rep in range(2):  # interleaved, so background load hits both alike
            for label, model in (("fp32", fp32), ("int8", int8)):
                out, timing = timed_transform(model, texts)
                vectors[name, label] = out
                entry.setdefault(label, []).append(timing)
                print(name, label, timing, flush=True)
        cos = cosines(vectors[name, "int8"], vectors[name, "fp32"])
        entry["cosine"] = {"min": round(float(cos.min()), 5), "p01": round(
            float(np.quantile(cos, 0.01)), 5), "mean": round(float(cos.mean()), 5),
            "share_below_0.99": round(float(np.mean(cos < 0.99)), 4)}
        entry["speedup_wall"] = round(sum(t["wall_s"] for t in entry["fp32"])
                                      / sum(t["wall_s"] for t in entry["int8"]), 2)
        entry["speedup_cpu"] = round(sum(t["cpu_s"] for t in entry["fp32"])
                                     / sum(t["cpu_s"] for t in entry["int8"]), 2)
        result[name] = entry
        print(name, entry["cosine"], entry["speedup_wall"], flush=True)
    tm.tl.embed(example, progress=False)  # the corpus record the topic stage reads
    agreement = {}
    for label in ("fp32", "int8"):
        agreement[label] = topics_agreement(example, vectors["example", label])
        print(label, agreement[label], flush=True)
    mean = {label: {k: round(float(np.mean([r[k] for r in rows])), 4) for k in ("ari", "nmi")}
            for label, rows in agreement.items()}
    result["topics_example"] = {"runs": agreement, "mean": mean,
                                "ari_relative_change": round(
                                    mean["int8"]["ari"] / mean["fp32"]["ari"] - 1, 4),
                                "nmi_relative_change": round(
                                    mean["int8"]["nmi"] / mean["fp32"]["nmi"] - 1, 4)}
    ok_cos = all(result[n]["cosine"]["min"] >= 0.99 for n in sets)
    ok_topics = all(abs(result["topics_example"][k]) <= 0.02
                    for k in ("ari_relative_change", "nmi_relative_change"))
    result["passes"] = {"cosine_ge_0.99_every_segment": ok_cos,
                        "topics_within_2pct": ok_topics}
    result["loadavg_end"] = os.getloadavg()
    write("embed_int8", result)


if __name__ == "__main__":
    main()
