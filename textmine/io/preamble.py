"""Text before the first speaker turn: a transcript's preamble, read as document context.

Transcripts rarely start with speech. An Otter.ai export opens with a block::

    Interview 17 with J. Smith
    SUMMARY KEYWORDS
    funding, network, staff, covid
    SPEAKERS
    Jo Patel, J. Smith

and a Word transcript with a title and a few interview details (``Date: 23/03/2020``,
``Recorded on Teams, 45 minutes``). None of it is speech, so none of it may become an
analysed segment. :func:`split_preamble` takes the turns :func:`~textmine.io.speakers.parse_turns`
found and returns the preamble apart:

* an Otter header (the ``SUMMARY KEYWORDS`` or ``SPEAKERS`` marker lines) is always a preamble:
  its title, keyword line and speaker line become document metadata;
* other text before the first label is a preamble when it is short and nothing in it reads
  like speech (at most :data:`MAX_LINES` lines of at most :data:`MAX_LINE_WORDS` words, no
  question, no "I", "we", "you", "okay"...): a title and details; its first line is the
  title. Any other text before the first label is kept as a turn of the speaker ``UNKNOWN``
  (role ``unknown``) and reported: it is probably speech;
* leading ``Key: value`` lines whose key names an interview detail (:data:`DETAIL_KEYS`:
  date, location, duration, interviewee...), whose value is short and whose key never labels
  another turn of the document, are details too, not turns of a speaker called "Date".

Nothing is dropped: the preamble keeps its place in the source text (characters
``0:preamble_chars``), the read summary counts it, and a text that does not look like a
preamble stays a turn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from textmine.io.speakers import PREAMBLE_SPEAKER, Turn
from textmine.text import iter_lines, strip_span

MAX_LINES = 6
MAX_LINE_WORDS = 25
MAX_DETAIL_WORDS = 12
#: first words of ``Key: value`` lines that state an interview's details, not a speaker
_DETAIL_WORDS = """
date time day duration length location place venue site setting mode medium format
interviewee interviewees participant participants respondent respondents informant
interviewer interviewers facilitator moderator researcher transcriber transcribed
transcription recorded recording audio video file filename project study title subject
topic id ref reference code session group network organisation organization role job
position department team language notes note attendees present wave round phase
transcript interview
"""
DETAIL_KEYS = frozenset(_DETAIL_WORDS.split())
#: words that mark a line as speech rather than a title or a detail
_SPOKEN_WORDS = """i i'm i'd i'll i've me my mine we we're we've we'll us our you you're
you've your yeah yes okay ok um uh erm hmm so well"""
_SPOKEN = frozenset(_SPOKEN_WORDS.split())
_WORDS = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_OTTER_MARKERS = {"summary keywords": "keywords", "speakers": "speakers"}
_DETAIL = re.compile(r"^[ \t]*(?P<key>[A-Za-z][\w ./()\-]{0,40}?)[ \t]*:(?:[ \t]+|$)")



@dataclass
class Preamble:
    """What came before the first speaker turn of a transcript.

    Attributes
    ----------
    end_char
        The preamble is the decoded text ``[0, end_char)``; 0 when there is none.
    title, keywords, speakers
        Recognised fields (``None`` when absent): the first line, Otter's keyword line and
        its line of speaker names, as written.
    details
        The other lines (``Date: 23/03/2020``...), in order.
    """

    end_char: int = 0
    title: str | None = None
    keywords: str | None = None
    speakers: str | None = None
    details: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.end_char > 0


def _lines(text: str, start: int, end: int) -> list[str]:
    out = []
    for line_start, line_end in iter_lines(text[:end]):  # the preamble is short
        if line_end <= start:
            continue
        s, e = strip_span(text, max(line_start, start), min(line_end, end))
        if e > s:
            out.append(" ".join(text[s:e].split()))
    return out


def _detail_line(line: str) -> bool:
    m = _DETAIL.match(line)
    return m is not None and m.group("key").split()[0].casefold() in DETAIL_KEYS


def _spoken(line: str) -> bool:
    """A line that reads like speech: long, a question, or words people say, not write."""
    words = {w.casefold().replace("’", "'") for w in _WORDS.findall(line)}
    return (len(line.split()) > MAX_LINE_WORDS or line.rstrip().endswith("?")
            or bool(words & _SPOKEN))


def _read_block(lines: list[str]) -> Preamble | None:
    """Fields of a pre-label block, or ``None`` if it does not look like a preamble."""
    found = Preamble()
    marker = None
    otter = any(line.casefold() in _OTTER_MARKERS for line in lines)
    if not otter and (len(lines) > MAX_LINES or any(_spoken(line) for line in lines)):
        return None
    for line in lines:
        folded = line.casefold()
        if folded in _OTTER_MARKERS:
            marker = _OTTER_MARKERS[folded]
            continue
        if marker is not None:
            setattr(found, marker, line)
            marker = None
        elif found.title is None and not found.details and not _detail_line(line):
            found.title = line
        else:
            found.details.append(line)
    return found


def _line_start(text: str, position: int) -> int:
    return max(text.rfind("\n", 0, position), text.rfind("\r", 0, position)) + 1


def _is_detail(turn: Turn, text: str, counts: Counter) -> bool:
    """A ``Key: value`` turn that states a detail: a known key, used once, a short value.

    Unlabelled lines after it (``Recorded online, 41 minutes``) are details too if they
    read like details, not speech.
    """
    words = turn.speaker.split()
    lines = _lines(text, turn.start_char, turn.end_char)
    return (bool(words) and words[0].casefold() in DETAIL_KEYS and counts[turn.speaker] == 1
            and 0 < len(lines) <= MAX_LINES and len(lines[0].split()) <= MAX_DETAIL_WORDS
            and not any(_spoken(line) for line in lines))


def split_preamble(text: str, turns: Sequence[Turn], *,
                   labels: str) -> tuple[Preamble, list[Turn]]:
    """Separate a transcript's preamble from its turns.

    Parameters
    ----------
    text
        The decoded source text.
    turns
        Turns as :func:`~textmine.io.speakers.parse_turns` found them; text before the first
        label is a turn of ``UNKNOWN`` with ``label == "preamble"``.
    labels
        The labelling convention found (``colon``, ``export``, ``none``...): a text without
        labels has no preamble (every paragraph is a turn).

    Returns
    -------
    (Preamble, list of Turn)
        The preamble (falsy when there is none) and the turns that remain, in order.
    """
    turns = list(turns)
    if labels not in ("colon", "export") or not turns:
        return Preamble(), turns
    found: Preamble | None = None
    rest = turns
    if turns[0].label == "preamble" and turns[0].speaker == PREAMBLE_SPEAKER:
        found = _read_block(_lines(text, 0, turns[0].end_char))
        if found is None:
            return Preamble(), turns  # long: may be speech, kept as an unknown turn
        rest = turns[1:]
    counts = Counter(t.speaker for t in rest)
    end = turns[0].end_char if found is not None else 0
    details = []
    while len(rest) > 1 and _is_detail(rest[0], text, counts):
        details.extend(_lines(text, _line_start(text, rest[0].start_char), rest[0].end_char))
        end = rest[0].end_char
        rest = rest[1:]
    if found is None and not details:
        return Preamble(), turns
    if found is None:
        found = Preamble()
    found.details.extend(details)
    found.end_char = end
    return found, rest
