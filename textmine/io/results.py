"""Stored results on disk: each result written once, in the files people open.

A result (``corpus.results[key]``) is written as a folder of tidy files: its per-segment table
and its other tables as CSV or parquet, its numbers as JSON. Each result kind declares its
file names in :data:`LAYOUTS` (the run-folder contract of ``docs/outputs.md``); a kind without
a layout gets ``per_segment.parquet``, ``<table>.csv`` and its info in ``corpus.json``.

In a run folder the stage's own folder (``topics/``, ``track/``, ``align/``) *is* the store:
``corpus/corpus.json`` records where each result lives (``"folder": "../topics"``), its
parameters, and the column types of every CSV, so :meth:`Corpus.read` rebuilds the same tables
(types included) without a second copy. A corpus folder written on its own
(:meth:`Corpus.write`) keeps its results in ``results/<key>/``, in the same layout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from textmine.corpus import Result
from textmine.errors import CorpusError


@dataclass(frozen=True)
class Layout:
    """File names of one result kind.

    Attributes
    ----------
    per_segment
        File of the per-segment table (``.parquet`` or ``.csv``).
    tables
        Table name -> file name; a table not named here is written as ``<name>.csv``.
    info
        Info key -> JSON file; info keys not named here stay in ``corpus.json``.
    """

    per_segment: str = "per_segment.parquet"
    tables: Mapping[str, str] = field(default_factory=dict)
    info: Mapping[str, str] = field(default_factory=dict)

    def table_file(self, name: str) -> str:
        """The file a table is written to."""
        return self.tables.get(name, f"{name}.csv")


#: result kind -> its files (the names other tools read: docs/outputs.md)
LAYOUTS: dict[str, Layout] = {
    "topics": Layout(per_segment="assignments.parquet", tables={"refits": "refits.parquet"},
                     info={"quality": "quality.json", "stability": "stability.json"}),
    # track's tables are prevalence_<column>.csv, contrasts_<column>.csv, effects.csv...
    "track": Layout(info={"summary": "summary.json"}),
    "align": Layout(tables={"suggested_codes": "suggested_codes.parquet"},
                    info={"metrics": "metrics.json", "autocode_cv": "autocode_cv.json"}),
}


def _safe_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith(".") or os.sep in name:
        raise CorpusError(f"name {name!r} cannot be used as a file name")
    return name


#: marks a text column whose empty cells are empty strings, not missing values (a CSV cell
#: cannot tell them apart: "" and NaN are both written as nothing)
EMPTY_TEXT = ":empty-is-text"
_TEXT_KINDS = ("object", "str", "string")


def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    kinds = {}
    for column, dtype in frame.dtypes.items():
        kind = str(dtype)
        values = frame[column]
        if (kind in _TEXT_KINDS and not values.isna().any()
                and values.map(lambda v: v == "").any()):
            kind += EMPTY_TEXT
        kinds[str(column)] = kind
    return kinds


def _write_table(frame: pd.DataFrame, path: Path) -> dict[str, str] | None:
    """Write one table; return its column types when the format does not keep them."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
        return None
    if path.suffix != ".csv":
        raise CorpusError(f"table file {path.name!r} is neither .csv nor .parquet")
    frame.to_csv(path, index=False)
    return _dtypes(frame)


def _read_table(path: Path, dtypes: Mapping[str, str] | None) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    dtypes = dict(dtypes or {})
    dates = [c for c, d in dtypes.items() if d.startswith("datetime64")]
    texts = [c for c, d in dtypes.items() if d.endswith(EMPTY_TEXT)]
    plain = {c: d.removesuffix(EMPTY_TEXT) for c, d in dtypes.items() if c not in dates}
    # "NA", "null" or "none" in a quote are words, not missing values: only empty cells are
    frame = pd.read_csv(path, dtype=plain, keep_default_na=False, na_values=[""])
    for column in texts:
        frame[column] = frame[column].fillna("")
    for column in dates:
        frame[column] = pd.to_datetime(frame[column]).astype(dtypes[column])
    return frame


def write_result(result: Result, folder: Path) -> dict[str, Any]:
    """Write ``result`` into ``folder``; return its entry for ``corpus.json``.

    The entry holds the kind, the parameters, the info kept out of the JSON files, the file of
    each table and the column types of each CSV.
    """
    from textmine.runfolder import write_json

    layout = LAYOUTS.get(result.kind, Layout())
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    dtypes: dict[str, dict[str, str]] = {}
    tables = dict(result.tables)
    if result.per_segment is not None:
        tables = {"per_segment": result.per_segment, **tables}
    for name, table in tables.items():
        file = layout.per_segment if name == "per_segment" else layout.table_file(
            _safe_name(name))
        kinds = _write_table(table, folder / file)
        files[name] = file
        if kinds is not None:
            dtypes[name] = kinds
    info_files = {}
    rest = {}
    for key, value in result.info.items():
        if key in layout.info:
            if value is not None:
                write_json(folder / layout.info[key], value)
                info_files[key] = layout.info[key]
            else:
                info_files[key] = None
        else:
            rest[key] = value
    return {"kind": result.kind, "params": result.params, "files": files, "dtypes": dtypes,
            "info_files": info_files, "info": rest}


def read_result(folder: Path, entry: Mapping[str, Any]) -> Result:
    """Rebuild a result written by :func:`write_result` from ``folder``."""
    files = dict(entry.get("files", {}))
    dtypes = entry.get("dtypes", {})
    missing = [file for file in [*files.values(), *entry.get("info_files", {}).values()]
               if file is not None and not (folder / file).is_file()]
    if missing:
        raise CorpusError(f"result file {missing[0]!r} is missing", path=folder,
                          hint="the folder is incomplete: run or write it again")
    tables = {name: _read_table(folder / file, dtypes.get(name)) for name, file in files.items()}
    info = dict(entry.get("info", {}))
    for key, file in entry.get("info_files", {}).items():
        info[key] = (None if file is None else
                     json.loads((folder / file).read_text(encoding="utf-8")))
    per_segment = tables.pop("per_segment", None)
    return Result(kind=entry["kind"], params=entry["params"], per_segment=per_segment,
                  tables=tables, info=info)
