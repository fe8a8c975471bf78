from hypothesis import given
from hypothesis import strategies as st

from textmine.text import LINE_BREAKS, iter_lines, normalize_ws, normalized_with_map, strip_span

texts = st.text(alphabet=st.sampled_from(list("ab é\t\u00a0." + LINE_BREAKS)), max_size=60)


def test_normalize_ws_collapses_every_kind_of_whitespace():
    assert normalize_ws(" a\t\tb\r\n c\u00a0d\u2028e  ") == "a b c d e"


def test_iter_lines_keeps_crlf_out_of_lines_but_in_offsets():
    text = "one\r\ntwo\rthree\n\nfour"
    spans = list(iter_lines(text))
    assert [text[s:e] for s, e in spans] == ["one", "two", "three", "", "four"]
    assert spans[1] == (5, 8)  # \r\n counted as two characters


@given(texts)
def test_lines_cover_text_except_line_endings(text):
    covered = "".join(text[s:e] for s, e in iter_lines(text))
    assert covered == "".join(c for c in text if c not in LINE_BREAKS)


@given(texts)
def test_lines_are_exactly_python_splitlines(text):
    """One definition of a line (issue 10): the long-line guard, the speaker parser and the
    caption reader split where str.splitlines splits, on every Unicode line break."""
    assert [text[s:e] for s, e in iter_lines(text)] == text.splitlines()


@given(texts)
def test_normalized_map_points_at_source_characters(text):
    norm, index = normalized_with_map(text)
    assert norm == normalize_ws(text)
    for ch, i in zip(norm, index, strict=True):
        assert text[i] == ch or (ch == " " and text[i].isspace())


@given(texts, st.integers(0, 60), st.integers(0, 60))
def test_strip_span_never_ends_on_whitespace(text, a, b):
    start, end = sorted((min(a, len(text)), min(b, len(text))))
    s, e = strip_span(text, start, end)
    assert start <= s <= e <= end
    if e > s:
        assert not text[s].isspace() and not text[e - 1].isspace()
    assert normalize_ws(text[s:e]) == normalize_ws(text[start:end])
