"""The notebooks run top to bottom in a real Jupyter kernel (their outputs are not committed)."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_there_and_committed_without_outputs():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"][:len(NOTEBOOKS)]
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert code and all(not c.get("outputs") and c.get("execution_count") is None
                            for c in code), f"strip the outputs of {path.name} before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_a_kernel_without_errors_or_warnings(path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # a cell that raises fails here, naming the cell
    streams = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    text = "".join(o["text"] for o in streams)
    # what a reader would see as noise: tqdm without widgets, library deprecations
    assert "TqdmWarning" not in text and "IProgress" not in text, text[:2000]
    assert "DeprecationWarning" not in text and "FutureWarning" not in text, text[:2000]
    results = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("output_type") in ("execute_result", "display_data")]
    assert len(results) >= 3  # the notebook shows tables, not only runs
