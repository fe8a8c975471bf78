"""``tl.embed``: one vector per segment, from a verified local model, through the cache.

Only texts the cache has not seen are encoded; identical texts are encoded once; vectors are
stored as float32 in ``corpus.embeddings[key]``, row-aligned with ``corpus.segments``. The
exact parameters and the model's identity go to ``corpus.uns["embeddings"][key]`` (written
with the corpus); the run's counters (cache hits, misses, seconds) are returned, for the
manifest and for the researcher, and are not stored in the corpus, so that a cold run and a
warm re-run write byte-identical corpus folders.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from textmine.config import EmbedConfig, validate_section
from textmine.errors import CorpusError, TextmineWarning
from textmine.models.cache import (
    EmbeddingCache,
    cache_location,
    open_embedding_cache,
    text_key,
)
from textmine.models.embedder import (
    SentenceEmbedder,
    encoder_id,
    resolve_backend,
    resolve_model,
)
from textmine.models.offline import enforce_offline
from textmine.models.sources import BUILTIN_MODELS
from textmine.pp.context import prompts

log = logging.getLogger("textmine")

#: rows written to the cache per transaction while encoding: an interrupted run keeps its work
_FLUSH_ROWS = 512


@dataclass
class EmbedStats:
    """What one ``tl.embed`` call did (the manifest's ``embed`` stage counters).

    ``cache_hits`` + ``cache_misses`` = ``n_unique``; ``corrupt_recomputed`` counts cached
    rows that failed their checksum and were encoded again (they are among the misses);
    ``cache_unsaved`` counts vectors that could not be cached because the disk was full.
    ``backend`` is the one the vectors are of (``embed.backend`` with ``auto`` resolved).
    """

    key: str
    model: str
    kind: str
    backend: str
    model_sha256: str
    model_path: str
    n_texts: int
    n_unique: int
    cache_hits: int
    cache_misses: int
    corrupt_recomputed: int
    cache_unsaved: int
    cache: bool
    cache_dir: str | None
    encode_seconds: float
    seconds: float
    torch_threads: int | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the manifest."""
        return asdict(self)


def default_key(model: str) -> str:
    """Embedding key when ``key_added`` is not given: the model's name."""
    return model if model in BUILTIN_MODELS else Path(model).expanduser().name


def _model_key(identity: dict[str, Any]) -> str:
    return hashlib.blake2b(json.dumps(identity, sort_keys=True).encode(),
                           digest_size=16).hexdigest()


def _show_progress(progress: bool | str) -> bool:
    if progress == "auto":
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def embed(
    corpus,
    *,
    model: str = "minilm",
    key_added: str | None = None,
    batch_size: int = 64,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: bool | Literal["auto"] = "auto",
    static_dims: int = 256,
    context: Literal["prompt", "none"] = "prompt",
    context_words: int = 40,
    scheduler: str | None = None,
    workers: int = 2,
    chunk_size: int = 512,
    backend: Literal["auto", "torch", "onednn", "onnx"] = "auto",
    stats: dict[str, Any] | None = None,
) -> EmbedStats:
    """Embed every segment of the corpus (in place).

    Parameters
    ----------
    corpus
        A segmented Corpus.
    model
        ``"minilm"`` (bundled all-MiniLM-L6-v2, weights verified before use), ``"static"``
        (model2vec distilled from it on first use, ~100x faster, see docs/embeddings.md) or
        a local model folder (sentence-transformers or model2vec).
    key_added
        Key in ``corpus.embeddings`` (default: the model's name).
    batch_size
        Texts per forward pass.
    cache
        Read and write the on-disk embedding cache.
    cache_dir
        Cache folder (default: ``TEXTMINE_CACHE_DIR``, else the user's cache folder).
    progress
        Progress bar on stderr: ``"auto"`` (on a terminal, for runs over ~2 s), True, False.
    static_dims
        PCA dimensions of the ``static`` model.
    context
        ``"prompt"``: each segment is embedded followed by the last ``context_words`` words
        of the question it answers (:func:`textmine.pp.context.prompts`), as a human coder
        reads it; ``"none"``: the segment alone. Segments with no question before them are
        embedded alone either way.
    context_words
        Words of the question kept.
    scheduler
        ``None``: encode in this process; ``"local"``: on a Dask LocalCluster of ``workers``
        processes; or the address of a running Dask scheduler (``tcp://host:8786``). The
        vectors are the same either way; the cache stays with this process
        (:mod:`textmine.models.cluster`).
    workers
        Worker processes of the local cluster.
    chunk_size
        Texts per Dask task.
    backend
        ``"auto"``: ``"onednn"`` where this torch has it, else ``"torch"``; ``"torch"``:
        torch's own kernels; ``"onednn"``: torch with the transformer's linear layers on
        oneDNN; or ``"onnx"``: the transformer on ONNX Runtime (exported offline from the
        verified weights on first use and cached). Vectors within 4e-7 of each other, cached
        apart; the one used is stored with the embeddings (``params.backend``); speeds in
        docs/performance.md.
    stats
        If given, filled with the counters of the returned ``EmbedStats`` (the pipeline's
        manifest stage record).

    Returns
    -------
    EmbedStats
        Counts of texts, unique texts, cache hits and misses, corrupt rows recomputed, seconds.

    Raises
    ------
    ModelError
        The model cannot be found, fails its integrity check, or cannot be loaded.
    """
    cfg = validate_section(EmbedConfig, {
        "model": model, "key_added": key_added, "batch_size": batch_size, "cache": cache,
        "cache_dir": None if cache_dir is None else str(cache_dir), "progress": progress,
        "static_dims": static_dims, "context": context, "context_words": context_words,
        "scheduler": scheduler, "workers": workers, "chunk_size": chunk_size,
        "backend": backend},
        section="embed")
    enforce_offline()
    start = time.perf_counter()
    key = cfg.key_added or default_key(cfg.model)
    root, _ = cache_location(cfg.cache_dir)
    show = _show_progress(cfg.progress)
    source = resolve_model(cfg.model, cache_dir=root, static_dims=cfg.static_dims,
                           progress=show)
    backend = resolve_backend(cfg.backend, source.kind)
    identity = encoder_id(source, backend)
    model_key = _model_key(identity)

    texts = embedding_texts(corpus, context=cfg.context, context_words=cfg.context_words)
    unique = list(dict.fromkeys(texts))
    shas = [text_key(t) for t in unique]
    store = _open_cache(root) if cfg.cache else None
    hits = store.get(model_key, shas) if store is not None else {}
    dims = {v.shape[0] for v in hits.values()}
    if len(dims) > 1:  # cannot happen for one model key unless rows were tampered with
        hits = {}
    missing = [i for i, sha in enumerate(shas) if sha not in hits]

    embedder = None
    encode_seconds = 0.0
    if missing or not hits:
        embedder = SentenceEmbedder(cfg.model, batch_size=cfg.batch_size,
                                    static_dims=cfg.static_dims, cache_dir=root,
                                    backend=backend)
        embedder.fit()
        dim = embedder.dim_
    else:
        dim = dims.pop()
    vectors = np.zeros((len(unique), dim), dtype=np.float32)
    for i, sha in enumerate(shas):
        if sha in hits:
            vectors[i] = hits[sha]
    if missing:
        t0 = time.perf_counter()
        todo, todo_shas = [unique[i] for i in missing], [shas[i] for i in missing]
        if cfg.scheduler is not None:
            vectors[missing] = _encode_distributed(cfg, embedder, todo, todo_shas, store,
                                                   model_key, root, show=show)
        else:
            vectors[missing] = _encode(embedder, todo, todo_shas, store, model_key,
                                       show=show, auto=cfg.progress == "auto",
                                       name=source.name)
        encode_seconds = time.perf_counter() - t0

    if len(unique) == len(texts):  # no duplicates: the rows are in order already
        matrix = vectors
    else:
        position = {text: i for i, text in enumerate(unique)}
        matrix = vectors[[position[t] for t in texts]] if texts else vectors[:0]
    corpus.embeddings[key] = np.ascontiguousarray(matrix, dtype=np.float32)
    model_info = {k: v for k, v in source.to_dict().items() if k != "path"}
    corpus.uns.setdefault("embeddings", {})[key] = {
        # the backend "auto" stood for: what encoder_for must load again
        "params": {**cfg.model_dump(mode="json"), "backend": backend},
        "model": model_info,
        "encoder": identity,
        "dim": int(dim),
        "n_texts": len(texts),
        "n_unique": len(unique),
    }
    corrupt = store.corrupt_rows if store is not None else 0
    result = EmbedStats(
        key=key, model=source.name, kind=source.kind, backend=backend,
        model_sha256=source.sha256,
        model_path=str(source.path), n_texts=len(texts), n_unique=len(unique),
        cache_hits=len(unique) - len(missing), cache_misses=len(missing),
        corrupt_recomputed=corrupt,
        cache_unsaved=store.unsaved_rows if store is not None else 0, cache=store is not None,
        cache_dir=str(root) if store is not None else None,
        encode_seconds=round(encode_seconds, 3), seconds=round(time.perf_counter() - start, 3),
        torch_threads=embedder.n_threads_ if embedder is not None else None)
    if corrupt:
        warnings.warn(
            f"{store.path}: {corrupt} cached embedding(s) failed their checksum and were "
            "recomputed and overwritten", TextmineWarning, stacklevel=2)
    log.info("embed %s: %d texts, %d unique, %d from cache, %d encoded in %.1f s",
             key, result.n_texts, result.n_unique, result.cache_hits, result.cache_misses,
             result.encode_seconds)
    if stats is not None:
        stats.update(result.to_dict())
    return result


def embedding_texts(corpus, *, context: str = "prompt", context_words: int = 40) -> list[str]:
    """The text each segment is embedded as.

    The segment itself, then (``context="prompt"``) the end of the question it answers.
    """
    texts = corpus.segments["text"].tolist()
    if context == "none":
        return texts
    # the segment first: if the model truncates, it cuts the question, not the answer
    return [f"{text} {question}" if question else text for text, question in
            zip(texts, prompts(corpus, words=context_words), strict=True)]


def encoder_for(corpus, key: str) -> Callable[[list[str]], np.ndarray]:
    """A function that embeds new texts exactly as ``corpus.embeddings[key]`` was made.

    For steps that must place other texts in the same space (topic labels, codebook seeds).
    The model is loaded on the first call and checked to be the one recorded with the
    embeddings.

    Raises
    ------
    CorpusError
        If the embeddings were not made by :func:`embed` (no record of their model).
    ModelError
        If the model's files are no longer the ones the embeddings were made with.
    """
    record = corpus.uns.get("embeddings", {}).get(key)
    if record is None:
        raise CorpusError(f"embeddings {key!r} carry no record of their model",
                          hint="make them with textmine.tl.embed")
    params, expected = record["params"], record["model"]["sha256"]
    embedder: list[SentenceEmbedder] = []

    def encode(texts: list[str]) -> np.ndarray:
        if not embedder:
            model = SentenceEmbedder(params["model"], batch_size=params["batch_size"],
                                     static_dims=params["static_dims"],
                                     cache_dir=cache_location(params["cache_dir"])[0],
                                     backend=params.get("backend", "torch")).fit()
            embedder.append(model.verify(
                expected, what=f"the model of embeddings {key!r} changed since they were made",
                hint="embed the corpus again"))
        return embedder[0].transform(list(texts))

    return encode


def _encode_distributed(cfg: EmbedConfig, embedder: SentenceEmbedder, texts: list[str],
                        text_shas: list[bytes], store: EmbeddingCache | None, model_key: str,
                        root: Path, *, show: bool) -> np.ndarray:
    """Vectors of ``texts`` encoded on Dask, each task's cached here as it returns."""
    from tqdm.auto import tqdm

    from textmine.models.cluster import dask_client, encode_on_cluster

    params = {"model": cfg.model, "batch_size": cfg.batch_size,
              "static_dims": cfg.static_dims, "cache_dir": str(root),
              "backend": embedder.backend_}
    with tqdm(total=len(texts), desc=f"embedding ({embedder.source_.name}, Dask)",
              unit="text", disable=not show, file=sys.stderr, leave=False) as bar, \
            dask_client(cfg.scheduler, workers=cfg.workers) as client:

        def on_chunk(rows: np.ndarray, vectors: np.ndarray) -> None:
            if store is not None:
                store.put(model_key, [text_shas[i] for i in rows], vectors)
            bar.update(len(rows))

        return encode_on_cluster(client, embedder, texts, params=params,
                                 chunk_size=cfg.chunk_size, on_chunk=on_chunk)


def _open_cache(root: Path) -> EmbeddingCache | None:
    return open_embedding_cache(root)


def cache_settings(corpus, key: str) -> tuple[bool, str | None]:
    """``(embed.cache, embed.cache_dir)`` the embeddings ``key`` were made with.

    Later steps that cache what they compute from these embeddings (the UMAP reduction)
    follow the same setting: ``cache: false`` keeps them all off the disk. Embeddings not
    made by :func:`embed` get the defaults (on, in the default folder).
    """
    params = corpus.uns.get("embeddings", {}).get(key, {}).get("params", {})
    return bool(params.get("cache", True)), params.get("cache_dir")


def _encode(embedder: SentenceEmbedder, texts: list[str], shas: list[bytes],
            store: EmbeddingCache | None, model_key: str, *, show: bool, auto: bool,
            name: str) -> np.ndarray:
    """Encode ``texts``, writing to the cache every few hundred rows, with a progress bar."""
    from tqdm.auto import tqdm

    pending: list[tuple[np.ndarray, np.ndarray]] = []
    n_pending = 0

    def flush() -> None:
        nonlocal n_pending
        if store is not None and pending:
            rows = np.concatenate([r for r, _ in pending])
            store.put(model_key, [shas[i] for i in rows], np.vstack([v for _, v in pending]))
        pending.clear()
        n_pending = 0

    # auto: only runs that last are worth a bar (delay); asked for explicitly: at once
    with tqdm(total=len(texts), desc=f"embedding ({name})", unit="text", disable=not show,
              delay=2.0 if auto else 0.0, file=sys.stderr, leave=False) as bar:

        def callback(rows: np.ndarray, vectors: np.ndarray) -> None:
            nonlocal n_pending
            pending.append((rows, vectors))
            n_pending += len(rows)
            if n_pending >= _FLUSH_ROWS:
                flush()
            bar.update(len(rows))

        out = embedder.transform(texts, callback=callback)
        flush()
    return out
