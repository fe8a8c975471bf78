"""Find speaker turns in plain text.

Three ways a transcript marks who speaks, detected per file (or fixed with ``labels=``):

``colon``
    ``Name: text`` or ``[00:01:02] Name: text`` (also without brackets). Lines without a
    label continue the current turn.
``export``
    The export format of transcription services: a line ``Name  00:00`` (speaker, two or more
    spaces, a timestamp) precedes the turn's text, which runs until the next such line.
``none``
    No labels: each paragraph (blank-line separated) is one turn of one speaker, with a warning.

Two config rules handle transcripts that mark turns by layout rather than labels, as
think-aloud protocols often do: ``line_speakers`` maps a regular expression to a speaker
(a line matching it belongs to that speaker), and ``unlabelled_speaker`` names the speaker
of lines that carry no label, instead of continuing the previous turn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from textmine.text import iter_lines, strip_span

FALLBACK_SPEAKER = "SPEAKER"
PREAMBLE_SPEAKER = "UNKNOWN"

_TS = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
# Name: text | [00:01:02] Name: text | 00:01:02 Name: text | Name (00:01:02): text (Rev)
_COLON = re.compile(
    rf"^[ \t]*(?:\[?(?P<ts>{_TS})\]?[ \t]+)?(?P<name>[^\s:\[\]][^:\r\n]{{0,40}}?)"
    rf"(?:[ \t]+\((?P<ts2>{_TS})\))?[ \t]*:(?:[ \t]+|$)"
)
# a header line alone: Name  00:00 (Otter, Teams .docx) | Name [00:00:00] | [Name] 00:00
_EXPORT = re.compile(
    rf"^[ \t]*(?:\[(?P<bname>[^\]\r\n]{{1,40}})\][ \t]+(?P<ts3>{_TS})"
    rf"|(?P<name>\S[^\r\n]{{0,40}}?)(?:[ \t]{{2,}}(?P<ts>{_TS})|[ \t]+[\[(](?P<ts2>{_TS})[\])]))"
    rf"[ \t]*:?[ \t]*$"
)
_NAME_WORD = re.compile(r"^[\w.'’()&/\-]+$")
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


def _valid_name(name: str, *, strict: bool = True) -> bool:
    """A speaker label looks like a name: few words, capitalised, or a code such as nR1-04.

    ``strict=False`` (export headers, whose layout is evidence enough) only limits length.
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
        if not _NAME_WORD.match(word):
            return False
        if not (word[0].isupper() or word[0].isdigit() or word[0] in "("
                or word in _PARTICLES or any(c.isdigit() for c in word)):
            return False
    # a bare timestamp is not a name
    return not re.fullmatch(_TS, name)


def parse_timestamp(text: str) -> float:
    """``"1:02:03.5"`` -> 3723.5 seconds."""
    text = text.replace(",", ".")
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
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


def _match_label(line: str, mode: str, known: Sequence[str] | None):
    pattern = _EXPORT if mode == "export" else _COLON
    m = pattern.match(line)
    if not m:
        return None
    name = _name_of(m)
    if known is not None:
        if name.casefold() not in known:
            return None
    elif not _valid_name(name, strict=mode != "export"):
        return None
    return m


def _name_of(m: re.Match[str]) -> str:
    groups = m.groupdict()
    return (groups.get("bname") or groups.get("name") or "").strip()


def _time_of(m: re.Match[str]) -> float | None:
    groups = m.groupdict()
    ts = groups.get("ts") or groups.get("ts2") or groups.get("ts3")
    return parse_timestamp(ts) if ts else None


def detect_labels(text: str, known: Sequence[str] | None = None) -> str:
    """Which labelling convention a text uses: ``export``, ``colon`` or ``none``."""
    n_export = n_colon = 0
    for start, end in iter_lines(text):
        line = text[start:end]
        if _match_label(line, "export", known):
            n_export += 1
        elif _match_label(line, "colon", known):
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
    mode = detect_labels(text, known) if labels == "auto" else labels
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

    for line_start, line_end in iter_lines(text):
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
        m = _match_label(line, mode, known) if mode in ("colon", "export") else None
        if m is not None:
            close()
            current = _Building(_name_of(m), "label", _time_of(m))
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
    if any(t.label == "preamble" for t in turns):
        notes.append(f"text before the first speaker label is attributed to {PREAMBLE_SPEAKER}")
    return ParsedText(turns=turns, labels=mode, notes=notes)
