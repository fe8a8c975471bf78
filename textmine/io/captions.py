"""WebVTT and SRT captions (Teams, Zoom) to speaker turns.

The speaker of a cue comes from a voice tag (``<v Jane Smith>``, Teams) or a ``Name:`` prefix
(Zoom). Consecutive cues of one speaker are merged into one turn; a cue without a speaker
continues the previous one. Other tags (``<c>``, ``<i>``, timestamps) are removed. The decoded
text is the rendering described in :mod:`textmine.io.render`.
"""

from __future__ import annotations

import re
from pathlib import Path

from textmine.errors import TranscriptError
from textmine.io.render import render_turns
from textmine.io.speakers import _COLON, FALLBACK_SPEAKER, Turn, _valid_name, parse_timestamp

_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VOICE = re.compile(r"<v(?:\.[^\s>]+)*\s+(?P<name>[^>]+)>")
_TAG = re.compile(r"</?[^>]*>")


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks, each with the 1-based number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line)
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def caption_turns(text: str, path: Path, kind: str) -> tuple[str, list[Turn], list[str]]:
    """Parse VTT (``kind='vtt'``) or SRT text; return rendered text, turns and notes."""
    blocks = _blocks(text)
    if kind == "vtt":
        if not blocks or not blocks[0][1][0].lstrip().startswith("WEBVTT"):
            raise TranscriptError(
                "not a WebVTT file: the first line must be WEBVTT",
                path=path,
                line=1,
                hint="set input.format if this is another kind of file",
            )
        blocks = blocks[1:]
    cues: list[tuple[str | None, str, float]] = []
    backwards: list[int] = []
    for first, lines in blocks:
        if kind == "vtt" and lines[0].split()[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = next((i for i, line in enumerate(lines[:2]) if _TIMING.match(line)), None)
        if timing_at is None:
            raise TranscriptError(
                f"caption block without a timing line (expected '00:00:01.000 --> "
                f"00:00:04.000') in this {kind.upper()} file",
                path=path,
                line=first,
                hint="export the captions again, or fix that block",
            )
        timing = _TIMING.match(lines[timing_at])
        try:
            start = parse_timestamp(timing.group("start"))
            end = parse_timestamp(timing.group("end"))
        except ValueError:
            raise TranscriptError(
                f"caption timing is not a time (a field over 59) in this {kind.upper()} file",
                path=path, line=first + timing_at,
                hint="export the captions again, or fix that timing line") from None
        if end < start:
            backwards.append(first + timing_at)
        payload = " ".join(line.strip() for line in lines[timing_at + 1 :])
        speaker = None
        voice = _VOICE.search(payload)
        if voice:
            speaker = voice.group("name").strip()
        payload = " ".join(_TAG.sub("", payload).split())
        if speaker is None:
            m = _COLON.match(payload)
            if m and not m.group("ts") and _valid_name(m.group("name").strip()):
                speaker = m.group("name").strip()
                payload = payload[m.end() :].strip()
        if payload:
            cues.append((speaker, payload, start))
    if not cues:
        raise TranscriptError(f"no caption text in this {kind.upper()} file", path=path,
                              hint="export the captions again, or leave the file out of "
                              "input.transcripts")
    notes = []
    if backwards:
        notes.append(f"{len(backwards)} caption(s) end before they start (first on line "
                     f"{backwards[0]})")
    if all(speaker is None for speaker, _, _ in cues):
        notes.append("no speaker labels found: read as one speaker")
    merged: list[tuple[str, str, float]] = []
    for speaker, payload, start in cues:
        if merged and (speaker is None or speaker == merged[-1][0]):
            merged[-1] = (merged[-1][0], merged[-1][1] + " " + payload, merged[-1][2])
        else:
            merged.append((speaker or FALLBACK_SPEAKER, payload, start))
    rendered, turns = render_turns(merged)
    return rendered, turns, notes
