"""Committed notebooks: no outputs, one `parameters` cell, pinned metadata, and ONE copy of each.

The canonical notebooks ship inside the package (``coordkit/notebooks/``, what
``coordkit review`` renders); the repository's ``notebooks/`` folder, where
people open them in JupyterLab, holds byte-identical copies (``make notebooks``
refreshes them). Every default ``workspace`` is ``../demo``: the notebook's own
folder is the working directory in JupyterLab, and ``make demo`` builds ``demo/``
at the repository root.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coordkit.packaged import NOTEBOOKS as SHIPPED
from coordkit.packaged import normalise_notebook

REPO = Path(__file__).resolve().parents[1]
PACKAGED = REPO / "coordkit" / "notebooks"
OPENED = REPO / "notebooks"
NOTEBOOKS = sorted(PACKAGED.glob("*.ipynb")) + sorted(OPENED.glob("*.ipynb"))
IDS = [f"{p.parent.name}/{p.name}" for p in NOTEBOOKS]


def cells_with_outputs(notebook: dict) -> list[int]:
    return [
        index
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_has_no_outputs(path):
    dirty = cells_with_outputs(json.loads(path.read_text(encoding="utf-8")))
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_has_a_parameters_cell(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    tagged = [c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_committed_normalised(path):
    text = path.read_text(encoding="utf-8")
    assert normalise_notebook(text) == text, (
        f"{path}: not in its committed form (metadata JupyterLab added, outputs or layout); run "
        "`make notebooks` after editing coordkit/notebooks/"
    )


def test_one_copy_of_each_notebook():
    assert sorted(p.name for p in PACKAGED.glob("*.ipynb")) == sorted(SHIPPED)
    assert sorted(p.name for p in OPENED.glob("*.ipynb")) == sorted(SHIPPED)
    for name in SHIPPED:
        assert (OPENED / name).read_bytes() == (PACKAGED / name).read_bytes(), (
            f"notebooks/{name} differs from coordkit/notebooks/{name} (the copy that ships and renders); "
            "edit coordkit/notebooks/ and run `make notebooks` (copy an edit made in notebooks/ back first)"
        )


@pytest.mark.parametrize("name", SHIPPED)
def test_default_workspace_is_the_demo_beside_the_notebooks_folder(name):
    source = "".join(
        "".join(c["source"]) for c in json.loads((OPENED / name).read_text(encoding="utf-8"))["cells"]
        if "parameters" in c.get("metadata", {}).get("tags", [])
    )
    match = re.search(r"^workspace = \"([^\"]*)\"", source, re.MULTILINE)
    assert match, f"{name}: no `workspace = \"...\"` line in the parameters cell"
    # JupyterLab runs the kernel in the notebook's folder; `make demo` writes REPO/demo
    assert (OPENED / match.group(1)).resolve() == REPO / "demo"


def test_normalising_removes_what_jupyterlab_writes():
    # the shape JupyterLab 4 saves after opening and running a notebook (metadata from the kernel's
    # kernel_info reply, outputs, counts, per-cell execution timing and collapse state)
    saved = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                              "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                              "pygments_lexer": "ipython3", "version": "3.12.3"},
            "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}},
        },
        "cells": [
            {"cell_type": "code", "id": "a1", "execution_count": 3,
             "metadata": {"tags": ["parameters"], "scrolled": True, "execution": {"iopub.status.busy": "2026-11-30"}},
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}], "source": "workspace = '../demo'"},
            {"cell_type": "markdown", "id": "m1", "metadata": {"jp-MarkdownHeadingCollapsed": True}, "source": "# t"},
        ],
    }
    clean = json.loads(normalise_notebook(json.dumps(saved)))
    assert clean["metadata"] == {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    code, markdown = clean["cells"]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert code["metadata"] == {"tags": ["parameters"]} and markdown["metadata"] == {}
    assert "".join(code["source"]) == "workspace = '../demo'" and code["id"] == "a1"


def test_the_check_finds_outputs_and_execution_counts():
    notebook = {"cells": [
        {"cell_type": "markdown", "source": "x"},
        {"cell_type": "code", "outputs": [{"output_type": "stream"}], "execution_count": None},
        {"cell_type": "code", "outputs": [], "execution_count": 3},
        {"cell_type": "code", "outputs": [], "execution_count": None},
    ]}
    assert cells_with_outputs(notebook) == [1, 2]
