"""UMAP reductions, cached on disk under textmine's one cache policy (:mod:`.cache`).

The reduction depends only on the embeddings and the UMAP parameters, so it is cached by
their content: changing HDBSCAN or term parameters re-runs in seconds, with no new UMAP.
An entry is used only if its checksum, key and shape verify; a damaged one is recomputed
and overwritten, with a warning (a same-shape garbage array once turned 14 topics into 3).

A seeded UMAP runs on one core, and a run needs one per seed (the fit and its stability
refits): :func:`reductions_for_seeds` computes those the cache lacks side by side in worker
processes, one per core. Each is the same seeded computation wherever it runs, so the result
does not depend on how many processes there were (tested).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

from textmine.models.cache import open_array_cache
from textmine.models.topic_model import umap_reduce


def reduction_key(embeddings: np.ndarray, params: dict) -> str:
    """The cache key: sha256 of the embeddings' float32 bytes and the parameters."""
    digest = hashlib.sha256(np.ascontiguousarray(embeddings, dtype=np.float32).tobytes())
    digest.update(json.dumps(params, sort_keys=True).encode())
    return digest.hexdigest()


#: below this many segments a UMAP fit takes seconds: starting worker processes costs more
PARALLEL_MIN_ROWS = 3000


def available_cores() -> int:
    """Cores this process may use (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _params(n_neighbors: int, n_components: int, min_dist: float, seed: int) -> dict:
    return {"n_neighbors": n_neighbors, "n_components": n_components, "min_dist": min_dist,
            "metric": "cosine", "seed": seed, "umap": version("umap-learn")}


def reductions_for_seeds(embeddings: np.ndarray, seeds: list[int], *, n_neighbors: int,
                         n_components: int, min_dist: float, n_jobs: int | str = "auto",
                         cache: bool = True, cache_dir: str | Path | None = None,
                         stats: dict | None = None) -> dict[int, np.ndarray]:
    """UMAP output for each seed: from the cache, else computed, in parallel where it pays.

    Parameters
    ----------
    embeddings
        One row per segment.
    seeds
        One reduction per seed.
    n_neighbors, n_components, min_dist
        UMAP's parameters.
    n_jobs
        Worker processes for the reductions the cache lacks (``"auto"``: the cores this
        process may use, at most one per reduction; 1: in this process). Below
        :data:`PARALLEL_MIN_ROWS` segments they run in this process.
    cache, cache_dir
        As for :func:`reduced_embeddings`.
    stats
        If given, ``umap_seconds``, ``umap_cache_hits``, ``umap_cache_misses`` and
        ``umap_processes`` are added to it.

    Returns
    -------
    dict
        Seed to reduction.
    """
    start = time.perf_counter()
    store = open_array_cache("umap", enabled=cache, configured=cache_dir)
    keys = {s: reduction_key(embeddings, _params(n_neighbors, n_components, min_dist, s))
            for s in seeds}
    out: dict[int, np.ndarray] = {}
    for s in seeds:
        found = None if store is None else store.get(keys[s], shape=(len(embeddings),
                                                                     n_components))
        if found is not None:
            out[s] = found.astype(np.float32, copy=False)
    missing = [s for s in seeds if s not in out]
    jobs = available_cores() if n_jobs == "auto" else int(n_jobs)
    jobs = max(1, min(jobs, len(missing)))
    if len(embeddings) < PARALLEL_MIN_ROWS:
        jobs = 1
    kwargs = {"n_neighbors": n_neighbors, "n_components": n_components, "min_dist": min_dist}
    if jobs > 1:
        from joblib import Parallel, delayed

        # loky: fresh processes, so numba and BLAS threads are not shared with this one
        computed = Parallel(n_jobs=jobs, backend="loky")(
            delayed(umap_reduce)(embeddings, seed=s, **kwargs) for s in missing)
    else:
        computed = [umap_reduce(embeddings, seed=s, **kwargs) for s in missing]
    for s, reduced in zip(missing, computed, strict=True):
        out[s] = reduced
        if store is not None:
            store.put(keys[s], reduced)
    if stats is not None:
        stats["umap_seconds"] = stats.get("umap_seconds", 0.0) + time.perf_counter() - start
        stats["umap_cache_hits"] = stats.get("umap_cache_hits", 0) + len(seeds) - len(missing)
        stats["umap_cache_misses"] = stats.get("umap_cache_misses", 0) + len(missing)
        stats["umap_processes"] = max(stats.get("umap_processes", 1), jobs)
    return out


def reduced_embeddings(embeddings: np.ndarray, *, n_neighbors: int, n_components: int,
                       min_dist: float, seed: int, cache: bool = True,
                       cache_dir: str | Path | None = None) -> tuple[np.ndarray, bool]:
    """UMAP output for ``embeddings``, from the on-disk cache when it was computed before.

    Parameters
    ----------
    embeddings
        One row per segment.
    n_neighbors, n_components, min_dist, seed
        UMAP's parameters (cosine metric, as BERTopic sets it).
    cache
        Read and write the cache (``embed.cache``).
    cache_dir
        The cache folder (``embed.cache_dir``; default as for the embedding cache).

    Returns
    -------
    (ndarray, bool)
        The reduction, and whether it came from the cache.
    """
    stats: dict = {}
    reduced = reductions_for_seeds(embeddings, [seed], n_neighbors=n_neighbors,
                                   n_components=n_components, min_dist=min_dist, n_jobs=1,
                                   cache=cache, cache_dir=cache_dir, stats=stats)[seed]
    return reduced, stats["umap_cache_hits"] == 1
