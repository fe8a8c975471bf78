"""Pseudonymise a corpus before anything is segmented, embedded or written.

:func:`protect` finds roster names and identifier patterns (:mod:`textmine.pp.detect`) in
every source text and records them as replacement spans in *source* coordinates
(:class:`Protection`, kept in memory as ``corpus.protection``). The source texts are not
changed, so every offset stays valid; :meth:`textmine.Corpus.span_text`, the one place that
turns a span into stored text, writes the pseudonym instead of each identifier (a span that
cuts through an identifier gets the whole pseudonym, never a fragment). Speaker names,
string metadata, document ids, code names and run notes are pseudonymised the same way.

The map from pseudonym to original stays in memory; :func:`write_pseudonym_map` writes it
only when asked, to a file of its own, with a warning.
"""

from __future__ import annotations

import bisect
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from textmine.config import ProtectConfig, validate_section
from textmine.corpus import SEGMENT_COLUMNS
from textmine.errors import CorpusError, ProtectError, TextmineWarning
from textmine.io.guard import Inputs, check_map_file
from textmine.pp.detect import Detector, Found
from textmine.pp.roster import RosterEntry, read_roster

# document columns that hold no free text (everything else that is a string is scrubbed)
_SAFE_DOCUMENT_COLUMNS = {"format", "labels", "sha256"}


class Protection:
    """Replacement spans per document, in source coordinates, and the detector behind them.

    Attributes
    ----------
    detector
        The :class:`~textmine.pp.detect.Detector` (roster and patterns).
    spans
        ``{doc_id: [Found, ...]}`` sorted, non-overlapping, in source coordinates.
    counts
        ``{doc_id: {kind: n}}``: replacements in each source text.
    fields
        ``{field: {kind: n}}``: replacements in speaker names, metadata, ids and notes.
    verify
        Check written folders for identifiers (see :mod:`textmine.pp.verify`).
    """

    def __init__(self, detector: Detector, *, verify: bool = True) -> None:
        self.detector = detector
        self.spans: dict[str, list[Found]] = {}
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.fields: dict[str, Counter] = {}
        self.verify = verify
        # (kind, pseudonym, original) -> occurrences: the private map, memory only
        self.originals: Counter = Counter()

    # ------------------------------------------------------------------ source texts
    def add_document(self, doc_id: str, source: str) -> None:
        """Find the identifiers of one source text."""
        found = self.detector.find(source)
        self._set_spans(doc_id, found)
        self.counts[doc_id] = dict(sorted(Counter(f.kind for f in found).items()))
        self.originals.update((f.kind, f.pseudonym, f.original) for f in found)

    def _set_spans(self, doc_id: str, found: list[Found]) -> None:
        self.spans[doc_id] = found
        self._starts[doc_id] = [f.start for f in found]
        self._ends[doc_id] = [f.end for f in found]

    def rename(self, mapping: dict[str, str]) -> None:
        """Follow documents whose ids were pseudonymised."""
        for old, new in mapping.items():
            if old == new or old not in self.spans:
                continue
            self._set_spans(new, self.spans.pop(old))
            del self._starts[old], self._ends[old]
            self.counts[new] = self.counts.pop(old)

    def apply(self, doc_id: str, source: str, start: int, end: int) -> str:
        """``source[start:end]`` with every identifier overlapping it replaced."""
        ends = self._ends.get(doc_id)
        if not ends:
            return source[start:end]
        i = bisect.bisect_right(ends, start)  # first identifier ending after start
        spans = self.spans[doc_id]
        parts: list[str] = []
        pos = start
        while i < len(spans) and spans[i].start < end:
            f = spans[i]
            parts.append(source[pos:max(pos, f.start)])
            parts.append(f.pseudonym)
            pos = min(f.end, end)
            i += 1
        parts.append(source[pos:end])
        return "".join(parts)

    # ------------------------------------------------------------------ other strings
    def protect_text(self, text: str, *, field: str = "notes") -> str:
        """Any string (a speaker name, a metadata cell, a message) with identifiers replaced."""
        if not isinstance(text, str) or not text:
            return text
        replaced, found = self.detector.replace(text)
        if found:
            self.fields.setdefault(field, Counter()).update(f.kind for f in found)
            self.originals.update((f.kind, f.pseudonym, f.original) for f in found)
        return replaced

    def scrub(self, value: Any, *, field: str = "notes") -> Any:
        """Strings inside dicts, lists and tuples (keys included) with identifiers replaced."""
        if isinstance(value, str):
            return self.protect_text(value, field=field)
        if isinstance(value, dict):
            return {self.scrub(k, field=field): self.scrub(v, field=field)
                    for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.scrub(v, field=field) for v in value)
        return value

    def scrub_frame(self, frame: pd.DataFrame, columns: Iterable[str] | None = None, *,
                    field: str = "metadata") -> pd.DataFrame:
        """A copy of ``frame`` whose string cells (in ``columns``, default all) are protected."""
        frame = frame.copy()
        for column in columns if columns is not None else frame.columns:
            values = frame[column]
            if values.dtype != object and not pd.api.types.is_string_dtype(values):
                continue
            unique = {v for v in values if isinstance(v, str)}
            mapping = {v: self.protect_text(v, field=field) for v in sorted(unique)}
            if any(k != v for k, v in mapping.items()):
                frame[column] = values.map(lambda v, m=mapping: m.get(v, v)
                                           if isinstance(v, str) else v).astype(values.dtype)
        return frame

    # ------------------------------------------------------------------ reports
    def summary(self) -> dict[str, Any]:
        """Counts only (no strings): per kind, per document, per field."""
        totals: Counter = Counter()
        for counts in self.counts.values():
            totals.update(counts)
        return {
            "roster_entries": len(self.detector.entries),
            "replacements": dict(sorted(totals.items())),
            "documents": {d: c for d, c in sorted(self.counts.items())},
            "fields": {name: dict(sorted(c.items())) for name, c in sorted(self.fields.items())},
        }

    def pseudonym_map(self) -> pd.DataFrame:
        """``kind, pseudonym, original, source, n``: what each pseudonym stands for."""
        rows = [{"kind": e.kind, "pseudonym": e.pseudonym, "original": name, "source": "roster",
                 "n": 0} for e in self.detector.entries for name in [e.name, *e.aliases]]
        rows += [{"kind": k, "pseudonym": p, "original": o, "source": "found", "n": n}
                 for (k, p, o), n in self.originals.items()]
        frame = pd.DataFrame(rows, columns=["kind", "pseudonym", "original", "source", "n"])
        return frame.sort_values(["kind", "pseudonym", "source", "original"],
                                 kind="stable").reset_index(drop=True)

    def identifiers(self) -> set[str]:
        """Every identifier string found or listed (what must never be written)."""
        out = {o for (_, _, o) in self.originals}
        for entry in self.detector.entries:
            out.update([entry.name, *entry.aliases])
        return {o for o in out if o.strip()}


def _rename_documents(corpus, mapping: dict[str, str]) -> None:
    """Give documents new ids everywhere they are used (tables, sources, protection)."""
    seen: dict[str, str] = {}
    for old, new in mapping.items():
        if new in seen:
            raise CorpusError(
                "two documents get the same id once names are pseudonymised",
                key="doc_id", hint="rename the transcript files to ids without names "
                "(e.g. P01, P02) and use the same ids in the metadata and codes")
        seen[new] = old
    for name in ("documents", "turns", "codes"):
        table = getattr(corpus, name)
        table["doc_id"] = table["doc_id"].map(mapping).astype("str")
    corpus.sources = {mapping[d]: text for d, text in corpus.sources.items()}
    corpus.protection.rename(mapping)


def protect(corpus, **options: Any) -> dict[str, Any]:
    """Pseudonymise the corpus in place (before segmenting, embedding or writing).

    Parameters
    ----------
    corpus
        A Corpus with its source texts, not yet embedded.
    **options
        Keys of the ``protect`` config section: ``roster`` (file), ``patterns`` (kinds),
        ``custom`` (``LABEL -> regex``), ``name_parts``, ``map_file``, ``verify``.

    Returns
    -------
    dict
        Counts of replacements by kind, per document and per field (no strings); also in
        ``corpus.uns["protect"]``.

    Notes
    -----
    Turn and segment texts are re-made through :meth:`~textmine.Corpus.span_text`; their
    offsets still point at the original source text. Speaker names, string metadata columns,
    document ids (a file named after a person gets the pseudonym in its id), code names and
    the notes in ``corpus.uns`` are pseudonymised too.

    Examples
    --------
    >>> tm.pp.protect(corpus, roster="roster.csv")  # doctest: +SKIP
    """
    cfg = validate_section(ProtectConfig, options, section="protect")
    if not corpus.sources:
        raise CorpusError("protecting needs the source texts, which this corpus does not hold",
                          hint="read the transcripts with textmine.io.read_transcripts")
    if corpus.protection is not None:
        raise CorpusError("this corpus is already protected",
                          hint="read the transcripts again to protect them another way")
    if corpus.embeddings or corpus.results:
        raise CorpusError("embeddings or results were made before protecting",
                          hint="run textmine.pp.protect right after reading, before embedding")
    entries: list[RosterEntry] = read_roster(cfg.roster) if cfg.roster else []
    detector = Detector(entries, patterns=cfg.patterns, custom=cfg.custom,
                        name_parts=cfg.name_parts)
    protection = Protection(detector, verify=cfg.verify)
    for doc_id in corpus.documents["doc_id"]:
        protection.add_document(doc_id, corpus.sources[doc_id])
    corpus.protection = protection

    ids = {d: protection.protect_text(d, field="doc_id") for d in corpus.documents["doc_id"]}
    if any(old != new for old, new in ids.items()):
        _rename_documents(corpus, ids)
    meta = [c for c in corpus.documents.columns
            if c not in _SAFE_DOCUMENT_COLUMNS and c not in ("doc_id", "n_chars", "n_turns")]
    corpus.documents = protection.scrub_frame(corpus.documents, meta, field="metadata")
    corpus.turns = protection.scrub_frame(corpus.turns, ["speaker"], field="speaker")
    corpus.turns["text"] = [corpus.span_text(d, s, e) for d, s, e in zip(
        corpus.turns["doc_id"], corpus.turns["start_char"], corpus.turns["end_char"],
        strict=True)]
    code_columns = [c for c in corpus.codes.columns if c not in ("doc_id", "placement")]
    corpus.codes = protection.scrub_frame(corpus.codes, code_columns, field="codes")
    if len(corpus.segments):
        segments = protection.scrub_frame(corpus.segments[SEGMENT_COLUMNS], ["speaker"],
                                          field="speaker")
        segments["doc_id"] = segments["doc_id"].map(lambda d: ids.get(d, d))
        segments["segment_id"] = [f"{d}:{s}-{e}" for d, s, e in zip(
            segments["doc_id"], segments["start_char"], segments["end_char"], strict=True)]
        segments["text"] = [corpus.span_text(d, s, e) for d, s, e in zip(
            segments["doc_id"], segments["start_char"], segments["end_char"], strict=True)]
        corpus.segments = corpus._with_metadata(segments)
    corpus._segment_codes = None
    corpus.uns = protection.scrub(corpus.uns)
    summary = protection.summary()
    corpus.uns["protect"] = {
        "roster": cfg.roster, "patterns": list(cfg.patterns), "custom": sorted(cfg.custom),
        "name_parts": cfg.name_parts, **summary,
    }
    corpus.validate()
    if cfg.map_file:
        write_pseudonym_map(corpus, cfg.map_file)
    return summary


def write_pseudonym_map(corpus, path: str | Path) -> Path:
    """Write the pseudonym map (``kind, pseudonym, original, source, n``) to its own file.

    The file re-identifies the participants: it is written readable by its owner only, and
    a warning says so. Keep it with the raw transcripts, never with the outputs.
    """
    protection = corpus.protection
    if protection is None:
        raise CorpusError("this corpus is not protected: there is no pseudonym map",
                          hint="run textmine.pp.protect first")
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise ProtectError("protect.map_file is a folder", path=path, key="protect.map_file",
                           hint="name a .csv file")
    # never over a transcript of this corpus, nor over any file that is not an earlier map
    check_map_file(path, Inputs(), sources=[Path(s) for s in corpus.documents["source"] if s])
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            protection.pseudonym_map().to_csv(out, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    warnings.warn(
        f"pseudonym map written to {path}: it re-identifies the participants; keep it with "
        "the raw transcripts and never share it", TextmineWarning, stacklevel=2)
    return path
