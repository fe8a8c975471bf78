import re
from pathlib import Path

import pytest
from conftest import ROOT

import textmine as tm
from textmine.errors import ConfigError


def _write(tmp_path, text, name="c.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_unknown_key_names_key_file_line_and_suggestion(tmp_path):
    path = _write(tmp_path, "input:\n  transcripts: t/*.txt\nsegment:\n  unit: turn\n"
                            "  max_tokns: 64\n")
    with pytest.raises(ConfigError) as err:
        tm.load_config(path)
    assert str(err.value) == (f"{path}, line 5: unknown key 'segment.max_tokns' "
                              "(did you mean 'max_tokens'?)")
    assert err.value.key == "segment.max_tokns"


@pytest.mark.parametrize("text,needle", [
    ("input:\n  transcripts: a\nseed: zero\n", "line 3: seed: Input should be a valid integer"),
    ("input:\n  transcripts: a\nsegment: [turn]\n", "line 3: segment: Input should be"),
    ("input:\n  transcripts: a\nsegment:\n  unit: paragraph\n", "line 4: segment.unit"),
    ("inputs:\n  transcripts: a\n", "unknown key 'inputs' (did you mean 'input'?)"),
    ("input:\n  transcripts: a\ninput:\n  transcripts: b\n", "line 3: key 'input' appears twice"),
    ("input: {transcripts: a\n", "not valid YAML"),
    ("", "config file is empty"),
    ("- a\n- b\n", "must be a mapping"),
    ("run_name: 'my run/1'\ninput:\n  transcripts: a\n", "run_name"),
])
def test_bad_configs(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=re.escape(needle)):
        tm.load_config(_write(tmp_path, text))


def test_paths_resolve_against_the_config_folder(tmp_path):
    sub = tmp_path / "study" / "configs"
    sub.mkdir(parents=True)
    cfg = tm.load_config(_write(sub, "input:\n  transcripts: ../data/*.txt\n"
                                     "  metadata: meta.csv\ncodes:\n  path: /abs/codes.csv\n"))
    resolved = cfg.resolved()
    assert resolved.input.transcripts == str(tmp_path / "study" / "data" / "*.txt")
    assert resolved.input.metadata == str(sub / "meta.csv")
    assert resolved.codes.path == "/abs/codes.csv"


def test_path_values_expand_environment_variables(tmp_path, monkeypatch):
    sub = tmp_path / "configs"
    sub.mkdir()
    monkeypatch.setenv("STUDY_DATA", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    cfg = tm.load_config(_write(sub, "input:\n  transcripts: ${STUDY_DATA}/*.txt\n"
                                     "  metadata: ${NOT_SET_HERE:-../meta}/m.csv\n"
                                     "  interviewer: ['${STUDY_DATA}']\n"
                                     "codes:\n  path: a$${b}/c.csv\n"))
    resolved = cfg.resolved()
    assert resolved.input.transcripts == str(tmp_path / "elsewhere" / "*.txt")
    # a default is a path in the config, so relative to the config file
    assert resolved.input.metadata == str(tmp_path / "meta" / "m.csv")
    assert resolved.codes.path == str(sub / "a${b}" / "c.csv")
    # only path keys are expanded
    assert cfg.input.interviewer == ["${STUDY_DATA}"]
    # a relative value from the environment is relative to where the user is, as in the shell
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDY_DATA", "mine")
    cfg = tm.load_config(_write(sub, "input:\n  transcripts: ['${STUDY_DATA}/a.txt', b.txt]\n"))
    assert cfg.resolved().input.transcripts == [str(tmp_path / "mine" / "a.txt"),
                                                str(sub / "b.txt")]


@pytest.mark.parametrize("value,needle", [
    ("${NOT_SET_HERE}/a.txt", "environment variable NOT_SET_HERE is not set"),
    ("${NOT-A-NAME}/a.txt", "'${NOT-A-NAME}' is not a variable reference"),
    ("${}/a.txt", "'${}' is not a variable reference"),
])
def test_unset_or_malformed_variables_name_the_key_and_line(tmp_path, monkeypatch, value,
                                                            needle):
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    path = _write(tmp_path, f"seed: 1\ninput:\n  transcripts: a.txt\ncodes:\n  path: {value}\n")
    with pytest.raises(ConfigError) as err:
        tm.load_config(path)
    assert str(err.value).startswith(f"{path}, line 5: {needle}")
    assert err.value.key == "codes.path"
    monkeypatch.setenv("NOT_SET_HERE", "")
    with pytest.raises(ConfigError, match="not set|not a variable"):
        tm.load_config(path)


@pytest.mark.parametrize("name", ["analysis_a", "analysis_b", "analysis_c"])
def test_the_seed_analyses_find_the_data_named_by_textmine_data_dir(name, data_dir,
                                                                    monkeypatch, tmp_path):
    # from a clone anywhere: the configs' default (../../shared/data) does not exist there
    config = ROOT / "configs" / f"{name}.yaml"
    copy = tmp_path / "clone" / "configs" / config.name
    copy.parent.mkdir(parents=True)
    copy.write_text(config.read_text())
    for beside in config.parent.glob(f"{name}_*.csv"):  # analysis_c's own group sheet
        (copy.parent / beside.name).write_text(beside.read_text())
    data_dir = data_dir.resolve()
    monkeypatch.setenv("TEXTMINE_DATA_DIR", str(data_dir))
    resolved = tm.load_config(copy).resolved()
    named = [resolved.input.transcripts, resolved.input.metadata, resolved.codes.path,
             resolved.codes.codebook]
    named = [Path(p) for p in named if p]
    assert all(p.is_file() for p in named), named
    assert [p for p in named if not p.is_relative_to(copy.parent)], named
    assert all(p.is_relative_to(data_dir) for p in named if not p.is_relative_to(copy.parent))
    monkeypatch.delenv("TEXTMINE_DATA_DIR")
    resolved = tm.load_config(copy).resolved()
    assert Path(resolved.input.transcripts).is_relative_to(tmp_path / "shared" / "data")


def test_set_overrides_are_validated_like_the_file(tmp_path):
    path = _write(tmp_path, "input:\n  transcripts: a\n")
    cfg = tm.load_config(path, overrides=["segment.unit=window", "segment.max_tokens=64",
                                          "seed=7", "input.interviewer=[Moderator, I]"])
    assert (cfg.segment.unit, cfg.segment.max_tokens, cfg.seed) == ("window", 64, 7)
    assert cfg.input.interviewer == ["Moderator", "I"]
    with pytest.raises(ConfigError, match="unknown key 'segment.units'"):
        tm.load_config(path, overrides=["segment.units=window"])
    with pytest.raises(ConfigError, match="expected section.key=value"):
        tm.load_config(path, overrides=["segment.unit"])


def test_every_design_section_exists():
    fields = set(tm.Config.model_fields)
    assert {"run_name", "seed", "input", "protect", "codes", "segment", "embed", "topics",
            "track", "align", "report"} <= fields


def test_example_config_is_valid():
    from conftest import EXAMPLE_CONFIG

    cfg = tm.load_config(EXAMPLE_CONFIG)
    assert cfg.run_name == "example" and cfg.segment.unit == "window"


def test_config_reference_doc_is_up_to_date():

    assert (ROOT / "docs" / "config.md").read_text() == tm.config.reference_markdown() + "\n", (
        "regenerate docs/config.md (see its first lines)")


# ---------------------------------------------------------------- issue 10: fail before embedding
@pytest.mark.parametrize("text,needle", [
    ("input:\n  transcripts: a\nseed: -1\n", "line 3: seed: Input should be greater"),
    ("input:\n  transcripts: a\nseed: 1000000000000000000000000\n", "line 3: seed"),
    ("input:\n  transcripts: a\nseed: 4294967295\n", "seed + topics.stability_seeds"),
    ("input:\n  transcripts: a\nseed: " + "9" * 4301 + "\n", "line 3: a number has more"),
    ("input:\n  transcripts: a\ntopics:\n  ngram_range: [2, 1]\n", "line 4: topics.ngram"),
    ("input:\n  transcripts: a\ntopics:\n  ngram_range: [1, 9]\n", "at most 5"),
    ("input:\n  transcripts: a\ntopics:\n  nr_topics: 0\n", "nr_topics: must be at least 2"),
    ("input:\n  transcripts: a\n  encoding: rot13\n", "'rot13' is not a text encoding"),
    ("input:\n  transcripts: a\n  dates: {d: '%Y-%m-%dT%H:%M%z'}\n", "reads a time zone"),
])
def test_values_that_used_to_fail_after_embedding(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=re.escape(needle)):
        tm.load_config(_write(tmp_path, text))
    tm.load_config(_write(tmp_path, "input:\n  transcripts: a\nseed: 4294967292\n"))  # fits


@pytest.mark.parametrize("assignment,needle", [
    ("segment.unit=paragraph", "--set segment.unit: Input should be"),
    ("segment.unitt=turn", "--set segment.unitt: unknown key"),
    ("seed=" + "1" * 5000, "--set seed: the number has more than 4,300 digits"),
    ("topics.nr_topics=0", "--set topics.nr_topics: must be at least 2"),
])
def test_set_errors_are_reported_as_set_not_against_a_line_of_the_file(tmp_path, assignment,
                                                                        needle):
    path = _write(tmp_path, "input:\n  transcripts: a\nsegment:\n  unit: turn\n"
                            "topics:\n  nr_topics: 5\n")
    with pytest.raises(ConfigError) as err:
        tm.load_config(path, overrides=[assignment])
    assert str(err.value).startswith(needle) and err.value.line is None
