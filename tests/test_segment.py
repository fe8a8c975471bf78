"""Segmentation on the real example study: units, budgets, overlap, roles, context."""

import warnings

import pytest

import textmine as tm
from textmine.errors import ConfigError, CorpusError
from textmine.pp.tokens import token_counter


@pytest.fixture()
def corpus(example_corpus):
    return example_corpus.copy()


def _within_turns(corpus):
    turns = corpus.turns.set_index(["doc_id", "turn"])
    for seg in corpus.segments.itertuples():
        turn = turns.loc[(seg.doc_id, seg.turn)]
        assert turn["start_char"] <= seg.start_char < seg.end_char <= turn["end_char"]
        assert turn["speaker"] == seg.speaker and turn["role"] == seg.role


@pytest.mark.parametrize("max_tokens", [16, 64, 200])
def test_windows_stay_in_turn_and_budget(corpus, max_tokens):
    tm.pp.segment(corpus, unit="window", max_tokens=max_tokens, min_words=0)
    _within_turns(corpus)
    sizes = token_counter("minilm")(corpus.segments["text"].tolist())
    assert max(sizes) <= max_tokens
    # a bigger budget packs more text per window
    assert corpus.uns["segment"]["n_segments"] == len(corpus.segments)


def test_bigger_budgets_make_fewer_windows(example_corpus):
    counts = []
    for budget in (16, 64, 200):
        c = example_corpus.copy()
        tm.pp.segment(c, unit="window", max_tokens=budget, min_words=0)
        counts.append(len(c))
    assert counts[0] > counts[1] > counts[2]


def test_window_overlap_shares_sentences(corpus):
    tm.pp.segment(corpus, unit="window", max_tokens=48, overlap=1, min_words=0)
    segs = corpus.segments
    overlapping = 0
    for (_, _), group in segs.groupby(["doc_id", "turn"]):
        starts, ends = group["start_char"].tolist(), group["end_char"].tolist()
        for i in range(1, len(group)):
            assert starts[i] > starts[i - 1]  # always moves forward
            overlapping += starts[i] < ends[i - 1]
    assert overlapping > 50


def test_sentences_cover_every_participant_character(corpus):
    tm.pp.segment(corpus, unit="sentence", min_words=0)
    by_turn = corpus.segments.groupby(["doc_id", "turn"])
    turns = corpus.turns.set_index(["doc_id", "turn"])
    for (doc_id, turn), group in by_turn:
        source = corpus.sources[doc_id]
        row = turns.loc[(doc_id, turn)]
        covered = "".join(source[s:e] for s, e in zip(group["start_char"], group["end_char"],
                                                       strict=True))
        assert "".join(covered.split()) == "".join(
            source[row["start_char"]:row["end_char"]].split())


def test_roles_left_out_stay_as_context(corpus):
    tm.pp.segment(corpus, unit="turn", exclude_roles=["interviewer", "other"])
    assert set(corpus.segments["role"]) == {"participant"}
    assert {"TASK", "MODERATOR", "NOTE"} <= set(corpus.turns["speaker"])
    seg = corpus.segments.iloc[5]
    context = corpus.context(seg["segment_id"], before=3)
    assert seg["turn"] in set(context["turn"])
    assert (context["role"] == "interviewer").any()


def test_min_words_drops_and_counts(corpus):
    tm.pp.segment(corpus, unit="sentence", min_words=0)
    all_sentences = len(corpus)
    tm.pp.segment(corpus, unit="sentence", min_words=5)
    assert corpus.segments["text"].str.split().str.len().min() >= 4  # words >= 5 by \w runs
    assert corpus.uns["segment"]["n_dropped_short"] == all_sentences - len(corpus) > 0


def test_segment_ids_are_unique_and_name_their_span(corpus):
    tm.pp.segment(corpus, unit="window", max_tokens=32, overlap=1)
    ids = corpus.segments["segment_id"]
    assert ids.is_unique
    first = corpus.segments.iloc[0]
    assert first["segment_id"] == f"{first['doc_id']}:{first['start_char']}-{first['end_char']}"


def test_long_turns_warn_about_model_truncation_when_not_split(focus_groups):
    corpus = tm.io.read_transcripts(
        str(focus_groups / "masterTranscript.csv"), interviewer=["F"],
        columns={"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"})
    with pytest.warns(tm.TextmineWarning, match="longer than the embedding model's 256"):
        tm.pp.segment(corpus, unit="turn", model_max_tokens=None)
    assert corpus.uns["segment"]["n_over_model_limit"] > 0
    with pytest.warns(tm.TextmineWarning, match=r"\d+ turns were longer than the embedding"):
        tm.pp.segment(corpus, unit="turn")
    assert corpus.uns["segment"]["n_over_model_limit"] == 0
    assert corpus.uns["segment"]["n_split_for_length"] > 0


@pytest.fixture()
def monologues(data_dir, tmp_path):
    """Interviews whose answers are several thousand words: Commons speeches run together."""
    import pandas as pd

    speeches = pd.read_csv(data_dir / "uk_commons_covid_2020" / "uk_covid_speeches_2020.csv")
    speeches = speeches[speeches["text"].str.split().str.len() > 400]
    for k in range(2):
        answers = [" ".join(speeches["text"].iloc[i].split()) for i in range(6 * k, 6 * k + 6)]
        text = (f"Interview {k + 1}\n\nInterviewer: Could you say a bit more about that?\n"
                f"Jane Roe: {' '.join(answers[:3])}\n"
                "Interviewer: And then?\n"
                f"Jane Roe: {answers[3]}\n\n{answers[4]}\n\n{answers[5]}\n")
        (tmp_path / f"m{k}.txt").write_text(text, encoding="utf-8")
    return tm.io.read_transcripts(str(tmp_path / "m*.txt"))


@pytest.mark.parametrize("unit", ["turn", "sentence"])
def test_turns_of_thousands_of_words_are_split_within_the_turn(monologues, unit):
    words = monologues.turns["text"].str.split().str.len()
    assert words.max() > 2000
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tm.pp.segment(monologues, unit=unit)
    split = [str(w.message) for w in caught if "split by sentences" in str(w.message)]
    assert len(split) == (unit == "turn")
    segments = monologues.segments
    sizes = token_counter("minilm")(segments["text"].tolist())
    assert max(sizes) <= 254  # MiniLM's 256 with its two special tokens
    _within_turns(monologues)
    for seg in segments.itertuples():  # offsets round-trip to the source
        source = monologues.sources[seg.doc_id]
        assert tm.text.normalize_ws(source[seg.start_char:seg.end_char]) == seg.text
    stats = monologues.uns["segment"]
    if unit == "turn":
        assert stats["n_split_for_length"] == 4  # the four participant turns
        assert stats["n_split_pieces"] == len(segments)
        # windows of about equal length: no scrap at the end of a turn
        assert min(sizes) > 100
        # together the pieces cover every word of each turn, in order, without overlap
        for (doc_id, turn), group in segments.groupby(["doc_id", "turn"]):
            row = monologues.turns.set_index(["doc_id", "turn"]).loc[(doc_id, turn)]
            assert " ".join(group["text"]) == row["text"]
    else:
        assert stats["n_split_for_length"] == 0



def test_resegmenting_drops_stale_embeddings(corpus):
    import numpy as np

    tm.pp.segment(corpus, unit="turn")
    corpus.embeddings["x"] = np.zeros((len(corpus), 4), dtype="float32")
    tm.pp.segment(corpus, unit="sentence")
    assert corpus.embeddings == {}


def test_bad_options_and_missing_sources(corpus, tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'segment.unti'"):
        tm.pp.segment(corpus, unti="turn")
    with pytest.raises(ConfigError, match="segment.unit"):
        tm.pp.segment(corpus, unit="paragraph")
    tm.pp.segment(corpus)
    corpus.write(tmp_path / "c")
    again = tm.Corpus.read(tmp_path / "c")
    with pytest.raises(CorpusError, match="source texts"):
        tm.pp.segment(again)


def test_where_analyses_one_group_and_names_bad_keys(example_corpus):
    from textmine.pipeline import select

    corpus = example_corpus.copy()
    tm.pp.segment(corpus, unit="turn")
    record = {}
    nov = select(corpus, {"month": "2021-11"}, record)
    months = example_corpus.documents.set_index("doc_id")["month"]
    wanted = set(months[months == "2021-11"].index)
    assert set(nov.documents["doc_id"]) == wanted == set(nov.segments["doc_id"])
    assert set(nov.codes["doc_id"]) <= wanted
    assert record["n_documents_selected"] == len(wanted)
    assert record["n_documents_not_selected"] == corpus.n_docs - len(wanted)
    assert len(nov) == int(corpus.segments["month"].eq("2021-11").sum())
    two = select(corpus, {"month": ["2021-11", "2021-12"]}, {})
    assert two.n_docs > nov.n_docs
    with pytest.raises(ConfigError, match="segment.where names 'network'") as error:
        select(corpus, {"network": "North"}, {})
    assert error.value.key == "segment.where.network"
    with pytest.raises(ConfigError, match="matches no segment"):
        select(corpus, {"month": 2019}, {})
    with pytest.raises(ConfigError, match="corpus.filter"):
        tm.pp.segment(corpus, where={"month": "2021-11"})
