"""QualCoder projects: a ``<name>.qda`` folder holding the SQLite database ``data.qda``.

The tables read (QualCoder's own schema, database version v17; older projects lack only
``code_name.supercid``):

* ``source`` (``id, name, fulltext, mediapath``): text sources are those with a ``fulltext``
  and no media file (``mediapath`` empty, or a linked document ``docs:...`` / ``/docs/...``);
* ``code_cat`` (``catid, name, memo, supercatid``): categories, nested through
  ``supercatid``;
* ``code_name`` (``cid, name, memo, catid, supercid``): codes, under a category or (v16+)
  under another code; ``memo`` is the description;
* ``code_text`` (``ctid, cid, fid, seltext, pos0, pos1, owner``): coded spans, ``pos0``/``pos1``
  in characters of ``source.fulltext``, coded by ``owner``; ``seltext`` (the coded text as
  QualCoder saw it) travels with the span, so a span whose offsets no longer hold its text is
  placed by that text instead;
* ``cases``, ``case_text`` (which sources belong to which case), ``attribute`` with
  ``attr_type`` ``file`` or ``case``: document metadata (column ``case`` and one column per
  attribute).

The database is opened read-only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from textmine.errors import QDAError
from textmine.io.decode import read_bytes
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

DATABASE = "data.qda"
REQUIRED = ("source", "code_name", "code_text")
HINT = "open the project in QualCoder once (it updates old projects), or pick its .qda folder"


def database_of(path: str | Path) -> Path:
    """The ``data.qda`` file of a QualCoder project folder (or the file itself)."""
    path = Path(path)
    if path.is_dir():
        return path / DATABASE
    return path


def connect(database: Path, *, error: type[Exception] = QDAError) -> sqlite3.Connection:
    """Open an SQLite file read-only; an error naming it if it is not a database."""
    if not database.is_file():
        raise error("no such file", path=database,
                    hint="name the project file (or a QualCoder project's .qda folder)")
    # read once through read_bytes so that the run's manifest records the project's hash
    read_bytes(database, error=error)
    uri = f"file:{quote(str(database.resolve()))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise error(f"not an SQLite database ({exc})", path=database,
                    hint="name the project file itself") from None
    return connection


def tables(connection: sqlite3.Connection) -> dict[str, set[str]]:
    """``{table: {columns}}`` of a database."""
    names = [r[0] for r in connection.execute(
        "select name from sqlite_master where type in ('table', 'view')")]
    return {name: {row[1] for row in connection.execute(f'pragma table_info("{name}")')}
            for name in names}


def is_qualcoder(path: str | Path) -> bool:
    """Whether ``path`` is a QualCoder project (folder or its ``data.qda``)."""
    database = database_of(path)
    if not database.is_file():
        return False
    try:
        with open(database, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return False
        connection = connect(database)
    except (OSError, QDAError):
        return False
    try:
        return set(REQUIRED) <= set(tables(connection))
    finally:
        connection.close()


def read_qualcoder(path: str | Path) -> QDAProject:
    """Read a QualCoder project: its text sources, codes with their categories, cases.

    Parameters
    ----------
    path
        The project folder (``study.qda``) or its ``data.qda`` file.

    Returns
    -------
    QDAProject
    """
    database = database_of(path)
    connection = connect(database)
    try:
        return _read(connection, database)
    except sqlite3.DatabaseError as exc:
        raise QDAError(f"the QualCoder database cannot be read ({exc})", path=database,
                       hint=HINT) from None
    finally:
        connection.close()


def _chain(key: int, parents: dict[int, int | None], what: str, database: Path) -> list[int]:
    """``key`` and its ancestors, top first; a loop is an error naming it."""
    chain = [key]
    while parents.get(chain[-1]) is not None:
        parent = parents[chain[-1]]
        if parent in chain:
            raise QDAError(f"{what} {key} is its own ancestor (a loop in the hierarchy)",
                           path=database, hint="fix the hierarchy in QualCoder")
        chain.append(parent)
    return chain[::-1]


def _read(connection: sqlite3.Connection, database: Path) -> QDAProject:
    schema = tables(connection)
    missing = [t for t in REQUIRED if t not in schema]
    if missing:
        raise QDAError(f"not a QualCoder project: no table {', '.join(missing)}",
                       path=database, hint=HINT)
    sources: list[ProjectSource] = []
    by_id: dict[int, ProjectSource] = {}
    left_out = 0
    for fid, name, fulltext, mediapath in connection.execute(
            "select id, name, fulltext, mediapath from source order by id"):
        media = (mediapath or "").strip()
        if fulltext is None or (media and not media.startswith(("docs:", "/docs/"))):
            left_out += 1
            continue
        name = (name or "").strip() or f"source {fid}"
        src = ProjectSource(f"source id {fid}", name, doc_id_of(name), fulltext)
        sources.append(src)
        by_id[fid] = src
    unique_doc_ids(sources, database)
    _metadata(connection, schema, by_id)

    cats = {cid: (name, memo, parent) for cid, name, memo, parent in connection.execute(
        "select catid, name, memo, supercatid from code_cat")} if "code_cat" in schema else {}
    sub = "supercid" if "supercid" in schema["code_name"] else "null"
    codes = {cid: (name, memo, catid, parent) for cid, name, memo, catid, parent in
             connection.execute(f"select cid, name, memo, catid, {sub} from code_name")}
    cat_parents = {k: v[2] for k, v in cats.items()}
    code_parents = {k: v[3] for k, v in codes.items()}
    levels: dict[int, list[str]] = {}
    for cid in codes:
        chain = _chain(cid, code_parents, "code", database)
        catid = codes[chain[0]][2]
        cat_chain = _chain(catid, cat_parents, "category", database) if catid in cats else []
        levels[cid] = ([str(cats[c][0]).strip() for c in cat_chain]
                       + [str(codes[c][0]).strip() for c in chain])
    names = code_names(levels)
    descriptions = {names[cid][0]: str(memo).strip() for cid, (_, memo, _, _) in codes.items()
                    if memo and str(memo).strip()}

    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    owners: set[str] = set()
    for ctid, cid, fid, seltext, pos0, pos1, owner in connection.execute(
            "select ctid, cid, fid, seltext, pos0, pos1, owner from code_text order by ctid"):
        where = f"code_text ctid {ctid}"
        src = by_id.get(fid)
        if src is None:
            # a coding of a media source, or of a source since deleted
            problems.append({"doc_id": f"? source id {fid}", "code": _label(names, cid),
                             "where": where, "reason": f"refers to source id {fid}, which is "
                             "not a text source of the project"})
            continue
        if cid not in names:
            problems.append({"doc_id": src.doc_id, "code": f"? cid {cid}", "where": where,
                             "reason": f"refers to code id {cid}, which code_name does not "
                             "have"})
            continue
        code, code_path = names[cid]
        try:
            start, end = int(pos0), int(pos1)
        except (TypeError, ValueError):
            problems.append({"doc_id": src.doc_id, "code": code, "where": where,
                             "reason": "pos0/pos1 are not whole numbers"})
            continue
        problem = check_span(start, end, len(src.text))
        if problem:
            problems.append({"doc_id": src.doc_id, "code": code, "where": where,
                             "reason": f"span {problem}"})
            continue
        if owner:
            owners.add(str(owner))
        rows.append({"doc_id": src.doc_id, "start_char": start, "end_char": end, "code": code,
                     "code_path": code_path, "coder": None if owner is None else str(owner),
                     "where": where, "quote": seltext})
    version = None
    if "project" in schema and "databaseversion" in schema["project"]:
        found = connection.execute("select databaseversion from project").fetchone()
        version = found[0] if found else None
    info = {"tool": "QualCoder", "database_version": version, "users": sorted(owners),
            "n_sources": len(sources), "left_out_sources": {"media": left_out} if left_out
            else {}, "n_codes": len(codes), "n_categories": len(cats)}
    return QDAProject(database, "qualcoder", sources, frame(rows, PROJECT_CODE_COLUMNS),
                      frame(problems, PROBLEM_COLUMNS), descriptions, info)


def _label(names: dict[int, tuple[str, str]], cid: int) -> str:
    return names[cid][0] if cid in names else f"? cid {cid}"


def _metadata(connection: sqlite3.Connection, schema: dict[str, set[str]],
              by_id: dict[int, ProjectSource]) -> None:
    """Cases and attributes onto the sources' metadata (file attributes win over case ones)."""
    case_names: dict[int, str] = {}
    members: dict[int, list[int]] = {}
    if "cases" in schema:
        case_names = {k: str(v) for k, v in connection.execute(
            "select caseid, name from cases")}
    if "case_text" in schema:
        for caseid, fid in connection.execute(
                "select distinct caseid, fid from case_text order by caseid, fid"):
            members.setdefault(fid, []).append(caseid)
    case_values: dict[int, dict[str, str]] = {}
    file_values: dict[int, dict[str, str]] = {}
    if "attribute" in schema:
        for name, kind, value, owner_id in connection.execute(
                "select name, attr_type, value, id from attribute order by attrid"):
            if value is None or str(value).strip() == "":
                continue
            target = case_values if kind == "case" else file_values if kind == "file" else None
            if target is not None:
                target.setdefault(owner_id, {})[str(name)] = str(value).strip()
    for fid, src in by_id.items():
        cases = [c for c in members.get(fid, []) if c in case_names]
        if cases:
            src.metadata["case"] = "; ".join(case_names[c] for c in cases)
        for caseid in cases:
            for key, value in case_values.get(caseid, {}).items():
                old = src.metadata.get(key)
                src.metadata[key] = value if old is None or old == value else f"{old}; {value}"
        src.metadata.update(file_values.get(fid, {}))
