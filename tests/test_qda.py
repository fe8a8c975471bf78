"""QDA projects: read Taguette, REFI-QDA and QualCoder projects; write topics as a .qdpx.

Real projects: the Taguette project of the think-aloud study (every highlight placed, checked
against its tag exports); a .qdpx and a QualCoder project built from the focus-group coding as
the tools write them (tests/qda_builders.py; the data may not be committed). Then every way a
project can be broken, and the .qdpx textmine writes: valid against the REFI-QDA schema,
pseudonymised, and read back to the same spans.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xmlschema
import yaml
from qda_builders import build_qdpx, build_qualcoder, gid

import textmine as tm
from textmine.cli import main
from textmine.corpus import Result
from textmine.errors import QDAError
from textmine.io import qda
from textmine.pp.verify import find_leaks
from textmine.text import normalize_ws

FG_COLUMNS = {"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"}
SPAN = ["doc_id", "start_char", "end_char", "code", "code_path", "coder"]
TAGUETTE = "transcripts/thematic-analysis/SERDIF_P2_ThematicAnalysis.sqlite3"
PACKAGED_XSD = Path(tm.__file__).parent / "data" / "refi-qda" / "Project-mrt2019.xsd"


def spans(codes: pd.DataFrame) -> pd.DataFrame:
    return codes[SPAN].sort_values(SPAN).reset_index(drop=True)


def qde(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde").decode("utf-8")


def fg_transcripts(focus_groups: Path) -> tm.Corpus:
    return tm.io.read_transcripts(str(focus_groups / "masterTranscript.csv"),
                                  interviewer=["F"], columns=FG_COLUMNS)


@pytest.fixture(scope="module")
def schema(data_dir):
    shared = data_dir.parent / "docs" / "refi-qda" / "Project-mrt2019.xsd"
    assert PACKAGED_XSD.read_bytes() == shared.read_bytes()  # the standard, unchanged
    return xmlschema.XMLSchema(str(PACKAGED_XSD))


@pytest.fixture(scope="module")
def fg_coded(focus_groups):
    """The focus groups with their 722 coded quotes placed by the CSV reader (1,112 spans)."""
    corpus = fg_transcripts(focus_groups)
    with pytest.warns(tm.TextmineWarning, match="not in the codebook"):
        tm.io.read_codes(corpus, focus_groups / "codeReferences.csv",
                         columns={"doc_id": "Transcript", "code": "Code", "quote": "Comment",
                                  "coder": "Author"},
                         codebook=str(focus_groups / "Master Codebook.csv"),
                         codebook_columns=["Category", "Subcategory", "axialCode",
                                           "initialCode"],
                         codebook_description="definition", split_codes=",")
    assert len(corpus.codes) == 1112 and corpus.uns["codes"]["n_unplaced"] == 0
    return corpus


@pytest.fixture(scope="module")
def fg_qdpx(fg_coded, tmp_path_factory):
    path = tmp_path_factory.mktemp("qdpx") / "focus_groups.qdpx"
    return build_qdpx(path, fg_coded.sources, fg_coded.codes, fg_coded.uns["codebook"],
                      inline="nonR1_2")


@pytest.fixture(scope="module")
def fg_qualcoder(fg_coded, tmp_path_factory):
    folder = tmp_path_factory.mktemp("qualcoder") / "focus_groups.qda"
    return build_qualcoder(folder, fg_coded.sources, fg_coded.codes, fg_coded.uns["codebook"])


# ---------------------------------------------------------------------------- Taguette

def test_taguette_highlights_map_from_html_bytes_onto_their_snippets(serdif):
    project = qda.read_taguette(serdif / TAGUETTE)
    assert len(project.sources) == 17
    assert project.info["n_highlights"] == 1794 and project.info["n_untagged_highlights"] == 1
    assert project.info["n_codes"] == 22 and project.info["users"] == ["admin"]
    assert len(project.codes) == 1930 and project.problems.empty
    # offsets count UTF-8 bytes of text nodes: every mapped span holds exactly the text of
    # the HTML snippet Taguette stored with the highlight (curly quotes are 3 bytes each)
    texts = {s.doc_id: s.text for s in project.sources}
    for row in project.codes.itertuples():
        assert normalize_ws(texts[row.doc_id][row.start_char:row.end_char]) == row.quote
    assert project.descriptions["Query process clear"].startswith("The query process")


def test_every_taguette_highlight_is_placed_on_the_transcripts(example_corpus, serdif):
    corpus = example_corpus.copy()
    with pytest.warns(tm.TextmineWarning, match="placed by their quoted text"):
        report = tm.io.read_codes(corpus, serdif / TAGUETTE)
    assert report.mode == "taguette"
    assert report.n_rows == report.n_placed == len(corpus.codes) == 1930
    assert report.unplaced.empty and report.unknown_documents == []
    # 14 transcripts differ from Taguette's text only in whitespace (tabs, paragraph breaks):
    # offsets mapped; the other 3 differ in words, so their highlights go by quote, exactly
    extra = report.extra
    assert extra["documents_mapped_through_whitespace"] == 14
    assert extra["documents_by_quote"] == 3
    assert extra["n_by_offsets_mapped"] + report.n_exact == 1930 and report.n_fuzzy == 0
    # the tag export (quote text, no offsets) says the same: same documents, tags, quotes
    with open(serdif / "transcripts/thematic-analysis/tags/csv/all_tags_20220303.csv",
              encoding="utf-8", newline="") as handle:
        exported = Counter((r["document"].removesuffix(".odt"), r["tag"],
                            normalize_ws(r["content"])) for r in csv.DictReader(handle))
    placed = Counter((c.doc_id, c.code,
                      normalize_ws(corpus.sources[c.doc_id][c.start_char:c.end_char]))
                     for c in corpus.codes.itertuples())
    assert placed == exported
    # the CSV reader, given the same quotes without offsets, put them in the same places,
    # except 7 quotes that occur more than once in their transcript: it took the first
    # occurrence, the offsets say which one the coder highlighted
    key = ["doc_id", "start_char", "end_char", "code"]
    both = corpus.codes[key].merge(example_corpus.codes[key], how="outer", indicator=True)
    differ = both[both["_merge"] != "both"]
    assert (differ["_merge"] == "left_only").sum() == (differ["_merge"] == "right_only").sum() == 7
    for row in differ.itertuples():
        source = corpus.sources[row.doc_id]
        quote = normalize_ws(source[row.start_char:row.end_char])
        assert normalize_ws(source).count(quote) > 1
    assert set(corpus.codes["coder"]) == {"admin"}


def test_a_taguette_project_as_the_transcripts(serdif, tmp_path):
    config = {"run_name": "t", "input": {"transcripts": str(serdif / TAGUETTE),
                                         "speakers": ["MODERATOR"]},
              "segment": {"unit": "sentence", "tokenizer": "words"}}
    cfg = tm.load_config(config).resolved()
    from textmine.pipeline import read_inputs
    from textmine.runfolder import Stages

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tm.TextmineWarning)
        corpus, reports = read_inputs(cfg, Stages())
    assert corpus.n_docs == 17 and set(corpus.documents["format"]) == {"taguette"}
    assert len(corpus.codes) == 1930 and set(corpus.codes["placement"]) == {"span"}
    assert reports["codes_unplaced"].empty


# ---------------------------------------------------------------------------- REFI-QDA

def test_built_qdpx_is_valid_and_reads_back_to_the_same_spans(fg_coded, fg_qdpx, focus_groups,
                                                               schema):
    schema.validate(qde(fg_qdpx))
    project = qda.read_qdpx(fg_qdpx)
    assert [s.doc_id for s in project.sources] == ["R1_1", "R1_2", "nonR1_1", "nonR1_2"]
    assert project.info["n_selections"] == 722 and project.info["unknown_users"] == []
    corpus = fg_transcripts(focus_groups)
    report = tm.io.read_codes(corpus, fg_qdpx)
    assert report.n_rows == report.n_placed == 1112 and report.unplaced.empty
    assert set(corpus.codes["placement"]) == {"span"}  # the same texts: offsets as they are
    assert spans(corpus.codes).equals(spans(fg_coded.codes))
    # the hierarchy (4 levels, a coded code with coded children) and the definitions
    path = "3 > 1.8 - Past Experience > PE-OS > PE-SA"
    assert set(corpus.codes.loc[corpus.codes["code"] == "PE-SA", "code_path"]) == {path}
    assert corpus.uns["codebook"]["PE-SA"] == fg_coded.uns["codebook"]["PE-SA"]
    assert corpus.uns["codes"]["project"]["n_codes"] > corpus.codes["code"].nunique()


def test_a_qdpx_as_the_whole_input(fg_coded, fg_qdpx, tmp_path):
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump({
        "run_name": "fg", "input": {"transcripts": str(fg_qdpx), "interviewer": ["F"]},
        "segment": {"unit": "sentence", "tokenizer": "words"}}), encoding="utf-8")
    from textmine.pipeline import read_inputs
    from textmine.runfolder import Stages

    corpus, reports = read_inputs(tm.load_config(config).resolved(), Stages())
    assert corpus.sources == fg_coded.sources  # one source inline, three in sources/
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["R1_2", "case"] == "R1 universities"
    assert docs.loc["nonR1_1", "university"] == "non-R1"
    assert docs.loc["R1_2", "session"] == "2" and docs.loc["R1_1", "sets"] == "First sessions"
    assert pd.isna(docs.loc["R1_2", "sets"])
    assert spans(corpus.codes).equals(spans(fg_coded.codes)) and reports["codes_unplaced"].empty
    # speaker turns are found in the project's text as in a transcript file
    assert set(corpus.turns.loc[corpus.turns["speaker"] == "F", "role"]) == {"interviewer"}
    assert main(["validate", str(config)]) == 0


def test_other_exports_of_the_transcripts_are_placed_by_whitespace_map_or_quote(
        fg_coded, fg_qdpx, tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    crlf = fg_coded.sources["R1_1"].replace("\n", "\r\n")  # Windows line endings
    header = "Focus group R1-2, exported 2023-06-19\n\n" + fg_coded.sources["R1_2"].replace(
        "\n\n", "\n")  # a header and single line breaks
    (folder / "R1_1.txt").write_bytes(crlf.encode("utf-8"))
    (folder / "R1_2.txt").write_bytes(header.encode("utf-8"))
    corpus = tm.io.read_transcripts(str(folder / "*.txt"), interviewer=["F"])
    # the header line is the document's preamble (metadata), never a turn of speech
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["R1_2", "preamble_title"] == "Focus group R1-2, exported 2023-06-19"
    assert not corpus.turns["text"].str.contains("exported 2023").any()
    with pytest.warns(tm.TextmineWarning) as caught:
        report = tm.io.read_codes(corpus, fg_qdpx)
    assert any("nonR1_1" in str(w.message) for w in caught)  # project docs the corpus lacks
    expected = fg_coded.codes[fg_coded.codes["doc_id"].isin(["R1_1", "R1_2"])]
    assert report.n_placed == len(corpus.codes) == len(expected) and report.unplaced.empty
    placement = corpus.codes.groupby("doc_id")["placement"].agg(set)
    assert placement["R1_1"] == {"mapped"} and placement["R1_2"] <= {"exact", "fuzzy"}
    # nothing shifted: every span holds the words the coders coded, in the same order
    for mine, theirs in zip(spans(corpus.codes).itertuples(), spans(expected).itertuples(),
                            strict=True):
        assert (mine.doc_id, mine.code, mine.coder) == (theirs.doc_id, theirs.code,
                                                        theirs.coder)
        assert normalize_ws(corpus.sources[mine.doc_id][mine.start_char:mine.end_char]) == \
            normalize_ws(fg_coded.sources[theirs.doc_id][theirs.start_char:theirs.end_char])
    assert report.extra["documents_by_quote"] == 1 and report.n_rows_unknown_documents > 0


# ---------------------------------------------------------------------------- QualCoder

def test_qualcoder_project_built_with_its_own_schema(fg_coded, fg_qualcoder, focus_groups):
    with sqlite3.connect(fg_qualcoder / "data.qda") as connection:
        assert connection.execute("select count(*) from code_name where supercid is not null"
                                  ).fetchone()[0] > 0  # codes under codes (v16+)
        n_rows = connection.execute("select count(*) from code_text").fetchone()[0]
    for path in (fg_qualcoder, fg_qualcoder / "data.qda"):
        corpus = fg_transcripts(focus_groups)
        report = tm.io.read_codes(corpus, path)
        assert report.mode == "qualcoder" and report.n_rows == report.n_placed == n_rows
        assert spans(corpus.codes).equals(spans(fg_coded.codes))
        assert set(corpus.codes["placement"]) == {"span"}
        assert report.extra["project"]["left_out_sources"] == {"media": 1}
    assert corpus.uns["codebook"]["PE-SA"] == fg_coded.uns["codebook"]["PE-SA"]
    # the project folder as the transcripts: its cases and attributes as metadata
    corpus = tm.io.read_transcripts(str(fg_qualcoder), interviewer=["F"])
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["nonR1_2", "case"] == "non-R1 universities"
    assert docs.loc["nonR1_2", "university"] == "non-R1" and docs.loc["R1_2", "session"] == "2"


def test_qualcoder_span_whose_offsets_lost_their_text_goes_by_seltext(fg_coded, fg_qualcoder,
                                                                     focus_groups, tmp_path):
    copy = tmp_path / "moved.qda"
    copy.mkdir()
    (copy / "data.qda").write_bytes((fg_qualcoder / "data.qda").read_bytes())
    with sqlite3.connect(copy / "data.qda") as connection:
        ctid, pos0, pos1 = connection.execute(
            "select ctid, pos0, pos1 from code_text where length(seltext) > 40 "
            "order by ctid limit 1").fetchone()
        connection.execute("update code_text set pos0 = ?, pos1 = ? where ctid = ?",
                           (pos0 + 7, pos1 + 7, ctid))
    corpus = fg_transcripts(focus_groups)
    with pytest.warns(tm.TextmineWarning, match="no longer hold the text"):
        report = tm.io.read_codes(corpus, copy)
    assert report.extra["n_offsets_disagree_with_quote"] == 1
    assert spans(corpus.codes).equals(spans(fg_coded.codes))  # back where it belongs


# ---------------------------------------------------------------------------- malformed

def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message and err.value.hint
    return message


PROJECT = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" '
           'name="x">{body}</Project>')
CODEBOOK = ('<CodeBook><Codes><Code guid="{c}" name="Barriers" isCodable="true"/></Codes>'
            '</CodeBook>')


def _selection(start: int, end: int, code: str) -> str:
    return (f'<PlainTextSelection guid="{gid("s", start, end, code)}" startPosition="{start}" '
            f'endPosition="{end}"><Coding guid="{gid("c", start, code)}"><CodeRef '
            f'targetGUID="{code}"/></Coding></PlainTextSelection>')


def _project(tmp_path: Path, selections: str = "", members: dict[str, bytes] | None = None,
             path: str = "internal://doc.txt", name: str = "bad.qdpx") -> Path:
    code = gid("code")
    body = (CODEBOOK.format(c=code) + f'<Sources><TextSource guid="{gid("src")}" name="G1.txt" '
            f'plainTextPath="{path}">{selections.replace("CODE", code)}</TextSource></Sources>')
    files = {"project.qde": PROJECT.format(body=body).encode()}
    files.update({"sources/doc.txt": b"F: Hello there.\nP: It was fine.\n"}
                 if members is None else members)
    return _zip(tmp_path / name, files)


@pytest.mark.parametrize("member", ["../evil.txt", "sources/../../evil.txt", "/etc/evil.txt",
                                    "C:\\evil.txt"])
def test_zip_member_climbing_out_is_refused(tmp_path, member):
    path = _project(tmp_path, members={"sources/doc.txt": b"x", member: b"x"})
    with pytest.raises(QDAError) as err:
        qda.read_qdpx(path)
    message = _one_line(err)
    assert "bad.qdpx" in message and "absolute path or '..'" in message


def test_zip_bomb_is_refused_before_it_is_decompressed(tmp_path):
    path = _project(tmp_path, members={"sources/doc.txt": b"\0" * (8 * 2**20)})
    assert path.stat().st_size < 64_000
    with pytest.raises(QDAError) as err:
        qda.read_qdpx(path)
    assert "zip bomb" in _one_line(err) and "sources/doc.txt" in str(err.value)
    # the total limit, on a project whose members are each modest
    from textmine.io.zipguard import check_zip

    rng = np.random.default_rng(0)
    modest = _zip(tmp_path / "large.qdpx", {f"sources/{n}.txt": rng.bytes(400_000)
                                            for n in range(3)})
    check_zip(modest.read_bytes(), modest, kind=".qdpx", error=QDAError)
    with pytest.raises(QDAError, match="decompresses to more than 1 MB") as err:
        check_zip(modest.read_bytes(), modest, kind=".qdpx", error=QDAError,
                  max_total_bytes=2**20)
    assert "large.qdpx" in _one_line(err)


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE Project [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE Project [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE Project SYSTEM "http://example.org/project.dtd">',
])
def test_xml_with_entities_or_a_dtd_is_refused(tmp_path, doctype):
    xml = ('<?xml version="1.0"?>' + doctype + '<Project xmlns="urn:QDA-XML:project:1.0" '
           'name="&b;"/>' if "ENTITY a" in doctype else
           '<?xml version="1.0"?>' + doctype + '<Project xmlns="urn:QDA-XML:project:1.0" '
           'name="x"/>')
    path = _zip(tmp_path / "entities.qdpx", {"project.qde": xml.encode()})
    with pytest.raises(QDAError) as err:
        qda.read_qdpx(path)
    assert "project.qde declares a DTD or XML entities" in _one_line(err)


def test_broken_archives_and_xml_name_the_problem(tmp_path):
    cases = {
        "not a zip": (tmp_path / "a.qdpx", b"this is not a zip", "not a zip archive"),
        "no project.qde": (_zip(tmp_path / "b.qdpx", {"other.xml": b"<x/>"}), None,
                           "has no project.qde"),
        "bad XML": (_zip(tmp_path / "c.qdpx", {"project.qde": b"<Project><Sources>"}), None,
                    "project.qde, line 1"),
        "wrong root": (_zip(tmp_path / "d.qdpx", {"project.qde": b"<CodeBook/>"}), None,
                       "not <Project>"),
    }
    for label, (path, data, needle) in cases.items():
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(QDAError) as err:
            qda.read_qdpx(path)
        assert needle in _one_line(err), label
        assert path.name in str(err.value), label


def test_missing_source_names_the_member_and_the_source(tmp_path):
    path = _project(tmp_path, members={})
    with pytest.raises(QDAError) as err:
        qda.read_qdpx(path)
    message = _one_line(err)
    assert "sources/doc.txt" in message and f"TextSource '{gid('src')}'" in message
    outside = _project(tmp_path, path="absolute:///home/me/G1.txt", name="outside.qdpx")
    with pytest.raises(QDAError, match="outside the project"):
        qda.read_qdpx(outside)
    no_text = _project(tmp_path, path="", name="none.qdpx")
    with pytest.raises(QDAError, match="neither PlainTextContent nor plainTextPath"):
        qda.read_qdpx(no_text)


def test_bad_selections_are_reported_with_their_guid_not_dropped(tmp_path):
    text = "F: Hello there.\nP: It was fine.\n"
    unknown = gid("nowhere")
    selections = (_selection(3, 15, "CODE") + _selection(19, 500, "CODE")
                  + _selection(20, 20, "CODE") + _selection(19, 31, unknown))
    path = _project(tmp_path, selections)
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "G1.txt").write_text(text, encoding="utf-8")
    corpus = tm.io.read_transcripts(str(folder / "G1.txt"), interviewer=["F"])
    with pytest.warns(tm.TextmineWarning, match="3 of 4 coded spans could not be placed"):
        report = tm.io.read_codes(corpus, path)
    assert report.n_placed == 1 and corpus.codes["placement"].tolist() == ["span"]
    assert normalize_ws(text[3:15]) == "Hello there."
    rows = report.unplaced.set_index("where")["reason"]
    past = rows[f"PlainTextSelection {gid('s', 19, 500, 'CODE')}"]
    assert "runs past the end of the text (19-500, text has 32 characters)" in past
    assert "is empty" in rows[f"PlainTextSelection {gid('s', 20, 20, 'CODE')}"]
    assert f"refers to code GUID {unknown}" in rows[f"PlainTextSelection "
                                                    f"{gid('s', 19, 31, unknown)}"]


def test_broken_qualcoder_and_taguette_projects(tmp_path, serdif):
    empty = tmp_path / "empty.qda"
    empty.mkdir()
    sqlite3.connect(empty / "data.qda").execute("create table source (id integer)").connection \
        .commit()
    with pytest.raises(QDAError) as err:
        qda.read_qualcoder(empty)
    assert "not a QualCoder project: no table code_name, code_text" in _one_line(err)
    (tmp_path / "junk.qda").mkdir()
    (tmp_path / "junk.qda" / "data.qda").write_bytes(b"not a database at all" * 100)
    with pytest.raises(QDAError, match="not an SQLite database"):
        qda.read_qualcoder(tmp_path / "junk.qda")
    # a Taguette highlight past its document, and one tagged with a tag that is gone
    copy = tmp_path / "taguette.sqlite3"
    copy.write_bytes((serdif / TAGUETTE).read_bytes())
    with sqlite3.connect(copy) as connection:
        connection.execute("update highlights set end_offset = 10000000 where id = 1")
        connection.execute("insert into highlight_tags values (2, 999)")
    project = qda.read_taguette(copy)
    reasons = project.problems.set_index("where")["reason"]
    assert "outside the document's text" in reasons["highlight id 1"]
    assert "tag id 999" in reasons["highlight id 2"]
    assert len(project.codes) + len(project.problems) == 1931


def test_a_broken_project_stops_validate_and_run_with_exit_2_and_writes_nothing(
        tmp_path, capsys):
    path = _project(tmp_path, members={"sources/doc.txt": b"x", "../../evil.txt": b"x"})
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "G1.txt").write_text("F: Hello there.\nP: It was fine.\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"run_name": "x", "input": {"transcripts": "t/*.txt"},
                                      "codes": {"path": path.name}}), encoding="utf-8")
    out = tmp_path / "out"
    for args in (["validate", str(config)], ["run", str(config), "--out", str(out)]):
        assert main(args) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and "bad.qdpx" in err[0] and "'..'" in err[0]
    assert not out.exists()
    # the same project as the transcripts
    config.write_text(yaml.safe_dump({"run_name": "x", "input": {"transcripts": path.name}}),
                      encoding="utf-8")
    assert main(["validate", str(config)]) == 2
    assert "bad.qdpx" in capsys.readouterr().err


# ---------------------------------------------------------------------------- levels

def test_code_at_level():
    path = "3 > 1.8 - Past Experience > PE-OS > PE-SA"
    assert qda.code_at_level(path, 1) == "3"
    assert qda.code_at_level(path, 2) == "3 > 1.8 - Past Experience"
    assert qda.code_at_level(path, 9) == path
    assert tm.pp.code_at_level("B-OPR", 2) == "B-OPR"
    series = tm.pp.codes_at_level(pd.DataFrame({"code_path": [path, "B-OS"]}), 3)
    assert series.tolist() == ["3 > 1.8 - Past Experience > PE-OS", "B-OS"]
    for bad in (0, -1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="level must be a whole number"):
            tm.pp.code_at_level(path, bad)


# ---------------------------------------------------------------------------- writer

def _with_topics(corpus: tm.Corpus, seed: int = 0) -> tm.Corpus:
    """A topics result like tl.topics stores (no model needed to test the export)."""
    rng = np.random.default_rng(seed)
    n = len(corpus.segments)
    topics = rng.integers(-1, 4, n)
    per = pd.DataFrame({"segment_id": corpus.segments["segment_id"], "topic": topics,
                        "probability": rng.random(n)})
    info = pd.DataFrame({"topic": [-1, 0, 1, 2, 3],
                         "size": [int((topics == t).sum()) for t in range(-1, 4)],
                         "label": ["(outliers)", "data, sharing", "journals & fees",
                                   "<tenure>", "time"],
                         "terms": ["a", "data sharing repository", "journal fee", "tenure",
                                   "time"]})
    quotes = (corpus.segments.assign(topic=topics).groupby("topic").head(2)
              .assign(rank=1)[["topic", "rank", "segment_id", "text"]])
    corpus.results["topics"] = Result(kind="topics", params={"seed": seed,
                                                             "embedding": "minilm"},
                                      per_segment=per, tables={"topic_info": info,
                                                               "quotes": quotes}, info={})
    return corpus


@pytest.fixture(scope="module")
def protected(focus_groups, tmp_path_factory):
    roster = tmp_path_factory.mktemp("roster") / "roster.csv"
    roster.write_text("name,kind,pseudonym\nOpen Science,organisation,\n"
                      "Research Gate,organisation,\n", encoding="utf-8")
    corpus = fg_transcripts(focus_groups)
    tm.pp.protect(corpus, roster=str(roster))
    tm.pp.segment(corpus, unit="sentence", tokenizer="words", exclude_roles=[])
    return _with_topics(corpus)


def test_written_qdpx_is_valid_pseudonymised_and_reads_back_to_the_segments(
        protected, schema, tmp_path):
    corpus = protected
    suggestions = (corpus.segments.iloc[::40][["segment_id"]]
                   .assign(code="B-OA", confidence=np.linspace(0.5, 0.9, len(
                       corpus.segments.iloc[::40]))))
    path = qda.write_qdpx(corpus, tmp_path / "align" / "textmine.qdpx",
                          suggestions=suggestions)
    schema.validate(qde(path))
    # no identifier of the raw text is in it; the same check finds them when they are
    assert corpus.protection.summary()["replacements"]["organisation"] > 100
    assert find_leaks(tmp_path / "align", corpus.protection.identifiers()) == []
    raw = tmp_path / "raw"
    raw.mkdir()
    unprotected = corpus.copy()
    unprotected.protection = None
    with pytest.raises(tm.TextmineError):  # segments hold pseudonyms, the raw text does not
        qda.write_qdpx(unprotected, raw / "x.qdpx")
    assert not (raw / "x.qdpx").exists() and list(raw.iterdir()) == []
    # read back: every selection holds exactly its segment's (pseudonymised) words
    project = qda.read_qdpx(path)
    texts = {s.doc_id: s.text for s in project.sources}
    segs = corpus.segments.set_index("segment_id")
    topic = corpus.results["topics"].per_segment.set_index("segment_id")["topic"]
    by_topic = project.codes[project.codes["code_path"].str.startswith("textmine topics > ")]
    assert len(by_topic) == int((topic >= 0).sum())
    assert set(by_topic["coder"]) == {"textmine topics (minilm, seed 0)"}
    seg_by_doc = {d: g for d, g in corpus.segments.assign(topic=topic.to_numpy())
                  .groupby("doc_id")}
    for doc_id, rows in by_topic.groupby("doc_id"):
        expected = seg_by_doc[doc_id]
        expected = expected[expected["topic"] >= 0]
        assert [normalize_ws(texts[doc_id][r.start_char:r.end_char]) for r in
                rows.itertuples()] == expected["text"].tolist()
        assert rows["code"].str.extract(r"^Topic (\d+):")[0].astype(int).tolist() == \
            expected["topic"].tolist()
    suggested = project.codes[project.codes["code_path"] == "textmine suggested codes > B-OA"]
    assert len(suggested) == len(suggestions)
    assert set(suggested["coder"]) == {"textmine suggested codes"}
    assert sorted(normalize_ws(texts[r.doc_id][r.start_char:r.end_char])
                  for r in suggested.itertuples()) == \
        sorted(segs.loc[suggestions["segment_id"], "text"])
    assert "Top terms: journal fee." in project.descriptions["Topic 1: journals & fees"]
    # line breaks kept: a QDA tool shows the transcript as it was laid out
    assert texts["R1_1"].count("\n") == corpus.sources["R1_1"].count("\n")


def test_written_qdpx_round_trips_offsets_and_is_byte_identical(focus_groups, tmp_path,
                                                                 schema):
    corpus = fg_transcripts(focus_groups)
    tm.pp.segment(corpus, unit="sentence", tokenizer="words", exclude_roles=[])
    _with_topics(corpus, seed=3)
    first = qda.write_qdpx(corpus, tmp_path / "a.qdpx")
    second = qda.write_qdpx(corpus.copy(), tmp_path / "b.qdpx")
    assert first.read_bytes() == second.read_bytes()
    schema.validate(qde(first))
    # read back onto the corpus it came from: the same texts, so offsets as they were
    back = corpus.copy()
    report = tm.io.read_codes(back, first)
    assert set(back.codes["placement"]) == {"span"} and report.unplaced.empty
    topic = corpus.results["topics"].per_segment["topic"].to_numpy()
    coded = corpus.segments[topic >= 0]
    got = back.codes.sort_values(["doc_id", "start_char"]).reset_index(drop=True)
    want = coded.sort_values(["doc_id", "start_char"]).reset_index(drop=True)
    assert got[["doc_id", "start_char", "end_char"]].equals(
        want[["doc_id", "start_char", "end_char"]])
    # and as the input of a new study: sources, spans, metadata
    again = tm.io.read_transcripts(str(first), interviewer=["F"])
    assert again.sources == corpus.sources


def test_writer_refuses_what_it_cannot_export(protected, tmp_path):
    corpus = protected.copy()
    with pytest.raises(tm.TextmineError, match="no result 'nope'"):
        qda.write_qdpx(corpus, tmp_path / "x.qdpx", topics_key="nope")
    bad = pd.DataFrame({"segment_id": ["not-a-segment"], "code": ["x"], "confidence": [0.5]})
    with pytest.raises(tm.TextmineError, match="segment"):
        qda.write_qdpx(corpus, tmp_path / "x.qdpx", suggestions=bad)
    without = corpus.copy()
    without.sources = {}
    with pytest.raises(tm.TextmineError, match="not in memory"):
        qda.write_qdpx(without, tmp_path / "x.qdpx")
    assert list(tmp_path.iterdir()) == []


def test_verify_reads_inside_a_qdpx(tmp_path):
    path = tmp_path / "leak.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", b"<Project/>")
        archive.writestr("sources/a.txt", b"she met Jane Smith at noon")
    assert find_leaks(tmp_path, {"Jane Smith"}) == [("leak.qdpx", "identifier")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", b"<Project/>")
    (tmp_path / "leak.qdpx").write_bytes(buffer.getvalue())
    assert find_leaks(tmp_path, {"Jane Smith"}) == []


@pytest.mark.slow
def test_a_run_writes_align_textmine_qdpx(example_copy, schema):
    config = example_copy / "configs" / "example.yaml"
    result = tm.run(config, out=example_copy / "out")
    path = example_copy / "out" / "align" / "textmine.qdpx"
    schema.validate(qde(path))
    project = qda.read_qdpx(path)
    corpus = result.corpus
    topic = corpus.results["topics"].per_segment["topic"].to_numpy()
    suggested = tm.get.suggested_codes(corpus)
    machine = project.codes["coder"].str.startswith("textmine suggested")
    # one selection per topic segment, and one per suggested code, under its own coder
    assert int((~machine).sum()) == int((topic >= 0).sum())
    assert int(machine.sum()) == len(suggested) > 0
    texts = {s.doc_id: s.text for s in project.sources}
    got = sorted(normalize_ws(texts[r.doc_id][r.start_char:r.end_char])
                 for r in project.codes[~machine].itertuples())
    assert got == sorted(corpus.segments.loc[topic >= 0, "text"])


@pytest.mark.parametrize("export", [True, False])
def test_run_folder_has_the_qdpx_when_asked(protected, tmp_path, export):
    from textmine.pipeline import write_run_folder

    cfg = tm.load_config({"run_name": "fg", "input": {"transcripts": "x.txt"},
                          "align": {"export_qdpx": export},
                          "report": {"enabled": False}}).resolved()
    corpus = protected.copy()
    suggestions = corpus.segments.iloc[:3][["segment_id"]].assign(code="PW", confidence=0.8)
    corpus.results["align"] = Result(kind="align", params={}, per_segment=None,
                                     tables={"suggested_codes": suggestions}, info={})
    write_run_folder(tmp_path, cfg, corpus, {}, {})
    path = tmp_path / "align" / "textmine.qdpx"
    assert path.exists() == export
    if export:
        project = qda.read_qdpx(path)
        assert project.info["project_name"] == "fg"
        assert (project.codes["code_path"] == "textmine suggested codes > PW").sum() == 3


def test_code_names_stay_distinct_when_two_share_a_name(tmp_path):
    from textmine.io.qda.model import code_names

    names = code_names({"a": ["Barriers", "Other"], "b": ["Facilitators", "Other"],
                        "c": ["Barriers", "Time"]})
    assert names == {"a": ("Barriers > Other", "Barriers > Other"),
                     "b": ("Facilitators > Other", "Facilitators > Other"),
                     "c": ("Time", "Barriers > Time")}
    with pytest.raises(QDAError, match="no such file"):
        qda.project_format(tmp_path / "missing.sqlite3")
