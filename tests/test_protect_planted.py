"""Recall of pp.protect on identifiers planted into real transcripts, and a full run's files.

The planted set (tests/planting.py): 17 think-aloud sessions, 4 focus groups and 4 Commons
debates from ../shared/data with invented names, organisations, places, e-mails, UK phones,
NHS numbers, postcodes and URLs written in. Recall counts a planted identifier as caught only
if one replacement covers all of it. bench/protect_recall.py prints the same figures.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from planting import make_roster, plant, real_transcripts, write_roster

import textmine as tm
from textmine.pp.detect import Detector
from textmine.pp.roster import read_roster

SEEDS = (1, 2, 3)


def recall(study, detector) -> tuple[Counter, Counter]:
    """Planted and missed identifiers by (kind, form)."""
    planted, missed = Counter(), Counter()
    by_doc: dict[str, list] = {}
    for p in study.planted:
        by_doc.setdefault(p.doc_id, []).append(p)
    for doc_id, items in by_doc.items():
        found = detector.find(study.texts[doc_id])
        for p in items:
            planted[p.kind, p.form] += 1
            if not any(f.start <= p.start and f.end >= p.end for f in found):
                missed[p.kind, p.form] += 1
    return planted, missed


@pytest.fixture(scope="module")
def transcripts(data_dir):
    return real_transcripts(data_dir)


@pytest.mark.parametrize("seed", SEEDS)
def test_recall_on_identifiers_planted_in_real_transcripts(transcripts, tmp_path, seed):
    roster = make_roster(seed)
    study = plant(transcripts, roster, seed=seed + 100, per_doc=40)
    detector = Detector(read_roster(write_roster(tmp_path / "roster.csv", roster)))
    planted, missed = recall(study, detector)
    total, lost = sum(planted.values()), sum(missed.values())
    assert total >= 900
    # every kind and form is represented
    assert {k for k, _ in planted} == {"person", "organisation", "place", "email", "phone",
                                        "nhs_number", "postcode", "url"}
    assert 1 - lost / total >= 0.99, sorted(missed.items())


def _readable_text(path) -> str:
    """What a reader of ``path`` can get as text: compressed parts decompressed.

    Searching the raw bytes of a compressed stream finds nothing that is there and, now and
    then, a three-letter name that is not (PNG pixel data once held the bytes "Joe"):
    parquet tables, xlsx members and PDF streams are decompressed; of a PNG only its text
    chunks are text. A figure's words are checked in its SVG, which keeps them as text (the
    PNG's pixels and the PDF's Type 3 glyphs do not).
    """
    import zipfile
    import zlib

    from PIL import Image

    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return "\n".join(str(v) for column in table.columns for v in column.to_pylist())
    if path.suffix == ".png":
        with Image.open(path) as image:
            return "\n".join(f"{k} {v}" for k, v in image.info.items())
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace")
                             for name in archive.namelist())
    raw = path.read_bytes()
    if path.suffix != ".pdf":
        return raw.decode("utf-8", "replace")
    streams = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
    parts = [streams.sub(b"", raw).decode("latin-1")]
    for stream in streams.findall(raw):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:  # not a Flate stream: as written
            parts.append(stream.decode("latin-1"))
    return "\n".join(parts)


@pytest.mark.slow
def test_no_planted_identifier_in_any_file_of_the_run_folder(transcripts, tmp_path,
                                                             static_model):
    roster = make_roster(5)
    study = plant(transcripts, roster, seed=105, per_doc=40)
    folder = tmp_path / "t"
    folder.mkdir()
    for doc_id, text in study.texts.items():
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    write_roster(tmp_path / "roster.csv", roster)
    people = [r["name"] for r in roster if r["kind"] == "person"]
    places = [r["name"] for r in roster if r["kind"] == "place"]
    # names in the metadata too: who interviewed, where, a contact e-mail
    pd.DataFrame({
        "doc_id": list(study.texts),
        "interviewer": [people[i % len(people)] for i in range(len(study.texts))],
        "site": [places[i % len(places)] for i in range(len(study.texts))],
        "contact": [f"{p.split()[-1].lower()}@example.nhs.uk" for p in people[:len(study.texts)]]
        + [""] * max(0, len(study.texts) - len(people)),
    }).to_csv(tmp_path / "meta.csv", index=False)
    # a codes file whose quotes hold planted names (placed, then written without text)
    first = next(p for p in study.planted if p.kind == "person" and "\n" not in p.original)
    source = study.texts[first.doc_id]
    pd.DataFrame({"doc_id": [first.doc_id], "code": ["Leadership"],
                  "quote": [source[first.start - 20:first.end + 20]]}).to_csv(
        tmp_path / "codes.csv", index=False)
    config = {"run_name": "planted",
              "input": {"transcripts": "t/*.txt", "metadata": "meta.csv"},
              "codes": {"path": "codes.csv"},
              "protect": {"roster": "roster.csv"},
              "segment": {"unit": "window", "max_tokens": 96, "exclude_roles": []},
              # the static model: what is checked is the text written, not the vectors
              "embed": {"model": "static"}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = tm.run(tmp_path / "c.yaml", out=tmp_path / "out")
    assert result.manifest["corpus"]["codes"] == 1
    identifiers = study.strings() | {r["name"] for r in roster} | {
        a for r in roster for a in r["aliases"].split(";") if a}
    identifiers |= {c for c in pd.read_csv(tmp_path / "meta.csv")["contact"].dropna() if c}
    multiword = {s.lower() for s in identifiers if " " in s}  # "jane smith" is a leak too
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(
        re.escape(s) for s in sorted(identifiers | multiword, key=len, reverse=True))
        + r")(?![^\W_])")
    files = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"manifest.json", "segments.parquet", "turns.parquet",
                                       "documents.parquet", "codes.parquet"}
    for path in files:
        text = _readable_text(path)
        hit = pattern.search(text)
        assert hit is None, f"{path.name} holds a planted identifier ({len(hit.group())} chars)"
    segments = pd.read_parquet(tmp_path / "out" / "corpus" / "segments.parquet")
    assert segments["text"].str.contains(r"\bPERSON_\d+\b|\[PHONE\]|\[NHS_NUMBER\]").any()
