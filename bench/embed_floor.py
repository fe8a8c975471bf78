"""The embedding floor: what MiniLM-L6 must cost on this CPU, against what tl.embed takes.

    flock /work/wt/heavy.lock .venv/bin/python bench/embed_floor.py [--only example|sotu]

1. **Sustained fp32 rate.** matmuls in the model's own shapes, with torch's thread
   count as textmine runs it (2 here), on each fp32 kernel library at hand (torch's MKL,
   torch's oneDNN, numpy's OpenBLAS; the floor takes the fastest): for a batch of ``b``
   texts padded to ``s`` tokens, each of the 6 layers does ``(b*s, 384) @ (384, 384)`` four
   times (Q, K, V, output),
   ``(b*s, 384) @ (384, 1536)``, ``(b*s, 1536) @ (1536, 384)`` and the attention products
   ``(b*12, s, 32) @ (b*12, 32, s)`` and back. The rate is those FLOPs over their median time.
2. **The floor of a corpus.** MiniLM-L6 costs ``6 * (4*2*384^2 + 2*2*384*1536) = 21.2`` MFLOP
   per token in its dense layers plus ``6 * 4 * 384 * s`` in attention (about 21.6 MFLOP at
   the issue's typical length): the floor is the FLOPs of the texts' real tokens (special
   tokens in, truncated at the model's 256, no padding) over the sustained rate. Nothing the
   model does outside matmuls (layer norms, GELU, softmax, tokenising) is counted, so no real
   run can reach it.
3. **textmine's actual time** on the same texts: ``tl.embed`` with an empty cache
   (``TEXTMINE_CACHE_DIR`` pointed at a new temporary folder), then again warm.

Corpora: the example study (configs/example.yaml: window segments with the question they
answer, as tl.embed embeds them) and the State of the Union addresses 1980-2020 as textmine's
window segments (../shared/data/sotu, public domain). Each number comes with the 1-minute load
average when it was taken (the machine is shared). Writes bench/results/embed_floor.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from common import ROOT, data_dir, write

import textmine as tm
from textmine.pipeline import read_inputs
from textmine.runfolder import Stages
from textmine.tl.embed import embedding_texts

HIDDEN, FFN, LAYERS, HEADS, MAX_TOKENS = 384, 1536, 6, 12, 256
#: dense FLOPs per token (multiply-add = 2 FLOPs): Q, K, V, output, and the two FFN matmuls
DENSE_FLOPS_PER_TOKEN = LAYERS * (4 * 2 * HIDDEN * HIDDEN + 2 * 2 * HIDDEN * FFN)
ISSUE_FLOPS_PER_TOKEN = 21.6e6


def attention_flops_per_token(seq: int) -> int:
    """QK^T and (softmax)V per token, over all layers, for a sequence of ``seq`` tokens."""
    return LAYERS * 2 * 2 * HIDDEN * seq


def layer_matmuls(batch: int, seq: int):
    """The operands of one layer's matmuls, with their FLOPs (one forward pass of a batch)."""
    import torch

    gen = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float32)

    m = batch * seq
    x, h = rand(m, HIDDEN), rand(m, FFN)
    w_qkvo, w_up, w_down = rand(HIDDEN, HIDDEN), rand(HIDDEN, FFN), rand(FFN, HIDDEN)
    q = rand(batch * HEADS, seq, HIDDEN // HEADS)
    k_t = rand(batch * HEADS, HIDDEN // HEADS, seq)
    probs = rand(batch * HEADS, seq, seq)
    ops = [(x, w_qkvo)] * 4 + [(x, w_up), (h, w_down)]
    flops = 4 * 2 * m * HIDDEN * HIDDEN + 2 * 2 * m * HIDDEN * FFN
    return ops, [(q, k_t), (probs, q)], flops + 2 * 2 * batch * seq * seq * HIDDEN


#: the fp32 matrix kernels a run can use here: torch's BLAS (MKL in its x86 wheels), torch's
#: oneDNN with packed weights (``embed.backend: onednn``, the default where torch has it),
#: numpy's OpenBLAS. The floor takes the fastest: what the CPU sustains, not what one
#: library gets out of it (MKL reaches 50-85% of oneDNN's rate on AMD's AVX-512 cores)
KERNELS = ("mkl", "onednn", "openblas")


def _dense_product(kernel: str, a, b):
    """``a @ b`` as this kernel computes it, operands already in its layout."""
    import torch

    if kernel == "mkl":
        return lambda: torch.mm(a, b)
    if kernel == "onednn":  # what textmine.models.onednn runs: weights packed once
        w = torch.ops.mkldnn._reorder_linear_weight(b.t().contiguous())  # (out, in)
        bias = torch.zeros(b.shape[1])
        return lambda: torch.ops.mkldnn._linear_pointwise(a, w, bias, "none", [], "")
    if kernel == "openblas":
        x, w = a.numpy(), b.numpy()
        return lambda: x @ w
    raise ValueError(f"unknown kernel {kernel!r}")


def sustained_rate(batch: int, seq: int, reps: int = 7, kernel: str = "mkl") -> dict:
    """Median GFLOP/s of one layer's matmuls at this batch shape (after a warm-up).

    The dense products run on ``kernel``; the attention products on torch's ``bmm``.
    """
    import torch

    dense, attention, flops = layer_matmuls(batch, seq)
    with torch.inference_mode():
        products = [_dense_product(kernel, a, b) for a, b in dense]

        def once() -> float:
            start = time.perf_counter()
            for product in products:
                product()
            for a, b in attention:
                torch.bmm(a, b)
            return time.perf_counter() - start

        once()
        # enough repetitions of each timing that it lasts ~50 ms (timer noise negligible)
        inner = max(1, int(0.05 / max(once(), 1e-6)))
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            for _ in range(inner):
                once()
            times.append((time.perf_counter() - start) / inner)
    median = statistics.median(times)
    return {"batch": batch, "seq": seq, "kernel": kernel, "flops_per_layer": flops,
            "gflops_median": round(flops / median / 1e9, 2),
            "gflops_best": round(flops / min(times) / 1e9, 2),
            "load1": round(os.getloadavg()[0], 2)}


def example_corpus():
    cfg = tm.load_config(ROOT / "configs" / "example.yaml").resolved()
    corpus, _ = read_inputs(cfg, Stages())
    tm.pp.segment(corpus, **cfg.segment.model_dump())
    return corpus


def sotu_files(first: int = 1980, last: int = 2020) -> list[str]:
    """The addresses of these years (spoken and written), one text file each."""
    folder = data_dir() / "sotu"
    meta = pd.read_csv(folder / "metadata.csv")
    keep = meta[(meta["year"] >= first) & (meta["year"] <= last)]
    return [str(folder / "speeches" / f"{fileid}.txt") for fileid in keep["fileid"]]


def sotu_corpus(first: int = 1980, last: int = 2020):
    """State of the Union addresses as textmine's window segments (one speaker per text)."""
    corpus = tm.io.read_transcripts(sotu_files(first, last), unlabelled_speaker="PRESIDENT")
    tm.pp.segment(corpus, unit="window")
    return corpus


def token_counts(texts: list[str]) -> np.ndarray:
    """Tokens MiniLM sees per text (special tokens in, truncated), from its own tokenizer."""
    from textmine.models.embedder import SentenceEmbedder

    return SentenceEmbedder("minilm").fit().token_lengths(texts)


def padded_counts(lengths: np.ndarray, batch_size: int) -> dict[str, int]:
    """Tokens computed under textmine's padding ladder and under "longest in the batch".

    The second is sentence-transformers' own ``encode`` (it sorts texts by length, longest
    first, then pads each batch to its longest text).
    """
    from textmine.models.embedder import padded_length

    ladder = int(sum(padded_length(int(n), 512) for n in lengths))
    ordered = np.sort(lengths)[::-1]
    longest = int(sum(int(ordered[s]) * len(ordered[s:s + batch_size])
                      for s in range(0, len(ordered), batch_size)))
    return {"ladder": ladder, "longest_in_batch_sorted": longest}


def floor_of(lengths: np.ndarray, gflops: float) -> dict:
    """Floor seconds of these texts at this rate (exact FLOPs and the issue's 21.6 MFLOP)."""
    exact = float(sum(DENSE_FLOPS_PER_TOKEN * n + attention_flops_per_token(int(n)) * n
                      for n in lengths))
    tokens = int(lengths.sum())
    return {"tokens": tokens, "mean_tokens": round(float(lengths.mean()), 1),
            "gflop": round(exact / 1e9, 1),
            "floor_s": round(exact / (gflops * 1e9), 2),
            "floor_s_at_21.6_mflop_per_token": round(
                tokens * ISSUE_FLOPS_PER_TOKEN / (gflops * 1e9), 2)}


def measure(name: str, corpus, gflops: float) -> dict:
    """Floor and textmine's cold and warm embed of one corpus."""
    texts = embedding_texts(corpus)
    unique = list(dict.fromkeys(texts))
    lengths = token_counts(unique)
    out = {"segments": len(texts), "unique_texts": len(unique), **floor_of(lengths, gflops),
           "padded_tokens": padded_counts(lengths, 64)}
    with tempfile.TemporaryDirectory(prefix="textmine-floor-") as tmp:
        os.environ["TEXTMINE_CACHE_DIR"] = tmp
        runs = []
        for label in ("cold", "warm"):
            load = os.getloadavg()[0]
            start = time.perf_counter()
            cpu = time.process_time()
            stats = tm.tl.embed(corpus.copy(), progress=False)
            runs.append({"run": label, "wall_s": round(time.perf_counter() - start, 2),
                         "cpu_s": round(time.process_time() - cpu, 2),
                         "encode_s": stats.encode_seconds, "cache_hits": stats.cache_hits,
                         "cache_misses": stats.cache_misses,
                         "torch_threads": stats.torch_threads, "load1_before": round(load, 2),
                         "load1_after": round(os.getloadavg()[0], 2)})
            print(name, runs[-1], flush=True)
        del os.environ["TEXTMINE_CACHE_DIR"]
    cold = runs[0]
    out["runs"] = runs
    out["cold_encode_over_floor"] = round(cold["encode_s"] / out["floor_s"], 2)
    out["cold_wall_over_floor"] = round(cold["wall_s"] / out["floor_s"], 2)
    # on a shared machine the wall clock also counts time the other jobs took: CPU seconds
    # over the floor's CPU seconds (floor x threads) say how close the work itself came
    out["cold_cpu_over_floor"] = round(cold["cpu_s"] / (out["floor_s"] * cold["torch_threads"]),
                                       2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["example", "sotu"], default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    result = {"machine": {"cpu": _cpu_name(), "cpus": os.cpu_count(),
                          "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
                          "python": platform.python_version(),
                          "loadavg_start": os.getloadavg()},
              "dense_flops_per_token": DENSE_FLOPS_PER_TOKEN}
    # the shapes tl.embed runs: batches of 64 at the padding ladder's common lengths, on each
    # kernel library; the floor is the fastest library's median over the shapes
    rates = [sustained_rate(64, seq, kernel=kernel)
             for kernel in KERNELS for seq in (16, 32, 64, 128, 256)]
    for row in rates:
        print(row, flush=True)
    gflops = max(statistics.median(r["gflops_median"] for r in rates if r["kernel"] == kernel)
                 for kernel in KERNELS)
    result["matmul_rates"] = rates
    result["sustained_gflops"] = gflops
    builders = {"example": ("the example study (configs/example.yaml), window segments with "
                            "the question they answer", example_corpus),
                "sotu": ("State of the Union 1980-2020, window segments", sotu_corpus)}
    for name, (title, build) in builders.items():
        if args.only in (None, name):
            result[name] = {"title": title, **measure(name, build(), gflops)}
    result["loadavg_end"] = os.getloadavg()
    write("embed_floor" if args.only is None else f"embed_floor_{args.only}", result)


def _cpu_name() -> str:
    """The CPU's model name, with its family and model numbers where Linux gives them.

    A virtual machine may name every generation alike ("AMD EPYC" for Zen 4 and Zen 5,
    whose AVX-512 rates differ twofold): the numbers tell them apart.
    """
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown"
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


if __name__ == "__main__":
    main()
