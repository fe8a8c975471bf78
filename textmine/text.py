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

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


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

    ``\\r\\n``, ``\\r`` and ``\\n`` all end a line; they are kept in the text (so offsets
    count them) but never inside a line's span.
    """
    for match in _LINE.finditer(text):
        if match.start() == len(text) and match.start() == match.end():
            return
        line = match.group()
        stripped = line.rstrip("\r\n")
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
