"""Build QDA projects from the focus-group coding, as the tools themselves would write them.

The focus-group data may not be committed, so its projects are built by the tests:

* :func:`build_qdpx`: a REFI-QDA project written the way MAXQDA and NVivo write one (written
  here with ElementTree, independently of textmine's own writer): ``sources/<GUID>.txt``
  members (one source inline instead), a nested codebook with descriptions (a parent code
  that is itself coded, upper-case GUIDs in braces for some), one user per coder, cases with
  variables, a set of sources;
* :func:`build_qualcoder`: a QualCoder project folder ``<name>.qda/data.qda`` created with
  QualCoder's own ``CREATE TABLE`` statements (database version v17, copied from
  ``src/qualcoder/__main__.py`` of github.com/ccbogel/QualCoder), categories in ``code_cat``,
  codes under codes through ``supercid``, cases and attributes.
"""

from __future__ import annotations

import sqlite3
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd

NS = "urn:QDA-XML:project:1.0"
JOIN = " > "
GROUP_VARIABLE = "university"


def gid(*parts, upper: bool = False, braces: bool = False) -> str:
    value = str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(map(str, parts))))
    value = value.upper() if upper else value
    return "{" + value + "}" if braces else value


def _el(parent, tag, **attrs):
    return ET.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attrs.items()})


def group_of(doc_id: str) -> str:
    return "R1" if doc_id.startswith("R1") else "non-R1"


def build_qdpx(path: Path, sources: dict[str, str], codes: pd.DataFrame,
               descriptions: dict[str, str], *, inline: str | None = None,
               extra_xml: str = "", members: dict[str, bytes] | None = None,
               source_names: dict[str, str] | None = None) -> Path:
    """A .qdpx of ``sources`` coded with ``codes`` (doc_id, start_char, end_char, code_path,
    coder), as a QDA tool exports one."""
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}Project", {"name": "Open science focus groups",
                                           "origin": "MAXQDA 2022 (built by the tests)"})
    users = _el(root, "Users")
    coders = sorted(codes["coder"].dropna().unique())
    for coder in coders:
        _el(users, "User", guid=gid("user", coder), name=coder)
    # the codebook: every prefix of every code_path is a node
    tree: dict[str, dict] = {}
    for code_path in sorted(set(codes["code_path"])):
        node = tree
        for level in code_path.split(JOIN):
            node = node.setdefault(level, {})
    coded = set(codes["code_path"])
    guids: dict[str, str] = {}

    def add(parent, children: dict, above: list[str]) -> None:
        for name, below in children.items():
            full = JOIN.join([*above, name])
            key = gid("code", full, upper=True, braces=len(guids) % 3 == 0)
            guids[full] = key
            element = _el(parent, "Code", guid=key, name=name,
                          isCodable="true" if full in coded else "false")
            if name in descriptions:
                ET.SubElement(element, f"{{{NS}}}Description").text = descriptions[name]
            add(element, below, [*above, name])

    add(_el(_el(root, "CodeBook"), "Codes"), tree, [])
    variables = _el(root, "Variables")
    _el(variables, "Variable", guid=gid("var", GROUP_VARIABLE), name=GROUP_VARIABLE,
        typeOfVariable="Text")
    _el(variables, "Variable", guid=gid("var", "session"), name="session",
        typeOfVariable="Integer")
    cases = _el(root, "Cases")
    for group in ("R1", "non-R1"):
        case = _el(cases, "Case", guid=gid("case", group), name=f"{group} universities")
        value = _el(case, "VariableValue")
        _el(value, "VariableRef", targetGUID=gid("var", GROUP_VARIABLE))
        ET.SubElement(value, f"{{{NS}}}TextValue").text = group
        for doc_id in sources:
            if group_of(doc_id) == group:
                _el(case, "SourceRef", targetGUID=gid("source", doc_id))
    box = _el(root, "Sources")
    files: dict[str, bytes] = dict(members or {})
    for doc_id, text in sources.items():
        key = gid("source", doc_id)
        name = (source_names or {}).get(doc_id, f"{doc_id}.txt")
        attrs = {"guid": key, "name": name}
        if doc_id != inline:
            attrs["plainTextPath"] = f"internal://{key}.txt"
            files.setdefault(f"sources/{key}.txt", text.encode("utf-8"))
        source = _el(box, "TextSource", **attrs)
        if doc_id == inline:
            ET.SubElement(source, f"{{{NS}}}PlainTextContent").text = text
        doc_codes = codes[codes["doc_id"] == doc_id]
        for (start, end), spans in doc_codes.groupby(["start_char", "end_char"], sort=True):
            first = spans.iloc[0]
            selection = _el(source, "PlainTextSelection", guid=gid("sel", doc_id, start, end),
                            startPosition=start, endPosition=end,
                            creatingUser=gid("user", first["coder"]))
            for row in spans.itertuples():
                coding = _el(selection, "Coding", guid=gid("coding", doc_id, start, end,
                                                           row.code_path, row.coder),
                             creatingUser=gid("user", row.coder))
                _el(coding, "CodeRef", targetGUID=guids[row.code_path])
        value = _el(source, "VariableValue")
        _el(value, "VariableRef", targetGUID=gid("var", "session"))
        ET.SubElement(value, f"{{{NS}}}IntegerValue").text = doc_id.rsplit("_", 1)[-1]
    sets = _el(root, "Sets")
    first_wave = _el(sets, "Set", guid=gid("set", "first"), name="First sessions")
    for doc_id in sources:
        if doc_id.endswith("_1"):
            _el(first_wave, "MemberSource", targetGUID=gid("source", doc_id))
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    if extra_xml:
        data = data.replace(b"<Sets>", extra_xml.encode("utf-8") + b"<Sets>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", data)
        for member, blob in files.items():
            archive.writestr(member, blob)
    return path


# QualCoder's schema, database version v17 (src/qualcoder/__main__.py, new_project)
QUALCODER_SCHEMA = [
    "CREATE TABLE project (databaseversion text, date text, memo text,about text, "
    "bookmarkfile integer, bookmarkpos integer, codername text, recently_used_codes text, "
    "avbookmarkfile integer, avbookmarkmsec integer, avbookmarktextpos integer)",
    "CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text, "
    "memo text, owner text, date text, av_text_id integer, risid integer, unique(name))",
    "CREATE TABLE code_image (imid integer primary key,id integer,x1 integer, y1 integer, "
    "width integer, height integer, cid integer, memo text, date text, owner text, "
    "important integer, pdf_page integer)",
    "CREATE TABLE code_av (avid integer primary key,id integer,pos0 integer, pos1 integer, "
    "cid integer, memo text, date text, owner text, important integer)",
    "CREATE TABLE annotation (anid integer primary key, fid integer,pos0 integer, "
    "pos1 integer, memo text, owner text, date text, unique(fid,pos0,pos1,owner))",
    "CREATE TABLE attribute_type (name text primary key, date text, owner text, memo text, "
    "caseOrFile text, valuetype text)",
    "CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, "
    "value text, id integer, date text, owner text, unique(name,attr_type,id))",
    "CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, "
    "pos0 integer, pos1 integer, owner text, date text, memo text)",
    "CREATE TABLE cases (caseid integer primary key, name text, memo text, owner text,"
    "date text, constraint ucm unique(name))",
    "CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, "
    "memo text, supercatid integer, unique(name))",
    "CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer,seltext text, "
    "pos0 integer, pos1 integer, owner text, date text, memo text, avid integer, "
    "important integer, unique(cid,fid,pos0,pos1, owner))",
    "CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer, "
    "owner text,date text, color text, supercid integer, unique(name))",
    "CREATE TABLE journal (jid integer primary key, name text, jentry text, date text, "
    "owner text, unique(name))",
]
DATE = "2023-06-19 13:25:00"


def build_qualcoder(folder: Path, sources: dict[str, str], codes: pd.DataFrame,
                    descriptions: dict[str, str], *, media: bool = True) -> Path:
    """A QualCoder project folder (``folder`` ends in ``.qda``) holding ``data.qda``."""
    folder.mkdir(parents=True)
    for sub in ("images", "audio", "video", "documents"):
        (folder / sub).mkdir()
    connection = sqlite3.connect(folder / "data.qda")
    cur = connection.cursor()
    for statement in QUALCODER_SCHEMA:
        cur.execute(statement)
    cur.execute("INSERT INTO project VALUES(?,?,?,?,?,?,?,?,null,null,null)",
                ("v17", DATE, "", "QualCoder 3.6", 0, 0, "tests", ""))
    fids = {}
    for n, (doc_id, text) in enumerate(sources.items(), start=1):
        cur.execute("insert into source (id, name, fulltext, mediapath, memo, owner, date) "
                    "values (?,?,?,?,?,?,?)", (n, f"{doc_id}.txt", text, None, "", "tests",
                                               DATE))
        fids[doc_id] = n
    if media:  # an audio file: not a text source
        cur.execute("insert into source (id, name, fulltext, mediapath, memo, owner, date) "
                    "values (?,?,?,?,?,?,?)", (99, "R1_1.m4a", None, "/audio/R1_1.m4a", "",
                                               "tests", DATE))
    coded = set(codes["code_path"])
    nodes = sorted({JOIN.join(p.split(JOIN)[:i]) for p in coded
                    for i in range(1, len(p.split(JOIN)) + 1)}, key=lambda p: (p.count(JOIN), p))
    cats: dict[str, int] = {}
    cids: dict[str, int] = {}
    for node in nodes:
        parent = JOIN.join(node.split(JOIN)[:-1]) or None
        name = node.split(JOIN)[-1]
        # QualCoder names are unique: a repeated name gets its parent's as prefix
        unique = name if name not in {n.split(JOIN)[-1] for n in cats} | {
            n.split(JOIN)[-1] for n in cids} else node
        if node in coded:
            cid = len(cids) + 1
            cids[node] = cid
            cur.execute("insert into code_name (cid, name, memo, catid, owner, date, color, "
                        "supercid) values (?,?,?,?,?,?,?,?)",
                        (cid, unique, descriptions.get(name, ""),
                         cats.get(parent) if parent not in cids else None, "tests", DATE,
                         "#F781F3", cids.get(parent)))
        else:
            catid = len(cats) + 1
            cats[node] = catid
            cur.execute("insert into code_cat (catid, name, owner, date, memo, supercatid) "
                        "values (?,?,?,?,?,?)", (catid, unique, "tests", DATE, "",
                                                 cats.get(parent)))
    for row in codes.itertuples():
        text = sources[row.doc_id]
        cur.execute("insert or ignore into code_text (cid, fid, seltext, pos0, pos1, owner, "
                    "date, memo, important) values (?,?,?,?,?,?,?,?,?)",
                    (cids[row.code_path], fids[row.doc_id],
                     text[row.start_char:row.end_char], row.start_char, row.end_char,
                     row.coder, DATE, "", None))
    cur.execute("insert into attribute_type values (?,?,?,?,?,?)",
                (GROUP_VARIABLE, DATE, "tests", "", "case", "character"))
    cur.execute("insert into attribute_type values (?,?,?,?,?,?)",
                ("session", DATE, "tests", "", "file", "numeric"))
    for n, group in enumerate(("R1", "non-R1"), start=1):
        cur.execute("insert into cases (caseid, name, memo, owner, date) values (?,?,?,?,?)",
                    (n, f"{group} universities", "", "tests", DATE))
        cur.execute("insert into attribute (name, attr_type, value, id, date, owner) "
                    "values (?,?,?,?,?,?)", (GROUP_VARIABLE, "case", group, n, DATE, "tests"))
        for doc_id, fid in fids.items():
            if group_of(doc_id) == group:
                cur.execute("insert into case_text (caseid, fid, pos0, pos1, owner, date, "
                            "memo) values (?,?,?,?,?,?,?)",
                            (n, fid, 0, len(sources[doc_id]), "tests", DATE, ""))
    for doc_id, fid in fids.items():
        cur.execute("insert into attribute (name, attr_type, value, id, date, owner) "
                    "values (?,?,?,?,?,?)", ("session", "file", doc_id.rsplit("_", 1)[-1],
                                             fid, DATE, "tests"))
    connection.commit()
    connection.close()
    return folder
