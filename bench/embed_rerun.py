"""A second run of the same config: how much faster is the embed stage? (example study)

    .venv/bin/python bench/embed_rerun.py [--model minilm|static]

Runs `textmine run configs/example.yaml` twice against a fresh, empty cache folder and reports
the manifest's embed stage (seconds, cache hits/misses) of both runs and their ratio. For
`static` the first run includes distilling the model (first use).
Writes bench/results/embed_rerun_<model>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, write

import textmine as tm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="minilm")
    args = parser.parse_args()
    result = {"config": "configs/example.yaml", "model": args.model, **machine(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        for n in (1, 2):
            load = os.getloadavg()[0]
            start = time.perf_counter()
            run = tm.run(ROOT / "configs" / "example.yaml", out=Path(tmp) / f"run{n}",
                         overrides=[f"embed.model={args.model}", f"embed.cache_dir={cache}"])
            total = time.perf_counter() - start
            stage = json.loads((run.folder / "manifest.json").read_text())["stages"]["embed"]
            result["runs"].append({"run": n, "load1": round(load, 2),
                                   "run_seconds": round(total, 2), "embed_stage": stage})
            print(result["runs"][-1], flush=True)
    first, second = (r["embed_stage"]["seconds"] for r in result["runs"])
    result["embed_stage_speedup (run1/run2)"] = round(first / second, 1)
    write(f"embed_rerun_{args.model}", result)


if __name__ == "__main__":
    main()
