"""Read transcripts from the files researchers have into a :class:`~textmine.Corpus`.

Formats (``input.format``; ``auto`` decides by file extension):

=========  ==================================  =========================================
format     files                               decoded text (what offsets index)
=========  ==================================  =========================================
text       .txt .text .md                      the file, decoded (see textmine.io.decode)
docx       .docx (python-docx)                 paragraphs joined by newlines
odt        .odt (odfpy)                        paragraphs joined by newlines
vtt, srt   .vtt .srt (Teams, Zoom captions)    rendered turns (see textmine.io.render)
table      .csv .tsv .xlsx, one turn per row   rendered turns (see textmine.io.render)
=========  ==================================  =========================================

Speaker turns in text, docx and odt are found by :mod:`textmine.io.speakers`; text before
the first turn (an Otter header, a Word file's title and details) is read as the document's
preamble by :mod:`textmine.io.preamble`, never as speech.

A QDA project (``qdpx``: REFI-QDA ``.qdpx``; ``qualcoder``: a QualCoder ``.qda`` folder;
``taguette``: a Taguette ``.sqlite3``) is read by :mod:`textmine.io.qda`: each text source is a
transcript (its plain text, speaker turns and preamble found as in a .txt), its cases and
variables become document metadata, and the pipeline takes its codings as the human codes.
"""

from __future__ import annotations

import glob
import hashlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from textmine.config import InputConfig, validate_section
from textmine.corpus import DOCUMENT_COLUMNS, Corpus, metadata_names
from textmine.errors import (
    InputError,
    MetadataError,
    TextmineWarning,
    TranscriptError,
    describe_value,
)
from textmine.io.captions import caption_turns
from textmine.io.decode import decode, read_bytes
from textmine.io.documents import docx_text, odt_text
from textmine.io.metadata import read_metadata
from textmine.io.preamble import Preamble, split_preamble
from textmine.io.render import render_turns
from textmine.io.roles import RoleRules
from textmine.io.speakers import PREAMBLE_SPEAKER, Turn, parse_timestamp, parse_turns
from textmine.io.tables import join_key, read_table, require_columns, row_line
from textmine.text import iter_lines, normalize_ws

EMPTY_HINT = "export the transcript again, or leave the file out of input.transcripts"
FORMAT_BY_SUFFIX = {
    ".txt": "text", ".text": "text", ".md": "text", ".docx": "docx", ".odt": "odt",
    ".vtt": "vtt", ".srt": "srt", ".csv": "table", ".tsv": "table", ".xlsx": "table",
}
TRANSCRIPT_SUFFIXES = frozenset(FORMAT_BY_SUFFIX)
#: QDA projects read as transcripts (their sources), by extension
PROJECT_BY_SUFFIX = {".qdpx": "qdpx", ".qda": "qualcoder", ".sqlite3": "taguette"}


@dataclass
class Transcript:
    """One transcript as read: its decoded text and the speaker turns in it."""

    doc_id: str
    path: Path
    format: str
    text: str
    turns: list[Turn]
    labels: str
    sha256: str
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)  # a QDA project's cases, variables
    preamble: Preamble = field(default_factory=Preamble)


def _format_of(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    suffix = path.suffix.lower()
    fmt = FORMAT_BY_SUFFIX.get(suffix) or PROJECT_BY_SUFFIX.get(suffix)
    if fmt is None:
        raise TranscriptError(
            f"unknown transcript type {path.suffix!r}", path=path,
            hint="use .txt, .docx, .odt, .vtt, .srt, .csv or .xlsx, a QDA project (.qdpx, "
            ".qda, Taguette .sqlite3), or set input.format",
        )
    return fmt


def _project_transcripts(path: Path, fmt: str, cfg: InputConfig) -> list[Transcript]:
    """A QDA project's text sources as transcripts, its cases and variables as metadata."""
    from textmine.io.qda import project_file, read_project

    project = read_project(path, format=fmt)
    sha = hashlib.sha256(read_bytes(project_file(path))).hexdigest()
    out = []
    for source in project.sources:
        if not source.text.strip():
            warnings.warn(f"{path.name}: {source.key} ({source.doc_id!r}) has no text and is "
                          "left out", TextmineWarning, stacklevel=3)
            continue
        transcript = _text_transcript(source.doc_id, path, fmt, source.text, sha, cfg)
        transcript.metadata = dict(source.metadata)
        out.append(transcript)
    if not out:
        raise TranscriptError("the QDA project holds no text source", path=path,
                              hint="export the project with its text documents")
    return out


def _text_transcript(doc_id: str, path: Path, fmt: str, text: str, sha: str,
                     cfg: InputConfig) -> Transcript:
    """Speaker turns of a decoded text (a .txt, .docx, .odt or a QDA project's source).

    Text before the first turn is the document's preamble (:mod:`textmine.io.preamble`).
    """
    _check_line_lengths(text, path, cfg.max_line_chars)
    rules = {name: re.compile(p) for name, p in cfg.line_speakers.items()}
    parsed = parse_turns(text, labels=cfg.labels, line_speakers=rules,
                         unlabelled_speaker=cfg.unlabelled_speaker, speakers=cfg.speakers,
                         skip_lines=[re.compile(p) for p in cfg.skip_patterns()])
    preamble, turns = split_preamble(text, parsed.turns, labels=parsed.labels)
    notes = parsed.notes
    if not any(t.speaker == PREAMBLE_SPEAKER and t.label == "preamble" for t in turns):
        notes = [n for n in notes if not n.startswith("text before the first speaker label")]
    if not turns:
        raise TranscriptError("empty transcript: no speaker turn with text", path=path,
                              hint=EMPTY_HINT)
    return Transcript(doc_id, path, fmt, text, turns, parsed.labels, sha, notes,
                      preamble=preamble)


def _table_transcripts(path: Path, cfg: InputConfig, sha: str,
                       data: bytes) -> list[Transcript]:
    frame = read_table(path, encoding=cfg.encoding, error=TranscriptError, sheet=cfg.sheet,
                       data=data)
    cols = cfg.columns
    needed = {"speaker": cols.speaker, "text": cols.text}
    needed.update({k: v for k, v in (("doc_id", cols.doc_id), ("time", cols.time))
                   if isinstance(v, str)})
    if isinstance(cols.doc_id, list):
        needed.update({f"doc_id[{i}]": c for i, c in enumerate(cols.doc_id)})
    require_columns(frame, needed, path, "input.columns", TranscriptError)
    id_column = join_key(frame, cols.doc_id, " doc_id") if cols.doc_id else None
    by_doc: dict[str, list[tuple[str, str, float | None]]] = {}
    for position, record in enumerate(frame.to_dict("records")):
        text = record[cols.text]
        if text is None or not str(text).strip():
            continue
        line = row_line(frame, position)
        speaker = record[cols.speaker]
        if speaker is None or not str(speaker).strip():
            raise TranscriptError(f"empty {cols.speaker!r} cell in a row with text",
                                  path=path, line=line, hint="every turn needs its speaker")
        time = None
        if cols.time and record[cols.time] is not None:
            try:
                time = parse_timestamp(str(record[cols.time]).strip())
            except ValueError:
                raise TranscriptError(
                    f"time {describe_value(record[cols.time])} is not seconds or h:mm:ss "
                    "(a time is never negative, NaN or infinite, and no field is over 59)",
                    path=path, line=line,
                    hint="fix the cell, or point input.columns.time at the right column",
                ) from None
        doc_id = (None if record[id_column] is None else str(record[id_column]).strip()
                  ) if id_column else path.stem
        if not doc_id:  # a transcript may well be called "None": only an empty cell is empty
            raise TranscriptError(f"empty {cols.doc_id!r} cell", path=path, line=line,
                                  hint="every row needs the id of its transcript")
        by_doc.setdefault(doc_id, []).append((" ".join(str(speaker).split()), str(text), time))
    out = []
    for doc_id, records in by_doc.items():
        rendered, turns = render_turns(records)
        out.append(Transcript(doc_id, path, "table", rendered, turns, "rows", sha))
    if not out:
        raise TranscriptError("empty transcript: no row has text", path=path,
                              hint=EMPTY_HINT)
    return out


def _time_notes(transcript: Transcript) -> list[str]:
    """Turn start times that go backwards: out of order, or the clock of another recording."""
    times = [(n, t.start_time) for n, t in enumerate(transcript.turns)
             if t.start_time is not None]
    back = [n for (_, a), (n, b) in zip(times, times[1:], strict=False) if b < a]
    if not back:
        return []
    return [f"turn start times go backwards {len(back)} time(s) (first at turn {back[0] + 1}): "
            "start_time is kept as written; check the order of the turns"]


def read_file(path: str | Path, **options: Any) -> list[Transcript]:
    """Read one transcript file (a table may hold several transcripts).

    Parameters
    ----------
    path
        The file.
    **options
        Keys of the ``input`` config section (``format``, ``labels``, ``encoding``...).

    Returns
    -------
    list of Transcript
    """
    transcripts = _read_file(path, **options)
    for transcript in transcripts:
        transcript.notes.extend(_time_notes(transcript))
    return transcripts


def _read_file(path: str | Path, **options: Any) -> list[Transcript]:
    path = Path(path)
    cfg = options.pop("_cfg", None) or validate_section(
        InputConfig, {"transcripts": str(path), **options}, section="input")
    fmt = _format_of(path, cfg.format)
    if fmt in PROJECT_BY_SUFFIX.values():
        return _project_transcripts(path, fmt, cfg)
    data = read_bytes(path)
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise TranscriptError("empty transcript: the file has no text", path=path,
                              hint=EMPTY_HINT)
    if fmt == "table":
        return _table_transcripts(path, cfg, sha, data)
    if fmt == "docx":
        text = docx_text(path, data)
    elif fmt == "odt":
        text = odt_text(path, data)
    else:
        text = decode(data, path, encoding=cfg.encoding)
    if not text.strip():
        raise TranscriptError("empty transcript: no text in the file", path=path,
                              hint=EMPTY_HINT)
    if fmt in ("vtt", "srt"):
        _check_line_lengths(text, path, cfg.max_line_chars)
        rendered, turns, notes = caption_turns(text, path, fmt)
        return [Transcript(path.stem, path, fmt, rendered, turns, "captions", sha, notes)]
    return [_text_transcript(path.stem, path, fmt, text, sha, cfg)]


def _check_line_lengths(text: str, path: Path, limit: int) -> None:
    """A line longer than ``limit`` is binary data or an export that lost its line breaks.

    Lines are the parser's lines (:func:`textmine.text.iter_lines`: every Unicode line break),
    so no separator the guard accepts can leave the parser one enormous line.
    """
    if len(text) <= limit:
        return
    for number, (start, end) in enumerate(iter_lines(text), start=1):
        if end - start > limit:
            raise TranscriptError(
                f"line {number} has {end - start:,} characters (input.max_line_chars is "
                f"{limit:,}): not a transcript with line breaks, or not text at all",
                path=path, line=number, key="input.max_line_chars",
                hint="export the transcript again with one paragraph per turn, or raise "
                "input.max_line_chars")


def _date_notes(meta: pd.DataFrame, dates: dict, path: Path) -> list[str]:
    """Dates after today: a typo, or a two-digit year that pivoted (``%y``: 68 -> 2068)."""
    today = pd.Timestamp.now().normalize()
    notes = []
    for column, formats in dates.items():
        if column not in meta.columns:
            continue
        future = int((pd.to_datetime(meta[column], errors="coerce") > today).sum())
        if not future:
            continue
        formats = [formats] if isinstance(formats, str) else formats
        why = (" (a two-digit year, %y, reads 00-68 as 2000-2068: use %Y with four-digit "
               "years)" if any("%y" in f for f in formats) else "")
        notes.append(f"{path.name}: {future} date(s) in column {column!r} are after today"
                     f"{why}")
    return notes


def source_text(path: str | Path, **options: Any) -> str:
    """The decoded text of a transcript file: the text its offsets index.

    Give a QDA tool this text and the offsets it reports match textmine's.
    """
    return read_file(path, **options)[0].text


def glob_root(pattern: Path) -> Path:
    """The folder a glob reads from: its path up to the first wildcard."""
    parts = pattern.parts
    literal = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    return Path(*parts[:literal]) if literal < len(parts) else pattern.parent


def _check_link(path: Path, folder: Path, follow: bool) -> None:
    """A transcript that is a link is read only if it points inside ``folder`` (or if allowed)."""
    if follow:
        return
    target, root = path.resolve(), folder.resolve()
    if target != root and root not in target.parents:
        raise InputError(
            f"is a symbolic link to {target}, outside the folder it is found in ({root})",
            path=path, key="input.follow_symlinks",
            hint="copy the file into that folder, or set input.follow_symlinks: true to read "
            "links wherever they point")


def expand_paths(spec: str | Sequence[str], base_dir: Path, *,
                 follow_symlinks: bool = False) -> list[Path]:
    """Files named by a glob or a list of globs/paths, relative to ``base_dir``, sorted.

    A file that is a symbolic link to somewhere outside the folder it is found in (the glob's
    folder, or a listed file's own folder) is refused unless ``follow_symlinks``: a link in a
    data folder must not bring in a file from elsewhere unnoticed.
    """
    specs = [spec] if isinstance(spec, str) else list(spec)
    files: list[Path] = []
    for item in specs:
        pattern = Path(item).expanduser()
        pattern = pattern if pattern.is_absolute() else base_dir / pattern
        if glob.has_magic(str(pattern)):
            matched = sorted(Path(p) for p in glob.glob(str(pattern), recursive=True)
                             if Path(p).is_file() or (Path(p) / "data.qda").is_file())
            for path in matched:
                _check_link(path, glob_root(pattern), follow_symlinks)
            if not matched:
                raise InputError(f"input.transcripts: no files match {item!r} (looked in "
                                 f"{pattern.parent})", key="input.transcripts",
                                 hint="check the path and pattern (relative to the config "
                                 "file's folder)")
            files.extend(matched)
        else:
            if not pattern.exists():
                raise InputError("transcript file not found", path=pattern,
                                 key="input.transcripts",
                                 hint="check input.transcripts (paths are relative to the "
                                 "config file's folder)")
            if pattern.is_dir() and (pattern / "data.qda").is_file():
                files.append(pattern)  # a QualCoder project is a folder
                continue
            if pattern.is_dir():
                raise InputError("is a folder, not a transcript file", path=pattern,
                                 key="input.transcripts",
                                 hint="use a glob such as folder/*.docx")
            _check_link(pattern, pattern.parent, follow_symlinks)
            files.append(pattern)
    return list(dict.fromkeys(files))


def _with_project_metadata(documents: pd.DataFrame, read: dict[str, Transcript],
                           notes: list[str]) -> pd.DataFrame:
    """Cases and variables of QDA project sources as metadata columns (text)."""
    rows = {doc_id: t.metadata for doc_id, t in read.items() if t.metadata}
    if not rows:
        return documents
    columns = list(dict.fromkeys(k for values in rows.values() for k in values))
    # the same naming rule as a metadata sheet's: a name textmine uses becomes meta_<name>
    names = metadata_names(columns)
    renamed = {c: n for c, n in names.items() if c != n}
    if renamed:
        notes.append(f"QDA project variable(s) {sorted(renamed)} are named like textmine's own "
                     f"columns: read as {sorted(renamed.values())}")
    meta = pd.DataFrame({"doc_id": list(documents["doc_id"])})
    for column in columns:
        meta[names[column]] = pd.Series(
            [rows.get(d, {}).get(column) for d in meta["doc_id"]], dtype="str")
    return documents.merge(meta, on="doc_id", how="left", validate="one_to_one")


def read_transcripts(
    transcripts: str | Sequence[str],
    *,
    base_dir: str | Path | None = None,
    **options: Any,
) -> Corpus:
    """Read transcripts (and their metadata sheet) into a Corpus of turns.

    Parameters
    ----------
    transcripts
        A glob, a file, or a list of them.
    base_dir
        Folder relative paths resolve against (default: the current folder).
    **options
        Keys of the ``input`` config section: ``format``, ``labels``, ``encoding``,
        ``metadata``, ``doc_id_column``, ``dates``, ``interviewer``, ``participants``,
        ``other``, ``speakers``, ``line_speakers``, ``unlabelled_speaker``,
        ``on_no_speakers``, ``columns``, ``sheet``, ``skip_lines``, ``interviewer_column``.

    Returns
    -------
    Corpus
        Documents, turns (with roles) and the source texts; not yet segmented. What the read
        found beyond the turns (preambles, unknown speakers, transcripts without an
        interviewer turn, renamed metadata columns) is in ``corpus.uns["read"]``.

    Notes
    -----
    Roles: ``input.interviewer`` (added to the built-in ``Interviewer`` and ``I``), and per
    transcript the labels in its ``input.interviewer_column`` cell. When some transcripts
    have interviewer turns and others none, the read warns: the others' questions would be
    analysed as participant speech.

    Examples
    --------
    >>> corpus = read_transcripts("transcripts/*.docx", metadata="metadata.csv",
    ...                           interviewer=["Interviewer"])  # doctest: +SKIP
    """
    cfg = validate_section(InputConfig, {"transcripts": transcripts, **options},
                           section="input")
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    files = expand_paths(cfg.transcripts, base, follow_symlinks=cfg.follow_symlinks)
    notes: list[str] = []
    per_file: dict[str, list[str]] = {}  # note -> the files it is about, in reading order
    read: dict[str, Transcript] = {}
    for file in files:
        for transcript in read_file(file, _cfg=cfg):
            if transcript.doc_id in read:
                raise TranscriptError(
                    f"doc_id {transcript.doc_id!r} also comes from {read[transcript.doc_id].path}",
                    path=file, hint="transcript file names (without extension) must be unique")
            read[transcript.doc_id] = transcript
            for note in transcript.notes:
                if note.startswith("no speaker labels") and cfg.on_no_speakers == "error":
                    raise TranscriptError(note, path=file, key="input.on_no_speakers",
                                          hint="label the turns, or set input.on_no_speakers")
                where = (f"{file.name} ({transcript.doc_id})"
                         if transcript.format in PROJECT_BY_SUFFIX.values() else file.name)
                per_file.setdefault(note, []).append(where)
    notes.extend(_grouped_file_notes(per_file))
    documents = pd.DataFrame({
        "doc_id": list(read),
        "source": [str(t.path) for t in read.values()],
        "format": [t.format for t in read.values()],
        "labels": [t.labels for t in read.values()],
        "sha256": [t.sha256 for t in read.values()],
        "n_chars": [len(t.text) for t in read.values()],
        "n_turns": [len(t.turns) for t in read.values()],
        "preamble_chars": [t.preamble.end_char for t in read.values()],
        "preamble_title": [t.preamble.title for t in read.values()],
        "preamble_keywords": [t.preamble.keywords for t in read.values()],
        "preamble_speakers": [t.preamble.speakers for t in read.values()],
        "preamble_details": [" | ".join(t.preamble.details) or None for t in read.values()],
    })
    for column in ("preamble_title", "preamble_keywords", "preamble_speakers",
                   "preamble_details"):
        documents[column] = documents[column].astype("str")
    documents = _with_project_metadata(documents, read, notes)
    report: dict[str, Any] = {"file_notes": per_file}
    per_document: dict[str, list[str]] = {}
    if cfg.interviewer_column and not cfg.metadata:
        raise InputError("input.interviewer_column needs input.metadata, the sheet it is in",
                         key="input.interviewer_column",
                         hint="set input.metadata, or remove input.interviewer_column")
    if cfg.metadata:
        meta_path = Path(cfg.metadata).expanduser()
        meta_path = meta_path if meta_path.is_absolute() else base / meta_path
        meta = read_metadata(meta_path, doc_id_column=cfg.doc_id_column, dates=cfg.dates,
                             encoding=cfg.encoding, columns=cfg.metadata_columns)
        missing = [d for d in documents["doc_id"] if d not in set(meta["doc_id"])]
        if missing:
            raise MetadataError(
                f"{len(missing)} transcript(s) have no row: "
                + ", ".join(repr(m) for m in missing[:5]),
                path=meta_path, key="input.doc_id_column",
                hint=f"add rows whose {cfg.doc_id_column!r} is the file name without extension",
            )
        extra = sorted(set(meta["doc_id"]) - set(documents["doc_id"]))
        if extra:
            notes.append(f"{meta_path.name}: {len(extra)} row(s) match no transcript, e.g. "
                         f"{extra[0]!r}")
        notes.extend(_date_notes(meta, cfg.dates, meta_path))
        from_project = [c for c in meta.columns if c != "doc_id" and c in documents.columns
                        and c not in DOCUMENT_COLUMNS]
        if from_project:
            notes.append(f"{meta_path.name}: column(s) {from_project} replace the QDA "
                         "project's values of the same name")
            documents = documents.drop(columns=from_project)
        renamed = meta.attrs.get("renamed_columns", {})
        if renamed:
            report["renamed_columns"] = dict(renamed)
            notes.append(f"{meta_path.name}: column(s) named like textmine's own are kept as "
                         + ", ".join(f"{old!r} -> {new!r}" for old, new in renamed.items()))
        if cfg.interviewer_column:
            per_document = _interviewer_cells(meta, renamed, cfg.interviewer_column, meta_path)
        documents = documents.merge(meta, on="doc_id", how="left", validate="one_to_one")
    turns = _turn_table(read, cfg, per_document)
    # {replace: []} says nobody in these transcripts asks the questions
    report.update(_read_report(read, turns, notes,
                               none_asked=cfg.interviewer == {"replace": []}))
    for note in notes:
        warnings.warn(note, TextmineWarning, stacklevel=2)
    corpus = Corpus(documents, turns, sources={d: t.text for d, t in read.items()},
                    uns={"warnings": notes, "input": cfg.model_dump(mode="json"),
                         "read": report})
    return corpus


#: a note that several files share is said once, with this many of their names
NAMED_FILES = 3


def _grouped_file_notes(per_file: dict[str, list[str]]) -> list[str]:
    """One warning per kind of note: a corpus of 17 unlabelled files gets one line, not 17.

    Up to :data:`NAMED_FILES` files are named each on their own line; more are said once,
    with the count and the first few names; ``corpus.uns["read"]["file_notes"]`` lists them all.
    """
    out = []
    for note, files in per_file.items():
        if len(files) <= NAMED_FILES:
            out.extend(f"{where}: {note}" for where in files)
        else:
            out.append(f"{len(files)} files: {note} ({', '.join(files[:NAMED_FILES])} and "
                       f"{len(files) - NAMED_FILES} more)")
    return out


def _interviewer_cells(meta: pd.DataFrame, renamed: dict[str, str], column: str,
                       path: Path) -> dict[str, list[str]]:
    """doc_id -> the interviewer labels its ``input.interviewer_column`` cell names."""
    name = renamed.get(column, column)
    if name not in meta.columns:
        raise MetadataError(
            f"no column {column!r} for input.interviewer_column; the sheet has: "
            + ", ".join(repr(renamed.get(c, c)) for c in meta.columns if c != "doc_id"),
            path=path, line=1, key="input.interviewer_column",
            hint="name the column that holds each transcript's interviewer label")
    out = {}
    for doc_id, cell in zip(meta["doc_id"], meta[name], strict=True):
        if isinstance(cell, str) and cell.strip():
            out[doc_id] = [part.strip() for part in cell.split(";") if part.strip()]
    return out


def _turn_table(read: dict[str, Transcript], cfg: InputConfig,
                per_document: dict[str, list[str]]) -> pd.DataFrame:
    """Every turn with its role (the config's rules, plus each document's interviewer)."""
    interviewer = cfg.interviewer_names()
    rules = RoleRules(interviewer, cfg.participants, cfg.other)
    turn_rows = []
    for doc_id, transcript in read.items():
        roles = rules
        if per_document.get(doc_id):
            # the cell holds labels, matched as plain names (they may contain regex symbols)
            own = [re.escape(label) for label in per_document[doc_id]]
            roles = RoleRules([*interviewer, *own], cfg.participants, cfg.other)
        for number, turn in enumerate(transcript.turns):
            turn_rows.append({
                "doc_id": doc_id, "turn": number, "speaker": turn.speaker,
                "role": roles.role(turn.speaker), "start_char": turn.start_char,
                "end_char": turn.end_char,
                "start_time": float("nan") if turn.start_time is None else turn.start_time,
                "text": normalize_ws(transcript.text[turn.start_char:turn.end_char]),
            })
    return pd.DataFrame(turn_rows)


def _read_report(read: dict[str, Transcript], turns: pd.DataFrame, notes: list[str], *,
                 none_asked: bool = False) -> dict[str, Any]:
    """Counts for the read summary; adds the warnings about unknown roles to ``notes``.

    ``none_asked``: the config says no transcript has an interviewer (``input.interviewer:
    {replace: []}``), so transcripts of several speakers without one are not warned about.
    """
    unknown = turns.loc[turns["role"] == "unknown", "speaker"].value_counts()
    if len(unknown):
        notes.append(
            f"{len(unknown)} speaker(s) with role 'unknown' ({int(unknown.sum())} turns): "
            + ", ".join(repr(s) for s in unknown.index[:10])
            + " - add them to input.interviewer, input.participants or input.other")
    asked = set(turns.loc[turns["role"] == "interviewer", "doc_id"])
    without = [d for d in read if d not in asked] if asked else []
    if without:
        notes.append(
            f"{len(without)} of {len(read)} transcripts have no interviewer turn while the "
            f"others do (e.g. {without[0]!r}): their questions, if any, are analysed as "
            "participant speech - name their interviewer's label in input.interviewer, or per "
            "transcript in the metadata column input.interviewer_column")
    elif not asked and not none_asked and len(turns):
        # a moderator (a focus group's "F") matching no interviewer name would be analysed
        # as one more participant, questions and all; one speaker per file (speeches,
        # comments) has nobody asking
        speakers = turns.groupby("doc_id", sort=False)["speaker"].nunique()
        without = [d for d in read if speakers.get(d, 0) >= 2]
        if without:
            # a moderator speaks in every group, the participants in theirs
            present = (turns[turns["doc_id"].isin(without)]
                       .drop_duplicates(["doc_id", "speaker"])["speaker"].value_counts())
            common = present[present >= len(without) / 2].index[:3]
            notes.append(
                f"no transcript has an interviewer turn, and {len(without)} of {len(read)} "
                f"have several speakers (e.g. {without[0]!r}): every turn, questions "
                "included, is analysed as participant speech (speaking in most of them: "
                + ", ".join(repr(c) for c in common) + ") - name the interviewer or "
                "moderator in input.interviewer (per "
                "transcript: input.interviewer_column), or set input.interviewer: "
                "{replace: []} if nobody asks the questions")
    preambles = [t.preamble for t in read.values() if t.preamble]
    return {
        "n_preambles": len(preambles),
        "n_preamble_titles": sum(p.title is not None for p in preambles),
        "n_preamble_keywords": sum(p.keywords is not None for p in preambles),
        "n_preamble_speakers": sum(p.speakers is not None for p in preambles),
        "n_unknown_turns": int(unknown.sum()),
        "n_documents_without_interviewer": len(without),
        "documents_without_interviewer": without[:20],
    }


