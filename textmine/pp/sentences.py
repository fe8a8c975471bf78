"""Sentence spans with NLTK's Punkt splitter and a shipped abbreviation list.

Punkt is unsupervised and needs no downloaded model when given its abbreviations, which
``textmine/data/abbreviations.txt`` supplies (titles, months, e.g./i.e., NHS-style acronyms).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from textmine.text import strip_span

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktSentenceTokenizer


@lru_cache(maxsize=1)
def _splitter() -> PunktSentenceTokenizer:
    # imported here: nltk takes seconds to import, which every command (and every error
    # message about a bad input) would otherwise wait for
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    text = resources.files("textmine").joinpath("data/abbreviations.txt").read_text("utf-8")
    params.abbrev_types = {
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    }
    return PunktSentenceTokenizer(params)


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences inside ``text[start:end]`` as absolute ``(start, end)`` spans.

    Spans do not start or end on whitespace; together they cover every non-space
    character of the range.
    """
    chunk = text[start:end]
    spans = []
    for s, e in _splitter().span_tokenize(chunk):
        s, e = strip_span(text, start + s, start + e)
        if e > s:
            spans.append((s, e))
    return spans
