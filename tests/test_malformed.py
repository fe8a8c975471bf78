"""Every malformed input ends in textmine's own error: one line, exit 2, nothing written.

The inputs are generated (tests/malformed.py): over 300 small breakages of a valid study
built from real focus-group transcripts. Each goes through the command line in-process
(fast); a sample also goes through a real ``python -m textmine.cli`` process. After each,
the study folder is byte for byte what it was: nothing deleted, overwritten or added.
"""

from __future__ import annotations

import pytest
from builders import focus_group_turns
from malformed import all_cases, valid_study
from runs import run_cli, stray_siblings

import textmine as tm
from textmine.cli import main

CASES = all_cases()
SUBPROCESS_SAMPLE = CASES[:: max(1, len(CASES) // 10)][:10]


def test_the_collection_is_large_and_varied():
    assert len(CASES) >= 200
    prefixes = {c.id.split("-")[0] for c in CASES}
    assert {"docx", "odt", "xlsx", "encoding", "junk", "empty", "enormous", "speakerless",
            "meta", "codes", "roster", "yaml", "wrong", "unknown", "path",
            # issue 10: every output path, table format, line break, zip format, link...
            "out", "map", "table", "codebook", "symlink", "internal", "set",
            "qda"} <= prefixes
    ids = {c.id for c in CASES}
    for brk in ("LF", "CRLF", "CR", "VT", "FF", "FS", "GS", "RS", "NEL", "LS", "PS"):
        assert f"enormous-line-between-{brk}-breaks" in ids
    for kind in ("docx", "odt", "xlsx"):
        assert {f"{kind}-zip-bomb", f"{kind}-member-climbs-out"} <= ids


@pytest.fixture(scope="module")
def turns(focus_groups):
    return focus_group_turns(focus_groups)


@pytest.fixture()
def broken(tmp_path, turns, request):
    """The valid study, broken by one case; returns (config path, run folder, case)."""
    case = request.param
    config = valid_study(tmp_path / "study", turns)
    case.mutate(tmp_path / "study")
    return config, tmp_path / "study" / "outputs" / "run", case


def _state(study) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under the study, links as their target."""
    out: dict[str, bytes | None] = {}
    for path in sorted(study.rglob("*")):
        rel = str(path.relative_to(study))
        if path.is_symlink():
            out[rel] = str(path.readlink()).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = None
    return out


def _check_outcome(code: int, out: str, err: str, config, folder, case) -> None:
    lines = err.splitlines()
    assert code == 2, f"{case.id}: exit {code}: {err[-500:]}"
    assert len(lines) == 1, f"{case.id}: {lines}"
    assert lines[0].startswith("textmine: error: "), lines[0]
    assert case.expect in lines[0], f"{case.id}: {lines[0]}"
    assert "Traceback" not in err and out == ""
    assert not folder.exists() and stray_siblings(folder) == []
    # the config's own out (some cases set one) holds nothing either
    for other in ("outputs/x", "taken"):
        path = config.parent / other
        assert not path.is_dir() or not any(path.iterdir())


OWN_OUT = ("path-out-is-a-file", "path-map-inside-run-folder")


@pytest.mark.parametrize("broken", CASES, ids=[c.id for c in CASES], indirect=True)
def test_malformed_input_gives_one_clear_line_and_exit_2(broken, capsys):
    config, folder, case = broken
    before = _state(config.parent)
    args = ["run", str(config)]
    if not case.own_out and case.id not in OWN_OUT:
        args += ["--out", str(folder)]
    for assignment in case.overrides:
        args += ["--set", assignment]
    code = main(args)
    captured = capsys.readouterr()
    _check_outcome(code, captured.out, captured.err, config, folder, case)
    # what to do: every error carries a hint (checked on the exception itself)
    with pytest.raises(tm.TextmineError) as err:
        tm.run(config, out=folder if "--out" in args else None,
               overrides=list(case.overrides))
    assert err.value.hint, f"{case.id}: no hint in {err.value}"
    # nothing deleted, overwritten or added, whatever the case pointed textmine at
    assert _state(config.parent) == before, case.id


@pytest.mark.slow
@pytest.mark.parametrize("broken", SUBPROCESS_SAMPLE, ids=[c.id for c in SUBPROCESS_SAMPLE],
                         indirect=True)
def test_malformed_input_in_a_real_process(broken):
    config, folder, case = broken
    done = run_cli(["run", str(config), "--out", str(folder)])
    _check_outcome(done.returncode, done.stdout, done.stderr, config, folder, case)


@pytest.mark.parametrize("on_no_speakers,code", [("warn", 0), ("error", 2)])
def test_speakerless_transcript_warns_by_default_and_fails_when_asked(tmp_path, turns, capsys,
                                                                    on_no_speakers, code):
    config = valid_study(tmp_path, turns)
    (tmp_path / "transcripts" / "bad.txt").write_text(
        "We set up the service in 2019.\n\nIt worked well for most teams.\n", encoding="utf-8")
    assert main(["-q", "run", str(config), "--out", str(tmp_path / "out"),
                 "--set", f"input.on_no_speakers={on_no_speakers}"]) == code
    err = capsys.readouterr().err
    assert ("bad.txt" in err) == (code == 2)
    assert (tmp_path / "out").is_dir() == (code == 0)
