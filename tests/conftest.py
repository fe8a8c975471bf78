"""Shared fixtures: where the real data is, the example study, small builders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "serdif_thinkaloud"
EXAMPLE_CONFIG = ROOT / "configs" / "example.yaml"


def _find_data() -> Path | None:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    candidates = [Path(env)] if env else []
    candidates += [parent / "shared" / "data" for parent in ROOT.parents]
    candidates.append(Path("/work/shared/data"))
    for candidate in candidates:
        if (candidate / "README.md").is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data sets (../shared/data). Missing data is a failure, not a skip."""
    found = _find_data()
    if found is None:
        pytest.fail("real test data not found: set TEXTMINE_DATA_DIR to the shared data folder")
    return found


@pytest.fixture(scope="session")
def serdif(data_dir: Path) -> Path:
    return data_dir / "serdif_thinkaloud"


@pytest.fixture(scope="session")
def focus_groups(data_dir: Path) -> Path:
    return data_dir / "os_focus_groups" / "Data" / "Prepped Data"


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory):
    """One cache folder per test session (TEXTMINE_CACHE_DIR), shared by the xdist workers.

    Never the user's real cache. Set for the whole session, before any other session fixture
    embeds anything. Shared so that the example study is embedded (and the static model
    distilled) once per session, not once per test; tests that need a cold cache make their
    own folder.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, above the workers' own
    path = base / "textmine-cache"
    path.mkdir(exist_ok=True)
    before = os.environ.get("TEXTMINE_CACHE_DIR")
    os.environ["TEXTMINE_CACHE_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("TEXTMINE_CACHE_DIR", None)
    else:
        os.environ["TEXTMINE_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def static_model(session_cache: Path):
    """The static model, distilled once per session (under a file lock, with sockets blocked).

    Distilling takes 15-120 s on two cores: tests using this fixture are marked slow.
    """
    from textmine.models.embedder import resolve_model
    from textmine.models.offline import block_network

    with block_network() as tried:
        source = resolve_model("static", cache_dir=session_cache)
    assert tried == [], f"distillation tried to reach the network: {tried}"
    return source


@pytest.fixture()
def example_copy(tmp_path: Path) -> Path:
    """A writable copy of the example study and its config, in a temporary folder."""
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "serdif_thinkaloud")
    (tmp_path / "configs").mkdir()
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "configs" / "example.yaml")
    return tmp_path


@pytest.fixture(scope="session")
def example_corpus():
    """The example study with its codes, read as configs/example.yaml says (not segmented)."""
    import textmine as tm
    from textmine.pipeline import read_inputs
    from textmine.runfolder import Stages

    corpus, _ = read_inputs(tm.load_config(EXAMPLE_CONFIG).resolved(), Stages())
    return corpus


@pytest.fixture(scope="session")
def example_embedded(example_corpus):
    """The example study segmented and embedded as configs/example.yaml says."""
    import textmine as tm

    cfg = tm.load_config(EXAMPLE_CONFIG)
    corpus = example_corpus.copy()
    tm.pp.segment(corpus, **cfg.segment.model_dump())
    tm.tl.embed(corpus, **cfg.embed.model_dump(exclude={"enabled"}))
    return corpus


@pytest.fixture(scope="session")
def example_topics(example_embedded):
    """The example study with topics fitted as a run fits them (two seeds, for stability).

    Shared by the track, figure and report tests; each test takes a ``.copy()``.
    """
    import textmine as tm

    corpus = example_embedded.copy()
    tm.tl.topics(corpus, seed=0, stability_seeds=2)
    return corpus
