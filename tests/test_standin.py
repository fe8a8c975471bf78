"""The stand-in interview study (bench/standin.py) reads as a researcher's study would."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from conftest import ROOT

import textmine as tm

sys.path.insert(0, str(ROOT / "bench"))
from standin import PROMPTS, build_standin  # noqa: E402


@pytest.fixture(scope="module")
def study(tmp_path_factory, data_dir):
    return build_standin(tmp_path_factory.mktemp("standin"), n_interviews=16, seed=3,
                         data_dir=data_dir)


def test_files_as_a_researcher_has_them(study):
    kinds = {i.kind for i in study.interviews}
    assert kinds == {"docx", "otter", "otter_numbered"}
    assert len(study.interviews) == 16
    otter = next(i for i in study.interviews if i.kind == "otter")
    text = (study.folder / "transcripts" / f"{otter.doc_id}.txt").read_text(encoding="utf-8")
    assert "SUMMARY KEYWORDS" in text and text.rstrip().endswith(
        "Transcribed by https://otter.ai")
    meta = pd.read_csv(study.metadata)
    assert {"doc_id", "date", "party", "role", "network", "interviewer"} <= set(meta.columns)
    # never written into the repository
    assert ROOT not in study.folder.parents


def test_read_with_the_researchers_config(study):
    corpus = tm.io.read_transcripts(**study.input_options())
    read = corpus.uns["read"]
    assert read["n_preambles"] == len(study.interviews)
    assert read["n_unknown_turns"] == 0 and read["n_documents_without_interviewer"] == 0
    # the sheet's role column is kept, under a name that does not clash with textmine's
    assert "meta_role" in corpus.metadata_columns
    numbered = [i for i in study.interviews if i.kind == "otter_numbered"]
    turns = corpus.turns.set_index("doc_id")
    for interview in numbered:
        mine = turns.loc[[interview.doc_id]]
        asked = set(mine.loc[mine["role"] == "interviewer", "speaker"])
        assert asked == {interview.interviewer_label}
    prompts = corpus.turns.loc[corpus.turns["role"] == "interviewer", "text"]
    assert prompts.isin(list(PROMPTS)).mean() > 0.5  # generic probes, whatever was said
    report = tm.io.read_codes(corpus, study.codes)
    assert report.to_dict()["n_unplaced"] == 0 and report.n_placed == len(corpus.codes)
    # every code span is an answer's text, exactly where the file has it
    answers = {t for i in study.interviews for _, t, c in i.turns if c}
    coded = {corpus.span_text(d, s, e) for d, s, e in zip(
        corpus.codes["doc_id"], corpus.codes["start_char"], corpus.codes["end_char"],
        strict=True)}
    assert len(coded) > 0.8 * len(answers)


def test_same_seed_same_study(study, tmp_path, data_dir):
    again = build_standin(tmp_path, n_interviews=16, seed=3, data_dir=data_dir)
    for interview in again.interviews:
        if interview.kind != "docx":
            name = f"{interview.doc_id}.txt"
            assert (tmp_path / "transcripts" / name).read_bytes() == (
                study.folder / "transcripts" / name).read_bytes()
    assert again.codes.read_bytes() == study.codes.read_bytes()
