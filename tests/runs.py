"""Helpers for whole-run tests: run folders as bytes, manifests without clocks, subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from textmine.tables.report import strip_volatile

# manifest keys that measure the clock, not the results
CLOCK_KEYS = ("seconds", "created_utc", "started_utc", "finished_utc", "duration")
# manifest keys that describe the state of the cache a run found, not its results: a cold and
# a warm cache must give the same files, and they report different hits and misses
CACHE_STATE_KEYS = ("cache_hits", "cache_misses", "corrupt_recomputed", "cache_unsaved",
                    "cache_dir", "torch_threads")


def without_clock(value):
    """A manifest with every timestamp, duration and cache-state counter removed, at any depth.
    """
    if isinstance(value, dict):
        return {k: without_clock(v) for k, v in value.items()
                if not any(k == c or k.endswith("_" + c) for c in CLOCK_KEYS + CACHE_STATE_KEYS)}
    if isinstance(value, list):
        return [without_clock(v) for v in value]
    return value


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (relative path -> bytes); manifest.json without its clock."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = str(path.relative_to(folder))
        data = path.read_bytes()
        if path.name == "manifest.json":
            data = json.dumps(without_clock(json.loads(data)), sort_keys=True).encode()
        elif rel == "report.html":  # its timings and creation time, as in the manifest
            data = strip_volatile(data.decode("utf-8")).encode()
        out[rel] = data
    return out


def run_cli(args: list[str], *, env: dict[str, str] | None = None, prelude: str = "",
            cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -c '<prelude>; textmine.cli.main(args)'`` in a fresh interpreter."""
    code = (f"{prelude}\nimport sys\nfrom textmine.cli import main\n"
            f"sys.exit(main({args!r}))\n")
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=timeout)


def stray_siblings(folder: Path) -> list[str]:
    """Temporary siblings (``.<name>.tmp-*``, ``.<name>.old-*``) left beside a run folder."""
    if not folder.parent.exists():
        return []
    return sorted(p.name for p in folder.parent.iterdir()
                  if p.name.startswith(f".{folder.name}."))
