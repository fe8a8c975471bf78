"""Throughput of tl.embed (MiniLM, cache off) vs calling sentence-transformers directly.

    .venv/bin/python bench/embed_throughput.py [--n 2000] [--reps 2]

Same real texts (a seeded sample of distinct NHS patient comments), both end to end from a
fresh model load, interleaved so that background load hits both alike. tl.embed pads each
text to a length of its own (see textmine/models/embedder.py); direct is
``SentenceTransformer(path).encode(texts, batch_size=32)`` (the library's defaults).
Writes bench/results/embed_throughput.json.
"""

from __future__ import annotations

import argparse
import random

from common import corpus_from_texts, machine, nhs_comments, timed, write

import textmine as tm
from textmine.models.sources import minilm_folder


def direct(texts: list[str]):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_folder()), device="cpu", local_files_only=True)
    return model.encode(texts, batch_size=32, show_progress_bar=False)


def via_textmine(texts: list[str]):
    corpus = corpus_from_texts(texts)
    tm.tl.embed(corpus, cache=False, progress=False)
    return corpus.embeddings["minilm"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    texts = random.Random(0).sample(nhs_comments(), args.n)
    result = {"texts": f"{args.n} distinct NHS patient comments (seed 0)", **machine(),
              "runs": []}
    direct(texts[:64])  # warm imports and caches for both
    for rep in range(args.reps):
        for name, fn in (("direct", direct), ("textmine", via_textmine)):
            out, wall, cpu, load = timed(lambda fn=fn: fn(texts))
            result["runs"].append({
                "rep": rep, "method": name, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                "texts_per_s": round(len(texts) / wall, 1), "load1": round(load, 2)})
            print(result["runs"][-1], flush=True)

    def total(method, key):
        return sum(r[key] for r in result["runs"] if r["method"] == method)
    result["ratio_wall (textmine/direct throughput)"] = round(
        total("direct", "wall_s") / total("textmine", "wall_s"), 3)
    result["ratio_cpu (textmine/direct throughput per CPU-second)"] = round(
        total("direct", "cpu_s") / total("textmine", "cpu_s"), 3)
    write("embed_throughput", result)


if __name__ == "__main__":
    main()
