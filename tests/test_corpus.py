"""The Corpus keeps its parts aligned under slicing, filtering and a folder round trip."""

import numpy as np
import pandas as pd
import pytest

import textmine as tm
from textmine.errors import CorpusError


@pytest.fixture()
def corpus(example_corpus):
    c = example_corpus.copy()
    tm.pp.segment(c, unit="window", max_tokens=64)
    rng = np.random.default_rng(0)
    c.embeddings["minilm"] = rng.standard_normal((len(c), 8)).astype("float32")
    c.results["topics"] = tm.Result(
        kind="topics", params={"seed": 0, "min_topic_size": 5},
        per_segment=pd.DataFrame({"segment_id": c.segments["segment_id"],
                                  "topic": np.arange(len(c)) % 3}),
        tables={"info": pd.DataFrame({"topic": [0, 1, 2], "size": [1, 2, 3]})},
        info={"n_topics": 3})
    return c


def test_mask_keeps_rows_aligned(corpus):
    mask = corpus.segments["month"] == "2021-12"
    sub = corpus[mask]
    assert len(sub) == mask.sum() > 0
    assert set(sub.segments["month"]) == {"2021-12"}
    np.testing.assert_array_equal(sub.embeddings["minilm"],
                                  corpus.embeddings["minilm"][mask.to_numpy()])
    per = sub.results["topics"].per_segment
    assert list(per["segment_id"]) == list(sub.segments["segment_id"])
    assert set(sub.documents["doc_id"]) == set(sub.segments["doc_id"])
    assert set(sub.codes["doc_id"]) <= set(sub.documents["doc_id"])
    assert set(sub.turns["doc_id"]) == set(sub.documents["doc_id"])
    # the original is untouched
    assert len(corpus.documents) == 17


def test_filter_by_metadata_and_positions(corpus):
    sub = corpus.filter(participant=["P1", "P2"], role="participant")
    assert set(sub.documents["participant"]) == {"P1", "P2"}
    assert len(corpus[:10]) == 10
    assert len(corpus[[0, 5, 7]]) == 3
    with pytest.raises(CorpusError, match="no segment column 'site'"):
        corpus.filter(site="North")


def test_folder_round_trip_is_exact(corpus, tmp_path):
    corpus.write(tmp_path / "c")
    again = tm.Corpus.read(tmp_path / "c")
    assert again.equals(corpus)
    assert again.embeddings["minilm"].dtype == np.float32
    assert str(again.segments["session_date"].dtype).startswith("datetime64")
    assert again.sources == {}  # transcripts are never written
    # writing again replaces, atomically
    corpus[:5].write(tmp_path / "c")
    assert len(tm.Corpus.read(tmp_path / "c")) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["c"]


def test_summary_fits_one_screen(corpus):
    text = corpus.summary()
    assert len(text.splitlines()) <= 24
    assert "17 documents" in text and "embeddings['minilm']" in text and "22 codes" in text


@pytest.mark.parametrize("breakage,needle", [
    (lambda c: c.embeddings.__setitem__("bad", np.zeros((3, 2))), "embeddings 'bad'"),
    (lambda c: c.segments.loc.__setitem__((0, "end_char"), 10**9), "outside document"),
    (lambda c: c.segments.loc.__setitem__((1, "segment_id"), c.segments.loc[0, "segment_id"]),
     "not unique"),
    (lambda c: c.segments.loc.__setitem__((0, "text"), "edited text"), "does not match"),
    (lambda c: c.documents.loc.__setitem__((1, "doc_id"), c.documents.loc[0, "doc_id"]),
     "appears twice"),
])
def test_broken_invariants_are_named(corpus, breakage, needle):
    breakage(corpus)
    with pytest.raises(CorpusError, match=needle):
        corpus.validate()


def test_result_tables_round_trip_with_their_types(corpus, tmp_path):
    # words that CSV readers turn into missing values, ids that look like numbers, dates, bools
    tricky = pd.DataFrame({
        "code": pd.Series(["NA", "null", "None", "007", "n/a"], dtype="str"),
        "count": pd.Series([1, 2, 3, 4, 5], dtype="int64"),
        "share": [0.1, 1 / 3, float("nan"), 1e-300, 2.5],
        "flagged": [True, False, True, False, True],
        "when": pd.to_datetime(["2020-03-01", "2020-03-02", None, "2021-01-01", "2019-12-31"]),
        "text": pd.Series(['a "quoted", comma', "line\nbreak", "é ü 中", "%&_", "x"],
                          dtype="str"),
        # an empty text is not a missing one (terms of a topic absent in a month), and a
        # missing one stays missing
        "terms": pd.Series(["care staff", "", "wait", "", "x y"], dtype="str"),
        "label": pd.Series(["a", None, "b", "c", "d"], dtype="str"),
        "note": pd.Series(["", "kept", "", "", ""], dtype="object"),
    })
    corpus.results["track"] = tm.Result(kind="track", params={"by": ["network"]},
                                        tables={"prevalence_network": tricky},
                                        info={"excluded": {"no_date": 0}, "nan": float("nan")})
    corpus.write(tmp_path / "c")
    again = tm.Corpus.read(tmp_path / "c")
    assert (tmp_path / "c" / "results" / "track" / "prevalence_network.csv").is_file()
    pd.testing.assert_frame_equal(again.results["track"].tables["prevalence_network"], tricky)
    assert again.equals(corpus)


def test_a_run_folder_stores_each_result_once(corpus, tmp_path):
    from textmine.io.corpus_dir import write_tables

    run = tmp_path / "run"
    write_tables(corpus, run / "corpus", result_folders={"topics": run / "topics"})
    assert (run / "topics" / "assignments.parquet").is_file()
    assert not (run / "corpus" / "results").exists()
    stored = [p.name for p in run.rglob("*.parquet")]
    assert stored.count("assignments.parquet") == 1 and "per_segment.parquet" not in stored
    for again in (tm.Corpus.read(run / "corpus"), tm.Corpus.read(run)):
        assert again.equals(corpus)
    (run / "topics" / "assignments.parquet").unlink()
    with pytest.raises(CorpusError, match="assignments.parquet"):
        tm.Corpus.read(run)


def test_a_copy_shares_no_nested_state(corpus):
    corpus.uns["segment"] = {"params": {"unit": "window"}}
    dup = corpus.copy()
    dup.uns["segment"]["params"]["unit"] = "turn"
    dup.results["topics"].info["n_topics"] = 99
    dup.results["topics"].tables["info"].loc[0, "size"] = 99
    assert corpus.uns["segment"]["params"]["unit"] == "window"
    assert corpus.results["topics"].info["n_topics"] == 3
    assert corpus.results["topics"].tables["info"].loc[0, "size"] == 1
