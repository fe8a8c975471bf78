"""One cache policy for every cache (issue 10): where, off, private, never fatal, verified.

The UMAP cache ignored ``embed.cache_dir`` and ``embed.cache: false``, made its folder with
wider permissions than the cache root, crashed when it could not write, and used a damaged
entry of the right shape (14 topics became 3, 248 of 288 assignments changed). Now it goes
through the same code as the embedding cache (``textmine.models.cache``).
"""

from __future__ import annotations

import copy
import stat
import warnings

import numpy as np
import pytest

import textmine as tm
from textmine.errors import TextmineWarning
from textmine.models.cache import ArrayCache, open_array_cache, private_folder
from textmine.models.reduction import reduced_embeddings


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _array(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((40, 5)).astype(np.float32)


def test_entries_round_trip_in_a_private_folder(tmp_path):
    cache = ArrayCache(tmp_path / "root" / "umap")
    assert _mode(tmp_path / "root") == _mode(tmp_path / "root" / "umap") == 0o700
    array = _array()
    assert cache.get("k1") is None
    assert cache.put("k1", array)
    got = cache.get("k1", shape=(40, 5))
    assert got.dtype == np.float32 and np.array_equal(got, array)
    assert [p.name for p in cache.folder.iterdir()] == ["k1.npz"]  # no temporary file left


@pytest.mark.parametrize("damage", ["same-shape garbage, old checksum", "another key's entry",
                                    "truncated", "plain npy", "wrong shape"])
def test_a_damaged_entry_is_never_used(tmp_path, damage):
    cache = ArrayCache(tmp_path)
    array = _array()
    cache.put("k1", array)
    cache.put("k2", _array(1))
    path = cache.path("k1")
    if damage.startswith("same-shape"):
        with np.load(path) as stored:
            checksum, version = stored["checksum"], stored["format"]
        np.savez(path.with_suffix(".tmp.npz"), array=_array(2), checksum=checksum,
                 format=version)
        path.with_suffix(".tmp.npz").replace(path)
    elif damage == "another key's entry":
        cache.path("k2").replace(path)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "plain npy":
        np.save(path.with_suffix(".npy"), _array(3))
        path.with_suffix(".npy").replace(path)
    shape = (40, 6) if damage == "wrong shape" else (40, 5)
    with pytest.warns(TextmineWarning, match="failed its check"):
        assert cache.get("k1", shape=shape) is None
    assert cache.corrupt == 1
    cache.put("k1", array)  # the recomputed array overwrites it
    assert np.array_equal(cache.get("k1"), array)


def test_caching_off_or_impossible_never_stops_the_work(tmp_path):
    assert open_array_cache("umap", enabled=False, configured=tmp_path) is None
    assert not (tmp_path / "umap").exists()
    (tmp_path / "file").write_text("in the way")
    with pytest.warns(TextmineWarning, match="cannot be used"):
        assert open_array_cache("umap", configured=tmp_path / "file" / "cache") is None
    cache = ArrayCache(tmp_path / "c")
    (tmp_path / "c").rmdir()
    (tmp_path / "c").write_text("the folder was replaced by a file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.put("a", _array()) is False and cache.put("b", _array()) is False
    assert len([w for w in caught if "cannot be used" in str(w.message)]) == 1


def test_an_existing_folder_keeps_its_owner_s_permissions(tmp_path):
    (tmp_path / "shared").mkdir(mode=0o750)
    (tmp_path / "shared").chmod(0o750)
    private_folder(tmp_path / "shared" / "new")
    assert _mode(tmp_path / "shared") == 0o750 and _mode(tmp_path / "shared" / "new") == 0o700


# ---------------------------------------------------------------- on real embeddings (UMAP)

@pytest.mark.slow
def test_a_damaged_umap_entry_is_recomputed_not_used(example_embedded, tmp_path):
    X = example_embedded.embeddings["minilm"][:300]
    params = {"n_neighbors": 15, "n_components": 5, "min_dist": 0.0, "seed": 0}
    first, hit = reduced_embeddings(X, cache_dir=tmp_path, **params)
    assert not hit
    again, hit = reduced_embeddings(X, cache_dir=tmp_path, **params)
    assert hit and np.array_equal(again, first)
    (entry,) = (tmp_path / "umap").iterdir()
    assert _mode(tmp_path / "umap") == 0o700
    with np.load(entry) as stored:  # the tester's attack: same shape, the old checksum kept
        checksum, version = stored["checksum"], stored["format"]
    garbage = np.random.default_rng(0).standard_normal(first.shape).astype(np.float32)
    with open(entry, "wb") as out:
        np.savez(out, array=garbage, checksum=checksum, format=version)
    with pytest.warns(TextmineWarning, match="failed its check"):
        recomputed, hit = reduced_embeddings(X, cache_dir=tmp_path, **params)
    assert not hit and np.array_equal(recomputed, first)
    assert reduced_embeddings(X, cache_dir=tmp_path, **params)[1]  # repaired


@pytest.mark.slow
def test_topics_follow_the_embedding_cache_setting(example_embedded, tmp_path, monkeypatch):
    default = tmp_path / "default"
    monkeypatch.setenv("TEXTMINE_CACHE_DIR", str(default))
    corpus = example_embedded.copy()
    # the copy shares uns with the session's corpus: give it its own embedding record
    corpus.uns["embeddings"] = copy.deepcopy(corpus.uns["embeddings"])
    record = corpus.uns["embeddings"]["minilm"]["params"]
    record.update(cache=False, cache_dir=None)
    stats: dict = {}
    tm.tl.topics(corpus, stability_seeds=0, stats=stats)
    assert not default.exists() and stats["umap_cache_hits"] == 0  # embed.cache: false
    record.update(cache=True, cache_dir=str(tmp_path / "mine"))
    for expected_hits in (0, 1):
        stats = {}
        tm.tl.topics(corpus, stability_seeds=0, stats=stats)
        assert stats["umap_cache_hits"] == expected_hits
    assert not default.exists()  # embed.cache_dir, not the default folder
    assert len(list((tmp_path / "mine" / "umap").glob("*.npz"))) == 1
    assert _mode(tmp_path / "mine" / "umap") == 0o700
    # a cache folder that cannot be written: a warning, and the same topics
    record.update(cache_dir=str(tmp_path / "mine" / "umap" / next(
        (tmp_path / "mine" / "umap").iterdir()).name / "sub"))
    before = tm.get.assignments(corpus).copy()
    with pytest.warns(TextmineWarning, match="cannot be used"):
        tm.tl.topics(corpus, stability_seeds=0)
    assert tm.get.assignments(corpus).equals(before)
