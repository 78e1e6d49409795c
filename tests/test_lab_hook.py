"""The JupyterLab save hook keeps coordkit's committed notebooks in their committed form, and nothing else."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from coordkit.lab_hook import is_committed_copy, keep_committed_notebooks_clean
from coordkit.packaged import NOTEBOOKS, normalise_notebook

REPO = Path(__file__).resolve().parents[1]


class FakeContentsManager:
    """The two things the hook uses of jupyter_server's FileContentsManager."""

    def __init__(self, root: Path):
        self.root = root
        self.log = logging.getLogger("test")

    def _get_os_path(self, path: str) -> str:
        return str(self.root / path)


@pytest.fixture
def checkout(tmp_path):
    for folder in ("notebooks", "coordkit/notebooks", "mine"):
        (tmp_path / folder).mkdir(parents=True)
        for name in NOTEBOOKS:
            shutil.copy2(REPO / "coordkit" / "notebooks" / name, tmp_path / folder / name)
    (tmp_path / "coordkit" / "packaged.py").write_text("", encoding="utf-8")
    return tmp_path


def as_saved_by_jupyterlab(name: str) -> dict:
    """A committed notebook after a run, in the JSON JupyterLab sends to the server on save."""
    notebook = json.loads((REPO / "coordkit" / "notebooks" / name).read_text(encoding="utf-8"))
    notebook["metadata"]["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python",
                                             "codemirror_mode": {"name": "ipython", "version": 3}}
    notebook["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for number, cell in enumerate(notebook["cells"], 1):
        cell["metadata"]["scrolled"] = True
        if cell["cell_type"] == "code":
            cell["execution_count"] = number
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    return notebook


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_run_committed_notebook_saves_as_committed(checkout, name):
    manager = FakeContentsManager(checkout)
    for folder in ("notebooks", "coordkit/notebooks"):
        model = {"type": "notebook", "content": as_saved_by_jupyterlab(name)}
        keep_committed_notebooks_clean(model, f"{folder}/{name}", manager)
        import nbformat

        saved = nbformat.writes(model["content"]) + "\n"  # what the server then writes (nbformat.write)
        assert saved == (REPO / "notebooks" / name).read_text(encoding="utf-8")


def test_an_edit_to_a_cell_is_still_saved(checkout):
    notebook = as_saved_by_jupyterlab("what_moved.ipynb")
    parameters = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    parameters["source"] = "workspace = '../acme'\n"
    model = {"type": "notebook", "content": notebook}
    keep_committed_notebooks_clean(model, "notebooks/what_moved.ipynb", FakeContentsManager(checkout))
    saved = json.loads(json.dumps(model["content"]))
    assert "../acme" in "".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"]) for c in saved["cells"])
    assert all(not c.get("outputs") for c in saved["cells"])


def test_other_notebooks_are_saved_untouched(checkout):
    manager = FakeContentsManager(checkout)
    for path in ("mine/checkin.ipynb", "notebooks/other.ipynb"):
        notebook = as_saved_by_jupyterlab("checkin.ipynb")
        model = {"type": "notebook", "content": notebook}
        keep_committed_notebooks_clean(model, path, manager)
        assert model["content"] is notebook and notebook["metadata"]["language_info"]["version"] == "3.11.7"
    # a folder named notebooks without the packaged twin beside it is not a checkout
    (checkout / "coordkit" / "notebooks" / "checkin.ipynb").unlink()
    (checkout / "coordkit" / "packaged.py").unlink()
    assert not is_committed_copy(checkout / "notebooks" / "checkin.ipynb")
    assert not is_committed_copy(checkout / "coordkit" / "notebooks" / "what_moved.ipynb")
    model = {"type": "file", "content": "text"}
    keep_committed_notebooks_clean(model, "notebooks/checkin.ipynb", manager)
    assert model["content"] == "text"


def test_committed_files_are_already_normalised():
    for name in NOTEBOOKS:
        text = (REPO / "notebooks" / name).read_text(encoding="utf-8")
        assert normalise_notebook(text) == text


def test_the_repository_enables_the_hook_for_jupyter():
    config = json.loads((REPO / "jupyter-config" / "coordkit.json").read_text(encoding="utf-8"))
    assert config == {"ServerApp": {"jpserver_extensions": {"coordkit.lab_hook": True}}}
    import coordkit.lab_hook as hook

    assert hook._jupyter_server_extension_points() == [{"module": "coordkit.lab_hook"}]
