"""REFI-QDA projects (``.qdpx``): the exchange format of NVivo, ATLAS.ti, MAXQDA and QualCoder.

A ``.qdpx`` is a zip holding ``project.qde`` (QDA-XML, namespace ``urn:QDA-XML:project:1.0``,
schema ``textmine/data/refi-qda/Project-mrt2019.xsd``) and a ``sources/`` folder. What is read,
following the standard rather than one tool's habits:

* **text sources**: ``TextSource`` elements (and the text ``Representation`` of a
  ``PDFSource``), their text inline (``PlainTextContent``) or in the archive
  (``plainTextPath="internal://<file>"``, looked up in ``sources/`` or ``Sources/``); picture,
  audio and video sources are counted and left out;
* **the codebook**: ``CodeBook/Codes/Code``, nested to any depth (a ``Code`` inside a ``Code``
  is its child; ``isCodable="false"`` marks a category); ``code_path`` is the chain of names,
  top first; a code's ``Description`` is kept;
* **codings**: every ``Coding`` of a ``PlainTextSelection`` (start and end positions, in
  characters of the source's plain text), coded by its ``creatingUser`` (or the selection's),
  named from ``Users``;
* **cases and variables**: a source's own ``VariableValue`` elements, the cases whose
  ``SourceRef`` names it (column ``case``) and their variables, and the ``Sets`` it is a member
  of (column ``sets``), all as document metadata (text).

The XML is parsed with ``defusedxml``: a DTD or an entity declaration is an error, never
expanded. Archive members are checked by :func:`~textmine.io.qda.archive.check_zip` first.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from textmine.errors import QDAError, describe_value
from textmine.io.decode import decode, read_bytes
from textmine.io.qda.archive import check_zip, read_member
from textmine.io.qda.model import (
    PROBLEM_COLUMNS,
    PROJECT_CODE_COLUMNS,
    ProjectSource,
    QDAProject,
    check_span,
    code_names,
    doc_id_of,
    frame,
    unique_doc_ids,
)

NAMESPACE = "urn:QDA-XML:project:1.0"
EXPORT_HINT = "export the project again from the QDA tool (File > Export > REFI-QDA project)"
VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue",
              "DateTimeValue")


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    if element is None:
        return []
    return [child for child in element if _local(child) == name]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: ET.Element | None, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None or child.text is None else child.text


def _ref(element: ET.Element, name: str) -> str | None:
    """The target GUID of ``element``'s ``name`` child (``CodeRef``, ``VariableRef``)."""
    child = _child(element, name)
    return None if child is None else guid(child.get("targetGUID"))


def guid(value: str | None) -> str | None:
    """A GUID as compared: braces dropped, lower case (the schema allows both forms)."""
    if value is None:
        return None
    return value.strip().strip("{}").lower() or None


def parse_xml(data: bytes, path: Path, member: str) -> ET.Element:
    """The root of ``member``'s XML, refusing DTDs and entities (never expanded)."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise QDAError(f"{member} declares a DTD or XML entities ({type(exc).__name__}), "
                       "which textmine refuses to expand", path=path,
                       hint=f"a REFI-QDA project needs neither; {EXPORT_HINT}") from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise QDAError(f"{member}, line {line}, column {column}: not well-formed XML",
                       path=path, hint=EXPORT_HINT) from None


class _Archive:
    """The members of a .qdpx (or the folder beside a bare project.qde)."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.suffix.lower() == ".qde":
            self.folder: Path | None = path.parent
            self.qde_name, self.qde = path.name, data
            return
        self.folder = None
        check_zip(data, path, kind=".qdpx", error=QDAError,
                  hint="open it in the tool that made it and export the .qdpx again; if it "
                  "really is this large, export the text sources alone")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise QDAError("not a .qdpx file: it is not a zip archive", path=path,
                           hint=EXPORT_HINT) from None
        names = [n for n in self.zip.namelist() if not n.endswith("/")]
        self.members = {n.replace("\\", "/").lower(): n for n in names}
        qde = self.members.get("project.qde")
        if qde is None:
            at_root = [n for n in names if "/" not in n.strip("/") and n.lower().endswith(".qde")]
            if len(at_root) != 1:
                raise QDAError("not a REFI-QDA project: the archive has no project.qde",
                               path=path, hint=EXPORT_HINT)
            qde = at_root[0]
        self.qde_name = qde
        self.qde = read_member(self.zip, qde, path, error=QDAError)

    def source(self, location: str, owner: str) -> tuple[str, bytes]:
        """The member (name, bytes) an ``internal://`` path names."""
        wanted = location.replace("\\", "/").lstrip("/")
        if self.zip is None:
            assert self.folder is not None
            for folder in ("sources", "Sources"):
                candidate = self.folder / folder / wanted
                if candidate.is_file() and ".." not in Path(wanted).parts:
                    return f"{folder}/{wanted}", read_bytes(candidate, error=QDAError)
            raise QDAError(f"{owner} points to internal://{wanted}, but there is no "
                           f"sources/{wanted} beside the project", path=self.path,
                           hint=EXPORT_HINT)
        for key in (f"sources/{wanted}".lower(), wanted.lower()):
            if key in self.members:
                name = self.members[key]
                return name, read_member(self.zip, name, self.path, error=QDAError)
        raise QDAError(f"{owner} points to internal://{wanted}, but the archive has no member "
                       f"sources/{wanted}", path=self.path,
                       hint=f"{EXPORT_HINT}, with its sources included")


def read_qdpx(path: str | Path) -> QDAProject:
    """Read a REFI-QDA project (``.qdpx``, or a bare ``project.qde`` beside its sources).

    Parameters
    ----------
    path
        The ``.qdpx`` file.

    Returns
    -------
    QDAProject
        Text sources, coded spans in the sources' own offsets, codebook, cases as metadata.

    Raises
    ------
    QDAError
        One line naming the file and the member, element or GUID at fault: not a zip, unsafe
        or oversized members, XML with a DTD or entities, a source whose text is missing, two
        codes or sources with one GUID.
    """
    path = Path(path)
    archive = _Archive(path, read_bytes(path, error=QDAError))
    root = parse_xml(archive.qde, path, archive.qde_name)
    if _local(root) != "Project":
        raise QDAError(f"{archive.qde_name}: the root element is <{_local(root)}>, not "
                       "<Project>", path=path, hint=EXPORT_HINT)
    return _Reader(path, archive, root).project()


class _Reader:
    def __init__(self, path: Path, archive: _Archive, root: ET.Element) -> None:
        self.path, self.archive, self.root = path, archive, root
        self.users = {guid(u.get("guid")): (u.get("name") or u.get("id") or guid(u.get("guid")))
                      for u in _children(_child(root, "Users"), "User")}
        self.unknown_users: set[str] = set()
        self.levels: dict[str, list[str]] = {}
        self.descriptions: dict[str, str] = {}
        book = _child(root, "CodeBook")
        self._codes(_child(book, "Codes"), [])
        self.names = code_names(self.levels)
        self.variables = {guid(v.get("guid")): v.get("name") or guid(v.get("guid"))
                          for v in _children(_child(root, "Variables"), "Variable")}

    # ------------------------------------------------------------------ codebook
    def _codes(self, parent: ET.Element | None, above: list[str]) -> None:
        for code in _children(parent, "Code"):
            key, name = guid(code.get("guid")), (code.get("name") or "").strip()
            where = f"Code {describe_value(code.get('guid') or '', limit=40)}"
            if not key or not name:
                raise QDAError(f"{where} under {' > '.join(above) or 'the codebook'} has no "
                               f"{'guid' if not key else 'name'}", path=self.path,
                               hint=EXPORT_HINT)
            if key in self.levels:
                raise QDAError(f"two codes have GUID {key}", path=self.path, hint=EXPORT_HINT)
            self.levels[key] = [*above, name]
            description = _text(code, "Description")
            if description and description.strip():
                self.descriptions[key] = description.strip()
            self._codes(code, self.levels[key])

    # ------------------------------------------------------------------ values
    def _values(self, element: ET.Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for value in _children(element, "VariableValue"):
            ref = _ref(value, "VariableRef")
            name = self.variables.get(ref)
            if name is None:
                continue  # a value of a variable the project does not define: nothing to name
            for tag in VALUE_TAGS:
                text = _text(value, tag)
                if text is not None:
                    out[name] = text.strip()
                    break
        return out

    def _metadata(self) -> dict[str, dict[str, str]]:
        """Per source GUID: case names and case variables, then its sets."""
        meta: dict[str, dict[str, str]] = {}
        for case in _children(_child(self.root, "Cases"), "Case"):
            name = case.get("name") or guid(case.get("guid")) or ""
            values = self._values(case)
            for ref in _children(case, "SourceRef"):
                target = meta.setdefault(guid(ref.get("targetGUID")), {})
                _join(target, "case", name)
                for key, value in values.items():
                    _join(target, key, value)
        for member_set in _children(_child(self.root, "Sets"), "Set"):
            for ref in _children(member_set, "MemberSource"):
                _join(meta.setdefault(guid(ref.get("targetGUID")), {}), "sets",
                      member_set.get("name") or "")
        return meta

    def _user(self, *candidates: str | None) -> str | None:
        for candidate in candidates:
            key = guid(candidate)
            if key is None:
                continue
            if key not in self.users:
                self.unknown_users.add(key)
                return key
            return self.users[key]
        return None

    # ------------------------------------------------------------------ sources
    def _source_text(self, element: ET.Element, owner: str) -> str:
        inline = _child(element, "PlainTextContent")
        location = element.get("plainTextPath")
        if inline is not None and not location:
            return inline.text or ""
        if not location:
            raise QDAError(f"{owner} has neither PlainTextContent nor plainTextPath, so its "
                           "text is missing", path=self.path, hint=EXPORT_HINT)
        scheme, sep, rest = location.partition("://")
        if not sep or scheme.lower() != "internal":
            raise QDAError(f"{owner}'s text is outside the project "
                           f"({describe_value(location, limit=60)}); textmine reads only "
                           "sources inside the .qdpx", path=self.path,
                           hint=f"{EXPORT_HINT}, with its sources included")
        member, data = self.archive.source(rest, owner)
        return decode(data, Path(f"{self.path}:{member}"), encoding="utf-8")

    def project(self) -> QDAProject:
        meta = self._metadata()
        sources: list[ProjectSource] = []
        rows: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        left_out: dict[str, int] = {}
        n_selections = n_uncoded = 0
        container = _child(self.root, "Sources")
        for element in [] if container is None else list(container):
            kind = _local(element)
            text_element = element
            if kind == "PDFSource":
                text_element = _child(element, "Representation")
            if kind not in ("TextSource", "PDFSource") or text_element is None:
                left_out[kind] = left_out.get(kind, 0) + 1
                continue
            key = guid(element.get("guid"))
            owner = f"{kind} {describe_value(element.get('guid') or '?', limit=40)}"
            if key is None:
                raise QDAError(f"a {kind} has no guid", path=self.path, hint=EXPORT_HINT)
            name = (element.get("name") or "").strip() or key
            text = self._source_text(text_element, owner)
            metadata = dict(meta.get(key, {}))
            for var, value in self._values(element).items():
                metadata[var] = value  # the source's own value wins over its case's
            src = ProjectSource(owner, name, doc_id_of(name), text, metadata)
            sources.append(src)
            for coding in _children(element, "Coding"):
                problems.append({"doc_id": src.doc_id, "code": self._code_label(coding),
                                 "where": f"Coding {coding.get('guid')}",
                                 "reason": "codes the whole source, not a selection"})
            for selection in _children(text_element, "PlainTextSelection"):
                n_selections += 1
                codings = _children(selection, "Coding")
                n_uncoded += not codings
                self._selection(src, selection, codings, rows, problems)
        unique_doc_ids(sources, self.path)
        descriptions = {self.names[k][0]: v for k, v in self.descriptions.items()}
        info = {"tool": self.root.get("origin"), "project_name": self.root.get("name"),
                "users": sorted({str(u) for u in self.users.values()}),
                "unknown_users": sorted(self.unknown_users), "n_sources": len(sources),
                "left_out_sources": left_out, "n_selections": n_selections,
                "n_uncoded_selections": n_uncoded, "n_codes": len(self.levels)}
        return QDAProject(self.path, "qdpx", sources, frame(rows, PROJECT_CODE_COLUMNS),
                          frame(problems, PROBLEM_COLUMNS), descriptions, info)

    def _code_label(self, coding: ET.Element) -> str:
        ref = _ref(coding, "CodeRef")
        return self.names[ref][0] if ref in self.names else f"? {ref}"

    def _selection(self, src: ProjectSource, selection: ET.Element, codings: list[ET.Element],
                   rows: list[dict[str, Any]], problems: list[dict[str, Any]]) -> None:
        where = f"PlainTextSelection {selection.get('guid')}"
        try:
            start = int(str(selection.get("startPosition")).strip())
            end = int(str(selection.get("endPosition")).strip())
        except ValueError:
            raise QDAError(f"{where} in {src.key}: startPosition/endPosition are not whole "
                           "numbers", path=self.path, hint=EXPORT_HINT) from None
        problem = check_span(start, end, len(src.text))
        for coding in codings:
            ref = _ref(coding, "CodeRef")
            if ref not in self.names:
                problems.append({"doc_id": src.doc_id, "code": f"? {ref}", "where": where,
                                 "reason": f"refers to code GUID {ref}, which the codebook "
                                 "does not have"})
                continue
            code, code_path = self.names[ref]
            if problem:
                problems.append({"doc_id": src.doc_id, "code": code, "where": where,
                                 "reason": f"selection {problem}"})
                continue
            rows.append({"doc_id": src.doc_id, "start_char": start, "end_char": end,
                         "code": code, "code_path": code_path,
                         "coder": self._user(coding.get("creatingUser"),
                                             selection.get("creatingUser")),
                         "where": where, "quote": None})


def _join(target: dict[str, str], key: str, value: str) -> None:
    """Add ``value`` to a metadata cell; several values (two cases, two sets) join with '; '."""
    if not value:
        return
    old = target.get(key)
    if old is None:
        target[key] = value
    elif value not in old.split("; "):
        target[key] = f"{old}; {value}"
