"""Logs and error messages never print transcript text (or roster names) unless asked.

``--debug`` is the one explicit opt-in: it shows tracebacks, which may hold anything.
"""

from __future__ import annotations

import logging
import re

import pandas as pd
import pytest
from builders import focus_group_turns
from malformed import valid_study

from textmine.cli import main
from textmine.errors import TextmineError


def _phrases(texts, n=5) -> set[str]:
    """Every run of ``n`` words of the transcripts (what a leak would contain)."""
    out = set()
    for text in texts:
        words = re.findall(r"\w+", text)
        out.update(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    return out


@pytest.fixture()
def noisy_study(tmp_path, focus_groups):
    """A valid study that makes every kind of warning, with roster names as speakers."""
    turns = focus_group_turns(focus_groups)
    config = valid_study(tmp_path, turns)
    names = {"R1-01": "Jane Smith", "F": "Robert Brown"}
    for doc in ("G1", "G2"):
        path = tmp_path / "transcripts" / f"{doc}.txt"
        text = path.read_text(encoding="utf-8")
        for label, name in names.items():
            text = text.replace(f"\n{label}: ", f"\n{name}: ")
        path.write_text(text, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(
        "name,kind\nJane Smith,person\nRobert Brown,person\n", encoding="utf-8")
    # no speaker labels (a warning), quotes that cannot be placed (a warning naming the
    # file), codes for a transcript that does not exist, metadata rows without transcripts
    (tmp_path / "transcripts" / "notes.txt").write_text(
        "Jane Smith said the pilot in ward seven went well overall.\n\nThen it stopped.\n",
        encoding="utf-8")
    pd.DataFrame({"doc_id": ["G1", "G2", "ghost"], "code": ["A", "B", "C"],
                  "quote": ["this sentence was never said by anybody at all here",
                            "nor was this one spoken in any of the focus groups", "x"]}
                 ).to_csv(tmp_path / "quotes.csv", index=False)
    meta = pd.read_csv(tmp_path / "metadata.csv")
    pd.concat([meta, pd.DataFrame({"doc_id": ["notes", "extra"]})]).to_csv(
        tmp_path / "metadata.csv", index=False)
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "transcripts").glob("*.txt")]
    return config, texts


def test_warnings_name_files_and_counts_never_text_or_names(noisy_study, tmp_path, capsys,
                                                            caplog):
    config, texts = noisy_study
    with caplog.at_level(logging.DEBUG, logger="textmine"):
        code = main(["run", str(config), "--out", str(tmp_path / "out"),
                     "--set", "codes.path=quotes.csv",
                     "--set", "input.participants=[nobody]"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    logged = captured.err + "\n".join(r.getMessage() for r in caplog.records)
    # the warnings did fire...
    for expected in ("no speaker labels", "could not be placed", "not in the corpus",
                     "match no transcript", "role 'unknown'"):
        assert expected in logged, expected
    # ...and hold no transcript text, no roster name
    assert not [p for p in _phrases(texts) if p in logged]
    assert "Jane" not in logged and "Brown" not in logged
    assert re.search(r"'PERSON_\d'", logged)  # unknown speakers named by their pseudonyms


def test_error_messages_do_not_repeat_cell_contents(noisy_study, tmp_path, capsys):
    config, texts = noisy_study
    table = pd.DataFrame({"speaker": ["A", "B"], "text": [
        "we talked about how the referral pathway changed during the first lockdown",
        "and I said it was hard"]})
    table.to_excel(tmp_path / "transcripts" / "sheet.xlsx", index=False)
    code = main(["run", str(config), "--out", str(tmp_path / "out"),
                 "--set", "input.columns={speaker: speaker, text: text, time: text}"])
    err = capsys.readouterr().err
    assert code == 2 and "sheet.xlsx" in err and "is not seconds" in err
    assert "referral pathway" not in err and "-character value" in err


def test_debug_is_the_opt_in_for_tracebacks(noisy_study, tmp_path):
    config, _ = noisy_study
    (tmp_path / "transcripts" / "bad.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TextmineError):
        main(["--debug", "run", str(config), "--out", str(tmp_path / "out")])
