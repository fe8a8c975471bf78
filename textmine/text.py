"""Whitespace normalisation and character spans: the rules that make offsets round-trip.

Offsets are positions in the *decoded text* of a source file, counted in Unicode code points
(Python string indices). A segment's ``text`` is ``normalize_ws(source[start_char:end_char])``:
every run of whitespace (spaces, tabs, line breaks, non-breaking spaces, any Unicode
whitespace) becomes one space and the ends are stripped. Nothing else is changed: no case
folding, no Unicode normalisation, no quote or dash replacement. Spans never start or end on
whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

#: every character that ends a line, as ``str.splitlines`` has it: LF, VT, FF, CR, the
#: file/group/record separators, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR (``\r\n`` is one)
LINE_BREAKS = "\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029"
_LINE = re.compile(f"[^{LINE_BREAKS}]*(?:\r\n|[{LINE_BREAKS}]|$)")


def normalize_ws(text: str) -> str:
    """Collapse whitespace runs to one space and strip the ends.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        The text as stored in segments, turns and quotes.
    """
    return " ".join(text.split())


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends on whitespace.

    Returns an empty span at ``start`` when the span holds only whitespace.
    """
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def iter_lines(text: str) -> Iterator[tuple[int, int]]:
    r"""Yield ``(start, end)`` of every line, without its line ending.

    A line ends at any of :data:`LINE_BREAKS` (``\\r\\n`` counts as one break), exactly where
    ``str.splitlines`` splits: the long-line guard, the speaker parser and the caption reader
    all see the same lines. Line breaks are kept in the text (so offsets count them) but never
    inside a line's span.
    """
    for match in _LINE.finditer(text):
        if match.start() == len(text) and match.start() == match.end():
            return
        line = match.group()
        stripped = line.rstrip(LINE_BREAKS)
        yield match.start(), match.start() + len(stripped)


def normalized_with_map(text: str) -> tuple[str, list[int]]:
    """Whitespace-normalise ``text`` and keep, for every output character, its source index.

    Used to find a quote (normalised) in a transcript and map the hit back to source offsets.
    A collapsed whitespace run maps to the index of its first whitespace character.
    """
    out: list[str] = []
    index: list[int] = []
    pending_space = -1
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and pending_space < 0:
                pending_space = i
            continue
        if pending_space >= 0:
            out.append(" ")
            index.append(pending_space)
            pending_space = -1
        out.append(ch)
        index.append(i)
    return "".join(out), index


_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Number of word-character runs (the unit of ``segment.min_words``)."""
    return len(_WORD.findall(text))


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Ordinary English words (see bench/make_common_words.py), lower case.

    Never a name in lower case: used by the identifier detector and by the speaker-label
    parser, which reads a lower-case label such as ``zoë:`` as a speaker only if it is not
    one of these (or recurs as a label).
    """
    text = resources.files("textmine").joinpath("data/common_words.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))
