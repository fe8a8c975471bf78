"""Find speaker turns in plain text.

Three ways a transcript marks who speaks, detected per file (or fixed with ``labels=``):

``colon``
    ``Name: text`` or ``[00:01:02] Name: text`` (also without brackets, and with the
    full-width colon ``：`` of Chinese and Japanese text). Lines without a label continue
    the current turn.
``export``
    The export format of transcription services: a line ``Name  00:00`` (speaker, two or more
    spaces, a timestamp) precedes the turn's text, which runs until the next such line.
``none``
    No labels: each paragraph (blank-line separated) is one turn of one speaker, with a warning.

Names may be in any script: a label in a script without capitals (Hebrew, Arabic, Chinese,
Devanagari...) counts as capitalised. A lower-case one-word label (``zoë:``) is a speaker
when the word is not an ordinary English word (:func:`textmine.text.common_words`) or when it
recurs as a label; either way the file's notes say so, so that no label is merged into the
previous turn unnoticed.

Lines end at every Unicode line break (:data:`textmine.text.LINE_BREAKS`), as everywhere in
textmine.

Two config rules handle transcripts that mark turns by layout rather than labels, as
think-aloud protocols often do: ``line_speakers`` maps a regular expression to a speaker
(a line matching it belongs to that speaker), and ``unlabelled_speaker`` names the speaker
of lines that carry no label, instead of continuing the previous turn.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from textmine.text import common_words, iter_lines, strip_span

FALLBACK_SPEAKER = "SPEAKER"
PREAMBLE_SPEAKER = "UNKNOWN"

_TS = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
# Name: text | [00:01:02] Name: text | 00:01:02 Name: text | Name (00:01:02): text (Rev)
# | 名前：text (the full-width colon needs no space after it)
_COLON = re.compile(
    rf"^[ \t]*(?:\[?(?P<ts>{_TS})\]?[ \t]+)?(?P<name>[^\s:：\[\]][^:：\r\n]{{0,40}}?)"
    rf"(?:[ \t]+\((?P<ts2>{_TS})\))?[ \t]*(?::(?:[ \t]+|$)|：[ \t]*)"
)
# a header line alone: Name  00:00 (Otter, Teams .docx) | Name [00:00:00] | [Name] 00:00
_EXPORT = re.compile(
    rf"^[ \t]*(?:\[(?P<bname>[^\]\r\n]{{1,40}})\][ \t]+(?P<ts3>{_TS})"
    rf"|(?P<name>\S[^\r\n]{{0,40}}?)(?:[ \t]{{2,}}(?P<ts>{_TS})|[ \t]+[\[(](?P<ts2>{_TS})[\])]))"
    rf"[ \t]*:?[ \t]*$"
)
_NAME_PUNCT = frozenset(".'’()&/-_\u200c\u200d")  # ZWNJ/ZWJ occur inside Persian, Indic names
# direction marks that editors put around right-to-left names: not part of the name
_BIDI_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_PARTICLES = frozenset(
    [
        "van", "von", "de", "der", "den", "da", "du", "la", "le", "bin", "al", "el", "of",
        "and", "ter", "ten", "dos", "das", "del", "della", "di"
    ]
)
MAX_NAME_WORDS = 5
# capitalised words that start sentences far more often than they name a speaker ("So: ...")
_NOT_NAMES = frozenset(
    [
        "so", "yes", "no", "ok", "okay", "well", "right", "and", "but", "then", "now",
        "also", "because", "like", "yeah", "um", "uh", "oh", "ah", "hmm", "here", "there",
        "this", "that", "it", "what", "why", "how", "when", "where", "which", "who",
        "example", "see", "anyway", "basically", "actually", "honestly", "again", "first",
        "second", "finally", "otherwise", "however"
    ]
)


def _name_word(word: str) -> bool:
    """Letters and digits of any script, with their combining marks, and ``.'’()&/-_``."""
    return all(c.isalnum() or c in _NAME_PUNCT or unicodedata.category(c)[0] == "M"
               for c in word)


def _caseless(char: str) -> bool:
    """A letter of a script without capitals (Hebrew, Arabic, CJK, Devanagari...)."""
    return char.isalpha() and not char.isupper() and not char.islower()


def _valid_name(name: str, *, strict: bool = True) -> bool:
    """A speaker label looks like a name: few words, capitalised, or a code such as nR1-04.

    A word in a script without capitals counts as capitalised. ``strict=False`` (export
    headers, whose layout is evidence enough) only limits length. Lower-case labels are
    judged by :func:`_weak_name` and the file they are in.
    """
    words = name.split()
    if not words or len(words) > MAX_NAME_WORDS:
        return False
    if not strict:
        return words[0][0].isalnum() and not re.fullmatch(_TS, name)
    if len(words) == 1 and name.casefold() in _NOT_NAMES:
        return False
    if words[0] in _PARTICLES:
        return False
    for word in words:
        if not _name_word(word):
            return False
        if not (word[0].isupper() or word[0].isdigit() or word[0] in "(" or _caseless(word[0])
                or word in _PARTICLES or any(c.isdigit() for c in word)):
            return False
    # a bare timestamp is not a name
    return not re.fullmatch(_TS, name)


def _weak_name(name: str) -> bool:
    """A one-word lower-case label (``zoë``): a name only if the file bears it out."""
    if len(name.split()) != 1 or len(name) < 2 or not name[0].islower():
        return False
    if name.casefold() in _NOT_NAMES or name in _PARTICLES:
        return False
    return all(c.isalpha() or c in "'’-" or unicodedata.category(c)[0] == "M" for c in name)


def _weak_labels(text: str, known: Sequence[str] | None) -> tuple[frozenset[str], list[int]]:
    """Lower-case labels accepted as speakers in this text, and lines of those refused.

    Accepted: a word that is not an ordinary English word, or that recurs as a label, or that
    is a capitalised label elsewhere in the file (``interviewer:`` beside ``Interviewer:``).
    Refused (read as text, and reported): an ordinary word seen once.
    """
    if known is not None:
        return frozenset(), []
    weak: Counter[str] = Counter()
    weak_lines: dict[str, list[int]] = {}
    strong: set[str] = set()
    for number, (start, end) in enumerate(iter_lines(text), start=1):
        m = _COLON.match(text[start:end])
        if not m:
            continue
        name = _name_of(m)
        if _weak_name(name):
            weak[name.casefold()] += 1
            weak_lines.setdefault(name.casefold(), []).append(number)
        elif _valid_name(name):
            strong.add(name.casefold())
    common = common_words()
    accepted = frozenset(n for n, count in weak.items()
                         if count >= 2 or n in strong or n not in common)
    refused = sorted(line for n, lines in weak_lines.items() if n not in accepted
                     for line in lines)
    return accepted, refused


def parse_timestamp(text: str) -> float:
    """``"1:02:03.5"`` -> 3723.5 seconds; ``"75"`` -> 75.0.

    Raises ``ValueError`` for anything that is not a time: minutes or seconds of 60 or more
    after the first field (``99:99:99``), a negative, infinite or NaN value.
    """
    parts = text.strip().replace(",", ".").split(":")
    seconds = 0.0
    for position, part in enumerate(parts):
        value = float(part)
        if not math.isfinite(value) or value < 0 or part.strip().startswith(("-", "+")):
            raise ValueError(f"{text!r} is not a time")
        if position and value >= 60:
            raise ValueError(f"{text!r} is not a time (a field over 59)")
        seconds = seconds * 60 + value
    return seconds


@dataclass
class Turn:
    """One speaker turn: its speaker and its span in the decoded source text."""

    speaker: str
    start_char: int
    end_char: int
    start_time: float | None = None
    label: str = "label"  # how the speaker was known: label | line_rule | unlabelled | none


@dataclass
class ParsedText:
    """Turns found in one text, and how they were found."""

    turns: list[Turn]
    labels: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Building:
    speaker: str
    label: str
    start_time: float | None
    spans: list[tuple[int, int]] = field(default_factory=list)


def _match_label(line: str, mode: str, known: Sequence[str] | None,
                 weak: frozenset[str] = frozenset()):
    pattern = _EXPORT if mode == "export" else _COLON
    m = pattern.match(line)
    if not m:
        return None
    name = _name_of(m)
    if known is not None:
        if name.casefold() not in known:
            return None
    elif not (_valid_name(name, strict=mode != "export")
              or (mode == "colon" and name.casefold() in weak and _weak_name(name))):
        return None
    return m


def _name_of(m: re.Match[str]) -> str:
    groups = m.groupdict()
    return (groups.get("bname") or groups.get("name") or "").strip().strip(_BIDI_MARKS).strip()


def _time_of(m: re.Match[str], bad: list[int] | None = None,
             line: int = 0) -> float | None:
    """The label's timestamp; an impossible one (``99:99:99``) is ``None``, its line noted."""
    groups = m.groupdict()
    ts = groups.get("ts") or groups.get("ts2") or groups.get("ts3")
    if not ts:
        return None
    try:
        return parse_timestamp(ts)
    except ValueError:
        if bad is not None:
            bad.append(line)
        return None


def detect_labels(text: str, known: Sequence[str] | None = None,
                  weak: frozenset[str] | None = None) -> str:
    """Which labelling convention a text uses: ``export``, ``colon`` or ``none``."""
    if weak is None:
        weak = _weak_labels(text, known)[0]
    n_export = n_colon = 0
    for start, end in iter_lines(text):
        line = text[start:end]
        if _match_label(line, "export", known):
            n_export += 1
        elif _match_label(line, "colon", known, weak):
            n_colon += 1
    if n_export and n_export * 2 >= n_colon:
        return "export"
    # one "Note: ..." line in unlabelled prose is not a transcript with speakers
    if n_colon >= 2 or (n_colon and known is not None):
        return "colon"
    return "none"


def parse_turns(
    text: str,
    *,
    labels: str = "auto",
    line_speakers: Mapping[str, re.Pattern[str]] | None = None,
    unlabelled_speaker: str | None = None,
    speakers: Sequence[str] | None = None,
    skip_lines: Sequence[re.Pattern[str]] = (),
) -> ParsedText:
    """Split ``text`` into speaker turns.

    Parameters
    ----------
    text
        Decoded source text.
    labels
        ``auto``, ``colon``, ``export`` or ``none`` (see the module docstring).
    line_speakers
        Speaker name -> compiled pattern; a line matching it (searched from the line's start)
        belongs to that speaker. Checked before labels, in the given order.
    unlabelled_speaker
        Speaker of lines that carry no label. Default: such lines continue the current turn.
    speakers
        If given, only these names are accepted as labels (case-insensitive); anything else
        that looks like ``Name:`` is ordinary text.
    skip_lines
        Lines matching one of these are not speech (e.g. an export's "Transcribed by"
        trailer): they belong to no turn.

    Returns
    -------
    ParsedText
        The turns in file order, the labelling convention used, and notes for the report.
    """
    known = [s.casefold() for s in speakers] if speakers is not None else None
    rules = dict(line_speakers or {})
    weak, refused = _weak_labels(text, known) if labels in ("auto", "colon") else ((), [])
    weak = frozenset(weak)
    mode = detect_labels(text, known, weak) if labels == "auto" else labels
    notes: list[str] = []
    turns: list[Turn] = []
    current: _Building | None = None

    def close() -> None:
        nonlocal current
        if current is not None and current.spans:
            turns.append(
                Turn(
                    speaker=current.speaker,
                    start_char=current.spans[0][0],
                    end_char=current.spans[-1][1],
                    start_time=current.start_time,
                    label=current.label,
                )
            )
        current = None

    def add(speaker: str, label: str, span: tuple[int, int], *, new: bool, ts=None) -> None:
        nonlocal current
        if new or current is None or current.speaker != speaker:
            close()
            current = _Building(speaker, label, ts)
        if span[1] > span[0]:
            current.spans.append(span)

    bad_times: list[int] = []
    for number, (line_start, line_end) in enumerate(iter_lines(text), start=1):
        line = text[line_start:line_end]
        span = strip_span(text, line_start, line_end)
        if span[0] == span[1]:
            if mode == "none" and unlabelled_speaker is None:
                close()  # paragraphs are the turns
            continue
        if any(pat.match(line) for pat in skip_lines):
            continue
        rule = next((name for name, pat in rules.items() if pat.match(line)), None)
        if rule is not None:
            add(rule, "line_rule", span, new=False)
            continue
        m = _match_label(line, mode, known, weak) if mode in ("colon", "export") else None
        if m is not None:
            close()
            current = _Building(_name_of(m), "label", _time_of(m, bad_times, number))
            rest = strip_span(text, line_start + m.end(), line_end)
            if rest[1] > rest[0]:
                current.spans.append(rest)
            continue
        if unlabelled_speaker is not None:
            add(unlabelled_speaker, "unlabelled", span, new=False)
        elif mode == "none":
            add(FALLBACK_SPEAKER, "none", span, new=False)
        elif current is None:
            add(PREAMBLE_SPEAKER, "preamble", span, new=False)
        else:
            current.spans.append(span)
    close()
    if mode == "none" and not rules and unlabelled_speaker is None and turns:
        notes.append("no speaker labels found: read as one speaker, one turn per paragraph")
    if bad_times:
        notes.append(f"{len(bad_times)} timestamp(s) in speaker labels are not times (first on "
                     f"line {bad_times[0]}, e.g. a field over 59): those turns have no time")
    if mode == "colon":
        lower = sorted({t.speaker for t in turns if t.label == "label" and _weak_name(t.speaker)})
        if lower:
            notes.append("lower-case speaker label(s) read as speakers: "
                         + ", ".join(repr(n) for n in lower[:10])
                         + " (list the speakers in input.speakers if a word was taken for one)")
        if refused:
            notes.append(
                f"{len(refused)} line(s) begin with a lower-case ordinary word and a colon, like a "
                f"speaker label, and were read as text (first: line {refused[0]}); list the "
                "speakers in input.speakers if they are labels")
    if any(t.label == "preamble" for t in turns):
        notes.append(f"text before the first speaker label is attributed to {PREAMBLE_SPEAKER}")
    return ParsedText(turns=turns, labels=mode, notes=notes)
