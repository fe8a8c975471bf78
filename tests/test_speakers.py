"""Speaker-label parsing: every convention, generated and hand-written edge cases."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textmine.io.speakers import FALLBACK_SPEAKER, PREAMBLE_SPEAKER, detect_labels, parse_turns
from textmine.text import normalize_ws

NAMES = ["Interviewer", "I", "P01", "R1-19", "Dr. Jane Smith", "Speaker 2", "Ana van der Berg",
         "Ø. Løvås", "MODERATOR"]
word = st.sampled_from([
    "we", "had", "the", "data", "team", "so", "it", "was", "fine", "really", "NHS", "audit",
    "£5", "half-day", "(laughs)", "well,", "yes.", "okay?", "100%", "e.g.", "café"
])
line = st.lists(word, min_size=1, max_size=12).map(" ".join)
# a turn: 1-3 lines, optionally separated by a blank line
turn_text = st.lists(line, min_size=1, max_size=3)
turns = st.lists(st.tuples(st.sampled_from(NAMES), turn_text), min_size=1, max_size=8)


def _stamp(i: int) -> str:
    return f"{i // 3600}:{i // 60 % 60:02d}:{i % 60:02d}"


def render(items, style: str, eol: str) -> str:
    out = []
    for i, (name, lines) in enumerate(items):
        body = (eol + eol).join(lines) if i % 2 else eol.join(lines)
        if style == "colon":
            out.append(f"{name}: {body}")
        elif style == "colon_ts":
            out.append(f"[{_stamp(i * 37)}] {name}: {body}")
        elif style == "rev":
            out.append(f"{name} ({_stamp(i * 37)}):{eol}{body}")
        elif style == "export":
            out.append(f"{name}  {i * 37 // 60}:{i * 37 % 60:02d}{eol}{body}")
    return (eol + eol).join(out) + eol


@settings(max_examples=150, deadline=None)
@given(turns, st.sampled_from(["colon", "colon_ts", "rev", "export"]),
       st.sampled_from(["\n", "\r\n"]))
def test_generated_transcripts_give_back_their_turns(items, style, eol):
    text = render(items, style, eol)
    parsed = parse_turns(text, speakers=None if len(items) > 1 else [n for n, _ in items])
    assert [t.speaker for t in parsed.turns] == [name for name, _ in items]
    for turn, (_, lines) in zip(parsed.turns, items, strict=True):
        assert normalize_ws(text[turn.start_char:turn.end_char]) == normalize_ws(" ".join(lines))
        assert not text[turn.start_char].isspace() and not text[turn.end_char - 1].isspace()
    if style in ("colon_ts", "rev", "export"):
        assert all(t.start_time is not None for t in parsed.turns)


def test_export_format_with_trailer_and_preamble():
    text = ("Interview 4 - ward manager\n"
            "Jane Smith  0:03\nSo how did the pilot start?\n\n"
            "Bob  1:02:15\nWell: it started in March.\nThen we scaled up.\n\n"
            "Transcribed by https://otter.ai\n")
    parsed = parse_turns(text, skip_lines=[re.compile(r"^\s*Transcribed by https?://otter")])
    assert parsed.labels == "export"
    assert [(t.speaker, t.start_time) for t in parsed.turns] == [
        (PREAMBLE_SPEAKER, None), ("Jane Smith", 3.0), ("Bob", 3735.0)]
    last = parsed.turns[-1]
    assert normalize_ws(text[last.start_char:last.end_char]) == (
        "Well: it started in March. Then we scaled up.")


def test_sentence_starting_words_are_not_speakers():
    text = "Interviewer: And then?\nP1: It was hard.\nSo: we stopped.\nYes: really.\n"
    parsed = parse_turns(text)
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "P1"]
    assert normalize_ws(text[parsed.turns[1].start_char:parsed.turns[1].end_char]) == (
        "It was hard. So: we stopped. Yes: really.")


def test_known_speakers_restrict_labels():
    text = "MODERATOR: try Cork\nLocation: Cork. Time window 15 days.\n"
    parsed = parse_turns(text, speakers=["MODERATOR"], unlabelled_speaker="PARTICIPANT")
    assert [t.speaker for t in parsed.turns] == ["MODERATOR", "PARTICIPANT"]


def test_no_labels_fall_back_to_paragraphs_of_one_speaker():
    text = "First paragraph of a memo.\nStill first.\n\nSecond one.\n"
    parsed = parse_turns(text)
    assert parsed.labels == "none"
    assert [t.speaker for t in parsed.turns] == [FALLBACK_SPEAKER, FALLBACK_SPEAKER]
    assert parsed.notes and "no speaker labels" in parsed.notes[0]


def test_one_colon_in_prose_is_not_a_transcript():
    assert detect_labels("Note: this memo has no speakers.\nIt is prose.\n") == "none"


def test_line_rules_and_unlabelled_speaker_think_aloud_layout():
    text = ("1 Read the Home tab.\n"
            "\t(The participant reads the text)\n"
            "    1.a Was it enough?\n"
            "    \tOkay, I read this.\n"
            "    \tIt is clear.\n"
            " \tMODERATOR: Try again please\n"
            " \tFine.\n")
    rules = {"TASK": re.compile(r"^[ \t]*(?:\d+(?:\.[a-z])?|[a-z]\.[ivx]+)[ \t]+[A-Z]"),
             "NOTE": re.compile(r"^\s*\(.*\)\s*$")}
    parsed = parse_turns(text, line_speakers=rules, unlabelled_speaker="PARTICIPANT",
                         speakers=["MODERATOR"])
    got = [(t.speaker, normalize_ws(text[t.start_char:t.end_char])) for t in parsed.turns]
    assert got == [("TASK", "1 Read the Home tab."),
                   ("NOTE", "(The participant reads the text)"),
                   ("TASK", "1.a Was it enough?"),
                   ("PARTICIPANT", "Okay, I read this. It is clear."),
                   ("MODERATOR", "Try again please"),
                   ("PARTICIPANT", "Fine.")]


@pytest.mark.parametrize("label", ["12:30: lunch", "[00:01:02]: x", "http://x.org: y"])
def test_times_and_urls_are_not_names(label):
    text = f"Interviewer: hello\nP1: hi\n{label}\n"
    parsed = parse_turns(text)
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "P1"]


# ------------------------------------------------------------------ issue 10: any script, any break
SCRIPTS = {"hebrew": ["מראיינת", "שרה", "דוד"], "arabic": ["المحاور", "فاطمة", "يوسف"],
           "lower-case": ["Interviewer", "zoë", "amélie"], "devanagari": ["साक्षात्कारकर्ता",
                                                                    "प्रिया", "राहुल"],
           "chinese-full-width": ["采访者", "李明", "王芳"]}


@pytest.fixture(scope="module")
def real_turns(focus_groups):
    from builders import focus_group_turns

    return focus_group_turns(focus_groups)["R1_1"][:30]


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_labels_in_any_script_are_speakers_never_merged(real_turns, script):
    """Issue 10: Hebrew, Arabic and `zoë:` labels were merged into the previous turn."""
    names = SCRIPTS[script]
    speakers = sorted({s for s, _ in real_turns})
    rename = {s: names[i % len(names)] for i, s in enumerate(speakers)}
    colon = "：" if script == "chinese-full-width" else ": "
    items = [(rename[s], " ".join(t.split())) for s, t in real_turns]
    text = "\n".join(f"{name}{colon}{body}" for name, body in items) + "\n"
    parsed = parse_turns(text, labels="colon")
    assert [(t.speaker, normalize_ws(text[t.start_char:t.end_char])) for t in parsed.turns] == (
        items)
    assert parse_turns(text).labels == "colon"  # detected too
    if script == "lower-case":
        assert any("lower-case speaker label" in n for n in parsed.notes)


def test_a_single_lower_case_name_is_a_speaker_and_a_common_word_is_reported():
    text = ("Interviewer: How did the pilot go?\nzoë: It went well.\n"
            "Interviewer: And the rota?\nP1: Fine.\nexactly: that was the point.\n")
    parsed = parse_turns(text, labels="colon")
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "zoë", "Interviewer", "P1"]
    assert any("line 5" in n for n in parsed.notes)  # never merged without a word


def test_direction_marks_around_a_name_are_not_part_of_it():
    text = "\u200fשרה\u200f: שלום\nדוד: בוקר טוב\n"
    assert [t.speaker for t in parse_turns(text, labels="colon").turns] == ["שרה", "דוד"]


@pytest.mark.parametrize("brk", list("\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029") + ["\r\n"],
                         ids=lambda b: f"U+{ord(b[0]):04X}" + ("-LF" if len(b) > 1 else ""))
def test_every_unicode_line_break_separates_labels(real_turns, brk, tmp_path):
    """Issue 10: a file separated by U+2028 or form feeds became one turn of `SPEAKER`, and
    the long-line guard let it through. Now guard and parser see the same lines."""
    from textmine.errors import TranscriptError
    from textmine.io.transcripts import read_file

    items = [(s, " ".join(t.split())) for s, t in real_turns]
    body = brk.join(f"{s}: {t}" for s, t in items)
    # many copies: far over max_line_chars in all, every line short
    text = brk.join([body] * (1 + 120_000 // len(body)))
    path = tmp_path / "P01.txt"
    path.write_text(text, encoding="utf-8", newline="")
    (transcript,) = read_file(path)
    assert len(transcript.turns) == len(items) * (1 + 120_000 // len(body))
    assert [t.speaker for t in transcript.turns[:len(items)]] == [s for s, _ in items]
    # one over-long line, wherever it is, is found by the same lines the parser reads
    path.write_text(body + brk + "P01: " + "word " * 30_000 + brk + body, encoding="utf-8",
                    newline="")
    with pytest.raises(TranscriptError) as err:
        read_file(path)
    assert err.value.line == len(items) + 1 and err.value.key == "input.max_line_chars"
