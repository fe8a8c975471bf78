"""Find coded quotes (text without offsets) in their transcripts.

A quote is first searched exactly, after whitespace normalisation of both sides; if it is
not found, it is aligned with rapidfuzz's ``partial_ratio_alignment`` and placed when the
score reaches ``min_score`` (0-100). The score is the similarity of the *whole quote* with
the text it is placed on (``fuzz.ratio``), so a placement covers most of the quote: a quote
far longer than a short document that it contains is not placed over that document (its
partial ratio would be 100). Offsets map back to the original source text.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from textmine.text import normalize_ws, normalized_with_map, strip_span


@dataclass(frozen=True)
class Placement:
    """Where a quote was found."""

    start_char: int
    end_char: int
    method: str  # exact | fuzzy
    score: float
    n_candidates: int  # exact occurrences (more than one: ambiguous, first unused taken)


class QuoteLocator:
    """Locate quotes in one source text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.norm, self.index = normalized_with_map(source)

    def _to_source(self, start: int, end: int) -> tuple[int, int]:
        s = self.index[start]
        e = self.index[end - 1] + 1
        return strip_span(self.source, s, e)

    def find(self, quote: str, *, min_score: float = 90.0,
             taken: set[int] | None = None) -> Placement | None:
        """Place ``quote``; ``taken`` holds start offsets to avoid (same code, same place)."""
        q = normalize_ws(quote)
        if not q:
            return None
        spans = self.exact_hits(q)
        if spans:
            free = [s for s in spans if not taken or s[0] not in taken]
            start, end = (free or spans)[0]
            return Placement(start, end, "exact", 100.0, len(spans))
        alignment, score = self._align(q, min_score)
        if alignment is None or score < min_score:
            return None
        start, end = self._to_source(alignment.dest_start, alignment.dest_end)
        if end <= start:
            return None
        return Placement(start, end, "fuzzy", round(score, 2), 0)

    def _align(self, q: str, cutoff: float = 0.0):
        """The best window for ``q`` and the score of the whole quote against it."""
        alignment = fuzz.partial_ratio_alignment(q, self.norm, score_cutoff=cutoff)
        if alignment is None or alignment.dest_end <= alignment.dest_start:
            return None, 0.0
        # partial_ratio scores the shorter string inside the longer: when the quote is the
        # longer one, 100 only says the document is inside the quote
        window = self.norm[alignment.dest_start:alignment.dest_end]
        return alignment, float(fuzz.ratio(q, window))

    def exact_hits(self, quote: str) -> list[tuple[int, int]]:
        """Every place ``quote`` occurs exactly (whitespace normalised), in source offsets."""
        q = normalize_ws(quote)
        if not q:
            return []
        hits = []
        i = self.norm.find(q)
        while i >= 0:
            hits.append(i)
            i = self.norm.find(q, i + 1)
        return [self._to_source(h, h + len(q)) for h in hits]

    def best_score(self, quote: str) -> float:
        """The best score anywhere in the text (for the unplaced-quote report)."""
        q = normalize_ws(quote)
        if not q:
            return 0.0
        return round(self._align(q)[1], 2)
