"""Scale: embeddings memory-mapped, topics fitted on a sample, embedding on Dask, a full disk.

On the real example study (17 think-aloud sessions, 1,061 window segments): a sample of
every segment gives exactly the full fit's topics; a smaller one still agrees with it and
with the human codes, every document is represented and every segment gets a topic. A Dask
LocalCluster of two workers gives the single process's vectors byte for byte, also when one
worker is killed mid-run; a scheduler that does not answer and a full disk stop the run with
one clear line and leave nothing half-written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

import textmine as tm
from textmine.errors import CorpusError, TextmineWarning
from textmine.models.cache import DB_NAME
from textmine.tl.sampled import nearest_topics, stratified_rows


def test_stratified_rows_represent_every_document_in_proportion():
    doc_ids = np.array(["a"] * 600 + ["b"] * 300 + ["c"] * 90 + ["d"] * 10)
    rows = stratified_rows(doc_ids, 100, seed=0)
    assert len(rows) == 100 and len(set(rows)) == 100 and np.all(np.diff(rows) > 0)
    counts = {d: int(np.sum(doc_ids[rows] == d)) for d in "abcd"}
    # 1 each, then the other 96 in proportion to the 599, 299, 89 and 9 rows left (largest
    # remainders: 57.7, 28.8, 8.6, 0.9 -> 58, 29, 8, 1)
    assert counts == {"a": 59, "b": 30, "c": 9, "d": 2}
    assert np.array_equal(rows, stratified_rows(doc_ids, 100, seed=0))
    assert not np.array_equal(rows, stratified_rows(doc_ids, 100, seed=1))
    assert np.array_equal(stratified_rows(doc_ids, 5000, seed=0), np.arange(1000))
    # as few rows as documents: one each
    four = stratified_rows(doc_ids, 4, seed=3)
    assert sorted(doc_ids[four]) == ["a", "b", "c", "d"]
    with pytest.raises(CorpusError, match="every document"):
        stratified_rows(doc_ids, 3, seed=0)


def test_nearest_topics_in_batches_match_one_pass(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 16)).astype(np.float32)
    centroids = rng.normal(size=(5, 16))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    ids = np.array([0, 1, 2, 3, 7])
    rows = np.arange(3, 1000, 2)
    whole = nearest_topics(X, rows, ids, centroids, 0.2)
    monkeypatch.setattr("textmine.tl.sampled.ASSIGN_BATCH", 37)
    batched = nearest_topics(X, rows, ids, centroids, 0.2)
    assert np.array_equal(whole[0], batched[0])
    assert np.allclose(whole[1], batched[1], equal_nan=True)
    assert (whole[0] == -1).any() and set(whole[0][whole[0] >= 0]) <= set(ids)
    assert np.isnan(whole[1][whole[0] < 0]).all() and (whole[1][whole[0] >= 0] >= 0.2).all()
    everything = nearest_topics(X, rows, ids, centroids, None)[0]
    assert (everything >= 0).all()


def test_corpus_folder_embeddings_are_memory_mapped(example_embedded, tmp_path):
    corpus = example_embedded.copy()
    corpus.write(tmp_path / "corpus")
    again = tm.io.read_corpus(tmp_path / "corpus")
    matrix = again.embeddings["minilm"]
    assert isinstance(matrix, np.memmap) and not matrix.flags.writeable
    assert np.array_equal(matrix, corpus.embeddings["minilm"])
    # slicing and writing again work on the mapped array, and give the same bytes
    assert np.array_equal(again[:10].embeddings["minilm"], corpus.embeddings["minilm"][:10])
    again.write(tmp_path / "corpus2")
    assert ((tmp_path / "corpus2" / "embeddings" / "minilm.npy").read_bytes()
            == (tmp_path / "corpus" / "embeddings" / "minilm.npy").read_bytes())


@pytest.mark.slow
def test_fit_sample_of_all_segments_is_the_full_fit(example_embedded):
    full = example_embedded.copy()
    tm.tl.topics(full, seed=0, stability_seeds=0)
    sampled = example_embedded.copy()
    stats = {}
    tm.tl.topics(sampled, seed=0, stability_seeds=0, fit_sample=len(sampled.segments),
                 stats=stats)
    assert tm.get.assignments(sampled).equals(tm.get.assignments(full))
    assert tm.get.topic_info(sampled).equals(tm.get.topic_info(full))
    assert tm.get.quotes(sampled).equals(tm.get.quotes(full))
    quality = tm.get.quality(sampled)
    assert quality["fit_sample"]["n_sampled"] == len(sampled.segments)
    assert quality["fit_sample"]["n_assigned"] == 0
    assert quality["ari"] == tm.get.quality(full)["ari"]


@pytest.mark.slow
def test_fit_sample_assigns_the_rest_and_keeps_the_topics(example_embedded):
    full = example_embedded.copy()
    tm.tl.topics(full, seed=0, stability_seeds=0)
    corpus = example_embedded.copy()
    n = len(corpus.segments)
    tm.tl.topics(corpus, seed=0, stability_seeds=1, fit_sample=500)
    assignments = tm.get.assignments(corpus)
    assert list(assignments["segment_id"]) == list(corpus.segments["segment_id"])
    quality = tm.get.quality(corpus)
    fit = quality["fit_sample"]
    assert fit["n_sampled"] == 500 and fit["n_documents"] == corpus.n_docs
    assert fit["n_assigned"] + fit["n_assigned_outliers"] == n - 500
    kinds = assignments["assignment"].value_counts()
    assert kinds["assigned"] == fit["n_assigned"]
    assigned = assignments[assignments["assignment"] == "assigned"]
    assert (assigned["similarity"] >= 0.3).all() and (assigned["topic"] >= 0).all()
    # sizes and outlier share are those of the whole corpus
    info = tm.get.topic_info(corpus)
    assert info["size"].sum() == int((assignments["topic"] >= 0).sum())
    assert quality["outlier_share"] == pytest.approx((assignments["topic"] < 0).mean())
    # the terms are those of the topics as assigned, counted on every segment
    from textmine.models.ctfidf import class_terms

    assert fit["terms_counted_on"] == "all"
    counted = class_terms(corpus.segments["text"].tolist(), assignments["topic"].to_numpy())
    for row in info.itertuples():
        assert row.terms == " ".join(w.replace(" ", "_") for w, _ in counted[row.topic])
    assert (tm.get.topic_terms(corpus)["n_segments"] > 0).all()
    # the refits cover every segment, so track can fold the model's uncertainty in
    refits = corpus.results["topics"].tables["refits"]
    assert len(refits) == n and set(refits["segment_id"]) == set(assignments["segment_id"])
    # agreement: with the full fit, and with the human codes
    ari_full = adjusted_rand_score(tm.get.assignments(full)["topic"], assignments["topic"])
    print(f"fit_sample=500 of {n}: ARI vs full fit {ari_full:.3f}; ARI vs codes "
          f"{quality['ari']:.3f} (full fit {tm.get.quality(full)['ari']:.3f})")
    assert ari_full > 0.25
    assert quality["ari"] > 0.5 * tm.get.quality(full)["ari"]
    # and the same seed gives the same result
    again = example_embedded.copy()
    tm.tl.topics(again, seed=0, stability_seeds=1, fit_sample=500)
    assert tm.get.assignments(again).equals(assignments)


def test_fit_sample_auto_fits_on_all_until_the_corpus_is_large():
    from textmine.tl.topics import AUTO_FIT_ALL, AUTO_FIT_SAMPLE, fit_sample_size

    assert fit_sample_size("auto", 1061) is None
    assert fit_sample_size("auto", AUTO_FIT_ALL) is None
    assert fit_sample_size("auto", AUTO_FIT_ALL + 1) == AUTO_FIT_SAMPLE
    assert fit_sample_size(None, 10**6) is None and fit_sample_size(500, 400) == 500
    from textmine.config import TopicsConfig

    assert TopicsConfig().fit_sample == "auto"
    with pytest.raises(ValueError, match="at least 2"):
        TopicsConfig(fit_sample=1)


@pytest.mark.slow
def test_fit_sample_auto_on_a_large_corpus_is_warned_and_recorded(example_embedded,
                                                                  monkeypatch):
    import importlib

    topics_module = importlib.import_module("textmine.tl.topics")  # tl.topics is the function
    # the example study stands in for a large corpus: the thresholds are lowered, not the data
    monkeypatch.setattr(topics_module, "AUTO_FIT_ALL", 1000)
    monkeypatch.setattr(topics_module, "AUTO_FIT_SAMPLE", 600)
    corpus = example_embedded.copy()
    with pytest.warns(TextmineWarning, match="sample of 600"):
        tm.tl.topics(corpus, seed=0, stability_seeds=0)
    fit = tm.get.quality(corpus)["fit_sample"]
    assert fit["auto"] is True and fit["n_sampled"] == 600
    assert len(tm.get.assignments(corpus)) == len(corpus.segments)
    assert corpus.results["topics"].params["fit_sample"] == 600


@pytest.mark.slow
def test_umap_fits_side_by_side_give_the_same_bytes_as_one_after_another(example_embedded,
                                                                       monkeypatch):
    import textmine.models.reduction as reduction

    monkeypatch.setattr(reduction, "PARALLEL_MIN_ROWS", 0)  # the example study is small
    X = example_embedded.embeddings["minilm"]
    params = {"n_neighbors": 15, "n_components": 5, "min_dist": 0.0, "cache": False}
    stats: dict = {}
    side_by_side = reduction.reductions_for_seeds(X, [0, 1], n_jobs=2, stats=stats, **params)
    one_by_one = reduction.reductions_for_seeds(X, [0, 1], n_jobs=1, **params)
    assert stats["umap_processes"] == 2 and stats["umap_cache_misses"] == 2
    for seed in (0, 1):
        assert side_by_side[seed].tobytes() == one_by_one[seed].tobytes()
    assert side_by_side[0].tobytes() != side_by_side[1].tobytes()  # the seeds do differ


# ---------------------------------------------------------------- Dask (embed.scheduler)

@pytest.fixture(scope="module")
def sentences_600(example_corpus):
    """600 distinct sentence segments of the example study (short ones included)."""
    corpus = example_corpus.copy()
    tm.pp.segment(corpus, unit="sentence", min_words=1)
    first = ~corpus.segments["text"].duplicated()
    return corpus._take(np.flatnonzero(first.to_numpy())[:600])


@pytest.fixture(scope="module")
def one_process_vectors(sentences_600):
    corpus = sentences_600.copy()
    tm.tl.embed(corpus, cache=False, progress=False)
    return corpus.embeddings["minilm"]


def _cached_rows(cache_dir) -> int:
    import sqlite3

    with sqlite3.connect(cache_dir / DB_NAME) as con:
        return con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_bytes_as_one_process(sentences_600,
                                                                one_process_vectors,
                                                                tmp_path):
    corpus = sentences_600.copy()
    stats = tm.tl.embed(corpus, scheduler="local", workers=2, chunk_size=64,
                        cache_dir=tmp_path, progress=False)
    assert stats.cache_misses == 600
    assert corpus.embeddings["minilm"].tobytes() == one_process_vectors.tobytes()
    assert _cached_rows(tmp_path) == 600  # each chunk cached once, by this process
    # the next run reads everything from the cache and starts no cluster
    again = sentences_600.copy()
    second = tm.tl.embed(again, scheduler="local", cache_dir=tmp_path, progress=False)
    assert (second.cache_hits, second.cache_misses) == (600, 0)
    assert again.embeddings["minilm"].tobytes() == one_process_vectors.tobytes()
    # the record says what was asked; the vectors do not depend on it
    assert corpus.uns["embeddings"]["minilm"]["params"]["scheduler"] == "local"


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(sentences_600,
                                                              one_process_vectors, tmp_path):
    import os
    import signal
    import sqlite3
    import threading
    import time

    from distributed import Client, LocalCluster

    killed: dict[str, Any] = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)

        def kill_one_after_the_first_chunk() -> None:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    done = _cached_rows(tmp_path) if (tmp_path / DB_NAME).exists() else 0
                except sqlite3.OperationalError as exc:
                    # the file exists a moment before its table does (and a write may hold
                    # the lock): look again rather than let this thread die unseen
                    killed.setdefault("retries", []).append(str(exc))
                    done = 0
                if done > 0:
                    killed["rows_done"] = done
                    address, pid = sorted(pids.items())[0]
                    os.kill(pid, signal.SIGKILL)
                    killed["pid"] = pid
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=kill_one_after_the_first_chunk)
        watcher.start()
        corpus = sentences_600.copy()
        stats = tm.tl.embed(corpus, scheduler=cluster.scheduler_address, chunk_size=20,
                            cache_dir=tmp_path, progress=False)
        watcher.join()
    assert "pid" in killed and killed["rows_done"] < 600, f"not killed mid-run: {killed}"
    assert stats.cache_misses == 600
    assert corpus.embeddings["minilm"].tobytes() == one_process_vectors.tobytes()
    assert _cached_rows(tmp_path) == 600
    again = sentences_600.copy()
    assert tm.tl.embed(again, cache_dir=tmp_path, progress=False).cache_hits == 600


def test_a_scheduler_that_does_not_answer_stops_the_run_within_seconds(example_copy, capsys):
    import socket
    import time

    from textmine.cli import main

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = example_copy / "out"
    start = time.monotonic()
    # an empty cache: with every vector cached the run needs no cluster and would not ask
    code = main(["run", str(example_copy / "configs" / "example.yaml"), "--out", str(out),
                 "--set", f"embed.scheduler=tcp://127.0.0.1:{port}",
                 "--set", f"embed.cache_dir={example_copy / 'empty-cache'}"])
    took = time.monotonic() - start
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert f"127.0.0.1:{port}" in err[0] and "embed.scheduler" in err[0]
    assert took < 60 and not out.exists()


@pytest.mark.parametrize("value", ["cluster", "tcp://", "http://host:8786", "host"])
def test_a_malformed_scheduler_is_a_config_error(value):
    from pydantic import ValidationError

    from textmine.config import EmbedConfig

    with pytest.raises(ValidationError, match="scheduler"):
        EmbedConfig(scheduler=value)
    assert EmbedConfig(scheduler="tcp://10.0.0.5:8786").scheduler == "tcp://10.0.0.5:8786"
    assert EmbedConfig(scheduler="node17:8786").scheduler == "node17:8786"


def test_tasks_hold_whole_batches_in_order():
    from textmine.models.cluster import tasks_of_batches

    batches = [(np.arange(n), 8) for n in (64, 64, 10, 3, 40, 1)]
    tasks = tasks_of_batches(batches, 70)
    assert tasks == [[0], [1], [2, 3, 4, 5]]  # a batch is never split, order is kept
    assert tasks_of_batches(batches, 50) == [[0], [1], [2, 3], [4, 5]]
    assert tasks_of_batches(batches, 1) == [[k] for k in range(6)]
    assert tasks_of_batches([], 10) == []


# ---------------------------------------------------------------- a full disk

@pytest.mark.slow
def test_a_full_disk_while_the_embeddings_are_written_leaves_the_old_run(example_copy,
                                                                          static_model,
                                                                          monkeypatch,
                                                                          capsys):
    """ENOSPC half-way through the memory-mapped array: a clear error, nothing half-written."""
    import errno

    import textmine.io.corpus_dir as corpus_dir
    from textmine.cli import main

    config = str(example_copy / "configs" / "example.yaml")
    out = example_copy / "out"
    quick = ["--set", "embed.model=static", "--set", "topics.stability_seeds=0",
             "--set", "report.enabled=false", "--set", "align.enabled=false"]
    assert main(["run", config, "--out", str(out), *quick]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real_save = np.save

    def save_until_full(file, array, **kwargs):
        with open(file, "wb") as handle:
            handle.write(np.asarray(array).tobytes()[:1000])  # a part, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", str(file))

    monkeypatch.setattr(corpus_dir.np, "save", save_until_full)
    capsys.readouterr()
    code = main(["run", config, "--out", str(out), *quick])
    monkeypatch.setattr(corpus_dir.np, "save", real_save)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "disk is full" in err[-1] and "Traceback" not in "".join(err), err
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the previous run folder, byte for byte
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]


@pytest.mark.slow
def test_a_full_disk_under_the_cache_is_warned_and_the_run_goes_on(sentences_600, tmp_path,
                                                                   monkeypatch):
    import sqlite3

    from textmine.models.cache import EmbeddingCache

    def full(self, rows):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(EmbeddingCache, "_put", full)
    corpus = sentences_600[:50].copy()
    with pytest.warns(TextmineWarning, match="disk is full"):
        stats = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False)
    assert stats.cache_unsaved == 50 and corpus.embeddings["minilm"].shape[0] == 50
    # the cache was not moved aside as if it were damaged, and holds no row of the batch
    assert not list(tmp_path.glob("*.corrupt-*"))
    monkeypatch.undo()
    assert _cached_rows(tmp_path) == 0
