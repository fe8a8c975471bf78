"""Property-based tests (hypothesis) of the readers and of protection.

Whatever the bytes, a reader either returns transcripts whose turns are valid spans of the
decoded text, or raises textmine's own error; never another exception. Protection never
leaves a fragment of an identifier in any span of a text, wherever the span is cut.
Examples are derandomised (the same on every run, as every random step in textmine).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import docx
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import textmine as tm
from textmine.errors import InputError, TextmineError
from textmine.io.speakers import parse_turns
from textmine.pp.detect import Detector
from textmine.pp.roster import RosterEntry

SETTINGS = settings(derandomize=True, deadline=None, max_examples=300,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

# text that looks like transcripts: labels, timestamps, colons, line breaks of every kind
transcript_text = st.lists(st.sampled_from(
    list("Ab: \t\n\r01[]().,'’é-") + ["F: ", "\n\n", "00:01 ", "Jane Smith: ", "  0:12\n",
                                        "WEBVTT\n", "00:00:01.000 --> 00:00:02.000\n",
                                        "<v Ann>", "speaker,text\n"]),
    max_size=120).map("".join)


def _check_turns(text: str, turns) -> None:
    previous_end = 0
    for turn in turns:
        assert 0 <= turn.start_char < turn.end_char <= len(text)
        assert turn.start_char >= previous_end  # in order, not overlapping
        assert not text[turn.start_char].isspace() and not text[turn.end_char - 1].isspace()
        previous_end = turn.end_char


@SETTINGS
@given(text=transcript_text, labels=st.sampled_from(["auto", "colon", "export", "none"]))
def test_parse_turns_gives_ordered_spans_of_the_text(text, labels):
    parsed = parse_turns(text, labels=labels)
    _check_turns(text, parsed.turns)
    assert parsed.labels in ("colon", "export", "none")


def _read(tmp: Path, name: str, data: bytes):
    path = tmp / name
    path.write_bytes(data)
    try:
        transcripts = tm.io.read_file(path)
    except InputError as err:
        assert name in str(err) and err.hint
        return None
    for transcript in transcripts:
        _check_turns(transcript.text, transcript.turns)
        assert transcript.turns
    return transcripts


@SETTINGS
@given(data=st.one_of(st.binary(max_size=400), transcript_text.map(
    lambda t: t.encode("utf-8")), transcript_text.map(lambda t: t.encode("utf-16"))),
    suffix=st.sampled_from(["txt", "vtt", "srt", "csv", "md"]))
def test_any_bytes_in_a_text_format_read_or_fail_cleanly(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        _read(Path(tmp), f"t.{suffix}", data)


def _valid_docx() -> bytes:
    document = docx.Document()
    for line in ["Interviewer: How did it go?", "Jane Smith: Well, mostly.", "",
                 "Interviewer: Thanks."]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _valid_xlsx() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"speaker": ["I", "P1", "I"], "text": ["How?", "Well, mostly.", "Thanks"]}
                 ).to_excel(buffer, index=False)
    return buffer.getvalue()


VALID = {"docx": _valid_docx(), "xlsx": _valid_xlsx()}


@SETTINGS
@given(kind=st.sampled_from(["docx", "xlsx"]), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), max_size=6))
def test_damaged_office_files_read_or_fail_cleanly(kind, cut, flips):
    data = bytearray(VALID[kind])
    for where, xor in flips:
        data[int(where * (len(data) - 1))] ^= xor
    data = bytes(data[: max(1, int(len(data) * cut))]) if cut < 1 else bytes(data)
    with tempfile.TemporaryDirectory() as tmp:
        _read(Path(tmp), f"t.{kind}", data)


@SETTINGS
@given(members=st.lists(st.tuples(st.sampled_from(
    ["word/document.xml", "[Content_Types].xml", "_rels/.rels", "content.xml", "x.bin"]),
    st.binary(max_size=200)), max_size=4), kind=st.sampled_from(["docx", "odt", "xlsx"]))
def test_arbitrary_zip_archives_read_or_fail_cleanly(members, kind):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in dict(members).items():
            archive.writestr(name, payload)
    with tempfile.TemporaryDirectory() as tmp:
        _read(Path(tmp), f"t.{kind}", buffer.getvalue())


csv_text = st.lists(st.sampled_from(list('ab,"\n\r 1.-/:é') + ["doc_id", "date", "G1",
                                                                "code", "2020-01-02"]),
                    max_size=80).map("".join)


@SETTINGS
@given(text=csv_text)
def test_metadata_sheets_read_or_fail_cleanly(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "meta.csv"
        path.write_text(text, encoding="utf-8")
        try:
            frame = tm.io.read_metadata(path, dates={"date": "iso"})
        except TextmineError as err:
            assert "meta.csv" in str(err) and err.hint
            return
        assert frame["doc_id"].is_unique and frame["doc_id"].notna().all()


@SETTINGS
@given(text=csv_text)
def test_codes_files_read_or_fail_cleanly(text):
    sources = {"G1": "Interviewer: How did it go?\n\nP1: Well, mostly.\n"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "codes.csv"
        path.write_text("doc_id,start_char,end_char,code\n" + text, encoding="utf-8")
        try:
            codes, _ = tm.io.load_codes(path, sources)
        except TextmineError as err:
            assert "codes.csv" in str(err) and err.hint
            return
        for start, end in zip(codes["start_char"], codes["end_char"], strict=True):
            assert 0 <= start < end <= len(sources["G1"])


NAMES = [RosterEntry("Jane Smith", "person", "PERSON_1"),
         RosterEntry("Leeds Teaching Hospitals", "organisation", "ORG_1")]


@SETTINGS
@given(before=st.text(alphabet="0123456789 \n.,", max_size=30),
       after=st.text(alphabet="0123456789 \n.,", max_size=30),
       name=st.sampled_from(["Jane Smith", "JANE SMITH", "Jane\nSmith", "Smith", "Jane's",
                             "Leeds Teaching Hospitals", "jane.smith@nhs.net",
                             "943 476 5919", "SW1A 1AA", "07700 900123"]),
       cut=st.tuples(st.integers(0, 100), st.integers(0, 100)))
def test_no_span_shows_a_fragment_of_an_identifier(before, after, name, cut):
    from textmine.pp.protect import Protection

    text = f"{before} {name} {after}"
    protection = Protection(Detector(NAMES))
    protection.add_document("d", text)
    start, end = sorted(min(c, len(text)) for c in cut)
    shown = protection.apply("d", text, start, end)
    identifier = name.split("'")[0].replace("\n", " ")
    letters = [identifier[i:i + 3] for i in range(len(identifier) - 2)
               if identifier[i:i + 3].strip() and identifier[i:i + 3] not in before + after]
    for fragment in letters:
        assert fragment not in shown.replace("\n", " "), (fragment, shown)


@SETTINGS
@given(text=st.text(max_size=300))
def test_detector_spans_are_ordered_and_disjoint(text):
    found = Detector(NAMES).find(text)
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start
    for f in found:
        assert 0 <= f.start < f.end <= len(text) and text[f.start:f.end] == f.original
