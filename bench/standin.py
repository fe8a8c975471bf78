"""A stand-in interview study built from the UK Commons COVID-19 speeches (2020).

The real study textmine serves (143 interviews with staff of regional networks, before and
during COVID) cannot be shared, so this module builds one that looks like it as a researcher
would receive it: one file per "interview", half Word ``.docx`` files with a heading line,
half Otter.ai ``.txt`` exports (header block, ``Name  0:00`` turns, ``Transcribed by`` trailer),
some with ``Speaker 1`` / ``Speaker 2`` labels, generic interviewer prompts ("Could you say a bit
more about that?") between the answers, a metadata sheet (date, party, a ``role`` column, a
network-like group, each file's interviewer label) and span codes (the debate each answer
came from).

The Commons data has no licence that allows copying it into the repository: the study is
always written into a folder given at run time (never into the repo), by

    >>> from standin import build_standin                        # doctest: +SKIP
    >>> study = build_standin("/tmp/standin")                    # doctest: +SKIP
    >>> tm.run(study.config(run_name="standin"), out="/tmp/run")   # doctest: +SKIP

or from the shell: ``python bench/standin.py /tmp/standin``.

Each interview is the speeches of one member (in date order), cut into answers: in a
*dialogue* interview an answer is 2-6 sentences of one speech; in a *monologue* interview an
answer is one to three whole speeches (up to a few thousand words: long turns are part of the
test). The interviewer's prompts are drawn from a fixed list of generic probes, independent of
what is said, as in interviews where the researcher mostly says "go on".
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OPENING = "Thanks for making the time. Could you start by telling me what you have been working on?"
PROMPTS = (
    "Could you say a bit more about that?",
    "What happened next?",
    "How did that affect your work?",
    "Can you give me an example?",
    "Why do you think that was?",
    "And how did people around you react?",
    "Is there anything else you would add on that?",
    "What did that mean in practice?",
    "Okay. Go on.",
    "Right. And then?",
    "How did you feel about that?",
    "What would you change, looking back?",
)
CLOSING = "That's really helpful. Is there anything we haven't covered that you want to mention?"
INTERVIEWERS = ("Sam Carter", "Jo Patel")
N_NETWORKS = 15
_STOP_WORDS = """a about above after again all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers him his how i if in into is it its itself
just more most my no nor not now of off on once only or other our ours out over own same she
should so some such than that the their them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you
your yours us will may must shall today house minister secretary state government hon right
member friend people gentleman lady said whether does make made know think going want need
one two many much like sure ask asked"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass
class Interview:
    """One stand-in interview as written."""

    doc_id: str
    member: str
    kind: str  # docx | otter | otter_numbered
    style: str  # dialogue | monologue
    interviewer_label: str
    participant_label: str
    turns: list[tuple[str, str, str | None]] = field(default_factory=list)  # label, text, code


@dataclass
class StandIn:
    """A stand-in study on disk: where its files are and how to read them.

    Attributes
    ----------
    folder
        The study folder.
    transcripts
        Globs of the transcript files (relative to ``folder``).
    metadata
        The metadata sheet: ``doc_id, date, party, role, network, interviewer``.
    codes
        Span codes ``doc_id, start_char, end_char, code`` (the debate of each answer).
    interviews
        What was written, file by file.
    """

    folder: Path
    transcripts: list[str]
    metadata: Path
    codes: Path
    interviews: list[Interview]

    def input_options(self) -> dict[str, Any]:
        """The ``input`` section a researcher would write for this study (absolute paths).

        Paths, the date column, the interviewers' names and the metadata column naming each
        file's interviewer label (the ``Speaker 1`` files cannot be named any other way).
        """
        return {"transcripts": [str(self.folder / t) for t in self.transcripts],
                "metadata": str(self.metadata), "dates": {"date": "iso"},
                "interviewer": list(INTERVIEWERS), "interviewer_column": "interviewer"}

    def config(self, **sections: Any) -> dict[str, Any]:
        """A whole-run config dict: :meth:`input_options`, the codes, and ``sections``."""
        config: dict[str, Any] = {"run_name": "standin", "input": self.input_options(),
                                  "codes": {"path": str(self.codes)}}
        for key, value in sections.items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
        return config


def _speeches(data_dir: Path) -> list[dict[str, str]]:
    path = data_dir / "uk_commons_covid_2020" / "uk_covid_speeches_2020.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        # one sentence per line in the source; whitespace inside a sentence made single
        row["sentences"] = [" ".join(s.split()) for s in row["text"].split("\n") if s.strip()]
    return [r for r in rows if sum(len(s.split()) for s in r["sentences"]) >= 8]


def _group(rows: list[dict], n_interviews: int) -> list[list[dict]]:
    """Each member's speeches in date order, cut into about ``n_interviews`` interviews."""
    by_member: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["date"], r["speech_id"])):
        by_member.setdefault(row["speaker_name"], []).append(row)
    words = {m: sum(len(s.split()) for r in rs for s in r["sentences"])
             for m, rs in by_member.items()}

    def cut(limit: int) -> list[list[dict]]:
        groups = []
        for member in sorted(by_member):
            parts = max(1, min(len(by_member[member]), round(words[member] / limit)))
            speeches = by_member[member]
            size = len(speeches) / parts
            for k in range(parts):
                chunk = speeches[round(k * size):round((k + 1) * size)]
                if chunk:
                    groups.append(chunk)
        return groups

    low, high = 100, 100_000
    while high - low > 1:  # the largest word limit that gives at least n_interviews
        mid = (low + high) // 2
        low, high = (mid, high) if len(cut(mid)) >= n_interviews else (low, mid)
    groups = cut(low)
    groups.sort(key=lambda g: (g[0]["date"], g[0]["speaker_name"]))
    return groups[:n_interviews] if len(groups) > n_interviews else groups


def _answers(speeches: list[dict], style: str, rng: random.Random) -> list[tuple[str, str]]:
    """``(text, debate)`` answers: sentence runs (dialogue) or whole speeches (monologue)."""
    out = []
    if style == "monologue":
        i = 0
        while i < len(speeches):
            take = rng.choice((1, 1, 2, 3))
            for row in speeches[i:i + take]:
                out.append((" ".join(row["sentences"]), row["debate_subject"], i))
            i += take
        # consecutive speeches of one answer are one turn: merged below
        merged: list[tuple[str, list[tuple[str, str]]]] = []
        for text, debate, group in out:
            if merged and merged[-1][0] == group:
                merged[-1][1].append((text, debate))
            else:
                merged.append((group, [(text, debate)]))
        return [parts for _, parts in merged]
    answers = []
    for row in speeches:
        sentences = row["sentences"]
        k = 0
        while k < len(sentences):
            n = rng.randint(2, 6)
            answers.append([(" ".join(sentences[k:k + n]), row["debate_subject"])])
            k += n
    return answers


def _clock(seconds: int) -> str:
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _keywords(texts: list[str], n: int = 10) -> str:
    counts = Counter(w for t in texts for w in re.findall(r"[a-z][a-z\-]{3,}", t.lower())
                     if w not in _STOP)
    return ", ".join(w for w, _ in counts.most_common(n))


def _write_txt(path: Path, title: str, interview: Interview) -> list[tuple[int, int, str]]:
    """An Otter export; returns the code spans (offsets in the decoded text)."""
    labels = list(dict.fromkeys(label for label, _, _ in interview.turns))
    parts = [title, "", "SUMMARY KEYWORDS",
             _keywords([t for _, t, c in interview.turns if c]), "", "SPEAKERS",
             ", ".join(labels), "", ""]
    text = "\n".join(parts)
    spans, clock = [], 0
    for label, turn, code in interview.turns:
        text += f"{label}  {_clock(clock)}\n"
        for piece, piece_code in _pieces(turn, code):
            if piece_code:
                spans.append((len(text), len(text) + len(piece), piece_code))
            text += piece
        text += "\n\n"
        clock += 3 + len(turn.split()) * 2 // 5
    text += "Transcribed by https://otter.ai\n"
    path.write_text(text, encoding="utf-8")
    return spans


def _pieces(turn: str, code) -> list[tuple[str, str | None]]:
    """A turn's text as (piece, code) runs: a merged monologue answer has several codes."""
    if not isinstance(code, list):
        return [(turn, code)]
    out: list[tuple[str, str | None]] = []
    for piece, piece_code in code:
        if out:
            out.append((" ", None))
        out.append((piece, piece_code))
    return out


def _write_docx(path: Path, title: str, details: str | None,
                interview: Interview) -> list[tuple[int, int, str]]:
    """A Word file: a heading, maybe a details line, then ``Label: text`` paragraphs."""
    import docx

    document = docx.Document()
    paragraphs = [title] + ([details] if details else []) + [""]
    document.add_heading(title, level=1)
    if details:
        document.add_paragraph(details)
    document.add_paragraph("")
    spans = []
    offset = sum(len(p) + 1 for p in paragraphs)
    for label, turn, code in interview.turns:
        line = f"{label}: "
        start = offset + len(line)
        for piece, piece_code in _pieces(turn, code):
            if piece_code:
                spans.append((start, start + len(piece), piece_code))
            start += len(piece)
            line += piece
        document.add_paragraph(line)
        paragraphs.append(line)
        offset += len(line) + 1
    core = document.core_properties  # fixed, so that the same study gives the same bytes
    core.author = "stand-in"
    core.title = title
    document.save(str(path))
    return spans


def build_standin(folder: str | os.PathLike, *, n_interviews: int = 143, seed: int = 0,
                  data_dir: str | os.PathLike | None = None, docx_share: float = 0.5,
                  numbered_share: float = 0.25, monologue_share: float = 0.3) -> StandIn:
    """Write a stand-in interview study into ``folder`` (created; existing files replaced).

    Parameters
    ----------
    folder
        Where to write ``transcripts/``, ``metadata.csv`` and ``codes.csv``. Never the
        repository: the Commons speeches may not be copied into it.
    n_interviews
        How many interviews (143 as in the study textmine serves; at most ~400).
    seed
        Seed of every random choice (same seed, same files).
    data_dir
        The shared data folder (default: ``TEXTMINE_DATA_DIR`` or ``../shared/data``).
    docx_share
        Share of interviews written as Word files (the rest are Otter exports).
    numbered_share
        Share of the Otter exports whose speakers are ``Speaker 1`` / ``Speaker 2``.
    monologue_share
        Share of interviews whose answers are whole speeches (long turns).

    Returns
    -------
    StandIn
        Paths and the config a researcher would write (:meth:`StandIn.config`).
    """
    if data_dir is None:
        from common import data_dir as find_data

        data_dir = find_data()
    folder = Path(folder)
    (folder / "transcripts").mkdir(parents=True, exist_ok=True)
    for old in (folder / "transcripts").iterdir():
        if old.suffix in (".txt", ".docx"):
            old.unlink()
    rng = random.Random(seed)
    groups = _group(_speeches(Path(data_dir)), n_interviews)
    members = sorted({g[0]["speaker_name"] for g in groups})
    order = members[:]
    random.Random(seed + 1).shuffle(order)
    network = {m: f"Network {i % N_NETWORKS + 1:02d}" for i, m in enumerate(order)}
    kinds = ["docx"] * round(len(groups) * docx_share)
    kinds += ["otter"] * (len(groups) - len(kinds))
    rng.shuffle(kinds)
    n_otter = kinds.count("otter")
    numbered = set(rng.sample([i for i, k in enumerate(kinds) if k == "otter"],
                              round(n_otter * numbered_share)))
    meta_rows, code_rows, interviews = [], [], []
    for number, (speeches, kind) in enumerate(zip(groups, kinds, strict=True), start=1):
        doc_id = f"INT{number:03d}"
        member = speeches[0]["speaker_name"]
        style = "monologue" if rng.random() < monologue_share else "dialogue"
        if number - 1 in numbered:
            kind = "otter_numbered"
            # Otter numbers speakers in order of appearance; now and then the participant
            # speaks first (a greeting), so the interviewer is Speaker 2
            first = rng.random() < 0.8
            interviewer, participant = (("Speaker 1", "Speaker 2") if first
                                        else ("Speaker 2", "Speaker 1"))
        elif kind == "otter":
            interviewer, participant = rng.choice(INTERVIEWERS), member
        else:
            interviewer, participant = "Interviewer", member
        interview = Interview(doc_id, member, kind, style, interviewer, participant)
        if interviewer == "Speaker 2":
            interview.turns.append((participant, "Hello, can you hear me all right?", None))
        interview.turns.append((interviewer, OPENING, None))
        for k, parts in enumerate(_answers(speeches, style, rng)):
            if k:
                interview.turns.append((interviewer, rng.choice(PROMPTS), None))
            text = " ".join(p for p, _ in parts)
            code = parts[0][1] if len(parts) == 1 else list(parts)
            interview.turns.append((participant, text, code))
        interview.turns.append((interviewer, CLOSING, None))
        interviews.append(interview)
        date = speeches[0]["date"]
        party = speeches[0]["speaker_party"]
        title = f"Interview {number} - {network[member]} - {date}"
        if kind == "docx":
            details = (None if number % 3 else f"Date: {date}" if number % 2
                       else f"Recorded {date}, about {len(speeches) * 7} minutes, online")
            spans = _write_docx(folder / "transcripts" / f"{doc_id}.docx", title, details,
                                interview)
        else:
            spans = _write_txt(folder / "transcripts" / f"{doc_id}.txt", title, interview)
        code_rows += [{"doc_id": doc_id, "start_char": s, "end_char": e, "code": c}
                      for s, e, c in spans]
        meta_rows.append({"doc_id": doc_id, "date": date, "party": party,
                          "role": speeches[0]["speaker_role"], "network": network[member],
                          "interviewer": interviewer})
    metadata = folder / "metadata.csv"
    with open(metadata, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(meta_rows[0]))
        writer.writeheader()
        writer.writerows(meta_rows)
    codes = folder / "codes.csv"
    with open(codes, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["doc_id", "start_char", "end_char", "code"])
        writer.writeheader()
        writer.writerows(code_rows)
    return StandIn(folder, ["transcripts/*.docx", "transcripts/*.txt"], metadata, codes,
                   interviews)


if __name__ == "__main__":
    import sys

    study = build_standin(sys.argv[1] if len(sys.argv) > 1 else "standin")
    kinds = Counter(i.kind for i in study.interviews)
    print(f"{len(study.interviews)} interviews in {study.folder}: {dict(kinds)}")
