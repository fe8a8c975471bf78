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


# ------------------------------------------------------------------ issue 10: nothing misplaced
def _study(tmp_path, turns):
    """Two transcripts: a long focus group and a document holding one short turn of it."""
    (tmp_path / "t").mkdir()
    long = "\n\n".join(f"{s}: {' '.join(t.split())}" for s, t in turns[:20]) + "\n"
    (tmp_path / "t" / "G1.txt").write_text(long, encoding="utf-8")
    short = next(t for _, t in turns[5:] if 40 < len(t) < 120)
    (tmp_path / "t" / "S1.txt").write_text(f"R1-02: {' '.join(short.split())}\n")
    corpus = tm.io.read_transcripts(str(tmp_path / "t" / "*.txt"), interviewer=["F"],
                                    labels="colon")
    return corpus, " ".join(short.split()), long


def _codes(tmp_path, rows, columns=("doc_id", "quote", "code")):
    path = tmp_path / "codes.csv"
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def test_a_quote_longer_than_a_short_document_is_not_placed_over_it(tmp_path, focus_groups):
    """A quote far longer than a short document containing it scored 100 over the document."""
    from builders import focus_group_turns

    turns = focus_group_turns(focus_groups)["R1_1"]
    corpus, short, long = _study(tmp_path, turns)
    around = " ".join(" ".join(t.split()) for _, t in turns[3:9])
    assert short in around and len(around) > 4 * len(short)
    path = _codes(tmp_path, [["S1", around, "Barriers"], ["S1", short, "Barriers"],
                             ["G1", around[:-3] + "xyz", "Barriers"]])
    with pytest.warns(tm.TextmineWarning, match="1 of 3 coded quotes could not be placed"):
        report = tm.io.read_codes(corpus, path)
    assert report.unplaced["line"].tolist() == [2] and report.unplaced["best_score"][0] < 50
    placed = corpus.codes.set_index("doc_id")
    assert normalize_ws(corpus.sources["S1"][placed.loc["S1", "start_char"]:
                                             placed.loc["S1", "end_char"]]) == short
    # a quote with a slip is still placed, over (nearly) its whole length
    g1 = placed.loc["G1"]
    assert g1["placement"] == "fuzzy" and g1["match_score"] >= 90
    assert g1["end_char"] - g1["start_char"] >= 0.9 * len(around)


def test_every_row_is_placed_reported_or_refused(tmp_path, focus_groups):
    from builders import focus_group_turns

    corpus, _, long = _study(tmp_path, focus_group_turns(focus_groups)["R1_1"])
    start = long.index(": ") + 2
    blank = long.index("\n\n")
    rows = [["G1", start, start + 30, "A"], ["G1", blank, blank + 2, "B"],
            ["G9", 1, 5, "C"], ["G1", start, start + 10, "A , B"]]
    path = _codes(tmp_path, rows, ("doc_id", "start_char", "end_char", "code"))
    with pytest.warns(tm.TextmineWarning, match="cover only whitespace"):
        report = tm.io.read_codes(corpus, path, split_codes=",")
    assert report.n_rows == 4 and report.n_placed == 2
    assert report.n_placed + len(report.unplaced) + report.n_rows_unknown_documents == 4
    assert report.unplaced["reason"].tolist() == ["span covers only whitespace"]
    assert sorted(corpus.codes["code"]) == ["A", "A", "B"]
    # a cell that holds no code once split is refused with its line, not counted as placed
    rows[3][3] = " , "
    path = _codes(tmp_path, rows, ("doc_id", "start_char", "end_char", "code"))
    with pytest.raises(CodesError, match=r"line 5: the 'code' cell holds no code"):
        tm.io.read_codes(corpus.copy(), path, split_codes=",")
    rows[3][3] = "/"
    path = _codes(tmp_path, rows, ("doc_id", "start_char", "end_char", "code"))
    with pytest.raises(CodesError, match=r"line 5: the code cell holds only the path"):
        tm.io.read_codes(corpus.copy(), path, path_separator="/")


def test_a_codebook_cycle_is_refused(tmp_path, focus_groups):
    """A codebook where Time is under Barriers and Barriers under Time (here 3 levels deep)."""
    from builders import focus_group_turns

    corpus, _, long = _study(tmp_path, focus_group_turns(focus_groups)["R1_1"])
    start = long.index(": ") + 2
    path = _codes(tmp_path, [["G1", start, start + 30, "Time"]],
                  ("doc_id", "start_char", "end_char", "code"))
    book = tmp_path / "book.csv"
    book.write_text("theme,sub,code\nBarriers,Resources,Time\nPlanning,Rota,Staff\n"
                    "Time,Leave,Planning\nStaff,Cover,Barriers\n")
    with pytest.raises(CodesError, match=r"line 2: .*cycle: Barriers > Resources > Time > "
                       r"Leave > Planning > Rota > Staff > Cover > Barriers \(lines 2, 3, 4, 5\)"):
        tm.io.read_codes(corpus, path, codebook=str(book),
                         codebook_columns=["theme", "sub", "code"])
