"""The Quick start run, timed as a new user meets it: cold (empty cache), then warm.

``textmine run configs/example.yaml`` in a fresh interpreter, twice, with a new, empty
``TEXTMINE_CACHE_DIR``: the first run embeds every segment and fits every UMAP projection
(what a new user waits for after installing; numba's own compilation cache inside the
installed packages is as the machine has it, and the first run after ``pip install`` also
compiles that: see ``first_after_install``); the second run finds both in the cache. Each
run's stage timings come from its manifest; the wall time includes starting Python and
importing the libraries.

    python bench/example_run.py [KEEP]   # ~5 min on 2 idle cores; KEEP: copy the warm
                                         # run folder there (e.g. outputs/example)

Writes bench/results/example_run.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, write


def one_run(cache: Path, out: Path) -> dict:
    env = {**os.environ, "TEXTMINE_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "textmine.cli", "run",
                           str(ROOT / "configs" / "example.yaml"), "--out", str(out)],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    manifest = json.loads((out / "manifest.json").read_text())
    stages = {name: round(info.get("seconds", 0.0), 2) for name, info in
              manifest["stages"].items()}
    topics = manifest["stages"].get("topics", {})
    return {"wall_seconds": round(wall, 1), "loadavg_before": round(load, 2),
            "stage_seconds": stages,
            "umap_seconds": round(topics.get("umap_seconds", 0.0), 2),
            "umap_cache_hits": topics.get("umap_cache_hits"),
            "embed_cache_hits": manifest["stages"].get("embed", {}).get("cache_hits"),
            "segments": manifest["corpus"]["segments"]}


def main(keep: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache, tmp = Path(tmp) / "cache", Path(tmp)
        cold = one_run(cache, tmp / "run1")
        warm = one_run(cache, tmp / "run2")
        if keep:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(tmp / "run2", keep)
    result = {"machine": machine(), "command": "textmine run configs/example.yaml",
              "cold": cold, "warm": warm,
              "first_after_install": "not measured separately: numba compiles UMAP's and "
              "pynndescent's functions once per installation and caches them in the installed "
              "packages; the cold run here found that cache as the machine had it"}
    write("example_run", result)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
