"""Write real transcripts (from ../shared/data) in the formats researchers receive them in.

The focus-group turns (Thompson et al., 524 speaker turns) are re-exported as a
transcription service would: ``Name  0:00`` text exports, Word files, Teams/Zoom captions,
spreadsheets. The readers never see these files in the repository: the tests write them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import docx


def focus_group_turns(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """``{group: [(speaker, text), ...]}`` from masterTranscript.csv, in turn order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    with open(folder / "masterTranscript.csv", encoding="utf-8-sig", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["commentNumber"]))
    for row in rows:
        if row["Comment"].strip():
            groups.setdefault(row["Transcript"], []).append((row["Participant"], row["Comment"]))
    return groups


def _clock(seconds: int, long: bool = False) -> str:
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h}:{m:02d}:{s:02d}" if (h or long) else f"{m}:{s:02d}"


def export_lines(turns: list[tuple[str, str]]) -> list[str]:
    """Paragraphs of an Otter-style export: ``Name  m:ss``, the text, a blank line."""
    lines, clock = [], 0
    for speaker, text in turns:
        lines += [f"{speaker}  {_clock(clock)}", text, ""]
        clock += 7 + len(text) // 15
    return lines + ["Transcribed by https://otter.ai"]


def write_export_txt(path: Path, turns, eol: str = "\n") -> Path:
    path.write_bytes(eol.join(export_lines(turns)).encode("utf-8"))
    return path


def write_export_docx(path: Path, turns) -> Path:
    document = docx.Document()
    for line in export_lines(turns):
        document.add_paragraph(line)
    document.save(str(path))
    return path


def write_vtt(path: Path, turns, *, style: str = "teams") -> Path:
    """Captions: Teams voice tags or Zoom ``Name:`` prefixes; long turns split over cues."""
    out, clock = ["WEBVTT", ""], 0
    for n, (speaker, text) in enumerate(turns):
        words = text.split()
        for k in range(0, len(words), 12):
            chunk = " ".join(words[k:k + 12])
            start, clock = clock, clock + 4
            timing = (f"00:{start // 60:02d}:{start % 60:02d}.000 --> "
                      f"00:{clock // 60:02d}:{clock % 60:02d}.000")
            payload = f"<v {speaker}>{chunk}</v>" if style == "teams" else f"{speaker}: {chunk}"
            out += [f"{n}-{k}", timing, payload, ""]
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def write_srt(path: Path, turns) -> Path:
    out, clock, index = [], 0, 1
    for speaker, text in turns:
        start, clock = clock, clock + 5
        out += [str(index), f"00:{start // 60:02d}:{start % 60:02d},000 --> "
                f"00:{clock // 60:02d}:{clock % 60:02d},000", f"{speaker}: {text}", ""]
        index += 1
    path.write_text("\n".join(out), encoding="utf-8")
    return path
