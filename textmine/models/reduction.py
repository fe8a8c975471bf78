"""UMAP reductions, cached on disk under textmine's one cache policy (:mod:`.cache`).

The reduction depends only on the embeddings and the UMAP parameters, so it is cached by
their content: changing HDBSCAN or term parameters re-runs in seconds, with no new UMAP.
An entry is used only if its checksum, key and shape verify; a damaged one is recomputed
and overwritten, with a warning (a same-shape garbage array once turned 14 topics into 3).
"""

from __future__ import annotations

import hashlib
import json
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
    params = {"n_neighbors": n_neighbors, "n_components": n_components, "min_dist": min_dist,
              "metric": "cosine", "seed": seed, "umap": version("umap-learn")}
    key = reduction_key(embeddings, params)
    store = open_array_cache("umap", enabled=cache, configured=cache_dir)
    if store is not None:
        found = store.get(key, shape=(len(embeddings), n_components))
        if found is not None:
            return found.astype(np.float32, copy=False), True
    reduced = umap_reduce(embeddings, n_neighbors=n_neighbors, n_components=n_components,
                          min_dist=min_dist, seed=seed)
    if store is not None:
        store.put(key, reduced)
    return reduced, False
