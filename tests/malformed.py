"""A generated collection of malformed inputs, each a small change to a valid study.

:func:`valid_study` writes a small valid study (two real focus groups as ``Name: text``
transcripts, metadata, coded spans, a roster, a config). Every :class:`Case` then breaks one
thing: a transcript file (truncated or corrupt .docx/.odt/.xlsx, wrong and mixed encodings,
binary junk, empty files, one enormous line, no speakers, bad captions and tables), the
metadata sheet, the codes, the roster, or the YAML config (syntax, wrong types, unknown
keys, bad paths). Issue 10 added the hostile classes (:func:`hostile_cases`): every path
textmine writes to (run folder, pseudonym map), every table format's header rules, every
line-break character, every zip-based format (bombs, ``../`` names), links out of the data
folder, and values that used to fail with an internal error. ``expect`` is what the one-line
error must name (a file or a key).
"""

from __future__ import annotations

import io
import json
import random
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
import pandas as pd
import yaml
from odf.opendocument import OpenDocumentText
from odf.text import P

ROSTER = "name,kind,pseudonym\nJane Smith,person,\nLeeds,place,\n"


@dataclass
class Case:
    """One malformed input: ``mutate(study)`` breaks the valid study in ``study``."""

    id: str
    mutate: Callable[[Path], None]
    expect: str  # a file name or config key the message must contain
    overrides: tuple[str, ...] = ()  # --set assignments given with the run
    own_out: bool = False  # the case sets out: itself (no --out is given)


def valid_study(root: Path, turns: dict[str, list[tuple[str, str]]]) -> Path:
    """Write a valid study into ``root``; return its config file."""
    (root / "transcripts").mkdir(parents=True)
    spans = []
    for doc_id in ("G1", "G2"):
        group = turns["R1_1" if doc_id == "G1" else "nonR1_1"][:25]
        text = "\n\n".join(f"{s}: {' '.join(t.split())}" for s, t in group) + "\n"
        (root / "transcripts" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        start = text.index(": ") + 2
        spans.append({"doc_id": doc_id, "start_char": start, "end_char": start + 20,
                      "code": "Barriers"})
    pd.DataFrame(spans).to_csv(root / "codes.csv", index=False)
    pd.DataFrame({"doc_id": ["G1", "G2", "bad"], "group": ["R1", "nonR1", "x"],
                  "date": ["2020-01-02", "2020-02-03", "2020-03-04"]}).to_csv(
        root / "metadata.csv", index=False)
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    config = {
        "run_name": "study",
        "input": {"transcripts": "transcripts/*", "metadata": "metadata.csv",
                  "dates": {"date": "iso"}, "interviewer": ["F"]},
        "codes": {"path": "codes.csv"},
        "protect": {"roster": "roster.csv"},
        "segment": {"unit": "sentence", "tokenizer": "words", "exclude_roles": []},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- helpers

def _lines(study: Path) -> str:
    return (study / "transcripts" / "G1.txt").read_text(encoding="utf-8")


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _odt_bytes(text: str) -> bytes:
    document = OpenDocumentText()
    for line in text.splitlines():
        document.text.addElement(P(text=line))
    # save(), not write(): write() leaves the zip unclosed (no central directory yet)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.odt"
        document.save(str(path))
        return path.read_bytes()


def _xlsx_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


def _turn_table(study: Path) -> pd.DataFrame:
    rows = [line.split(": ", 1) for line in _lines(study).split("\n\n") if ": " in line]
    return pd.DataFrame(rows, columns=["speaker", "text"])


def _corrupt_member(data: bytes, member: str, seed: int) -> bytes:
    """Flip bytes inside one zip member's compressed data: its CRC no longer matches."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    out = bytearray(data)
    local = info.header_offset
    name_len = int.from_bytes(out[local + 26:local + 28], "little")
    extra_len = int.from_bytes(out[local + 28:local + 30], "little")
    begin = local + 30 + name_len + extra_len
    rng = random.Random(seed)
    for _ in range(8):
        position = begin + rng.randrange(max(1, info.compress_size))
        out[position] ^= 0xFF
    return bytes(out)


def _rezip(data: bytes, *, drop: str | None = None, replace: dict[str, bytes] | None = None
           ) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == drop:
                continue
            target.writestr(item, (replace or {}).get(item.filename,
                                                     source.read(item.filename)))
    return buffer.getvalue()


def _bad(name: str, make: Callable[[Path], bytes]) -> Callable[[Path], None]:
    def mutate(study: Path) -> None:
        (study / "transcripts" / name).write_bytes(make(study))
    return mutate


def _config(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def mutate(study: Path) -> None:
        path = study / "config.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return mutate


def _set(dotted: str, value) -> Callable[[Path], None]:
    def change(data: dict) -> None:
        *parents, last = dotted.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return _config(change)


def _raw_config(text: str) -> Callable[[Path], None]:
    def mutate(study: Path) -> None:
        (study / "config.yaml").write_bytes(text.encode("utf-8") if isinstance(text, str)
                                            else text)
    return mutate


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def mutate(study: Path) -> None:
        path = study / name
        if path.is_dir():
            shutil.rmtree(path)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return mutate


def _edit_csv(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]):
    def mutate(study: Path) -> None:
        path = study / name
        change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    return mutate


def _both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(study: Path) -> None:
        for m in mutations:
            m(study)
    return mutate


def _junk(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(size))


# ---------------------------------------------------------------------------- the cases

def transcript_cases() -> list[Case]:
    cases: list[Case] = []
    for kind, make in (("docx", lambda s: _docx_bytes(_lines(s))),
                       ("odt", lambda s: _odt_bytes(_lines(s))),
                       ("xlsx", lambda s: _xlsx_bytes(_turn_table(s)))):
        name = f"bad.{kind}"
        for fraction in (0.0, 0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
            cut = _bad(name, lambda s, m=make, f=fraction: (lambda b: b[:int(len(b) * f)])(m(s)))
            cases.append(Case(f"{kind}-truncated-{fraction}", cut, name))
        member = {"docx": "word/document.xml", "odt": "content.xml",
                  "xlsx": "xl/worksheets/sheet1.xml"}[kind]
        for seed in range(4):
            cases.append(Case(f"{kind}-corrupt-{seed}", _bad(
                name, lambda s, m=make, mb=member, sd=seed: _corrupt_member(m(s), mb, sd)), name))
        cases += [
            Case(f"{kind}-missing-part", _bad(name, lambda s, m=make, mb=member:
                                              _rezip(m(s), drop=mb)), name),
            Case(f"{kind}-broken-xml", _bad(name, lambda s, m=make, mb=member: _rezip(
                m(s), replace={mb: b"<?xml version='1.0'?><w:document><unclosed>"})), name),
            Case(f"{kind}-plain-text-renamed", _bad(name, lambda s: _lines(s).encode()), name),
            Case(f"{kind}-zero-bytes", _bad(name, lambda s: b""), name),
            Case(f"{kind}-old-binary-office", _bad(
                name, lambda s: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _junk(1, 2000)), name),
            Case(f"{kind}-pdf-renamed", _bad(name, lambda s: b"%PDF-1.4\n" + _junk(2, 3000)),
                 name),
            Case(f"{kind}-random-zip", _bad(name, lambda s: _zip_of_junk()), name),
        ]
    cases += [
        Case("docx-only-empty-paragraphs", _bad("bad.docx", lambda s: _docx_bytes("\n \n\t\n")),
             "bad.docx"),
        Case("odt-only-empty-paragraphs", _bad("bad.odt", lambda s: _odt_bytes("\n \n")),
             "bad.odt"),
        Case("xlsx-no-text-column", _bad("bad.xlsx", lambda s: _xlsx_bytes(
            _turn_table(s).rename(columns={"text": "words"}))), "bad.xlsx"),
        Case("xlsx-no-speaker-column", _bad("bad.xlsx", lambda s: _xlsx_bytes(
            _turn_table(s).drop(columns="speaker"))), "bad.xlsx"),
        Case("xlsx-empty-speaker-cell", _bad("bad.xlsx", lambda s: _xlsx_bytes(
            _turn_table(s).assign(speaker=lambda f: [None] + list(f["speaker"][1:])))),
             "bad.xlsx"),
        Case("xlsx-all-text-empty", _bad("bad.xlsx", lambda s: _xlsx_bytes(
            _turn_table(s).assign(text=None))), "bad.xlsx"),
        Case("xlsx-header-only", _bad("bad.xlsx", lambda s: _xlsx_bytes(
            _turn_table(s).iloc[:0])), "bad.xlsx"),
        Case("xlsx-wrong-sheet", _both(_bad("bad.xlsx", lambda s: _xlsx_bytes(_turn_table(s))),
                                       _set("input.sheet", "Interviews")), "bad.xlsx"),
        Case("xlsx-bad-time", _both(_bad("bad.xlsx", lambda s: _xlsx_bytes(
            _turn_table(s).assign(time="soon"))), _set("input.columns", {"time": "time"})),
             "bad.xlsx"),
    ]
    # encodings
    text = "F: Welcome.\n\nR1-01: I think the caf\u00e9 idea \u2019works\u2019 well.\n"
    encodings = {
        "cp1252-in-utf8": lambda s: text.encode("cp1252"),
        "latin1-whole-file": lambda s: (_lines(s) + "na\u00efve r\u00e9sum\u00e9\n").encode(
            "latin-1", "replace"),
        "cp1252-at-start": lambda s: "\u2018".encode("cp1252") + _lines(s).encode(),
        "cp1252-at-end": lambda s: _lines(s).encode() + "\u2019".encode("cp1252"),
        "mixed-utf8-then-cp1252": lambda s: _lines(s).encode() + text.encode("cp1252"),
        "utf16-without-bom": lambda s: text.encode("utf-16-le"),
        "utf16-truncated-odd-bytes": lambda s: b"\xff\xfe" + text.encode("utf-16-le")[:-1],
        "utf32-without-bom": lambda s: text.encode("utf-32-le"),
        "bom-then-invalid": lambda s: b"\xef\xbb\xbf" + b"F: hello \xff\xfe\n",
        "surrogate-bytes": lambda s: b"F: a \xed\xa0\x80 b\nR1-01: c\n",
        "overlong-utf8": lambda s: b"F: a \xc0\xaf b\nR1-01: c\n",
        "truncated-multibyte-at-eof": lambda s: _lines(s).encode() + b"\xe2\x80",
        "lone-continuation-byte": lambda s: b"F: a \x80 b\nR1-01: c\n",
    }
    for name, make in encodings.items():
        cases.append(Case(f"encoding-{name}", _bad("bad.txt", make), "bad.txt"))
    cases += [
        Case("encoding-unknown-codec", _set("input.encoding", "klingon-8"), "input.encoding"),
        Case("encoding-ascii-for-utf8", _both(_bad("bad.txt", lambda s: text.encode()),
                                              _set("input.encoding", "ascii")),
             "input.encoding"),
    ]
    # binary junk, in every transcript suffix
    for n, suffix in enumerate(("txt", "vtt", "srt", "csv", "md")):
        for size in (64, 4096):
            cases.append(Case(f"junk-{suffix}-{size}", _bad(f"bad.{suffix}", lambda s, n=n,
                                                            z=size: _junk(n * 100 + z, z)),
                              f"bad.{suffix}"))
    for name, blob in (("png", b"\x89PNG\r\n\x1a\n" + _junk(5, 500)),
                       ("elf", b"\x7fELF\x02\x01\x01" + _junk(6, 500)),
                       ("gzip", b"\x1f\x8b\x08\x00" + _junk(7, 500)),
                       ("zip", _zip_of_junk()), ("nul-only", b"\x00" * 100)):
        cases.append(Case(f"junk-{name}-as-txt", _bad("bad.txt", lambda s, b=blob: b),
                          "bad.txt"))
    # empty files
    for label, suffix, blob in (("zero", "txt", b""), ("blank", "txt", b"   \n\t\n"),
                                ("bom", "txt", b"\xef\xbb\xbf"), ("newlines", "txt", b"\n\n\n"),
                                ("zero", "vtt", b""), ("zero", "srt", b""), ("zero", "csv", b""),
                                ("crlf", "md", b"\r\n")):
        cases.append(Case(f"empty-{suffix}-{label}", _bad(f"bad.{suffix}", lambda s, b=blob: b),
                          f"bad.{suffix}"))
    cases += [
        Case("labels-without-text", _bad("bad.txt", lambda s: b"F:\nR1-01:\nF:\n"), "bad.txt"),
        Case("vtt-header-only", _bad("bad.vtt", lambda s: b"WEBVTT\n\n"), "bad.vtt"),
        Case("vtt-no-header", _bad("bad.vtt", lambda s: b"00:00:01.000 --> 00:00:02.000\n"
                                   b"<v Ann>Hello</v>\n"), "bad.vtt"),
        Case("vtt-no-timing", _bad("bad.vtt", lambda s: b"WEBVTT\n\n1\n<v Ann>Hello</v>\n"),
             "bad.vtt"),
        Case("vtt-garbage-timing", _bad("bad.vtt", lambda s: b"WEBVTT\n\n1\n00:xx --> later\n"
                                        b"Hello\n"), "bad.vtt"),
        Case("srt-numbers-only", _bad("bad.srt", lambda s: b"1\n\n2\n\n3\n"), "bad.srt"),
        Case("srt-timing-without-text", _bad("bad.srt", lambda s: b"1\n00:00:01,000 --> "
                                             b"00:00:02,000\n\n"), "bad.srt"),
        Case("table-csv-no-speaker-column", _bad("bad.csv", lambda s: b"who,text\nA,hello\n"),
             "bad.csv"),
        Case("table-csv-ragged", _bad("bad.csv", lambda s: b"speaker,text\nA,hello,extra\n"),
             "bad.csv"),
        Case("table-csv-unclosed-quote", _bad("bad.csv", lambda s: b'speaker,text\nA,"hello\n'),
             "bad.csv"),
        Case("table-csv-empty-speaker", _bad("bad.csv", lambda s: b"speaker,text\n,hello\n"),
             "bad.csv"),
        Case("table-csv-header-only", _bad("bad.csv", lambda s: b"speaker,text\n"), "bad.csv"),
        Case("table-csv-semicolons", _bad("bad.csv", lambda s: b"speaker;text\nA;hello\n"),
             "bad.csv"),
        Case("table-csv-duplicate-header", _bad("bad.csv", lambda s:
                                                b"speaker,text,text\nA,b,c\n"), "bad.csv"),
        Case("unknown-suffix", _bad("bad.pdf", lambda s: b"%PDF-1.4\n"), "bad.pdf"),
        Case("duplicate-doc-id", _bad("G1.docx", lambda s: _docx_bytes(_lines(s))), "G1"),
    ]
    # one enormous line
    cases += [
        Case("enormous-line-words", _bad("bad.txt", lambda s: b"F: " + b"word " * 400_000),
             "bad.txt"),
        Case("enormous-line-no-spaces", _bad("bad.txt", lambda s: b"A" * 2_000_000), "bad.txt"),
        Case("enormous-csv-cell", _bad("bad.csv", lambda s: b"speaker,text\nA," +
                                       b"x " * 200_000 + b"\n"), "bad.csv"),
        Case("enormous-docx-paragraph", _bad("bad.docx", lambda s: _docx_bytes(
            "F: " + "word " * 100_000)), "bad.docx"),
    ]
    # no speaker labels, where the config says that is an error
    prose = "We set up the service in 2019.\n\nIt worked well for most teams.\n"
    for suffix, make in (("txt", lambda s: prose.encode()),
                         ("docx", lambda s: _docx_bytes(prose)),
                         ("odt", lambda s: _odt_bytes(prose)),
                         ("vtt", lambda s: b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n"
                          b"We set it up.\n")):
        cases.append(Case(f"speakerless-{suffix}", _both(
            _bad(f"bad.{suffix}", make), _set("input.on_no_speakers", "error")),
            f"bad.{suffix}"))
    return cases


def _zip_of_junk() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("junk.bin", _junk(9, 300))
    return buffer.getvalue()


def metadata_cases() -> list[Case]:
    name = "metadata.csv"
    return [
        Case("meta-no-doc-id-column", _edit_csv(name, lambda f: f.rename(
            columns={"doc_id": "id"})), name),
        Case("meta-duplicate-id", _edit_csv(name, lambda f: pd.concat([f, f.iloc[:1]])), name),
        Case("meta-empty-id", _edit_csv(name, lambda f: f.assign(doc_id=["G1", "", "bad"])),
             name),
        Case("meta-missing-row", _edit_csv(name, lambda f: f.iloc[1:]), name),
        Case("meta-date-column-missing", _edit_csv(name, lambda f: f.drop(columns="date")),
             "input.dates"),
        Case("meta-unparseable-date", _edit_csv(name, lambda f: f.assign(
            date=["2020-01-02", "next week", "2020-03-04"])), name),
        Case("meta-ambiguous-date", _edit_csv(name, lambda f: f.assign(
            date=["03/04/2020", "2020-02-03", "2020-03-04"])), name),
        Case("meta-ragged", _write(name, "doc_id,group\nG1,R1,extra\nG2,x\n"), name),
        Case("meta-empty-file", _write(name, ""), name),
        Case("meta-binary", _write(name, _junk(11, 800)), name),
        Case("meta-cp1252", _write(name, "doc_id,group,date\nG1,caf\u00e9,2020-01-02\n".encode(
            "cp1252")), name),
        Case("meta-missing-file", lambda s: (s / name).unlink(), name),
        Case("meta-is-a-folder", _both(lambda s: (s / name).unlink(),
                                       lambda s: (s / name).mkdir()), name),
        Case("meta-xlsx-corrupt", _both(_write("metadata.xlsx", _junk(12, 900)),
                                        _set("input.metadata", "metadata.xlsx")),
             "metadata.xlsx"),
        Case("meta-unsupported-type", _both(_write("metadata.json", "{}"),
                                            _set("input.metadata", "metadata.json")),
             "metadata.json"),
    ]


def codes_cases() -> list[Case]:
    name = "codes.csv"

    def spans(**changes):
        return _edit_csv(name, lambda f: f.assign(**changes))

    return [
        Case("codes-end-beyond-document", spans(end_char=["999999", "30"]), name),
        Case("codes-negative-start", spans(start_char=["-5", "3"]), name),
        Case("codes-end-before-start", spans(start_char=["50", "3"], end_char=["10", "30"]),
             name),
        Case("codes-zero-length", spans(start_char=["10", "3"], end_char=["10", "30"]), name),
        Case("codes-not-a-number", spans(start_char=["ten", "3"]), name),
        Case("codes-fraction", spans(start_char=["3.5", "3"]), name),
        Case("codes-empty-code", spans(code=["", "Barriers"]), name),
        Case("codes-empty-doc-id", spans(doc_id=["", "G2"]), name),
        Case("codes-no-code-column", _edit_csv(name, lambda f: f.drop(columns="code")), name),
        Case("codes-no-doc-id-column", _edit_csv(name, lambda f: f.drop(columns="doc_id")),
             name),
        Case("codes-neither-spans-nor-quotes", _edit_csv(name, lambda f: f.drop(
            columns=["start_char", "end_char"])), name),
        Case("codes-missing-file", lambda s: (s / name).unlink(), name),
        Case("codes-empty-file", _write(name, ""), name),
        Case("codes-binary", _write(name, _junk(13, 700)), name),
        Case("codes-unclosed-quote", _write(name, 'doc_id,start_char,end_char,code\nG1,1,5,"A\n'),
             name),
        Case("codebook-missing", _set("codes.codebook", "codebook.csv"), "codebook.csv"),
        Case("codebook-missing-column", _both(_write("codebook.csv", "theme\nBarriers\n"),
                                              _set("codes.codebook", "codebook.csv")),
             "codebook.csv"),
        Case("codebook-code-twice", _both(
            _write("codebook.csv", "theme,code\nA,Barriers\nB,Barriers\n"),
            _set("codes.codebook", "codebook.csv"),
            _set("codes.codebook_columns", ["theme", "code"])), "codebook.csv"),
    ]


def roster_cases() -> list[Case]:
    name = "roster.csv"
    return [
        Case("roster-no-name-column", _write(name, "who,kind\nJane Smith,person\n"), name),
        Case("roster-two-name-columns", _write(name, "name,original,kind\nA B,A B,person\n"),
             name),
        Case("roster-unknown-kind", _write(name, "name,kind\nJane Smith,alien\n"), name),
        Case("roster-empty-name", _write(name, "name,kind\n,person\n"), name),
        Case("roster-name-twice", _write(name, "name,kind\nJane Smith,person\nJANE SMITH,person\n"),
             name),
        Case("roster-pseudonym-is-a-name", _write(
            name, "name,kind,pseudonym\nJane Smith,person,Leeds\nLeeds,place,\n"), name),
        Case("roster-header-only", _write(name, "name,kind\n"), name),
        Case("roster-empty-file", _write(name, ""), name),
        Case("roster-binary", _write(name, _junk(14, 600)), name),
        Case("roster-cp1252", _write(name, "name,kind\nRen\u00e9e Smith,person\n".encode("cp1252")),
             name),
        Case("roster-unknown-column", _write(name, "name,kind,notes\nJane Smith,person,x\n"),
             name),
        Case("roster-missing-file", lambda s: (s / name).unlink(), name),
        Case("roster-is-a-folder", _both(lambda s: (s / name).unlink(),
                                         lambda s: (s / name).mkdir()), name),
        Case("roster-json", _both(_write("roster.json", "[]"), _set("protect.roster",
                                                                    "roster.json")),
             "roster.json"),
        Case("roster-yaml-scalar", _both(_write("roster.yaml", "just a name\n"),
                                         _set("protect.roster", "roster.yaml")), "roster.yaml"),
        Case("roster-yaml-wrong-types", _both(_write("roster.yaml", "person: Jane Smith\n"),
                                              _set("protect.roster", "roster.yaml")),
             "roster.yaml"),
        Case("roster-yaml-list-of-strings", _both(_write("roster.yaml", "- Jane Smith\n"),
                                                  _set("protect.roster", "roster.yaml")),
             "roster.yaml"),
        Case("roster-yaml-name-is-a-list", _both(
            _write("roster.yaml", "- {name: [Jane, Smith], kind: person}\n"),
            _set("protect.roster", "roster.yaml")), "roster.yaml"),
        Case("roster-yaml-unknown-key", _both(
            _write("roster.yaml", "- {name: Jane Smith, kind: person, age: 40}\n"),
            _set("protect.roster", "roster.yaml")), "roster.yaml"),
        Case("roster-yaml-syntax", _both(_write("roster.yaml", "- {name: Jane\n"),
                                         _set("protect.roster", "roster.yaml")), "roster.yaml"),
    ]


def config_cases() -> list[Case]:
    cases = [
        Case("yaml-unclosed-bracket", _raw_config("run_name: x\ninput: {transcripts: [a\n"),
             "config.yaml"),
        Case("yaml-tab-indent", _raw_config("input:\n\ttranscripts: x\n"), "config.yaml"),
        Case("yaml-bad-indent", _raw_config("input:\n  transcripts: x\n metadata: y\n"),
             "config.yaml"),
        Case("yaml-empty", _raw_config(""), "config.yaml"),
        Case("yaml-comment-only", _raw_config("# nothing\n"), "config.yaml"),
        Case("yaml-a-list", _raw_config("- input\n- segment\n"), "config.yaml"),
        Case("yaml-a-scalar", _raw_config("hello\n"), "config.yaml"),
        Case("yaml-binary", _raw_config(_junk(15, 500)), "config.yaml"),
        Case("yaml-cp1252", _raw_config("run_name: caf\u00e9\n".encode("cp1252")),
             "config.yaml"),
        Case("yaml-duplicate-key", _raw_config(
            "input:\n  transcripts: transcripts/*\nseed: 1\nseed: 2\n"), "seed"),
        Case("yaml-missing-input", _config(lambda d: d.pop("input")), "input"),
        Case("yaml-input-null", _set("input", None), "input"),
        Case("yaml-missing-transcripts", _config(lambda d: d["input"].pop("transcripts")),
             "input.transcripts"),
        Case("yaml-nested-too-deep", _raw_config(
            "input:\n  transcripts: transcripts/*\nx: " + "[" * 5000 + "]" * 5000 + "\n"),
             "config.yaml"),
        Case("yaml-alias-bomb", _raw_config(
            "input:\n  transcripts: transcripts/*\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
                for i in range(8))), "config.yaml"),
        Case("yaml-transcripts-empty-list", _set("input.transcripts", []), "input.transcripts"),
        Case("yaml-transcripts-empty-string", _set("input.transcripts", ""),
             "input.transcripts"),
        Case("yaml-metadata-empty-string", _set("input.metadata", ""), "input.metadata"),
        Case("yaml-roster-empty-string", _set("protect.roster", " "), "protect.roster"),
        Case("config-missing-file", lambda s: (s / "config.yaml").unlink(), "config.yaml"),
        Case("config-is-a-folder", _both(lambda s: (s / "config.yaml").unlink(),
                                         lambda s: (s / "config.yaml").mkdir()), "config.yaml"),
    ]
    wrong = {
        "seed": "abc", "run_name": "bad name/", "input.transcripts": 5,
        "input.interviewer": {"a": 1}, "input.format": "pdf", "input.labels": "maybe",
        "input.dates": ["date"], "input.line_speakers": {"TASK": "([unclosed"},
        "input.skip_lines": ["*bad"], "input.on_no_speakers": "ignore",
        "input.columns": "speaker", "input.sheet": [1], "codes.min_match": 10,
        "codes.format": "qdpx2", "codes.columns": {"start": "x"},
        "segment.unit": "paragraph", "segment.max_tokens": "many", "segment.max_tokens ": 2,
        "segment.overlap": -1, "segment.exclude_roles": ["boss"], "segment.tokenizer": "gpt",
        "segment.min_words": 1.5, "protect.patterns": ["ssn"],
        "protect.custom": {"ID": "[unclosed"}, "protect.custom ": {"bad label": "x"},
        "protect.roster": 5, "protect.name_parts": "sometimes", "protect.verify": [],
        "embed.model": 3, "topics": [], "seed ": 1.5, "out": 7,
    }
    for n, (dotted, value) in enumerate(wrong.items()):
        key = dotted.strip()
        cases.append(Case(f"wrong-type-{key}-{n}", _set(key, value), key.split(".")[-1]))
    for dotted in ("input.transcipts", "segment.units", "protect.rooster", "colour",
                   "codes.columns.quotes", "report.format"):
        cases.append(Case(f"unknown-key-{dotted}", _set(dotted, "x"), dotted))
    cases += [
        Case("path-glob-matches-nothing", _set("input.transcripts", "nowhere/*.txt"),
             "input.transcripts"),
        Case("path-transcript-missing", _set("input.transcripts", ["transcripts/G1.txt",
                                                                   "transcripts/G9.txt"]),
             "G9.txt"),
        Case("path-transcript-is-a-folder", _set("input.transcripts", ["transcripts"]),
             "transcripts"),
        Case("path-metadata-missing", _set("input.metadata", "nowhere.csv"), "nowhere.csv"),
        Case("path-codes-missing", _set("codes.path", "nowhere.csv"), "nowhere.csv"),
        Case("path-roster-missing", _set("protect.roster", "nowhere.csv"), "nowhere.csv"),
        Case("path-out-is-a-file", _both(_write("taken", "a file"), _set("out", "taken")),
             "taken"),
        Case("path-map-inside-run-folder", _both(_set("out", "outputs/x"),
                                                 _set("protect.map_file", "outputs/x/map.csv")),
             "protect.map_file"),
        Case("path-map-is-a-folder", _both(lambda s: (s / "private").mkdir(),
                                           _set("protect.map_file", "private")),
             "protect.map_file"),
    ]
    return cases


def _xlsx_rows(rows: list[list]) -> bytes:
    """An .xlsx whose first sheet holds exactly these cells (numbers stay numbers)."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_members(data: bytes, members: dict[str, bytes]) -> bytes:
    """The zip ``data`` with more members (deflated), e.g. a bomb or a ``../`` name."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        for name, blob in members.items():
            target.writestr(zipfile.ZipInfo(name), blob, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


BOMB = {"word/media/image1.png": b"\0" * (24 * 2**20)}  # 24 MB of zeros: ~1000x


def _docx_bomb(study: Path) -> bytes:
    """A real .docx whose document.xml repeats one paragraph a million times (~300x)."""
    data = _docx_bytes(_lines(study))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode()
    head, tail = xml.split("<w:body>", 1)
    paragraph = "<w:p><w:r><w:t>again and again</w:t></w:r></w:p>"
    return _rezip(data, replace={"word/document.xml": (
        head + "<w:body>" + paragraph * 600_000 + tail).encode()})


def _symlink(name: str, target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def mutate(study: Path) -> None:
        (study / "transcripts" / name).symlink_to(target(study))
    return mutate


def _outside(study: Path) -> Path:
    """A text file outside the study folder (a stand-in for /etc/passwd)."""
    path = study.parent / "outside" / "secret.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("root: x:0:0:root:/root:/bin/bash\nF: not a transcript\n")
    return path


def _run_folder(name: str, files: dict[str, str], *, marker: bool = True):
    def mutate(study: Path) -> None:
        folder = study / name
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        if marker:
            listed = [f for f in files if f != "notes.txt"]
            (folder / ".textmine-run").write_text(json.dumps({"files": listed}))
    return mutate


def hostile_cases() -> list[Case]:
    """The classes issue 10 found: output paths, tables, line breaks, zips, links, values."""
    cases: list[Case] = []

    def out(case_id: str, value: str, expect: str = "out", *extra) -> Case:
        return Case(case_id, _both(*extra, _set("out", value)), expect, own_out=True)

    # ------------------------------------------------ the run folder: never a user's folder
    cases += [
        out("out-user-folder", "mydata", "out", _write("mydata.keep", "x"),
            lambda s: (s / "mydata").mkdir(), _write("mydata/notes.docx", b"PK...")),
        out("out-transcripts-folder", "transcripts"),
        out("out-config-folder", "."),
        out("out-parent-of-the-study", ".."),
        out("out-inside-transcripts-folder", "transcripts/results"),
        out("out-is-the-metadata-file", "metadata.csv", "metadata.csv"),
        out("out-under-a-file", "metadata.csv/run"),
        out("out-run-folder-with-a-user-file", "outputs/old", "notes.txt",
            _run_folder("outputs/old", {"manifest.json": "{}", "notes.txt": "mine"})),
        out("out-folder-with-a-stray-marker-garbage", "outputs/old", "out",
            _run_folder("outputs/old", {"data.csv": "1"}, marker=False),
            _write("outputs/old/.textmine-run", "not json")),
        out("out-link-to-the-transcripts", "t-link", "out",
            lambda s: (s / "t-link").symlink_to(s / "transcripts")),
        out("out-a-model-folder", "model", "out",
            lambda s: (s / "model").mkdir(), _write("model/config.json", "{}"),
            _set("embed.model", "model/")),
        Case("out-reached-by-a-recursive-glob", _both(
            _set("input.transcripts", "**/G*.txt"), _set("out", "outputs/run")), "out",
            own_out=True),
    ]
    # ------------------------------------------------ the pseudonym map: never over an input
    for case_id, value in (("a-transcript", "transcripts/G1.txt"), ("the-metadata",
                           "metadata.csv"), ("the-codes", "codes.csv"), ("the-config",
                           "config.yaml"), ("the-roster", "roster.csv"),
                           ("read-by-the-glob", "transcripts/map.csv")):
        cases.append(Case(f"map-is-{case_id}", _set("protect.map_file", value),
                          "protect.map_file"))
    cases += [
        Case("map-over-a-user-file", _both(_write("notes.csv", "my,notes\n1,2\n"),
                                           _set("protect.map_file", "notes.csv")),
             "protect.map_file"),
        Case("map-under-a-file", _set("protect.map_file", "metadata.csv/map.csv"),
             "protect.map_file"),
    ]
    # ------------------------------------------------ every table format, one header rule
    header_dups = {
        "number-and-text-1": [["speaker", "text", 1, "1"], ["F", "Welcome.", "a", "b"]],
        "same-text": [["speaker", "text", "text"], ["F", "Welcome.", "again"]],
        "spaces-around": [["speaker", "text", " text "], ["F", "Welcome.", "again"]],
        "float-and-int": [["speaker", "text", 2, 2.0], ["F", "Welcome.", "a", "b"]],
    }
    for name, rows in header_dups.items():
        cases.append(Case(f"table-xlsx-duplicate-header-{name}",
                          _bad("bad.xlsx", lambda s, r=rows: _xlsx_rows(r)), "bad.xlsx"))
    cases += [
        Case("table-tsv-duplicate-header", _bad("bad.tsv", lambda s:
                                                b"speaker\ttext\ttext\nA\tb\tc\n"), "bad.tsv"),
        Case("table-csv-duplicate-header-spaces", _bad("bad.csv", lambda s:
                                                       b"speaker,text, text \nA,b,c\n"),
             "bad.csv"),
        Case("table-tsv-ragged", _bad("bad.tsv", lambda s: b"speaker\ttext\nA\tb\tc\n"),
             "bad.tsv"),
        Case("meta-xlsx-duplicate-header", _both(
            _write("metadata.xlsx", _xlsx_rows([["doc_id", "group", "group"],
                                                ["G1", "R1", "x"], ["G2", "nonR1", "y"]])),
            _set("input.metadata", "metadata.xlsx"), _set("input.dates", {})),
            "metadata.xlsx"),
        Case("meta-tsv-duplicate-header", _both(
            _write("metadata.tsv", "doc_id\tgroup\tgroup\nG1\tR1\tx\nG2\tnonR1\ty\n"),
            _set("input.metadata", "metadata.tsv"), _set("input.dates", {})), "metadata.tsv"),
        Case("meta-csv-duplicate-header-spaces", _write(
            "metadata.csv", "doc_id,group, group ,date\nG1,a,b,2020-01-02\nG2,c,d,2020-02-03\n"),
             "metadata.csv"),
        Case("codes-xlsx-duplicate-header", _both(
            _write("codes.xlsx", _xlsx_rows([["doc_id", "start_char", "end_char", "code",
                                              "code"], ["G1", 3, 20, "A", "B"]])),
            _set("codes.path", "codes.xlsx")), "codes.xlsx"),
        Case("codebook-xlsx-duplicate-header", _both(
            _write("codebook.xlsx", _xlsx_rows([["code", "code"], ["Barriers", "x"]])),
            _set("codes.codebook", "codebook.xlsx")), "codebook.xlsx"),
        Case("roster-xlsx-duplicate-header", _both(
            _write("roster.xlsx", _xlsx_rows([["name", "kind", "kind"],
                                              ["Jane Smith", "person", "person"]])),
            _set("protect.roster", "roster.xlsx")), "roster.xlsx"),
        Case("table-xlsx-missing-sheet-number", _both(
            _bad("bad.xlsx", lambda s: _xlsx_bytes(_turn_table(s))), _set("input.sheet", 7)),
             "bad.xlsx"),
        # every row used or reported: a code cell that splits into nothing
        Case("codes-split-into-nothing", _both(
            _edit_csv("codes.csv", lambda f: f.assign(code=[" , ", "Barriers"])),
            _set("codes.split_codes", ",")), "codes.csv"),
        Case("codes-xlsx-split-into-nothing", _both(
            _write("codes.xlsx", _xlsx_rows([["doc_id", "start_char", "end_char", "code"],
                                             ["G1", 3, 20, ";;"]])),
            _set("codes.path", "codes.xlsx"), _set("codes.split_codes", ";")), "codes.xlsx"),
        Case("codes-only-the-path-separator", _both(
            _edit_csv("codes.csv", lambda f: f.assign(code=["/", "Barriers"])),
            _set("codes.path_separator", "/")), "codes.csv"),
        Case("codebook-cycle", _both(
            _write("codebook.csv", "theme,code\nBarriers,Time\nTime,Barriers\n"),
            _set("codes.codebook", "codebook.csv"),
            _set("codes.codebook_columns", ["theme", "code"])), "codebook.csv"),
    ]
    # ------------------------------------------------ every line break: one guard, one parser
    breaks = {"LF": "\n", "CRLF": "\r\n", "CR": "\r", "VT": "\x0b", "FF": "\x0c",
              "FS": "\x1c", "GS": "\x1d", "RS": "\x1e", "NEL": "\x85", "LS": "\u2028",
              "PS": "\u2029"}
    for name, brk in breaks.items():
        cases.append(Case(f"enormous-line-between-{name}-breaks", _bad(
            "bad.txt", lambda s, b=brk: b.join(["F: Welcome.", "R1-01: " + "word " * 30_000,
                                                "F: Thank you."]).encode()), "bad.txt"))
    # ------------------------------------------------ every zip-based format: bombs, ../ names
    zip_makers = {"docx": lambda s: _docx_bytes(_lines(s)), "odt": lambda s: _odt_bytes(
        _lines(s)), "xlsx": lambda s: _xlsx_bytes(_turn_table(s))}
    for kind, make in zip_makers.items():
        name = f"bad.{kind}"
        cases += [
            Case(f"{kind}-zip-bomb", _bad(name, lambda s, m=make: _with_members(m(s), BOMB)),
                 name),
            Case(f"{kind}-member-climbs-out", _bad(name, lambda s, m=make: _with_members(
                m(s), {"../../evil.txt": b"x"})), name),
            Case(f"{kind}-member-absolute", _bad(name, lambda s, m=make: _with_members(
                m(s), {"/etc/evil.txt": b"x"})), name),
        ]
    cases += [
        Case("docx-bomb-in-the-document-xml", _bad("bad.docx", _docx_bomb), "bad.docx"),
        Case("meta-xlsx-zip-bomb", _both(_write("metadata.xlsx", _with_members(_xlsx_rows(
            [["doc_id", "group"], ["G1", "R1"], ["G2", "nonR1"]]), BOMB)),
            _set("input.metadata", "metadata.xlsx"), _set("input.dates", {})),
            "metadata.xlsx"),
        Case("codes-xlsx-zip-bomb", _both(_write("codes.xlsx", _with_members(_xlsx_rows(
            [["doc_id", "start_char", "end_char", "code"], ["G1", 3, 20, "A"]]), BOMB)),
            _set("codes.path", "codes.xlsx")), "codes.xlsx"),
        Case("roster-xlsx-zip-bomb", _both(_write("roster.xlsx", _with_members(_xlsx_rows(
            [["name", "kind"], ["Jane Smith", "person"]]), BOMB)),
            _set("protect.roster", "roster.xlsx")), "roster.xlsx"),
    ]
    # ------------------------------------------------ links out of the data folder
    cases += [
        Case("symlink-to-a-file-outside", _symlink("G3.txt", _outside), "G3.txt"),
        Case("symlink-listed-outside", _both(
            _symlink("G3.txt", _outside),
            _set("input.transcripts", ["transcripts/G1.txt", "transcripts/G3.txt"])),
             "G3.txt"),
    ]
    # ------------------------------------------------ values that were internal errors
    cases += [
        Case("internal-encoding-rot13", _set("input.encoding", "rot13"), "input.encoding"),
        Case("internal-encoding-base64", _set("input.encoding", "base64"), "input.encoding"),
        Case("internal-yaml-integer-4301-digits", _raw_config(
            "input:\n  transcripts: transcripts/*\nseed: " + "7" * 4301 + "\n"),
             "config.yaml"),
        Case("internal-set-integer-4301-digits", lambda s: None, "--set seed",
             overrides=("seed=" + "7" * 4301,)),
        Case("internal-seed-negative", _set("seed", -1), "seed"),
        Case("internal-seed-10-to-the-24", _set("seed", 10**24), "seed"),
        Case("internal-set-seed-negative", lambda s: None, "--set seed", overrides=("seed=-1",)),
        Case("internal-seed-plus-refits-overflow", _set("seed", 2**32 - 2), "stability_seeds"),
        Case("internal-ngram-range-reversed", _set("topics.ngram_range", [2, 1]),
             "ngram_range"),
        Case("internal-ngram-range-zero", _set("topics.ngram_range", [0, 2]), "ngram_range"),
        Case("internal-nr-topics-zero", _set("topics.nr_topics", 0), "nr_topics"),
        Case("internal-dates-two-offsets", _both(
            _edit_csv("metadata.csv", lambda f: f.assign(
                date=["2020-01-02 10:00+0100", "2020-02-03 10:00+0200", "2020-03-04 10:00"])),
            _set("input.dates", {"date": "%Y-%m-%d %H:%M%z"})), "input.dates"),
        Case("internal-dates-aware-and-naive", _both(
            _edit_csv("metadata.csv", lambda f: f.assign(
                date=["2020-01-02 10:00+0100", "2020-02-03", "2020-03-04"])),
            _set("input.dates", {"date": ["%Y-%m-%d %H:%M%z", "%Y-%m-%d"]})), "input.dates"),
        Case("set-unknown-key-is-named-as-set", lambda s: None, "--set segment.units",
             overrides=("segment.units=turn",)),
        Case("set-wrong-value-is-named-as-set", lambda s: None, "--set segment.unit",
             overrides=("segment.unit=paragraph",)),
    ]
    # ------------------------------------------------ accepted without notice before
    cases += [
        Case("latin1-binary-junk", _both(
            _bad("bad.txt", lambda s: bytes(b for b in _junk(16, 3000) if b)),
            _set("input.encoding", "latin-1")), "bad.txt"),
        Case("cp1252-read-as-latin1", _both(
            _bad("bad.txt", lambda s: ("F: \u201cWelcome\u201d \u2013 it\u2019s fine.\n" * 40)
                 .encode("cp1252")), _set("input.encoding", "latin-1")), "bad.txt"),
    ]
    for name, value in (("nan", "nan"), ("infinite", "inf"), ("negative", "-5"),
                        ("impossible", "99:99:99"), ("seconds-over-59", "0:00:75")):
        cases.append(Case(f"table-time-{name}", _both(
            _bad("bad.csv", lambda s, v=value: f"speaker,text,time\nA,hello there,{v}\n"
                 .encode()), _set("input.columns", {"time": "time"})), "bad.csv"))
    cases += [
        Case("vtt-impossible-timing", _bad("bad.vtt", lambda s: b"WEBVTT\n\n00:00:99.000 --> "
                                           b"00:01:02.000\n<v Ann>Hello</v>\n"), "bad.vtt"),
        Case("srt-impossible-timing", _bad("bad.srt", lambda s: b"1\n00:75:00,000 --> "
                                           b"00:76:00,000\nAnn: Hello\n"), "bad.srt"),
    ]
    return cases


QDE = ('<?xml version="1.0" encoding="utf-8"?>{doctype}<Project xmlns="urn:QDA-XML:project:1.0" '
       'name="{name}"><CodeBook><Codes><Code guid="6f1c1b2e-0d55-4c7e-9a61-1f0a3c2b9d01" '
       'name="Barriers" isCodable="true"/></Codes></CodeBook><Sources>{sources}</Sources>'
       '</Project>')
SOURCE = ('<TextSource guid="{guid}" name="{name}" plainTextPath="{path}"><PlainTextSelection '
          'guid="2b7e1d9a-5c3f-4e8b-a1d2-3c4b5a6f7e80" startPosition="3" endPosition="20">'
          '<Coding guid="9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"><CodeRef '
          'targetGUID="6f1c1b2e-0d55-4c7e-9a61-1f0a3c2b9d01"/></Coding></PlainTextSelection>'
          '</TextSource>')
SOURCE_GUID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _qdpx(study: Path, *, members: dict[str, bytes] | None = None, doctype: str = "",
          name: str = "x", path: str = f"internal://{SOURCE_GUID}.txt",
          sources: str | None = None) -> bytes:
    """A small .qdpx of the study's G1 transcript, broken as asked."""
    if sources is None:
        sources = SOURCE.format(guid=SOURCE_GUID, name="G1.txt", path=path)
    files = {"project.qde": QDE.format(doctype=doctype, name=name, sources=sources).encode()}
    files.update({f"sources/{SOURCE_GUID}.txt": _lines(study).encode()}
                 if members is None else members)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return buffer.getvalue()


def _project(make: Callable[[Path], bytes], name: str = "project.qdpx"
             ) -> Callable[[Path], None]:
    """The codes of the study come from a (broken) QDA project."""
    def mutate(study: Path) -> None:
        (study / name).write_bytes(make(study))
    return _both(mutate, _set("codes.path", name))


def _sqlite(name: str, statements: list[str]) -> Callable[[Path], None]:
    def mutate(study: Path) -> None:
        import sqlite3

        path = study / name
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path)
        for statement in statements:
            connection.execute(statement)
        connection.commit()
        connection.close()
    return mutate


def qda_cases() -> list[Case]:
    """Broken QDA projects, as the codes or as the transcripts."""
    entities = '<!DOCTYPE Project [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    cases = [
        Case("qda-member-climbs-out", _project(lambda s: _qdpx(s, members={
            f"sources/{SOURCE_GUID}.txt": b"x", "../../evil.txt": b"x"})), "project.qdpx"),
        Case("qda-absolute-member", _project(lambda s: _qdpx(s, members={
            f"sources/{SOURCE_GUID}.txt": b"x", "/tmp/evil.txt": b"x"})), "project.qdpx"),
        Case("qda-zip-bomb", _project(lambda s: _qdpx(s, members={
            f"sources/{SOURCE_GUID}.txt": b" " * (4 * 2**20)})), "project.qdpx"),
        Case("qda-entities", _project(lambda s: _qdpx(s, doctype=entities, name="&b;")),
             "project.qdpx"),
        Case("qda-external-dtd", _project(lambda s: _qdpx(
            s, doctype='<!DOCTYPE Project SYSTEM "http://example.org/p.dtd">')),
             "project.qdpx"),
        Case("qda-not-a-zip", _project(lambda s: b"<Project/>"), "project.qdpx"),
        Case("qda-no-project-qde", _project(lambda s: _rezip(_qdpx(s), drop="project.qde")),
             "project.qdpx"),
        Case("qda-broken-xml", _project(lambda s: _rezip(_qdpx(s), replace={
            "project.qde": b"<Project><Sources><TextSource"})), "project.qdpx"),
        Case("qda-missing-source", _project(lambda s: _qdpx(s, members={})), SOURCE_GUID),
        Case("qda-source-outside", _project(lambda s: _qdpx(
            s, path="absolute:///home/me/G1.txt")), "project.qdpx"),
        Case("qda-bad-positions", _project(lambda s: _qdpx(s, sources=SOURCE.format(
            guid=SOURCE_GUID, name="G1.txt", path=f"internal://{SOURCE_GUID}.txt").replace(
            'startPosition="3"', 'startPosition="three"'))), "project.qdpx"),
        Case("qda-two-sources-one-name", _project(lambda s: _qdpx(s, sources=SOURCE.format(
            guid=SOURCE_GUID, name="G1.txt", path=f"internal://{SOURCE_GUID}.txt")
            + SOURCE.format(guid="1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", name="G1.docx",
                            path=f"internal://{SOURCE_GUID}.txt"))), "G1"),
        Case("qda-as-transcripts-missing-source", _both(
            _write("project.qdpx", b""), lambda s: (s / "project.qdpx").write_bytes(
                _qdpx(s, members={})), _set("input.transcripts", "project.qdpx"),
            _set("codes.path", None)), SOURCE_GUID),
        Case("qda-qualcoder-not-a-database", _both(
            lambda s: (s / "p.qda").mkdir(), _write("p.qda/data.qda", _junk(5, 2000)),
            _set("codes.path", "p.qda")), "data.qda"),
        Case("qda-qualcoder-no-tables", _both(
            _sqlite("p.qda/data.qda", ["create table source (id integer, name text)"]),
            _set("codes.path", "p.qda")), "data.qda"),
        Case("qda-sqlite-of-another-tool", _both(
            _sqlite("other.sqlite3", ["create table notes (id integer, body text)"]),
            _set("codes.path", "other.sqlite3")), "other.sqlite3"),
        Case("qda-unknown-format-name", _both(_project(lambda s: _qdpx(s)),
                                              _set("codes.format", "nvivo")), "codes.format"),
    ]
    return cases


def all_cases() -> list[Case]:
    """Every malformed input (ids are unique)."""
    cases = (transcript_cases() + metadata_cases() + codes_cases() + roster_cases()
             + config_cases() + hostile_cases() + qda_cases())
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    return cases
