"""pp.protect on real transcripts: what is replaced, consistency, offsets, fields, the map."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pytest
import yaml
from builders import focus_group_turns

import textmine as tm
from textmine.errors import ConfigError, CorpusError, ProtectError, RosterError
from textmine.pp.detect import Detector
from textmine.pp.roster import read_roster

ROSTER = [
    {"name": "Dr Jane Smith", "kind": "person", "pseudonym": "", "aliases": "Janey"},
    {"name": "Robert O'Neill", "kind": "person", "pseudonym": "Participant B", "aliases": ""},
    {"name": "Zoë Hughes-Patel", "kind": "person", "pseudonym": "", "aliases": ""},
    {"name": "Leeds Teaching Hospitals NHS Trust", "kind": "organisation", "pseudonym": "",
     "aliases": "LTHT"},
    {"name": "Harrogate", "kind": "place", "pseudonym": "", "aliases": ""},
]


def _write_roster(path, rows=ROSTER):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture()
def study(focus_groups, tmp_path):
    """Two real focus groups as ``Name: text`` files; names and identifiers written in."""
    turns = focus_group_turns(focus_groups)
    folder = tmp_path / "t"
    folder.mkdir()
    extra = {
        "R1_1": [("Dr Jane Smith", "I lead the team at Leeds Teaching Hospitals NHS Trust, "
                                   "call me on 0113 496 0000 or jane.smith@nhs.net."),
                 ("Robert O'Neill", "Jane's point about LTHT is right; Smith said so too. "
                                    "My NHS number is 943 476 5919, we are in HG1 2AB.")],
        "nonR1_1": [("Zoë Hughes-Patel", "I moved to Harrogate; see www.harrogate-gp.nhs.uk "
                                         "and ask JANEY or zoe hughes-patel about it.")],
    }
    for group in ("R1_1", "nonR1_1"):
        lines = [f"{s}: {t}" for s, t in extra[group] + turns[group][:40]]
        (folder / f"{group}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    _write_roster(tmp_path / "roster.csv")
    pd.DataFrame({"doc_id": ["R1_1", "nonR1_1"], "site": ["Harrogate", "Leeds"],
                  "lead": ["Jane Smith", "Robert O'Neill"]}).to_csv(tmp_path / "meta.csv",
                                                                    index=False)
    return tmp_path


def _read(study):
    return tm.io.read_transcripts(str(study / "t" / "*.txt"), metadata=str(study / "meta.csv"),
                                  interviewer=["F"])


def test_detector_finds_each_kind_in_the_forms_people_write():
    detector = Detector(read_roster(_write_roster_tmp()))
    text = ("Dr Jane Smith's team (JANE SMITH, jane smith, Jane\nSmith, Mrs Smith, Janey) met "
            "Robert O\u2019Neill and Zoe Hughes-Patel at LTHT, Leeds Teaching Hospitals and "
            "Harrogate's clinic. Mail jane.smith@nhs.net, www.nhs.uk/a, https://x.org/b?c=1. "
            "Ring 07700 900123, +44 (0)20 7946 0958, (0113) 496-0000 or 0800 123 4567. "
            "NHS 943 476 5919, 9434765919 and 943-476-5919; not 9434765918. "
            "Post to SW1A 1AA, m1 1ae, DN55 1PT or CR2 6XH.")
    replaced, found = detector.replace(text)
    kinds = pd.Series([f.kind for f in found]).value_counts().to_dict()
    assert kinds == {"person": 8, "organisation": 2, "place": 1, "email": 1, "url": 2,
                     "phone": 4, "nhs_number": 3, "postcode": 4}
    for original in ("Smith", "Jane", "JANE", "jane", "Janey", "Neill", "Zoe", "Hughes",
                     "LTHT", "Leeds", "Harrogate", "@", "nhs.uk", "x.org", "07700", "7946",
                     "496", "4567", "5919", "SW1A", "m1 1ae", "DN55", "CR2"):
        assert original not in replaced, original
    assert "PERSON_1's team" in replaced and "PLACE_1's clinic" in replaced
    assert "Participant B" in replaced  # the roster's fixed pseudonym
    assert "9434765918" in replaced  # fails the check digit: not an NHS number
    # a place named by an ordinary word is found capitalised only
    reading = Detector(read_roster(_write_roster_tmp([
        {"name": "Reading", "kind": "place", "pseudonym": "", "aliases": ""}])))
    assert reading.replace("Reading is far; reading helps. READING.")[0] == (
        "PLACE_1 is far; reading helps. PLACE_1.")
    # ordinary words that are also names are left alone when not capitalised
    assert Detector(read_roster(_write_roster_tmp([
        {"name": "Will May", "kind": "person", "pseudonym": "", "aliases": ""}]))).replace(
        "we will see, may be")[0] == "we will see, may be"


def _write_roster_tmp(rows=ROSTER):
    import tempfile

    folder = tempfile.mkdtemp()
    return _write_roster(os.path.join(folder, "roster.csv"), rows)


def test_no_false_alarms_on_real_transcripts_without_identifiers(example_corpus):
    # the example study names no one: patterns find nothing in 17 sessions (~300k chars)
    detector = Detector()
    assert sum(len(detector.find(t)) for t in example_corpus.sources.values()) == 0


def test_protect_replaces_consistently_and_keeps_offsets(study):
    corpus = _read(study)
    before = corpus.turns[["start_char", "end_char"]].copy()
    summary = tm.pp.protect(corpus, roster=str(study / "roster.csv"))
    pd.testing.assert_frame_equal(corpus.turns[["start_char", "end_char"]], before)
    text = " ".join(corpus.turns["text"])
    for name in ("Jane", "Smith", "O'Neill", "Zoë", "Hughes", "Harrogate", "LTHT", "0113",
                 "jane.smith", "943 476 5919", "HG1 2AB", "harrogate-gp"):
        assert name.casefold() not in text.casefold(), name
    # the same person gets the same pseudonym everywhere, possessive kept
    assert "PERSON_1's point about ORG_1" in text
    assert "ask PERSON_1 or PERSON_2 about it" in text
    assert set(corpus.turns["speaker"]) >= {"PERSON_1", "Participant B", "PERSON_2"}
    assert {"Dr Jane Smith", "Robert O'Neill"}.isdisjoint(corpus.turns["speaker"])
    # metadata cells are pseudonymised too
    assert set(corpus.documents["lead"]) == {"PERSON_1", "Participant B"}
    # "Leeds" alone is what is left of "Leeds Teaching Hospitals NHS Trust" without its
    # generic words: treated as a mention of the organisation
    assert set(corpus.documents["site"]) == {"PLACE_1", "ORG_1"}
    # counts per document, by kind, without any string
    # two speaker labels, "Jane's", "Smith"; the url is the group's own mention of osf.io
    assert summary["documents"]["R1_1"] == {"email": 1, "nhs_number": 1, "organisation": 2,
                                            "person": 4, "phone": 1, "postcode": 1, "url": 1}
    assert "Jane" not in json.dumps(summary)
    # segments keep original offsets; their text goes through the protection
    tm.pp.segment(corpus, unit="sentence", exclude_roles=[], min_words=1)
    source = corpus.sources["R1_1"]
    first = corpus.segments[corpus.segments["doc_id"] == "R1_1"].iloc[0]
    assert source[first["start_char"]:first["end_char"]].startswith("I lead the team at Leeds")
    assert first["text"].startswith("I lead the team at ORG_1")
    corpus.validate()


def test_a_span_cut_through_a_name_gets_the_whole_pseudonym(study):
    corpus = _read(study)
    tm.pp.protect(corpus, roster=str(study / "roster.csv"))
    source = corpus.sources["R1_1"]
    start = source.index("Leeds Teaching")
    # spans ending or starting inside the organisation's name never show a fragment of it
    assert corpus.span_text("R1_1", start - 8, start + 9) == "team at ORG_1"
    assert corpus.span_text("R1_1", start + 9, start + 60).startswith("ORG_1, call me")
    assert corpus.span_text("R1_1", start + 3, start + 5) == "ORG_1"


def test_segmenting_before_protecting_gives_the_same_segments(study):
    late = _read(study)
    tm.pp.segment(late, unit="sentence", exclude_roles=[], min_words=1)
    tm.pp.protect(late, roster=str(study / "roster.csv"))
    early = _read(study)
    tm.pp.protect(early, roster=str(study / "roster.csv"))
    tm.pp.segment(early, unit="sentence", exclude_roles=[], min_words=1)
    pd.testing.assert_frame_equal(late.segments, early.segments)


def test_doc_ids_named_after_people_are_pseudonymised(study):
    (study / "t" / "R1_1.txt").rename(study / "t" / "Jane_Smith_interview.txt")
    corpus = tm.io.read_transcripts(str(study / "t" / "*.txt"), interviewer=["F"])
    tm.pp.protect(corpus, roster=str(study / "roster.csv"))
    assert sorted(corpus.documents["doc_id"]) == ["PERSON_1_interview", "nonR1_1"]
    assert "Smith" not in corpus.documents["source"].iloc[0]
    assert set(corpus.sources) == {"PERSON_1_interview", "nonR1_1"}
    tm.pp.segment(corpus, unit="turn", exclude_roles=[])
    assert corpus.segments["segment_id"].str.startswith(("PERSON_1_interview:", "nonR1_1:")).all()


def test_protect_refuses_what_it_cannot_do(study):
    corpus = _read(study)
    tm.pp.protect(corpus)
    with pytest.raises(CorpusError, match="already protected"):
        tm.pp.protect(corpus)
    with pytest.raises(ConfigError, match=r"protect\.patterns\.0: Input should be"):
        tm.pp.protect(_read(study), patterns=["ssn"])
    with pytest.raises(ConfigError, match="does not compile"):
        tm.pp.protect(_read(study), custom={"STAFF": "EMP[0-9"})


def test_custom_patterns_and_pattern_choice(study):
    corpus = _read(study)
    tm.pp.protect(corpus, patterns=["email"], custom={"STAFF_ID": r"\bEMP\d{6}\b"})
    text = " ".join(corpus.turns["text"])
    assert "[EMAIL]" in text and "0113 496 0000" in text  # phones left alone when not asked


def test_forgiving_roster_layouts(tmp_path):
    (tmp_path / "a.csv").write_text("Name,Type,Replacement\nJane Smith,Person,P1\n"
                                    "Leeds,Location,\n", encoding="utf-8")
    assert [(e.name, e.kind, e.pseudonym) for e in read_roster(tmp_path / "a.csv")] == [
        ("Jane Smith", "person", "P1"), ("Leeds", "place", "PLACE_1")]
    (tmp_path / "b.csv").write_text("name\nJane Smith\n", encoding="utf-8")
    with pytest.warns(tm.TextmineWarning, match="no 'kind' column"):
        assert read_roster(tmp_path / "b.csv")[0].kind == "person"
    (tmp_path / "c.txt").write_text("# staff\nJane Smith\n\nRobert Brown\n", encoding="utf-8")
    assert [e.pseudonym for e in read_roster(tmp_path / "c.txt")] == ["PERSON_1", "PERSON_2"]
    (tmp_path / "d.yaml").write_text("Jane Smith: person\nLeeds: place\n", encoding="utf-8")
    assert [e.kind for e in read_roster(tmp_path / "d.yaml")] == ["person", "place"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "yaml_list", "yaml_kinds"])
def test_roster_formats_give_the_same_pseudonyms(tmp_path, fmt):
    rows = [{"name": "Jane Smith", "kind": "person", "pseudonym": None, "aliases": "Janey"},
            {"name": "Acme Care Ltd", "kind": "organization", "pseudonym": "Org A",
             "aliases": None},
            {"name": "York", "kind": "place", "pseudonym": None, "aliases": None},
            {"name": "John Brown", "kind": "person", "pseudonym": None, "aliases": None}]
    if fmt == "csv":
        path = tmp_path / "r.csv"
        pd.DataFrame(rows).rename(columns=str.title).to_csv(path, index=False)
    elif fmt == "xlsx":
        path = tmp_path / "r.xlsx"
        pd.DataFrame(rows).to_excel(path, index=False)
    elif fmt == "yaml_list":
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump([{k: v for k, v in r.items() if v} for r in rows]))
    else:
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump({
            "person": [{"name": "Jane Smith", "aliases": ["Janey"]}, "John Brown"],
            "organisation": [{"name": "Acme Care Ltd", "pseudonym": "Org A"}],
            "place": ["York"]}))
    entries = {e.name: (e.kind, e.pseudonym, e.aliases) for e in read_roster(path)}
    assert entries == {"Jane Smith": ("person", "PERSON_1", ["Janey"]),
                       "John Brown": ("person", "PERSON_2", []),
                       "Acme Care Ltd": ("organisation", "Org A", []),
                       "York": ("place", "PLACE_1", [])}


@pytest.mark.parametrize("content,message", [
    ("name,kind\nJane Smith,person\njane smith,person\n", "listed twice"),
    ("name,kind\nJane Smith,alien\n", "is not person, organisation or place"),
    ("who,kind\nJane Smith,person\n", "no 'name' column"),
    ("name,kind,pseudonym\nJane Smith,person,John Brown\nJohn Brown,person,\n",
     "pseudonym is also a roster name"),
    ("name,kind\n,person\n", "empty name"),
    ("name,kind\n", "no entries"),
    ("name,kind,notes\nJane Smith,person,x\n", "unknown column"),
])
def test_bad_rosters_say_which_line_and_what_to_do(tmp_path, content, message):
    path = tmp_path / "roster.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RosterError, match=message) as err:
        read_roster(path)
    assert "roster.csv" in str(err.value) and err.value.hint


def _config(study, **protect):
    cfg = {"run_name": "p", "input": {"transcripts": "t/*.txt", "metadata": "meta.csv",
                                      "interviewer": ["F"]},
           "protect": {"roster": "roster.csv", **protect},
           "segment": {"unit": "sentence", "tokenizer": "words", "exclude_roles": []}}
    path = study / "c.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_run_folder_holds_counts_but_never_the_map(study):
    # codes for a transcript not in the study, named after a person: reported by id
    pd.DataFrame({"doc_id": ["R1_1", "Jane_Smith_notes"], "start_char": [30, 1],
                  "end_char": [60, 5], "code": ["Leadership", "Other"]}).to_csv(
        study / "codes.csv", index=False)
    config = yaml.safe_load(_config(study).read_text())
    config["codes"] = {"path": "codes.csv"}
    (study / "c.yaml").write_text(yaml.safe_dump(config))
    result = tm.run(study / "c.yaml", out=study / "out")
    assert result.manifest["stages"]["codes"]["unknown_documents"] == ["PERSON_1_notes"]
    files = [p for p in (study / "out").rglob("*") if p.is_file()]
    # the pseudonym map is never written into the run (figures/topic_map.* is a figure)
    assert not any("pseudonym" in p.name or p.name.startswith("map") for p in files)
    protect = result.manifest["stages"]["protect"]
    assert protect["replacements"]["person"] >= 5 and protect["roster_entries"] == 5
    assert set(protect["documents"]) == {"R1_1", "nonR1_1"}
    assert protect["fields"]["speaker"] == {"person": 3}
    written = (study / "out" / "manifest.json").read_text() + (
        study / "out" / "config.resolved.yaml").read_text()
    assert "Jane" not in written and "Harrogate" not in written


def test_pseudonym_map_only_when_asked_outside_the_run_folder(study, caplog):
    with pytest.raises(ConfigError, match="inside the run folder"):
        tm.run(_config(study, map_file="out/map.csv"), out=study / "out")
    assert not (study / "out").exists()
    with caplog.at_level("WARNING", logger="textmine"):
        tm.run(_config(study, map_file="private/map.csv"), out=study / "out")
    assert any("re-identifies" in r.getMessage() for r in caplog.records)
    path = study / "private" / "map.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    table = pd.read_csv(path)
    assert set(table.columns) == {"kind", "pseudonym", "original", "source", "n"}
    found = table[table["source"] == "found"]
    assert {"Jane", "LTHT", "0113 496 0000"} <= set(found["original"])
    assert set(table.loc[table["original"] == "Jane", "pseudonym"]) == {"PERSON_1"}


def test_leak_check_stops_a_run_that_would_write_an_identifier(study, monkeypatch):
    from textmine import pipeline

    (study / "out").mkdir()
    (study / "out" / "previous.txt").write_text("earlier run", encoding="utf-8")
    # an earlier run folder, as textmine marks one (it replaces no other folder)
    (study / "out" / ".textmine-run").write_text('{"files": ["previous.txt"]}')
    original = pipeline.write_run_folder

    def leaky(folder, cfg, corpus, manifest, reports):
        original(folder, cfg, corpus, manifest, reports)
        (folder / "notes.txt").write_text("quote: " + corpus.sources["R1_1"][:200])

    monkeypatch.setattr(pipeline, "write_run_folder", leaky)
    with pytest.raises(ProtectError, match=r"notes\.txt would contain an identifier \(person\)"):
        tm.run(_config(study), out=study / "out")
    # the earlier folder is untouched, no temporary sibling is left
    assert sorted(p.name for p in (study / "out").iterdir()) == [".textmine-run",
                                                                  "previous.txt"]
    assert sorted(p.name for p in study.iterdir() if p.name.startswith(".")) == []


def test_corpus_folder_of_a_protected_corpus_holds_no_identifier(study, tmp_path):
    corpus = _read(study)
    tm.pp.protect(corpus, roster=str(study / "roster.csv"))
    tm.pp.segment(corpus, unit="turn", exclude_roles=[])
    folder = corpus.write(tmp_path / "corpus")
    back = tm.Corpus.read(folder)
    assert back.protection is None and "PERSON_1" in " ".join(back.turns["text"])
    blob = b"".join(p.read_bytes() for p in folder.rglob("*.json"))
    assert b"Jane" not in blob and b"Harrogate" not in blob
