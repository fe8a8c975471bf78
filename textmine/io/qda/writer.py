"""Write topics (and machine-suggested codes) as a REFI-QDA project a QDA tool opens.

The project holds, for every document of the corpus:

* its **pseudonymised** text as a source (``sources/<guid>.txt``, UTF-8): the source text with
  every identifier :func:`textmine.pp.protect` found replaced by its pseudonym, exactly as
  :meth:`textmine.Corpus.span_text` shows it, line breaks kept. Raw identifiers are never
  written;
* one ``PlainTextSelection`` per segment and topic, whose positions index that exported text
  (a segment's selection holds the same words as ``segments.text``; this is checked for every
  segment before anything is written), coded by a user named for the model;
* the document's metadata as text variables.

The codebook has a category "textmine topics" with one code per topic (outliers, topic -1,
get none), its description holding the label, top terms and representative quotes; and, when
suggestions are given, a category "textmine suggested codes" with one code per suggested code,
coded by a user of its own, each selection's description holding the confidence. GUIDs are
derived from the result's parameters and names (UUID 5), and the zip has fixed timestamps, so
the same run writes the same bytes. The XML is validated against the REFI-QDA schema
(``textmine/data/refi-qda/Project-mrt2019.xsd``) before the file is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from textmine.errors import CorpusError
from textmine.io.qda.refi import NAMESPACE
from textmine.text import normalize_ws

TOPICS_CATEGORY = "textmine topics"
SUGGESTIONS_CATEGORY = "textmine suggested codes"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
N_QUOTES = 3


@lru_cache(maxsize=1)
def schema():
    """The REFI-QDA project schema (``xmlschema.XMLSchema``), loaded once."""
    import xmlschema

    xsd = resources.files("textmine") / "data" / "refi-qda" / "Project-mrt2019.xsd"
    with resources.as_file(xsd) as path:
        return xmlschema.XMLSchema(str(path))


class _Ids:
    """Deterministic GUIDs: UUID 5 of a name, in a namespace made from the result's params."""

    def __init__(self, seed: str) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"textmine:{seed}")

    def __call__(self, *parts: Any) -> str:
        return str(uuid.uuid5(self.namespace, "\x1f".join(map(str, parts))))


def _el(parent: ET.Element, tag: str, **attrs: Any) -> ET.Element:
    return ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}",
                         {k: str(v) for k, v in attrs.items() if v is not None})


def _description(parent: ET.Element, text: str) -> None:
    _el(parent, "Description").text = text


def exported_text(corpus, doc_id: str) -> tuple[str, Any]:
    """The pseudonymised text of a document and a function mapping source spans into it.

    Identifiers are replaced as :meth:`~textmine.Corpus.span_text` replaces them: one cut by
    a span's edge is replaced whole, so a span starting (ending) inside one starts (ends) at
    its pseudonym's start (end).
    """
    source = corpus.sources[doc_id]
    protection = corpus.protection
    n = len(source)
    if protection is None:
        return source, lambda start, end: (start, end)
    full = protection.apply(doc_id, source, 0, n)

    def span(start: int, end: int) -> tuple[int, int]:
        return (len(full) - len(protection.apply(doc_id, source, start, n)),
                len(protection.apply(doc_id, source, 0, end)))

    return full, span


def write_qdpx(corpus, path: str | Path, *, topics_key: str = "topics",
               suggestions: pd.DataFrame | None = None, name: str | None = None) -> Path:
    """Export a corpus's topics (and suggested codes) as a REFI-QDA ``.qdpx`` project.

    Parameters
    ----------
    corpus
        A corpus with its source texts in memory and a topics result.
    path
        The ``.qdpx`` to write (replaced whole, never left half-written).
    topics_key
        Key of the topics result in ``corpus.results``.
    suggestions
        Machine-suggested codes: ``segment_id, code, confidence`` (``align``'s
        ``suggested_codes`` table); ``None`` for topics only.
    name
        The project's name (default ``"textmine topics"``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    CorpusError
        No topics result, no source texts in memory, or a suggestion naming an unknown
        segment.
    """
    path = Path(path)
    if topics_key not in corpus.results:
        raise CorpusError(f"no result {topics_key!r} to export", key=topics_key,
                          hint="run textmine.tl.topics first")
    missing = [d for d in corpus.documents["doc_id"] if d not in corpus.sources]
    if missing:
        raise CorpusError(
            f"the source texts of {len(missing)} document(s) are not in memory (e.g. "
            f"{missing[0]!r}), so their text cannot be exported",
            hint="export from the corpus that was read from the transcripts (the run itself)")
    result = corpus.results[topics_key]
    seed = hashlib.sha256(json.dumps(result.params, sort_keys=True, default=str)
                          .encode()).hexdigest()[:16]
    xml = _project_xml(corpus, result, suggestions, _Ids(seed), name or TOPICS_CATEGORY)
    root, texts = xml
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    errors = list(schema().iter_errors(data.decode("utf-8")))
    if errors:
        raise CorpusError(f"the .qdpx built does not validate against the REFI-QDA schema "
                          f"({errors[0].reason}); nothing was written",
                          hint="this is a textmine bug: please report it")
    _write_zip(path, data, texts)
    return path


def _project_xml(corpus, result, suggestions: pd.DataFrame | None, ids: _Ids,
                 name: str) -> tuple[ET.Element, dict[str, str]]:
    ET.register_namespace("", NAMESPACE)
    params = result.params
    model_user = (f"textmine topics ({params.get('embedding', 'embeddings')}, "
                  f"seed {params.get('seed', '?')})")
    root = ET.Element(f"{{{NAMESPACE}}}Project", {"name": name, "origin": "textmine"})
    users = _el(root, "Users")
    topic_user = ids("user", "topics")
    _el(users, "User", guid=topic_user, name=model_user)
    suggest_user = ids("user", "suggestions")
    if suggestions is not None and len(suggestions):
        _el(users, "User", guid=suggest_user, name="textmine suggested codes")

    info = result.tables["topic_info"]
    info = info[info["topic"] >= 0]
    quotes = result.tables.get("quotes", pd.DataFrame(columns=["topic", "rank", "text"]))
    codes = _el(_el(root, "CodeBook"), "Codes")
    category = _el(codes, "Code", guid=ids("category", "topics"), name=TOPICS_CATEGORY,
                   isCodable="false")
    _description(category, "Topics found by textmine (BERTopic on sentence embeddings), one "
                 f"code per topic; coded by the user {model_user!r}. Outliers (topic -1) "
                 "are not coded.")
    topic_code: dict[int, str] = {}
    for row in info.itertuples(index=False):
        topic = int(row.topic)
        topic_code[topic] = ids("topic", topic)
        code = _el(category, "Code", guid=topic_code[topic], name=f"Topic {topic}: {row.label}",
                   isCodable="true")
        examples = quotes[quotes["topic"] == topic].sort_values("rank")["text"].head(N_QUOTES)
        _description(code, "\n".join([
            f"Topic {topic} ({int(row.size)} segments). Label: {row.label}.",
            f"Top terms: {row.terms}.",
            *(["Representative quotes (pseudonymised):"]
              + [f"- {normalize_ws(str(q))}" for q in examples] if len(examples) else []),
        ]))
    suggested: dict[str, str] = {}
    if suggestions is not None and len(suggestions):
        missing = {"segment_id", "code", "confidence"} - set(suggestions.columns)
        if missing:
            raise CorpusError(f"suggestions lack column(s) {sorted(missing)}",
                              hint="pass align's suggested_codes table")
        cat = _el(codes, "Code", guid=ids("category", "suggestions"),
                  name=SUGGESTIONS_CATEGORY, isCodable="false")
        _description(cat, "Codes suggested by textmine's classifier trained on the human "
                     "coding, for segments the coders did not code; kept apart from the human "
                     "codes. Each selection's description gives the classifier's confidence.")
        for code in sorted(suggestions["code"].astype(str).unique()):
            suggested[code] = ids("suggested", code)
            _el(cat, "Code", guid=suggested[code], name=code, isCodable="true")

    meta_cols = [c for c in corpus.metadata_columns]
    variables = {c: ids("variable", c) for c in meta_cols}
    if variables:
        box = _el(root, "Variables")
        for column, key in variables.items():
            _el(box, "Variable", guid=key, name=str(column), typeOfVariable="Text")

    segments = corpus.segments
    per = result.per_segment.set_index("segment_id")["topic"]
    seg_topic = segments["segment_id"].map(per)
    by_doc_suggestions: dict[str, list] = {}
    if suggested:
        lookup = segments.set_index("segment_id")["doc_id"]
        unknown = sorted(set(suggestions["segment_id"]) - set(lookup.index))
        if unknown:
            raise CorpusError(f"suggestions name {len(unknown)} segment(s) the corpus does "
                              f"not have (e.g. {unknown[0]!r})",
                              hint="pass suggestions made for this corpus")
        for row in suggestions.itertuples(index=False):
            by_doc_suggestions.setdefault(lookup[row.segment_id], []).append(row)

    box = _el(root, "Sources")
    texts: dict[str, str] = {}
    docs = corpus.documents.set_index("doc_id")
    for doc_id in corpus.documents["doc_id"]:
        text, span = exported_text(corpus, doc_id)
        guid = ids("source", doc_id)
        member = f"{guid}.txt"
        texts[member] = text
        source = _el(box, "TextSource", guid=guid, name=f"{doc_id}.txt",
                     plainTextPath=f"internal://{member}", creatingUser=topic_user)
        mask = (segments["doc_id"] == doc_id).to_numpy()
        seg_rows = segments.loc[mask]
        where = {}
        for sid, start, end, seg_text, topic in zip(
                seg_rows["segment_id"], seg_rows["start_char"], seg_rows["end_char"],
                seg_rows["text"], seg_topic[mask], strict=True):
            s, e = span(int(start), int(end))
            if normalize_ws(text[s:e]) != seg_text:
                raise CorpusError(f"segment {sid!r}: its exported span {s}-{e} does not hold "
                                  "its text; nothing was written",
                                  hint="this is a textmine bug: please report it")
            where[sid] = (s, e)
            if pd.isna(topic) or int(topic) not in topic_code:
                continue
            selection = _el(source, "PlainTextSelection", guid=ids("selection", sid, "topic"),
                            startPosition=s, endPosition=e, creatingUser=topic_user)
            coding = _el(selection, "Coding", guid=ids("coding", sid, "topic"),
                         creatingUser=topic_user)
            _el(coding, "CodeRef", targetGUID=topic_code[int(topic)])
        for row in by_doc_suggestions.get(doc_id, []):
            s, e = where[row.segment_id]
            selection = _el(source, "PlainTextSelection",
                            guid=ids("selection", row.segment_id, "suggested", row.code),
                            startPosition=s, endPosition=e, creatingUser=suggest_user)
            _description(selection, f"suggested code {row.code}, confidence "
                         f"{float(row.confidence):.3f}")
            coding = _el(selection, "Coding",
                         guid=ids("coding", row.segment_id, "suggested", row.code),
                         creatingUser=suggest_user)
            _el(coding, "CodeRef", targetGUID=suggested[str(row.code)])
        for column, key in variables.items():
            value = docs.at[doc_id, column]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            holder = _el(source, "VariableValue")
            _el(holder, "VariableRef", targetGUID=key)
            _el(holder, "TextValue").text = str(value)
    n_outliers = int((seg_topic < 0).sum())
    _description(root, f"Exported by textmine: {len(topic_code)} topics over "
                 f"{len(segments)} segments of {len(texts)} documents ({n_outliers} outlier "
                 "segments left uncoded); the texts are pseudonymised.")
    return root, texts


def _write_zip(path: Path, project: bytes, texts: dict[str, str]) -> None:
    """The .qdpx, written to a temporary sibling and moved into place (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, data in [("project.qde", project),
                                 *((f"sources/{m}", t.encode("utf-8"))
                                   for m, t in sorted(texts.items()))]:
                info = zipfile.ZipInfo(member, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
