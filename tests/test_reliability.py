"""What textmine guarantees with hostile and odd input (issue 10; docs/reliability.md).

Never deletes: a run folder or corpus folder replaces only a folder textmine made. Never
overwrites: no output lands on an input, the pseudonym map never where transcripts are read.
Never reads without saying: links out of the data folder are refused, and the manifest lists
every file read with the sha256 of the bytes read. Each case is rebuilt here from the real
focus-group transcripts; whole runs skip the embedding (irrelevant to what is checked).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from builders import focus_group_turns
from malformed import valid_study

import textmine as tm
from textmine.cli import main
from textmine.errors import OutputError, TranscriptError
from textmine.io.guard import RUN_MARKER, glob_reaches, glob_reads
from textmine.io.zipguard import check_zip

FAST = ["--set", "embed.enabled=false"]


@pytest.fixture(scope="module")
def turns(focus_groups):
    return focus_group_turns(focus_groups)


@pytest.fixture()
def study(tmp_path, turns) -> Path:
    """A small real study: transcripts/G1.txt, G2.txt, metadata, codes, roster, config."""
    return valid_study(tmp_path / "study", turns).parent


def _state(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def _edit(config: Path, **values) -> None:
    data = yaml.safe_load(config.read_text())
    for dotted, value in values.items():
        *parents, last = dotted.split("__")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    config.write_text(yaml.safe_dump(data, sort_keys=False))


# ------------------------------------------------------------------ never deletes

@pytest.mark.parametrize("out", ["mydata", "transcripts", ".", ".."])
def test_out_never_replaces_a_folder_textmine_did_not_make(study, capsys, monkeypatch, out):
    """`--out mydata`, `--out t` and `--out .` used to replace those folders, exit 0."""
    (study / "mydata").mkdir()
    (study / "mydata" / "field-notes.docx").write_bytes(b"the researcher's own notes")
    monkeypatch.chdir(study)  # as typed from the project folder
    before = _state(study.parent)
    code, err = _run(["run", "config.yaml", "--out", out, *FAST], capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("textmine: error: ")
    assert "refused as the run folder" in err
    assert _state(study.parent) == before  # every file is still there, byte for byte
    assert not any(p.name.startswith(f".{Path(out).name}.tmp") for p in study.iterdir())


def test_a_run_folder_is_replaced_only_while_it_holds_only_what_textmine_wrote(study, capsys):
    out = study / "outputs" / "run"
    assert _run(["run", str(study / "config.yaml"), "--out", str(out), *FAST], capsys)[0] == 0
    marker = json.loads((out / RUN_MARKER).read_text())
    assert set(marker["files"]) == {str(p.relative_to(out)) for p in out.rglob("*")
                                    if p.is_file() and p.name != RUN_MARKER}
    # a file browser's litter is not the user's work: the next run replaces the folder
    (out / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert _run(["run", str(study / "config.yaml"), "--out", str(out), *FAST], capsys)[0] == 0
    # notes saved into the run folder are: the run stops, before reading anything
    (out / "topics-notes.md").write_text("what we made of topic 3")
    before = _state(out)
    code, err = _run(["run", str(study / "config.yaml"), "--out", str(out), *FAST], capsys)
    assert code == 2 and "topics-notes.md" in err and "did not write" in err
    assert _state(out) == before


@pytest.mark.parametrize("where", ["home", "root", "cwd", "above cwd"])
def test_home_root_and_the_current_folder_are_refused_by_validate(study, capsys, monkeypatch,
                                                                  tmp_path, where):
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home / "work")
    out = {"home": str(home), "root": "/", "cwd": ".", "above cwd": str(tmp_path)}[where]
    code, err = _run(["validate", str(study / "config.yaml"), "--out", out], capsys)
    assert code == 2 and "refused as the run folder" in err
    assert ("it is the" if where != "above cwd" else "it holds the") in err


def test_output_checks_come_before_any_work(study, monkeypatch, capsys):
    from textmine import pipeline

    def never(*args, **kwargs):
        raise AssertionError("read the inputs before checking where to write")

    monkeypatch.setattr(pipeline, "read_inputs", never)
    (study / "occupied").mkdir()
    (study / "occupied" / "x.txt").write_text("x")
    for args in (["--out", str(study / "occupied")],  # a user's folder
                 ["--out", str(study / "metadata.csv" / "run")],  # cannot be created
                 ["--set", "protect.map_file=transcripts/G2.txt"]):  # over an input
        code, err = _run(["run", str(study / "config.yaml"), *args], capsys)
        assert code == 2 and "textmine: error:" in err, args


def test_unwritable_places_are_found_up_front(study, monkeypatch, capsys):
    locked = study / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        False if Path(p) == locked and mode & os.W_OK else real(p, mode, **kw)))
    for args, key in ((["--out", str(locked / "run")], "out"),
                      (["--set", "protect.map_file=locked/map.csv"], "protect.map_file")):
        code, err = _run(["validate", str(study / "config.yaml"), *args], capsys)
        assert code == 2 and "is not writable" in err and f"({key})" in err


def test_corpus_write_replaces_only_corpus_folders(study, tmp_path, monkeypatch):
    corpus = tm.io.read_transcripts(str(study / "transcripts" / "*.txt"), interviewer=["F"])
    tm.pp.segment(corpus, unit="turn")
    folder = corpus.write(tmp_path / "corpus")
    corpus.write(folder)  # its own folder: replaced
    (folder / "analysis.R").write_text("library(ggplot2)")
    with pytest.raises(OutputError, match="analysis.R"):
        corpus.write(folder)
    assert (folder / "analysis.R").is_file()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("keep")
    monkeypatch.chdir(mine)
    for target, reason in ((mine, "it is the current folder"),
                           (study / "transcripts", "it holds an input"),
                           (tmp_path / "new" / "..", "it holds the current folder")):
        with pytest.raises(OutputError, match=reason):
            corpus.write(target)
    assert (mine / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in (study / "transcripts").iterdir()) == ["G1.txt", "G2.txt"]


# ------------------------------------------------------------------ never overwrites

def test_the_pseudonym_map_never_overwrites_an_input(study, capsys):
    """`map_file: t/P02.txt` used to replace a raw transcript with the re-identifying map."""
    before = _state(study)
    for target in ("transcripts/G2.txt", "metadata.csv", "roster.csv", "codes.csv",
                   "config.yaml"):
        code, err = _run(["run", str(study / "config.yaml"), "--out",
                          str(study / "out"), "--set", f"protect.map_file={target}", *FAST],
                         capsys)
        assert code == 2 and "protect.map_file" in err, target
    assert _state(study) == before


def test_the_map_is_never_written_where_transcripts_are_read(study, capsys):
    config = study / "config.yaml"
    # the study reads transcripts/*: a map there would be read as a transcript next time
    code, err = _run(["run", str(config), "--out", str(study / "out"),
                      "--set", "protect.map_file=transcripts/map.csv", *FAST], capsys)
    assert code == 2 and "would read it as a transcript" in err
    assert not (study / "transcripts" / "map.csv").exists()
    # with transcripts/*.txt the folder is fine: the map is written, and re-written
    _edit(config, input__transcripts="transcripts/*.txt")
    for _ in range(2):
        code, err = _run(["run", str(config), "--out", str(study / "out"),
                          "--set", "protect.map_file=transcripts/map.csv", *FAST], capsys)
        assert code == 0, err
    assert pd.read_csv(study / "transcripts" / "map.csv").columns[0] == "kind"
    manifest = json.loads((study / "out" / "manifest.json").read_text())
    assert not any("map.csv" in path for path in manifest["inputs"]["transcripts"])
    # a file of the user's is never overwritten by it
    (study / "notes.csv").write_text("my,notes\n1,2\n")
    code, err = _run(["run", str(config), "--out", str(study / "out"),
                      "--set", "protect.map_file=notes.csv", *FAST], capsys)
    assert code == 2 and "not a pseudonym map" in err
    assert (study / "notes.csv").read_text() == "my,notes\n1,2\n"


def test_notebook_map_writer_refuses_the_corpus_transcripts(study):
    corpus = tm.io.read_transcripts(str(study / "transcripts" / "*.txt"), interviewer=["F"])
    tm.pp.protect(corpus, roster=str(study / "roster.csv"))
    before = (study / "transcripts" / "G1.txt").read_bytes()
    with pytest.raises(OutputError, match="input file"):
        tm.pp.write_pseudonym_map(corpus, study / "transcripts" / "G1.txt")
    assert (study / "transcripts" / "G1.txt").read_bytes() == before


@pytest.mark.parametrize("pattern,path,reads", [
    ("/d/t/*", "/d/t/map.csv", True), ("/d/t/*.txt", "/d/t/map.csv", False),
    ("/d/t/*", "/d/t/.map.csv", False), ("/d/**/*.csv", "/d/a/b/map.csv", True),
    ("/d/**", "/d/map.csv", True), ("/d/t/P*.txt", "/d/t/P01.txt", True),
    ("/d/*/x.txt", "/d/t/x.txt", True), ("/d/*/x.txt", "/d/t/u/x.txt", False)])
def test_glob_matching_is_glob_s_own(pattern, path, reads):
    assert glob_reads(pattern, Path(path)) is reads


@pytest.mark.parametrize("pattern,folder,reaches", [
    ("/d/t/*", "/d/t", True), ("/d/t/*", "/d/out", False), ("/d/*.txt", "/d/outputs/run",
                                                              False),
    ("/d/*/*", "/d/outputs", True), ("/d/**/*.txt", "/d/outputs/run", True),
    ("/d/t/**", "/d/o", False)])
def test_what_a_glob_could_read_below_a_folder(pattern, folder, reaches):
    assert glob_reaches(pattern, Path(folder)) is reaches


# ------------------------------------------------------------------ never reads without saying

def test_links_out_of_the_data_folder_are_refused_and_every_read_is_listed(study, capsys,
                                                                          tmp_path):
    """A link to /etc/passwd in the data folder was read and written into segments."""
    outside = tmp_path / "elsewhere" / "passwd.txt"
    outside.parent.mkdir()
    outside.write_text("root: x:0:0:root:/root:/bin/bash\n")
    (study / "transcripts" / "G3.txt").symlink_to(outside)
    config = study / "config.yaml"
    code, err = _run(["run", str(config), "--out", str(study / "out"), *FAST], capsys)
    assert code == 2 and "G3.txt" in err and "input.follow_symlinks" in err
    assert not (study / "out").exists()
    # a link that stays inside the folder is read; links elsewhere only when allowed
    (study / "transcripts" / "G4.txt").symlink_to(study / "transcripts" / "G1.txt")
    (study / "metadata.csv").write_text((study / "metadata.csv").read_text()
                                        + "G3,x,2020-01-01\nG4,y,2020-01-01\n")
    _edit(config, input__follow_symlinks=True, codes__codebook="codebook.csv")
    (study / "codebook.csv").write_text("code\nBarriers\n")
    assert _run(["run", str(config), "--out", str(study / "out"), *FAST], capsys)[0] == 0
    manifest = json.loads((study / "out" / "manifest.json").read_text())
    inputs = manifest["inputs"]
    listed = {path: digest for kind in ("config", "transcripts", "metadata", "codes",
                                        "codebook", "roster") for path, digest in
              inputs[kind].items()}
    expected = [config, *(study / "transcripts").iterdir(), study / "metadata.csv",
                study / "codes.csv", study / "codebook.csv", study / "roster.csv"]
    assert sorted(listed) == sorted(str(p) for p in expected)
    for path, digest in listed.items():
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digest
    assert inputs["links"] == {str(study / "transcripts" / "G3.txt"): str(outside),
                               str(study / "transcripts" / "G4.txt"):
                                   str(study / "transcripts" / "G1.txt")}


# ------------------------------------------------------------------ zip-based inputs

def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, blob in members.items():
            archive.writestr(zipfile.ZipInfo(name), blob, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def test_zip_guard_limits_size_ratio_members_and_names(tmp_path, study):
    import docx

    path = tmp_path / "t.docx"
    document = docx.Document()
    for line in (study / "transcripts" / "G1.txt").read_text().splitlines():
        document.add_paragraph(line)
    document.save(str(path))
    real = path.read_bytes()
    check_zip(real, path, kind=".docx")  # a real transcript passes
    check_zip(b"not a zip at all", path, kind=".docx")  # left to the format's reader
    text = (study / "transcripts" / "G1.txt").read_bytes()
    cases = {
        "decompresses to more than": (_zip({"a.xml": text * 40}), {"max_total_bytes": 100_000}),
        "would grow": (_zip({"a.xml": b"\0" * 2**21}), {}),
        "parts": (_zip({f"p{i}.xml": b"x" for i in range(30)}), {"max_members": 20}),
        "absolute path": (_zip({"C:/evil.xml": b"x"}), {}),
    }
    for message, (data, limits) in cases.items():
        with pytest.raises(TranscriptError, match=message):
            check_zip(data, path, kind=".docx", error=TranscriptError, **limits)


def test_every_zip_reader_calls_the_guard(study, tmp_path, monkeypatch):
    """docx, odt and xlsx (transcripts, metadata, codes, rosters) all go through check_zip."""
    import textmine.io.documents as documents
    import textmine.io.tables as tables

    seen: list[str] = []

    def spy(data, path, *, kind, **kw):
        seen.append(kind)

    monkeypatch.setattr(documents, "check_zip", spy)
    monkeypatch.setattr(tables, "check_zip", spy)
    for name in ("t.docx", "t.odt", "t.xlsx"):
        (tmp_path / name).write_bytes(b"PK junk")
        with pytest.raises(TranscriptError):
            tm.io.read_file(tmp_path / name)
    assert seen == [".docx", ".odt", ".xlsx"]


# ------------------------------------------------------------------ accepted without notice

def test_odd_but_readable_input_is_reported_in_the_manifest(study, capsys):
    """Each of these used to pass without a word; each is now a warning in the manifest."""
    transcripts = study / "transcripts"
    g1 = (transcripts / "G1.txt").read_text()
    first, rest = g1.split("\n\n", 1)
    # a lower-case label; label timestamps that go backwards and one that is impossible
    (transcripts / "G1.txt").write_text(
        f"[00:10:00] {first}\n\n[00:05:00] zoë: I agree with that.\n\n"
        f"[99:99:99] F: And the others?\n\n{rest}")
    # a few control characters (a stray byte in an otherwise good file)
    g2 = (transcripts / "G2.txt").read_bytes()
    (transcripts / "G2.txt").write_bytes(g2.replace(b"\n\n", b"\x07\n\n", 1))
    # a transcript table with a transcript named None (not an empty cell)
    (transcripts / "sheet.csv").write_text("doc_id,speaker,text\nNone,F,Welcome back.\n"
                                           "None,R1-01,Thanks for having me.\n")
    meta = pd.read_csv(study / "metadata.csv", dtype=str)
    meta.loc[len(meta)] = ["None", "R1", "2020-04-05"]
    meta["date"] = ["02/01/20", "03/02/20", "04/03/20", "05/04/68"]  # %y: 68 is 2068
    meta.to_csv(study / "metadata.csv", index=False)
    codes = pd.read_csv(study / "codes.csv")
    blank = (transcripts / "G1.txt").read_text().index("\n\n")
    codes.loc[len(codes)] = ["G1", blank, blank + 2, "Barriers"]  # only whitespace
    codes.to_csv(study / "codes.csv", index=False)
    _edit(study / "config.yaml", input__columns={"doc_id": "doc_id"},
          input__dates={"date": "%d/%m/%y"})
    code, err = _run(["run", str(study / "config.yaml"), "--out", str(study / "out"), *FAST],
                     capsys)
    assert code == 0, err
    manifest = json.loads((study / "out" / "manifest.json").read_text())
    warnings = "\n".join(manifest["warnings"])
    for expected in ("lower-case speaker label(s) read as speakers: 'zoë'",
                     "timestamp(s) in speaker labels are not times",
                     "turn start times go backwards",
                     "control character(s)",
                     "are after today (a two-digit year",
                     "cover only whitespace"):
        assert expected in warnings, expected
    documents = pd.read_parquet(study / "out" / "corpus" / "documents.parquet")
    assert "None" in set(documents["doc_id"])
    turns = pd.read_parquet(study / "out" / "corpus" / "turns.parquet")
    assert "zoë" in set(turns["speaker"])  # never merged into the interviewer's turn
    unplaced = pd.read_csv(study / "out" / "reports" / "codes_unplaced.csv")
    assert list(unplaced["reason"]) == ["span covers only whitespace"]
    assert manifest["stages"]["codes"]["n_placed"] + len(unplaced) == len(codes)
