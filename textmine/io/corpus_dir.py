"""A corpus folder: the Corpus on disk, in formats any tool reads (parquet, npy, json).

::

    corpus.json              format version, run notes (uns), embedding and result parameters
    documents.parquet        turns.parquet   segments.parquet   codes.parquet
    segment_codes.parquet    (derived; written for other tools, recomputed on reading)
    embeddings/<key>.npy     one float32 row per segment
    results/<key>/per_segment.parquet, <table>.parquet

Source texts are not written: a corpus folder can be shared without the raw transcripts.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from textmine.corpus import FORMAT_VERSION, Corpus, Result
from textmine.errors import CorpusError


def _safe_key(key: str) -> str:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise CorpusError(f"key {key!r} cannot be used as a file name")
    return key


def write_tables(corpus: Corpus, folder: Path) -> None:
    """Write the corpus files into an existing folder (no atomicity: see write_corpus)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("documents", "turns", "segments", "codes"):
        getattr(corpus, name).to_parquet(folder / f"{name}.parquet", index=False)
    corpus.segment_codes.to_parquet(folder / "segment_codes.parquet", index=False)
    meta = {"format_version": FORMAT_VERSION, "uns": corpus.uns, "results": {}}
    if corpus.embeddings:
        (folder / "embeddings").mkdir(exist_ok=True)
        for key, matrix in corpus.embeddings.items():
            np.save(folder / "embeddings" / f"{_safe_key(key)}.npy",
                    np.ascontiguousarray(matrix), allow_pickle=False)
    for key, result in corpus.results.items():
        sub = folder / "results" / _safe_key(key)
        sub.mkdir(parents=True, exist_ok=True)
        if result.per_segment is not None:
            result.per_segment.to_parquet(sub / "per_segment.parquet", index=False)
        for name, table in result.tables.items():
            table.to_parquet(sub / f"{_safe_key(name)}.parquet", index=False)
        meta["results"][key] = {
            "kind": result.kind, "params": result.params, "info": result.info,
            "tables": list(result.tables),
        }
    (folder / "corpus.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def write_corpus(corpus: Corpus, folder: Path) -> Path:
    """Write ``corpus`` to ``folder`` atomically (an existing folder is replaced)."""
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        write_tables(corpus, tmp)
        replace_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def replace_folder(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; an old ``target`` survives until the move succeeded."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_corpus(folder: Path) -> Corpus:
    """Read a corpus folder written by :func:`write_corpus`."""
    meta_path = folder / "corpus.json"
    if not meta_path.is_file():
        raise CorpusError("not a corpus folder (no corpus.json)", path=folder)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise CorpusError(
            f"corpus format {meta.get('format_version')} is not {FORMAT_VERSION}", path=folder,
            hint="write it again with this version of textmine")
    tables = {name: pd.read_parquet(folder / f"{name}.parquet")
              for name in ("documents", "turns", "segments", "codes")}
    embeddings = {}
    if (folder / "embeddings").is_dir():
        for file in sorted((folder / "embeddings").glob("*.npy")):
            embeddings[file.stem] = np.load(file, allow_pickle=False)
    results = {}
    for key, info in meta.get("results", {}).items():
        sub = folder / "results" / key
        per = sub / "per_segment.parquet"
        results[key] = Result(
            kind=info["kind"], params=info["params"], info=info["info"],
            per_segment=pd.read_parquet(per) if per.exists() else None,
            tables={name: pd.read_parquet(sub / f"{name}.parquet") for name in info["tables"]},
        )
    return Corpus(tables["documents"], tables["turns"], tables["segments"], tables["codes"],
                  embeddings=embeddings, results=results, uns=meta.get("uns", {}))
