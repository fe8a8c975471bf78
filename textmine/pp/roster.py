"""The pseudonymisation roster: the people, organisations and places a study must not name.

A roster is a CSV/TSV/XLSX sheet or a YAML file. A sheet has the columns

``name`` (required), ``kind`` (required: ``person``, ``organisation`` or ``place``),
``pseudonym`` (optional: what to write instead), ``aliases`` (optional: other forms, such as
a nickname, an acronym or a former name, separated by ``;`` or ``|``).

Column names are matched ignoring case (``type``, ``replacement``, ``alias``... are read as
their obvious field); without a ``kind`` column every entry is a person (with a warning). A
``.txt`` roster is one person's name per line. A YAML roster is a list of such mappings, a
mapping from name to kind, or a mapping from kind to a list of names (plain strings or
mappings)::

    person:
      - Jane Smith
      - {name: Robert Brown, pseudonym: Participant B, aliases: [Bob]}
    organisation: [Leeds Teaching Hospitals NHS Trust]
    place: [Harrogate]

Entries without a pseudonym get ``PERSON_1``, ``ORG_1``, ``PLACE_1``... numbered per kind in
roster order, so the same roster always gives the same pseudonyms (no seed involved).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from textmine.errors import RosterError, TextmineWarning
from textmine.io.tables import read_table, row_line

KINDS = ("person", "organisation", "place")
PREFIX = {"person": "PERSON", "organisation": "ORG", "place": "PLACE"}
_KIND_ALIASES = {
    "person": "person", "people": "person", "persons": "person", "name": "person",
    "individual": "person", "participant": "person", "staff": "person",
    "organisation": "organisation", "organization": "organisation", "org": "organisation",
    "organisations": "organisation", "organizations": "organisation", "orgs": "organisation",
    "company": "organisation", "institution": "organisation",
    "place": "place", "places": "place", "location": "place", "locations": "place",
    "site": "place", "town": "place", "city": "place", "per": "person",
    "loc": "place", "gpe": "place", "fac": "place", "facility": "place", "hospital": "place",
    "trust": "organisation", "employer": "organisation",
}
_ALIAS_SPLIT = re.compile(r"\s*[;|]\s*")
# column headings accepted for each field (ignoring case; spaces read as underscores)
_COLUMN_NAMES = {
    **dict.fromkeys(["name", "names", "original", "term", "entity", "full_name"], "name"),
    **dict.fromkeys(["kind", "type", "category", "entity_type", "class"], "kind"),
    **dict.fromkeys(["pseudonym", "pseudonyms", "replacement", "replace_with", "pseudo",
                     "code_name"], "pseudonym"),
    **dict.fromkeys(["aliases", "alias", "variants", "other_names", "forms", "also"],
                    "aliases"),
}


@dataclass
class RosterEntry:
    """One person, organisation or place, with the forms it may appear in."""

    name: str
    kind: str
    pseudonym: str
    aliases: list[str] = field(default_factory=list)
    line: int | None = None
    fixed: bool = False  # pseudonym given in the roster (not numbered)


def _kind(value: object, path: Path, line: int | None) -> str:
    kind = _KIND_ALIASES.get(str(value).strip().casefold()) if value is not None else None
    if kind is None:
        raise RosterError(
            f"kind {str(value)[:30]!r} is not person, organisation or place", path=path,
            line=line, key="protect.roster", hint="set the kind column to person, "
            "organisation or place")
    return kind


def _text(value: object, what: str, path: Path, line: int | None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        raise RosterError(f"empty {what}", path=path, line=line, key="protect.roster",
                          hint=f"give every entry a {what}, or delete the row")
    if isinstance(value, bool | dict | list):
        raise RosterError(f"{what} must be text", path=path, line=line, key="protect.roster",
                          hint=f"give every entry a {what} as plain text")
    text = " ".join(str(value).split())
    if not text:
        raise RosterError(f"empty {what}", path=path, line=line, key="protect.roster",
                          hint=f"give every entry a {what}, or delete the row")
    return text


def _aliases(value: object, path: Path, line: int | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else _ALIAS_SPLIT.split(str(value))
    return [_text(item, "alias", path, line) for item in items if str(item).strip()]


def _rows_from_sheet(path: Path, encoding: str) -> list[tuple[int | None, dict]]:
    frame = read_table(path, encoding=encoding, error=RosterError)
    columns: dict[str, str] = {}
    unknown = []
    for column in frame.columns:
        field_name = _COLUMN_NAMES.get(column.strip().casefold().replace(" ", "_"))
        if field_name is None:
            unknown.append(column)
        elif field_name in columns:
            raise RosterError(f"two columns give the {field_name}: {columns[field_name]!r} and "
                              f"{column!r}", path=path, line=1, key="protect.roster",
                              hint="keep one of them")
        else:
            columns[field_name] = column
    if "name" not in columns:
        raise RosterError(
            "no 'name' column; the roster has: " + ", ".join(map(repr, frame.columns)),
            path=path, line=1, key="protect.roster",
            hint="a roster needs the columns name and kind (pseudonym and aliases "
            "are optional)")
    if unknown:
        raise RosterError(
            f"unknown column(s) {unknown}", path=path, line=1, key="protect.roster",
            hint="use name, kind, pseudonym and aliases (several aliases separated by ;)")
    if "kind" not in columns:
        warnings.warn(f"{path.name}: the roster has no 'kind' column: every entry is taken "
                      "to be a person", TextmineWarning, stacklevel=3)
    rows = []
    for position, record in enumerate(frame.to_dict("records")):
        row = {name: record[column] for name, column in columns.items()}
        row.setdefault("kind", "person")
        rows.append((row_line(frame, position), row))
    return rows


def _rows_from_text(path: Path, encoding: str) -> list[tuple[int | None, dict]]:
    """One name per line (people); ``#`` comments and blank lines are skipped."""
    from textmine.io.decode import decode, read_bytes

    text = decode(read_bytes(path, error=RosterError), path, encoding=encoding,
                  error=RosterError)
    return [(number, {"name": line.strip(), "kind": "person"})
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]


def _rows_from_yaml(path: Path) -> list[tuple[int | None, dict]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RosterError("roster file not found", path=path, key="protect.roster",
                          hint="check protect.roster") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"roster cannot be read ({type(exc).__name__})", path=path,
                          key="protect.roster", hint="save it as UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RosterError(f"not valid YAML: {getattr(exc, 'problem', None) or 'syntax error'}",
                          path=path, line=mark.line + 1 if mark else None,
                          key="protect.roster", hint="fix the YAML syntax") from None
    rows: list[tuple[int | None, dict]] = []
    if isinstance(data, dict) and data and all(
            isinstance(k, str) and isinstance(v, str)
            and k.strip().casefold() not in _KIND_ALIASES for k, v in data.items()):
        data = [{"name": k, "kind": v} for k, v in data.items()]  # {name: kind}
    if isinstance(data, dict):
        for kind, items in data.items():
            if not isinstance(items, list):
                raise RosterError(f"the {str(kind)[:30]!r} section must be a list of names",
                                  path=path, key="protect.roster",
                                  hint="write each kind as a YAML list")
            for item in items:
                record = dict(item) if isinstance(item, dict) else {"name": item}
                if "kind" in record and _kind(record["kind"], path, None) != _kind(
                        kind, path, None):
                    raise RosterError(f"an entry under {str(kind)!r} has another kind",
                                      path=path, key="protect.roster",
                                      hint="list each entry under its own kind")
                record["kind"] = kind
                rows.append((None, record))
    elif isinstance(data, list):
        for item in data:
            if not isinstance(item, dict):
                raise RosterError("a list roster holds mappings with name and kind", path=path,
                                  key="protect.roster",
                                  hint="write entries as {name: ..., kind: ...}")
            rows.append((None, item))
    else:
        raise RosterError("a YAML roster must be a list of entries or a mapping of kinds",
                          path=path, key="protect.roster", hint="see docs/protect.md")
    for _, record in rows:
        unknown = [k for k in record if k not in ("name", "kind", "pseudonym", "aliases")]
        if unknown:
            raise RosterError(f"unknown key(s) {[str(k) for k in unknown]}", path=path,
                              key="protect.roster",
                              hint="use name, kind, pseudonym and aliases")
    return rows


def read_roster(path: str | Path, *, encoding: str = "utf-8") -> list[RosterEntry]:
    """Read a roster file (see the module docstring) into entries with their pseudonyms.

    Raises
    ------
    RosterError
        Missing file or columns, an unknown kind, an empty name, a name listed twice, or a
        pseudonym that is itself a roster name.
    """
    path = Path(path)
    if path.is_dir():
        raise RosterError("is a folder, not a roster file", path=path, key="protect.roster",
                          hint="point protect.roster at a .csv, .xlsx or .yaml file")
    if not path.exists():
        raise RosterError("roster file not found", path=path, key="protect.roster",
                          hint="check protect.roster")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        rows = _rows_from_yaml(path)
    elif suffix in (".csv", ".tsv", ".xlsx", ".xlsm"):
        rows = _rows_from_sheet(path, encoding)
    elif suffix == ".txt":
        rows = _rows_from_text(path, encoding)
    else:
        raise RosterError(f"unsupported roster type {suffix!r}", path=path,
                          key="protect.roster", hint="use .csv, .xlsx, .yaml or .txt")
    if not rows:
        raise RosterError("the roster has no entries", path=path, key="protect.roster",
                          hint="add one row per person, organisation and place, or remove "
                          "protect.roster")
    entries: list[RosterEntry] = []
    seen: dict[str, int | None] = {}
    for line, record in rows:
        name = _text(record.get("name"), "name", path, line)
        kind = _kind(record.get("kind"), path, line)
        pseudonym = record.get("pseudonym")
        fixed = pseudonym is not None and str(pseudonym).strip() != ""
        aliases = _aliases(record.get("aliases"), path, line)
        for form in [name, *aliases]:
            key = form.casefold()
            if key in seen:
                where = f"line {seen[key]}" if seen[key] else "another entry"
                raise RosterError(
                    f"a name or alias is listed twice (also on {where})", path=path, line=line,
                    key="protect.roster",
                    hint="list each person, organisation or place once; put other forms "
                    "in aliases")
            seen[key] = line
        entries.append(RosterEntry(
            name=name, kind=kind, aliases=aliases, line=line, fixed=fixed,
            pseudonym=_text(pseudonym, "pseudonym", path, line) if fixed else ""))
    _number(entries)
    for entry in entries:
        if entry.pseudonym.casefold() in seen:
            raise RosterError(
                "a pseudonym is also a roster name", path=path, line=entry.line,
                key="protect.roster", hint="choose pseudonyms that name nobody in the roster")
    return entries


def _number(entries: list[RosterEntry]) -> None:
    """Give entries without a pseudonym the next free ``PREFIX_n`` of their kind."""
    taken = {e.pseudonym for e in entries if e.fixed}
    counters = dict.fromkeys(KINDS, 0)
    for entry in entries:
        if entry.fixed:
            continue
        while True:
            counters[entry.kind] += 1
            candidate = f"{PREFIX[entry.kind]}_{counters[entry.kind]}"
            if candidate not in taken:
                break
        entry.pseudonym = candidate
        taken.add(candidate)
