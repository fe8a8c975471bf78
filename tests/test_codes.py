"""Human codes: spans, quotes placed by fuzzy matching, codebook paths, mapping to segments."""

import csv

import pandas as pd
import pytest

import textmine as tm
from textmine.errors import CodesError
from textmine.text import normalize_ws

FG_COLUMNS = {"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"}


@pytest.fixture(scope="module")
def fg_corpus(focus_groups):
    return tm.io.read_transcripts(str(focus_groups / "masterTranscript.csv"), interviewer=["F"],
                                  columns=FG_COLUMNS)


def test_every_taguette_quote_of_the_example_is_placed_on_its_text(example_corpus, serdif):
    corpus = example_corpus
    with open(serdif / "transcripts/thematic-analysis/tags/csv/all_tags_20220303.csv",
              encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(corpus.codes) == len(rows) == 1930
    assert corpus.uns["codes"]["n_unplaced"] == 0
    assert corpus.codes["code"].nunique() == 22
    # the codes keep file order, so row i is quote i: its span holds exactly the quote
    for row, code in zip(rows, corpus.codes.itertuples(), strict=True):
        source = corpus.sources[code.doc_id]
        assert code.doc_id == row["document"].removesuffix(".odt")
        assert code.code == row["tag"]
        assert normalize_ws(source[code.start_char:code.end_char]) == normalize_ws(row["content"])
    assert corpus.uns["codebook"]["Query process clear"].startswith("The query process")


def test_focus_group_quotes_with_hierarchy_and_multi_code_cells(fg_corpus, focus_groups):
    corpus = fg_corpus.copy()
    with pytest.warns(tm.TextmineWarning, match="not in the codebook"):
        report = tm.io.read_codes(
            corpus, focus_groups / "codeReferences.csv",
            columns={"doc_id": "Transcript", "code": "Code", "quote": "Comment",
                     "coder": "Author"},
            codebook=str(focus_groups / "Master Codebook.csv"),
            codebook_columns=["Category", "Subcategory", "axialCode", "initialCode"],
            split_codes=",")
    assert report.n_rows == 722 and report.n_placed == 722 and len(report.unplaced) == 0
    assert report.n_fuzzy > 0  # some coded spans differ slightly from the transcript
    fuzzy = corpus.codes[corpus.codes["placement"] == "fuzzy"]
    assert fuzzy["match_score"].min() >= 90
    # a cell "PE-OA, PW" is two codes on one span
    assert len(corpus.codes) > 722
    sa = corpus.codes[corpus.codes["code"] == "PE-SA"]
    assert set(sa["code_path"]) == {"3 > 1.8 - Past Experience > PE-OS > PE-SA"}
    assert corpus.codes["coder"].notna().all()
    # every quote lies inside participant or facilitator turns of its group
    for code in corpus.codes.itertuples():
        assert 0 <= code.start_char < code.end_char <= len(corpus.sources[code.doc_id])


def test_quotes_that_cannot_be_placed_are_reported_not_dropped(fg_corpus, tmp_path):
    corpus = fg_corpus.copy()
    path = tmp_path / "codes.csv"
    pd.DataFrame({
        "doc_id": ["R1_1", "R1_1", "R1_1", "nowhere"],
        "quote": ["I have such limited experience with open science",
                  "I have such limitted experiance with opne science",  # typos: fuzzy
                  "this sentence was never said by anyone in the focus group",
                  "whatever"],
        "code": ["A", "A", "B", "C"],
    }).to_csv(path, index=False)
    with pytest.warns(tm.TextmineWarning):
        report = tm.io.read_codes(corpus, path)
    assert report.n_exact == 1 and report.n_fuzzy == 1
    assert list(report.unplaced["line"]) == [4]
    assert report.unplaced["best_score"].iloc[0] < 90
    assert report.unknown_documents == ["nowhere"]
    exact, fuzzy = corpus.codes.iloc[0], corpus.codes.iloc[1]
    assert fuzzy["start_char"] == exact["start_char"]
    assert abs(fuzzy["end_char"] - exact["end_char"]) <= 3


def test_spans_round_trip_and_bad_spans_name_the_line(fg_corpus, tmp_path):
    corpus = fg_corpus.copy()
    turns = corpus.turns.iloc[:3]
    path = tmp_path / "spans.csv"
    pd.DataFrame({"doc_id": turns["doc_id"], "start_char": turns["start_char"],
                  "end_char": turns["end_char"], "code": ["x", "y", "x"],
                  "coder": "AT"}).to_csv(path, index=False)
    tm.io.read_codes(corpus, path)
    assert list(corpus.codes["start_char"]) == list(turns["start_char"])
    assert set(corpus.codes["placement"]) == {"span"}

    n = len(corpus.sources["R1_1"])
    for row, needle in [(f"R1_1,10,{n + 5},x", "outside document 'R1_1'"),
                        ("R1_1,50,50,x", "code span 50-50 is empty"),
                        ("R1_1,ten,20,x", "start_char 'ten' is not a number")]:
        path.write_text("doc_id,start_char,end_char,code\nR1_1,0,5,ok\n" + row + "\n")
        with pytest.raises(CodesError) as err:
            tm.io.read_codes(corpus, path)
        assert "spans.csv, line 3" in str(err.value) and needle in str(err.value)


def test_codes_file_without_usable_columns(fg_corpus, tmp_path):
    corpus = fg_corpus.copy()
    path = tmp_path / "codes.csv"
    path.write_text("document,label\nR1_1,x\n")
    with pytest.raises(CodesError, match="codes.columns"):
        tm.io.read_codes(corpus, path)


def test_segment_codes_overlap(example_corpus):
    corpus = example_corpus.copy()
    tm.pp.segment(corpus, unit="sentence", exclude_roles=[])
    sc = corpus.segment_codes
    assert list(sc.columns) == ["segment_id", "code", "code_path", "overlap_chars"]
    segs = corpus.segments.set_index("segment_id")
    codes = corpus.codes
    # recompute a sample by hand
    for row in sc.sample(200, random_state=0).itertuples():
        seg = segs.loc[row.segment_id]
        spans = codes[(codes["doc_id"] == seg["doc_id"]) & (codes["code"] == row.code)]
        best = (spans["end_char"].clip(upper=seg["end_char"])
                - spans["start_char"].clip(lower=seg["start_char"])).max()
        assert row.overlap_chars == best > 0
    # most coded participant text lies in some segment
    assert sc["segment_id"].nunique() > 0.5 * len(corpus.segments)
