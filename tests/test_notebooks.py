"""The notebooks run, top to bottom, on the example study (their outputs are not committed)."""

import json
import os

import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, monkeypatch):
    notebook = json.loads(path.read_text())
    assert all(not c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code"), (
        "strip the notebook's outputs before committing it")
    monkeypatch.chdir(path.parent)
    namespace = {"display": lambda *a, **k: None}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)  # noqa: S102
    assert os.getcwd() == str(path.parent)
    assert "corpus" in namespace and len(namespace["corpus"]) > 0
    if "table" in namespace:  # the topics x codes table of the example notebook
        assert namespace["table"].to_numpy().sum() > 0
