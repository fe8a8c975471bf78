"""Embedding on a Dask cluster (``embed.scheduler``): a LocalCluster or an existing scheduler.

Why it is built this way:

* **Workers get texts and return vectors; nothing else.** The cache stays with the process
  that runs textmine, which alone reads and writes it, as each chunk comes back. So a cluster
  shares the cache correctly whatever its file systems, and a chunk is written once.
* **The same vectors as one process.** The bits of a vector depend on its text, the batch
  it is computed in and torch's thread count (kernels for batches of a few rows differ by up
  to ~2e-7 between thread counts, measured on the example study). So this process plans the
  batches exactly as a single-process run would (:meth:`SentenceEmbedder.batches`), a task
  carries whole batches, and every worker computes them with this process's torch thread
  count: the result is byte for byte the single-process run's (tested).
* **A worker that dies loses nothing.** Its chunks are computed again elsewhere (Dask
  reschedules the tasks of a lost worker; ``retries`` covers an error raised inside one);
  results are taken per chunk, once, by the future that holds them, so no segment is lost or
  counted twice. If the cluster cannot finish (every worker lost), the run stops with an
  error and the chunks already returned are in the cache for the next run.
* **The model is verified where it runs**: each worker resolves the model from its own
  installation and checks its content hash against the one the run recorded.

The embedding step is the one that needs a cluster (a cold run is almost all embedding).
Assigning segments to topics after ``topics.fit_sample`` stays in the process: it is one matrix
product per batch against a few dozen centroids (about a second at 100,000 segments), less
than sending the vectors to a worker would cost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from textmine.errors import ConfigError, ModelError, TextmineError

log = logging.getLogger("textmine")

#: seconds to wait for a scheduler address to answer before the run stops
CONNECT_TIMEOUT_S = 10
#: an error raised inside a task (not a lost worker) is retried this often
TASK_RETRIES = 2

# one loaded model per worker process and parameter set (a worker encodes many chunks)
_WORKER_MODELS: dict[tuple, Any] = {}


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(f"embed.scheduler needs dask's distributed package ({exc})",
                          key="embed.scheduler",
                          hint="pip install 'textmine[dask]', or set embed.scheduler: null"
                          ) from None
    return distributed


@contextmanager
def dask_client(scheduler: str, *, workers: int = 2) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler``, closed (with its LocalCluster) on exit.

    Parameters
    ----------
    scheduler
        ``"local"``: a LocalCluster of ``workers`` processes of one thread each, on this
        machine only (127.0.0.1, no dashboard); else the address of a running scheduler.
    workers
        Worker processes of the LocalCluster.

    Raises
    ------
    ConfigError
        If the scheduler does not answer within :data:`CONNECT_TIMEOUT_S` seconds.
    """
    distributed = _distributed()
    if scheduler == "local":
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, silence_logs=logging.ERROR)
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"the Dask scheduler at {scheduler} does not answer ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no reply'})",
            key="embed.scheduler",
            hint="start it (dask scheduler, or dask-jobqueue on a cluster), check the address, "
                 "or set embed.scheduler: local") from None
    try:
        yield client
    finally:
        client.close()


def encode_batches(params: dict[str, Any], expected_sha256: str, threads: int | None,
                   batches: list[tuple[list[str], int]]) -> list[np.ndarray]:
    """What a worker runs: encode whole batches with the verified model (loaded once).

    Parameters
    ----------
    params
        The :class:`~textmine.models.embedder.SentenceEmbedder` arguments.
    expected_sha256
        The model's content hash as the run recorded it.
    threads
        torch threads to compute with (the planning process's), ``None`` for static models.
    batches
        ``(texts, padded length)`` per batch, as planned by the run.

    Raises
    ------
    ModelError
        If the model on the worker is not the one the run recorded (content hash).
    """
    from textmine.models.embedder import SentenceEmbedder

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    key = tuple(sorted(params.items()))
    embedder = _WORKER_MODELS.get(key)
    if embedder is None:
        embedder = SentenceEmbedder(**params).fit().verify(
            expected_sha256, what="the model on this worker is not the run's",
            hint="install the same textmine and model on every worker")
        _WORKER_MODELS[key] = embedder
    return [embedder.encode_batch(texts, length) for texts, length in batches]


def tasks_of_batches(batches: list[tuple[np.ndarray, int]], size: int) -> list[list[int]]:
    """Consecutive batches grouped into tasks of about ``size`` texts (a batch is never split).

    Returns
    -------
    list of list of int
        Indices into ``batches``, per task.
    """
    tasks: list[list[int]] = []
    count = 0
    for k, (rows, _) in enumerate(batches):
        if not tasks or count + len(rows) > size:
            tasks.append([])
            count = 0
        tasks[-1].append(k)
        count += len(rows)
    return tasks


def encode_on_cluster(client: Any, embedder: Any, texts: list[str], *, params: dict[str, Any],
                      chunk_size: int,
                      on_chunk: Callable[[np.ndarray, np.ndarray], None]) -> np.ndarray:
    """Encode ``texts`` on the cluster, calling ``on_chunk(rows, vectors)`` as tasks return.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    embedder
        The fitted :class:`~textmine.models.embedder.SentenceEmbedder` of this process: it
        plans the batches (tokenizer) and names the model's hash and thread count.
    texts
        The texts to encode.
    params
        The embedder's arguments, for the workers.
    chunk_size
        Texts per task (whole batches).
    on_chunk
        Called with the row positions in ``texts`` and their vectors, once per task.

    Returns
    -------
    numpy.ndarray
        ``(len(texts), dim)`` float32, row ``i`` the vector of ``texts[i]``.

    Raises
    ------
    TextmineError
        If the cluster cannot finish (e.g. every worker was lost); what came back before is
        already passed to ``on_chunk``.
    """
    distributed = _distributed()
    batches = embedder.batches(texts)
    futures, rows_of = [], {}
    for task in tasks_of_batches(batches, chunk_size):
        payload = [([texts[i] for i in batches[k][0]], batches[k][1]) for k in task]
        future = client.submit(encode_batches, params, embedder.source_.sha256,
                               embedder.n_threads_, payload, pure=False,
                               retries=TASK_RETRIES)
        futures.append(future)
        rows_of[future.key] = [batches[k][0] for k in task]
    out: np.ndarray | None = None
    done = 0
    try:
        for future in distributed.as_completed(futures):
            rows = np.concatenate(rows_of[future.key])
            vectors = np.vstack(future.result()).astype(np.float32, copy=False)
            if out is None:
                out = np.zeros((len(texts), embedder.dim_), dtype=np.float32)
            out[rows] = vectors
            done += len(rows)
            on_chunk(rows, vectors)
            future.release()
        futures.clear()
    except ModelError:
        raise
    except Exception as exc:  # KilledWorker, a lost scheduler, a task's own error
        raise TextmineError(
            f"the Dask cluster could not finish the embedding ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); {done} of {len(texts)} texts "
            "were encoded and are in the cache",
            hint="run again (the cache keeps what was done), or set embed.scheduler: null"
        ) from None
    log.info("embed: %d texts in %d tasks on the Dask cluster", len(texts), len(rows_of))
    return out if out is not None else np.zeros((0, embedder.dim_), dtype=np.float32)
