"""Bounded memory: embeddings read memory-mapped, topics fitted on a stratified sample.

On the real example study (17 think-aloud sessions, 1,061 window segments): a sample of
every segment gives exactly the full fit's topics; a smaller one still agrees with it and
with the human codes, every document is represented and every segment gets a topic.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

import textmine as tm
from textmine.errors import CorpusError
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
