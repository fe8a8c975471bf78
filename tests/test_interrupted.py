"""A run killed at any stage leaves the previous run folder intact; the next run completes.

Each case starts a real ``textmine run`` in a fresh interpreter whose stage function (or
the folder swap itself) sends SIGKILL to its own process: no cleanup code runs, exactly as
when a laptop lid closes or a job scheduler kills a job. No fault-injection hook exists in
the package: the wrapper replaces a function from outside.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from conftest import EXAMPLE_CONFIG
from runs import run_cli, snapshot, stray_siblings

import textmine as tm

KILL = '''
import os, signal, importlib
def _die():
    os.kill(os.getpid(), signal.SIGKILL)
def _kill_at(module, name, when):
    mod = importlib.import_module(module)
    original = getattr(mod, name)
    def wrapper(*args, **kwargs):
        if when == "before":
            _die()
        result = original(*args, **kwargs)
        _die()
        return result
    setattr(mod, name, wrapper)
'''

# (module, function, before/after): the pipeline looks each up at call time
KILL_POINTS = [
    ("textmine.io", "read_transcripts", "before"),
    ("textmine.io", "read_codes", "after"),
    ("textmine.pp", "protect", "after"),
    ("textmine.pp", "segment", "after"),
    ("textmine.pipeline", "write_tables", "after"),      # the staging folder half written
    ("textmine.pipeline", "check_folder", "after"),      # complete, not yet swapped in
    ("textmine.io.corpus_dir", "_exchange", "before"),   # at the swap
]
# later stages, as they are added to textmine.tl (embed, topics...), are killed too
for _stage in ("embed", "topics", "track", "align", "stability"):
    if callable(getattr(tm.tl, _stage, None)):
        KILL_POINTS.insert(-3, ("textmine.tl", _stage, "after"))

# the portable two-rename swap, killed between its renames: the next run restores the folder
FALLBACK = '''
import textmine.io.corpus_dir as cd
cd._RENAMEAT2 = None
_replace = os.replace
def _replace_then_die(src, dst):
    _replace(src, dst)
    if ".old-" in str(dst):
        _die()
cd.os.replace = _replace_then_die
'''


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A complete earlier run folder (its bytes) to protect."""
    root = tmp_path_factory.mktemp("previous")
    tm.run(EXAMPLE_CONFIG, out=root / "example")
    return root / "example"


# the model stages in the order a run does them
_STAGES = ("embed", "topics", "track", "align", "stability")


def _cache_hits(manifest) -> dict[str, int]:
    return {f"{stage}.{key}": value for stage, record in manifest["stages"].items()
            for key, value in record.items() if "cache" in key and "hit" in key}


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS + ["fallback_swap"],
                         ids=lambda p: p if isinstance(p, str) else f"{p[1]}-{p[2]}")
def test_killed_run_keeps_previous_outputs_and_next_run_completes(previous, tmp_path,
                                                                  monkeypatch, point):
    out = tmp_path / "outputs" / "example"
    shutil.copytree(previous, out)
    before = snapshot(out)
    if point == "fallback_swap":
        prelude = KILL + FALLBACK
    else:
        prelude = KILL + f"_kill_at({point[0]!r}, {point[1]!r}, {point[2]!r})"
    # killed after a cached stage: a cold cache shows the next run re-uses what it stored;
    # elsewhere the session's warm cache keeps the case fast (what is tested is the folder)
    cold = point != "fallback_swap" and point[1] in _STAGES
    cache = tmp_path / "cache" if cold else Path(os.environ["TEXTMINE_CACHE_DIR"])
    killed = run_cli(["-q", "run", str(EXAMPLE_CONFIG), "--out", str(out)], prelude=prelude,
                     env={"TEXTMINE_CACHE_DIR": str(cache)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-1000:]
    if point == "fallback_swap":
        # killed between the renames: the old folder waits beside the target...
        assert not out.exists() and any(".old-" in s for s in stray_siblings(out))
    else:
        # ...otherwise the previous outputs are exactly where and what they were
        assert snapshot(out) == before
    monkeypatch.setenv("TEXTMINE_CACHE_DIR", str(cache))
    result = tm.run(EXAMPLE_CONFIG, out=out)
    after = snapshot(out)
    assert after == before  # same inputs, same outputs
    assert stray_siblings(out) == []  # what the killed run left is cleaned up
    if cold:
        # the killed run got past these cached stages: the next run re-uses their entries
        done = _STAGES[:_STAGES.index(point[1]) + 1]
        hits = {k: v for k, v in _cache_hits(result.manifest).items()
                if k.split(".")[0] in done}
        assert hits and all(n > 0 for n in hits.values()), hits


def test_stale_siblings_of_dead_runs_are_removed_and_a_lost_folder_restored(tmp_path):
    from textmine.io.corpus_dir import clean_stale

    target = tmp_path / "example"
    dead = 2 ** 22 + 12345  # beyond pid_max: no such process
    (tmp_path / f".example.tmp-{dead}-abc").mkdir()
    (tmp_path / f".example.old-{dead}").mkdir()
    (tmp_path / f".example.old-{dead}" / "manifest.json").write_text("{}")
    (tmp_path / ".example.tmp-1-live").mkdir()  # pid 1 is alive: another run's work
    (tmp_path / ".other.tmp-99999999-x").mkdir()  # another target's: not ours to touch
    clean_stale(target)
    assert (target / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".example.tmp-1-live", ".other.tmp-99999999-x", "example"]
