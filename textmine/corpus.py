"""The Corpus: one object that carries a study from transcript files to results.

It holds, kept aligned:

``documents``
    one row per transcript: ``doc_id``, where it came from, and its metadata columns;
``turns``
    every speaker turn of every transcript, interviewer prompts included (the context);
``segments``
    the analysis units, each with ``doc_id``, ``speaker``, ``role``, ``turn`` and
    ``start_char``/``end_char`` into the decoded source, plus the document's metadata;
``codes``
    human-coded spans (``doc_id``, ``start_char``, ``end_char``, ``code``, ``code_path``,
    ``coder``);
``embeddings``
    ``{key: float32 array}`` with one row per segment;
``results``
    ``{key: Result}``, each stored with the exact parameters it ran with.

Slicing (``corpus[mask]``, :meth:`Corpus.filter`) subsets segments and every per-segment
array and table together, and keeps only the documents, turns and codes still referred to.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from textmine.errors import CorpusError
from textmine.text import normalize_ws

if TYPE_CHECKING:
    from textmine.pp.protect import Protection

FORMAT_VERSION = 1
DOCUMENT_COLUMNS = ["doc_id", "source", "format", "labels", "sha256", "n_chars", "n_turns"]
#: document columns read from a transcript's preamble (textmine.io.preamble); optional
PREAMBLE_COLUMNS = ["preamble_chars", "preamble_title", "preamble_keywords",
                    "preamble_speakers", "preamble_details"]
TURN_COLUMNS = ["doc_id", "turn", "speaker", "role", "start_char", "end_char", "start_time",
                "text"]
SEGMENT_COLUMNS = ["segment_id", "doc_id", "speaker", "role", "turn", "start_char", "end_char",
                   "text"]
CODE_COLUMNS = ["doc_id", "start_char", "end_char", "code", "code_path", "coder"]
SEGMENT_CODE_COLUMNS = ["segment_id", "code", "code_path", "overlap_chars"]
#: prefix given to a metadata column whose name textmine uses (see metadata_names)
METADATA_PREFIX = "meta_"


def reserved_columns() -> list[str]:
    """Column names textmine owns in documents and segments: never a metadata column's."""
    return list(dict.fromkeys(DOCUMENT_COLUMNS + PREAMBLE_COLUMNS + SEGMENT_COLUMNS))


def metadata_names(columns: list[str], *, key: str | None = None) -> dict[str, str]:
    """The names a metadata sheet's columns get in ``documents`` and ``segments``.

    A user's column keeps its name unless textmine uses that name for its own column in
    either table (``source``, ``format``, ``sha256``... in documents; ``speaker``, ``role``,
    ``text``... in segments; ``doc_id``, the join key, when the sheet's ids come from another
    column): then it is ``meta_<name>`` in both tables, so that it has one name everywhere
    and textmine's columns keep the meaning other tools rely on. ``meta_`` is repeated if the
    sheet already has a column of that name.

    Parameters
    ----------
    columns
        The sheet's columns, in order.
    key
        The column holding the ids (``input.doc_id_column``); it becomes ``doc_id``.

    Returns
    -------
    dict
        Sheet column -> column name in the corpus (every column, renamed or not).
    """
    reserved = set(reserved_columns())
    taken = {c for c in columns if c not in reserved and c != key}
    names: dict[str, str] = {}
    for column in columns:
        if column == key:
            names[column] = "doc_id"
            continue
        name = column
        if name in reserved:
            while name in reserved or name in taken:
                name = METADATA_PREFIX + name
            taken.add(name)
        names[column] = name
    return names

_DTYPES = {
    "doc_id": "str", "source": "str", "format": "str", "labels": "str", "sha256": "str",
    "n_chars": "int64", "n_turns": "int64", "turn": "int64", "speaker": "str", "role": "str",
    "start_char": "int64", "end_char": "int64", "start_time": "float64", "text": "str",
    "segment_id": "str", "code": "str", "code_path": "str", "coder": "str",
    "overlap_chars": "int64",
}


def _frame(data: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    """A frame with at least ``columns``, in that order first, with textmine's dtypes."""
    if data is None:
        data = pd.DataFrame({c: pd.Series(dtype=_DTYPES.get(c, "str")) for c in columns})
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise CorpusError(f"table lacks column(s) {missing}")
    data = data[columns + [c for c in data.columns if c not in columns]].reset_index(drop=True)
    for column in columns:
        dtype = _DTYPES.get(column)
        if dtype and str(data[column].dtype) != dtype:
            data[column] = data[column].astype(dtype)
    return data


def _with_preamble_columns(documents: pd.DataFrame) -> pd.DataFrame:
    """Documents with the preamble columns (empty where no preamble was read)."""
    missing = [c for c in PREAMBLE_COLUMNS if c not in documents.columns]
    if not missing:
        return documents
    documents = documents.copy()
    for column in missing:
        documents[column] = (pd.Series(0, index=documents.index, dtype="int64")
                             if column == "preamble_chars"
                             else pd.Series(None, index=documents.index, dtype="str"))
    # textmine's columns first, then the user's metadata in the sheet's order
    order = DOCUMENT_COLUMNS + PREAMBLE_COLUMNS
    return documents[order + [c for c in documents.columns if c not in order]]


def _result_line(result: Result) -> str:
    """What a topics result holds, in a few numbers (outliers and reassignment included)."""
    quality = result.info.get("quality") or {}
    if result.kind != "topics" or "n_topics" not in quality:
        return ""
    line = (f", {quality['n_topics']} topics, largest "
            f"{quality.get('largest_topic_share', float('nan')):.0%}")
    if "n_reassigned" in quality:
        line += (f"; {quality['n_outliers_before_reassignment']} outliers, "
                 f"{quality['n_reassigned']} reassigned")
    if quality.get("degenerate"):
        line += "; degenerate"
    stability = result.info.get("stability") or {}
    if stability.get("mean_pairwise_ari") is not None:
        line += f"; stability ARI {stability['mean_pairwise_ari']:.2f}"
    return line


@dataclass
class Result:
    """A stored analysis result.

    Attributes
    ----------
    kind
        What produced it (``"topics"``, ``"align"``...).
    params
        The exact parameters it ran with (JSON-serialisable).
    per_segment
        Optional table with a ``segment_id`` column, sliced with the corpus.
    tables
        Other tables (not per segment), stored as they are.
    info
        JSON-serialisable numbers and notes.
    model
        The fitted estimator, kept in memory only (never written).
    """

    kind: str
    params: dict[str, Any]
    per_segment: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    model: Any = None


class Corpus:
    """Transcripts, their segments, codes, embeddings and results, kept aligned.

    Build one with :func:`textmine.io.read_transcripts`, segment it with
    :func:`textmine.pp.segment`; read a saved one with :meth:`Corpus.read`.
    """

    def __init__(
        self,
        documents: pd.DataFrame,
        turns: pd.DataFrame,
        segments: pd.DataFrame | None = None,
        codes: pd.DataFrame | None = None,
        *,
        embeddings: Mapping[str, np.ndarray] | None = None,
        results: Mapping[str, Result] | None = None,
        sources: Mapping[str, str] | None = None,
        uns: Mapping[str, Any] | None = None,
        protection: Protection | None = None,
    ) -> None:
        self.documents = _with_preamble_columns(_frame(documents, DOCUMENT_COLUMNS))
        self.turns = _frame(turns, TURN_COLUMNS)
        self.codes = _frame(codes, CODE_COLUMNS)
        self.segments = self._with_metadata(
            _frame(segments, SEGMENT_COLUMNS)[SEGMENT_COLUMNS]
            if segments is not None else _frame(None, SEGMENT_COLUMNS)
        )
        self.embeddings: dict[str, np.ndarray] = dict(embeddings or {})
        self.results: dict[str, Result] = dict(results or {})
        #: decoded source texts by doc_id (memory only: never written with the corpus)
        self.sources: dict[str, str] = dict(sources or {})
        #: run notes: warnings, reports, parameters of each step (JSON-serialisable)
        self.uns: dict[str, Any] = dict(uns or {})
        #: identifiers to replace in stored text (set by textmine.pp.protect; memory only)
        self.protection: Protection | None = protection
        self._segment_codes: pd.DataFrame | None = None
        self.validate()

    # ------------------------------------------------------------------ structure
    @property
    def metadata_columns(self) -> list[str]:
        """Document metadata columns (joined onto every segment): the sheet's columns."""
        return [c for c in self.documents.columns
                if c not in DOCUMENT_COLUMNS and c not in PREAMBLE_COLUMNS]

    def _with_metadata(self, core: pd.DataFrame) -> pd.DataFrame:
        meta = self.metadata_columns
        clash = [c for c in meta if c in SEGMENT_COLUMNS]
        if clash:  # read_metadata renames such columns (metadata_names): a bug if seen
            raise CorpusError(
                f"metadata column(s) {clash} clash with segment columns",
                hint="name them as textmine.corpus.metadata_names does (meta_<name>)",
            )
        if not meta:
            return core.reset_index(drop=True)
        joined = core.merge(self.documents[["doc_id", *meta]], on="doc_id", how="left",
                            validate="many_to_one")
        return joined.reset_index(drop=True)

    def set_segments(self, segments: pd.DataFrame) -> None:
        """Replace the segments (core columns); embeddings and results are dropped.

        They no longer line up with the new rows, so keeping them would be wrong.
        """
        self.segments = self._with_metadata(_frame(segments, SEGMENT_COLUMNS)[SEGMENT_COLUMNS])
        self.embeddings.clear()
        self.results.clear()
        self._segment_codes = None
        self.validate()

    def set_codes(self, codes: pd.DataFrame) -> None:
        """Replace the human codes."""
        self.codes = _frame(codes, CODE_COLUMNS)
        self._segment_codes = None
        self.validate()

    @property
    def segment_codes(self) -> pd.DataFrame:
        """Codes overlapping each segment: ``segment_id, code, code_path, overlap_chars``."""
        if self._segment_codes is None:
            from textmine.pp.codes import map_codes

            self._segment_codes = map_codes(self.segments, self.codes)
        return self._segment_codes

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def n_docs(self) -> int:
        """Number of documents."""
        return len(self.documents)

    # ------------------------------------------------------------------ invariants
    def validate(self, *, check_text: bool = True) -> None:
        """Check that every part agrees with every other; raise :class:`CorpusError` if not.

        Checks: unique ids, segments and codes inside their documents, embeddings and
        per-segment results aligned with the segments, and (where the source texts are in
        memory and ``check_text``) every turn's and segment's text equal to its source span.
        """
        docs = self.documents
        if docs["doc_id"].isna().any():
            raise CorpusError("a document has no doc_id")
        if docs["doc_id"].duplicated().any():
            dup = docs.loc[docs["doc_id"].duplicated(), "doc_id"].iloc[0]
            raise CorpusError(f"doc_id {dup!r} appears twice in documents")
        n_chars = dict(zip(docs["doc_id"], docs["n_chars"], strict=True))
        for name, table in (("turns", self.turns), ("segments", self.segments),
                            ("codes", self.codes)):
            unknown = set(table["doc_id"]) - set(n_chars)
            if unknown:
                raise CorpusError(f"{name} refer to unknown document(s) {sorted(unknown)[:3]}")
            limit = table["doc_id"].map(n_chars).astype("int64")
            bad = (table["start_char"] < 0) | (table["end_char"] > limit) | (
                table["start_char"] >= table["end_char"])
            if bad.any():
                row = table.loc[bad].iloc[0]
                raise CorpusError(
                    f"{name}: span {row['start_char']}-{row['end_char']} is outside document "
                    f"{row['doc_id']!r} ({n_chars[row['doc_id']]} characters) or empty"
                )
        if self.segments["segment_id"].duplicated().any():
            dup = self.segments.loc[self.segments["segment_id"].duplicated(), "segment_id"]
            raise CorpusError(f"segment_id {dup.iloc[0]!r} is not unique")
        for key, matrix in self.embeddings.items():
            if matrix.ndim != 2 or matrix.shape[0] != len(self.segments):
                raise CorpusError(
                    f"embeddings {key!r} have shape {matrix.shape}, expected "
                    f"({len(self.segments)}, dim)"
                )
        ids = set(self.segments["segment_id"])
        for key, result in self.results.items():
            if result.per_segment is not None and not set(result.per_segment["segment_id"]) <= ids:
                raise CorpusError(f"result {key!r} refers to segments not in the corpus")
        if check_text and self.sources:
            for name, table in (("turns", self.turns), ("segments", self.segments)):
                self._check_text(name, table)

    def span_text(self, doc_id: str, start: int, end: int) -> str:
        """The stored text of a source span: ``normalize_ws(source[start:end])``.

        Every turn's and segment's ``text`` is made by this method, so the invariant
        "text equals its source span" has one definition. In a protected corpus
        (:func:`textmine.pp.protect`) every identifier overlapping the span is replaced by its
        pseudonym first; an identifier cut by the span's edge is replaced whole, so no
        fragment of it survives. Code that needs a segment's text must come here, never
        slice ``sources`` itself.
        """
        source = self.sources[doc_id]
        if self.protection is not None:
            return normalize_ws(self.protection.apply(doc_id, source, start, end))
        return normalize_ws(source[start:end])

    def _check_text(self, name: str, table: pd.DataFrame) -> None:
        for doc_id, start, end, text in zip(table["doc_id"], table["start_char"],
                                            table["end_char"], table["text"], strict=True):
            if doc_id in self.sources and self.span_text(doc_id, start, end) != text:
                raise CorpusError(
                    f"{name}: text of span {start}-{end} in {doc_id!r} does not match the source"
                )

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, key) -> Corpus:
        """Subset by a boolean mask, integer positions or a slice over the segments."""
        if isinstance(key, pd.Series):
            key = key.to_numpy()
        positions = np.arange(len(self.segments))[key]
        if np.ndim(positions) == 0:
            positions = np.array([positions])
        return self._take(np.asarray(positions, dtype=int))

    def filter(self, **conditions: Any) -> Corpus:
        """Keep segments whose columns match: a value, or a list of accepted values.

        Examples
        --------
        >>> corpus.filter(role="participant", month=["2021-11", "2021-12"])  # doctest: +SKIP
        """
        mask = np.ones(len(self.segments), dtype=bool)
        for column, wanted in conditions.items():
            if column not in self.segments.columns:
                raise CorpusError(
                    f"no segment column {column!r}; columns are {list(self.segments.columns)}"
                )
            values = self.segments[column]
            if isinstance(wanted, list | tuple | set | frozenset):
                mask &= values.isin(list(wanted)).to_numpy()
            else:
                mask &= (values == wanted).to_numpy()
        return self._take(np.flatnonzero(mask))

    def _take(self, positions: np.ndarray, *, all_documents: bool = False) -> Corpus:
        segments = self.segments.iloc[positions].reset_index(drop=True)
        keep_docs = set(self.documents["doc_id"]) if all_documents else set(segments["doc_id"])
        ids = set(segments["segment_id"])
        results = {}
        for key, res in self.results.items():
            per = res.per_segment
            if per is not None:
                per = per[per["segment_id"].isin(ids)].reset_index(drop=True)
            # Deep copies: a notebook that edits a copy's params, tables or uns must not
            # change the corpus it came from (nested dicts were shared before).
            tables = {name: t.copy() for name, t in res.tables.items()}
            results[key] = Result(res.kind, copy.deepcopy(res.params), per, tables,
                                  copy.deepcopy(res.info), res.model)
        new = Corpus.__new__(Corpus)
        new.documents = self.documents[self.documents["doc_id"].isin(keep_docs)].reset_index(
            drop=True)
        new.turns = self.turns[self.turns["doc_id"].isin(keep_docs)].reset_index(drop=True)
        new.codes = self.codes[self.codes["doc_id"].isin(keep_docs)].reset_index(drop=True)
        new.segments = segments
        new.embeddings = {k: v[positions] for k, v in self.embeddings.items()}
        new.results = results
        new.sources = {k: v for k, v in self.sources.items() if k in keep_docs}
        new.uns = copy.deepcopy(self.uns)
        new.protection = self.protection
        new._segment_codes = None
        new.validate(check_text=False)
        return new

    def copy(self) -> Corpus:
        """An independent copy of everything (sources and protection shared: never modified)."""
        return self._take(np.arange(len(self.segments)), all_documents=True)

    # ------------------------------------------------------------------ context
    def context(self, segment_id: str, *, before: int = 1, after: int = 0) -> pd.DataFrame:
        """The turns around a segment's turn (e.g. the question it answers)."""
        row = self.segments.loc[self.segments["segment_id"] == segment_id]
        if row.empty:
            raise CorpusError(f"no segment {segment_id!r}")
        doc_id, turn = row["doc_id"].iloc[0], int(row["turn"].iloc[0])
        turns = self.turns
        mask = (turns["doc_id"] == doc_id) & turns["turn"].between(turn - before, turn + after)
        return turns.loc[mask].reset_index(drop=True)

    # ------------------------------------------------------------------ summary
    def summary(self, *, warnings: bool = True) -> str:
        """A one-screen description of what the corpus holds.

        Parameters
        ----------
        warnings
            End with the count of ``corpus.uns['warnings']`` (the notes of reading and
            segmenting). A run leaves it out and counts its manifest's warnings instead,
            which hold every stage's.

        Returns
        -------
        str
            The description, one line per part.
        """
        lines = [
            f"Corpus: {self.n_docs} documents, {len(self.turns)} turns, "
            f"{len(self.segments)} segments"
        ]
        if len(self.turns):
            roles = self.turns["role"].value_counts().sort_index()
            lines.append("  turns by role: " + ", ".join(f"{r} {n}" for r, n in roles.items()))
            speakers = self.turns["speaker"].nunique()
            lines.append(f"  speakers: {speakers}")
        if len(self.segments):
            unit = self.uns.get("segment", {}).get("unit", "?")
            words = self.segments["text"].str.split().str.len()
            lines.append(
                f"  segments ({unit}): words per segment median {int(words.median())}, "
                f"max {int(words.max())}; roles: "
                + ", ".join(f"{r} {n}" for r, n in
                            self.segments["role"].value_counts().sort_index().items())
            )
        n_preambles = int((self.documents["preamble_chars"] > 0).sum())
        if n_preambles:
            lines.append(f"  preambles: {n_preambles} documents (text before the first turn: "
                         "document context, not speech)")
        if self.metadata_columns:
            lines.append("  metadata: " + ", ".join(self.metadata_columns))
        if len(self.codes):
            lines.append(
                f"  codes: {len(self.codes)} spans, {self.codes['code'].nunique()} codes, "
                f"{self.codes['doc_id'].nunique()} documents"
            )
        if self.protection is not None:
            totals = self.protection.summary()["replacements"]
            lines.append(f"  protected: {sum(totals.values())} identifiers replaced"
                         + (" (" + ", ".join(f"{k} {n}" for k, n in totals.items()) + ")"
                            if totals else ""))
        for key, matrix in self.embeddings.items():
            lines.append(f"  embeddings[{key!r}]: {matrix.shape[0]} x {matrix.shape[1]}")
        for key, result in self.results.items():
            lines.append(f"  results[{key!r}]: {result.kind}" + _result_line(result))
        notes = self.uns.get("warnings", []) if warnings else []
        if notes:
            lines.append(f"  warnings: {len(notes)} (see corpus.uns['warnings'])")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------ folder i/o
    def write(self, path: str | Path) -> Path:
        """Write the corpus to a folder (parquet, npy, json); the source texts are not written.

        The folder is written in full or not at all: files go to a temporary sibling first.
        """
        from textmine.io.corpus_dir import write_corpus

        return write_corpus(self, Path(path))

    @classmethod
    def read(cls, path: str | Path) -> Corpus:
        """Read a folder written by :meth:`write`."""
        from textmine.io.corpus_dir import read_corpus

        return read_corpus(Path(path))

    def equals(self, other: Corpus) -> bool:
        """Same tables, arrays and results (sources and fitted models aside)."""
        try:
            for name in ("documents", "turns", "segments", "codes"):
                pd.testing.assert_frame_equal(getattr(self, name), getattr(other, name))
            if self.embeddings.keys() != other.embeddings.keys():
                return False
            for key, matrix in self.embeddings.items():
                other_matrix = other.embeddings[key]
                if matrix.dtype != other_matrix.dtype or not np.array_equal(matrix, other_matrix):
                    return False
            if self.results.keys() != other.results.keys():
                return False
            for key, res in self.results.items():
                theirs = other.results[key]
                if (res.kind != theirs.kind or not _json_equal(res.params, theirs.params)
                        or not _json_equal(res.info, theirs.info)):
                    return False
                if (res.per_segment is None) != (theirs.per_segment is None):
                    return False
                if res.per_segment is not None:
                    pd.testing.assert_frame_equal(res.per_segment, theirs.per_segment)
                if res.tables.keys() != theirs.tables.keys():
                    return False
                for name, table in res.tables.items():
                    pd.testing.assert_frame_equal(table, theirs.tables[name])
            return _json_equal(self.uns, other.uns)
        except AssertionError:
            return False


def _json_equal(a: Any, b: Any) -> bool:
    """Equal as written to JSON: NaN equals NaN, tuples equal lists, key order ignored."""
    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    return (json.dumps(plain(a), sort_keys=True, default=str)
            == json.dumps(plain(b), sort_keys=True, default=str))
