"""Preambles: an Otter header or a Word title is document context, never a turn of speech."""

from __future__ import annotations

import warnings

import docx
import pytest
from builders import export_lines, focus_group_turns

import textmine as tm
from textmine.io.preamble import split_preamble
from textmine.io.speakers import PREAMBLE_SPEAKER, parse_turns
from textmine.text import normalize_ws

OTTER_HEADER = [
    "Focus group R1 2 - open science",
    "",
    "SUMMARY KEYWORDS",
    "open science, data, preregistration, students, journals, tenure",
    "",
    "SPEAKERS",
    "F, R1-19, R1-20",
    "",
]


@pytest.fixture(scope="module")
def group(focus_groups):
    turns = focus_group_turns(focus_groups)["R1_1"][:12]
    # masterTranscript repeats the label in the comment ("19: Hi all"): keep the words only
    return [(speaker, comment.split(":", 1)[1].strip() if ":" in comment[:6] else comment)
            for speaker, comment in turns]


def _otter(path, group):
    lines = OTTER_HEADER + export_lines(group)  # ends with the Transcribed-by trailer
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_otter_header_is_metadata_not_speech(tmp_path, group):
    _otter(tmp_path / "R1_2.txt", group)
    corpus = tm.io.read_transcripts(str(tmp_path / "R1_2.txt"), interviewer=["F"])
    doc = corpus.documents.iloc[0]
    assert doc["preamble_title"] == "Focus group R1 2 - open science"
    assert doc["preamble_keywords"].startswith("open science, data")
    assert doc["preamble_speakers"] == "F, R1-19, R1-20"
    source = corpus.sources["R1_2"]
    assert source[:doc["preamble_chars"]].rstrip().endswith("F, R1-19, R1-20")
    # no turn, no segment of an unknown speaker; the trailer is no one's speech
    assert PREAMBLE_SPEAKER not in set(corpus.turns["speaker"])
    assert (corpus.turns["role"] != "unknown").all()
    assert corpus.turns["start_char"].min() >= doc["preamble_chars"]
    assert not corpus.turns["text"].str.contains("otter.ai").any()
    assert list(corpus.turns["speaker"]) == [s for s, _ in group]
    assert corpus.uns["read"]["n_preambles"] == 1
    assert "preambles: 1 documents" in corpus.summary()
    tm.pp.segment(corpus, unit="turn", min_words=0)
    assert set(corpus.segments["role"]) == {"participant"}
    for seg in corpus.segments.itertuples():
        assert normalize_ws(source[seg.start_char:seg.end_char]) == seg.text
    # document context: kept with the documents, not joined onto the segments as metadata
    assert "preamble_title" not in corpus.segments.columns


def test_word_title_and_details_lines(tmp_path, group):
    document = docx.Document()
    document.add_heading("Interview 7 - Network North", level=1)
    document.add_paragraph("Date: 12 March 2020")
    document.add_paragraph("Recorded online, 41 minutes")
    for speaker, text in group[:6]:
        document.add_paragraph(f"{'Interviewer' if speaker == 'F' else speaker}: {text}")
    document.save(str(tmp_path / "int07.docx"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        corpus = tm.io.read_transcripts(str(tmp_path / "int07.docx"))
    # no "text before the first speaker label" warning: a title is not speech
    assert not [w for w in caught if issubclass(w.category, tm.TextmineWarning)]
    doc = corpus.documents.iloc[0]
    assert doc["preamble_title"] == "Interview 7 - Network North"
    assert "Date: 12 March 2020" in doc["preamble_details"]
    assert "Recorded online" in doc["preamble_details"]
    assert "Date" not in set(corpus.turns["speaker"])
    assert corpus.turns["speaker"].iloc[0] == "Interviewer"
    assert (corpus.turns["role"] != "unknown").all()
    assert not corpus.uns["warnings"]


def test_speech_before_the_first_label_stays_and_is_flagged(serdif):
    # the SERDIF .txt files read without their layout rules: the participant speaks before
    # the moderator's first label. That is speech, kept as an unknown speaker's turn.
    with pytest.warns(tm.TextmineWarning, match="role 'unknown'"):
        corpus = tm.io.read_transcripts(str(serdif / "transcripts" / "txt" / "*.txt"))
    unknown = corpus.turns[corpus.turns["speaker"] == PREAMBLE_SPEAKER]
    assert len(unknown) >= 10 and (unknown["role"] == "unknown").all()
    assert corpus.uns["read"]["n_unknown_turns"] == len(unknown)
    assert unknown["text"].str.split().str.len().min() > 5
    # nothing was taken for a preamble where a participant was speaking
    assert corpus.uns["read"]["n_preambles"] == 0


@pytest.mark.parametrize("block,is_preamble", [
    ("Interview 4 - ward manager", True),
    ("Transcript: participant 7\nDate: 2020-03-23", True),
    ("Okay, I think we are recording now.", False),
    ("so what do you want me to do first?", False),
    ("\n".join(f"line {n} of a long introduction" for n in range(8)), False),
])
def test_what_counts_as_a_preamble(block, is_preamble):
    text = block + "\nInterviewer: How did it start?\nP1: In March, with two wards.\n"
    parsed = parse_turns(text)
    preamble, turns = split_preamble(text, parsed.turns, labels=parsed.labels)
    assert bool(preamble) is is_preamble
    assert [t.speaker for t in turns][-2:] == ["Interviewer", "P1"]
    if is_preamble:
        assert preamble.end_char == len(block)
        assert len(turns) == 2
    else:
        assert turns[0].speaker == PREAMBLE_SPEAKER


def test_leading_detail_lines_are_not_speakers():
    text = ("Interview 12\nDate: 3 March 2020\nLocation: Teams\n"
            "Interviewer: Tell me about the network.\nP12: It started small.\n"
            "Interviewer: And then?\nP12: Location: that mattered a lot.\n")
    parsed = parse_turns(text)
    preamble, turns = split_preamble(text, parsed.turns, labels=parsed.labels)
    assert preamble.title == "Interview 12"
    assert preamble.details == ["Date: 3 March 2020", "Location: Teams"]
    assert [t.speaker for t in turns] == ["Interviewer", "P12", "Interviewer", "P12"]
