"""Options add to the defaults: skip_lines and interviewer extend the built-ins; roles per file."""

from __future__ import annotations

import re

import pytest
from builders import export_lines, focus_group_turns

import textmine as tm
from textmine.config import InputConfig
from textmine.errors import ConfigError, MetadataError


@pytest.fixture(scope="module")
def turns(focus_groups):
    group = focus_group_turns(focus_groups)["R1_1"][:10]
    return [(speaker, comment.split(":", 1)[1].strip() if ":" in comment[:6] else comment)
            for speaker, comment in group]


def _otter(path, turns, labels):
    lines = export_lines([(labels.get(s, s), t) for s, t in turns])
    # a page footer the researcher's export adds between turns
    lines.insert(6, "Page 1 of 3")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_skip_lines_extend_the_built_in_trailer(tmp_path, turns):
    _otter(tmp_path / "g1.txt", turns, {})
    corpus = tm.io.read_transcripts(str(tmp_path / "g1.txt"), interviewer=["F"],
                                    skip_lines=[r"^Page \d+ of \d+$"])
    text = " ".join(corpus.turns["text"])
    # both gone: the user's footer and the built-in Otter trailer (not re-typed)
    assert "Page 1 of 3" not in text and "otter.ai" not in text
    replaced = tm.io.read_transcripts(str(tmp_path / "g1.txt"), interviewer=["F"],
                                      skip_lines={"replace": [r"^Page \d+ of \d+$"]})
    assert "otter.ai" in " ".join(replaced.turns["text"])
    assert "Page 1 of 3" not in " ".join(replaced.turns["text"])


def test_interviewer_names_extend_the_built_ins(tmp_path):
    (tmp_path / "a.txt").write_text("Interviewer: How?\nModerator: And why?\nP1: Because.\n")
    corpus = tm.io.read_transcripts(str(tmp_path / "a.txt"), interviewer=["Moderator"])
    roles = dict(zip(corpus.turns["speaker"], corpus.turns["role"], strict=True))
    assert roles == {"Interviewer": "interviewer", "Moderator": "interviewer",
                     "P1": "participant"}
    # "I" may be the interviewee in some transcription conventions: replace the built-ins
    (tmp_path / "a.txt").write_text("R: How?\nI: It started in March.\n")
    corpus = tm.io.read_transcripts(str(tmp_path / "a.txt"), interviewer={"replace": ["R"]})
    assert list(corpus.turns["role"]) == ["interviewer", "participant"]


def test_replace_form_is_checked():
    with pytest.raises(ConfigError, match="input.skip_lines"):
        tm.load_config({"input": {"transcripts": "x", "skip_lines": {"replace": ["*bad"]}}})
    with pytest.raises(ConfigError, match="input.interviewer"):
        tm.load_config({"input": {"transcripts": "x", "interviewer": {"other": ["R"]}}})
    cfg = InputConfig(transcripts="x", skip_lines=["^Page"])
    assert cfg.skip_patterns()[-1] == "^Page" and len(cfg.skip_patterns()) == 2
    assert all(re.compile(p) for p in cfg.skip_patterns())


def test_interviewer_per_document_and_warning_for_documents_without_one(tmp_path, turns):
    # Otter names speakers Speaker 1, Speaker 2 in order of appearance: the interviewer is
    # Speaker 1 in one file and Speaker 2 in the other; a third file names people
    _otter(tmp_path / "g1.txt", turns, {"F": "Speaker 1", "R1-19": "Speaker 2"})
    _otter(tmp_path / "g2.txt", turns[1:], {"F": "Speaker 2", "R1-19": "Speaker 1"})
    _otter(tmp_path / "g3.txt", turns, {"F": "Interviewer"})
    (tmp_path / "meta.csv").write_text(
        "doc_id,interviewer_label,site\ng1,Speaker 1,A\ng2,Speaker 2,B\ng3,,C\n")
    glob = str(tmp_path / "g*.txt")
    with pytest.warns(tm.TextmineWarning, match=r"2 of 3 transcripts have no interviewer turn"):
        plain = tm.io.read_transcripts(glob, metadata=str(tmp_path / "meta.csv"))
    assert plain.uns["read"]["documents_without_interviewer"] == ["g1", "g2"]
    corpus = tm.io.read_transcripts(glob, metadata=str(tmp_path / "meta.csv"),
                                    interviewer_column="interviewer_label")
    asked = corpus.turns[corpus.turns["role"] == "interviewer"]
    assert set(zip(asked["doc_id"], asked["speaker"], strict=True)) == {
        ("g1", "Speaker 1"), ("g2", "Speaker 2"), ("g3", "Interviewer")}
    assert corpus.uns["read"]["n_documents_without_interviewer"] == 0
    assert not any("no interviewer turn" in w for w in corpus.uns["warnings"])
    # the same label is a participant in the other file
    g2 = corpus.turns[corpus.turns["doc_id"] == "g2"]
    assert set(g2.loc[g2["speaker"] == "Speaker 1", "role"]) == {"participant"}
    with pytest.raises(MetadataError, match="input.interviewer_column"):
        tm.io.read_transcripts(glob, metadata=str(tmp_path / "meta.csv"),
                               interviewer_column="who")
    with pytest.raises(tm.TextmineError, match="needs input.metadata"):
        tm.io.read_transcripts(glob, interviewer_column="interviewer_label")


def test_a_moderator_no_interviewer_name_matches_is_warned_about(focus_groups, tmp_path):
    """The real focus groups' moderator is 'F': with no interviewer named, say so."""
    path = str(focus_groups / "masterTranscript.csv")
    columns = {"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"}
    with pytest.warns(tm.TextmineWarning, match=r"no transcript has an interviewer turn, "
                      r"and \d+ of \d+ have several speakers .*speaking in most of them: 'F'\)"):
        plain = tm.io.read_transcripts(path, columns=columns)
    read = plain.uns["read"]
    assert read["n_documents_without_interviewer"] == plain.documents.shape[0] > 1
    assert set(plain.turns["role"]) == {"participant"}
    # naming the moderator makes its turns questions; saying nobody asks silences it
    named = tm.io.read_transcripts(path, columns=columns, interviewer=["F"])
    assert set(named.turns.loc[named.turns["speaker"] == "F", "role"]) == {"interviewer"}
    nobody = tm.io.read_transcripts(path, columns=columns, interviewer={"replace": []})
    for corpus in (named, nobody):
        assert not any("interviewer turn" in w for w in corpus.uns["warnings"])
        assert corpus.uns["read"]["n_documents_without_interviewer"] == 0
    # one voice per file (a speech, a comment) has nobody asking: no warning
    for i, (_, text) in enumerate(focus_group_turns(focus_groups)["R1_1"][:3]):
        (tmp_path / f"speech{i}.txt").write_text(text + "\n", encoding="utf-8")
    speeches = tm.io.read_transcripts(str(tmp_path / "speech*.txt"), unlabelled_speaker="MP")
    assert not any("interviewer turn" in w for w in speeches.uns["warnings"])
