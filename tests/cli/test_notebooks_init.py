"""`coordkit notebooks` copies the shipped notebooks; only init/demo/ingest --create make a workspace."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coordkit.cli import main
from coordkit.errors import WorkspaceError
from coordkit.packaged import NOTEBOOKS, notebook_file


def parameters_source(path: Path) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return "".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                   for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))


def workspace_value(path: Path) -> str:
    # evaluate the parameters cell the way the kernel would (it is plain assignments)
    namespace: dict = {}
    exec(parameters_source(path), {}, namespace)  # noqa: S102 - our own packaged notebook
    return namespace["workspace"]


def test_notebooks_are_copied_with_the_workspace_relative_to_their_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["notebooks", "work/nb", "--workspace", "clients/acme"]) == 0
    out = capsys.readouterr().out
    assert "not a coordkit workspace yet" in out and "coordkit init clients/acme" in out
    for name in NOTEBOOKS:
        copied = tmp_path / "work" / "nb" / name
        value = workspace_value(copied)
        # JupyterLab starts the kernel in the notebook's folder
        assert (copied.parent / value).resolve() == (tmp_path / "clients" / "acme").resolve()
        # everything but the workspace line is the packaged notebook
        ours = json.loads(copied.read_text(encoding="utf-8"))
        shipped = json.loads(notebook_file(name).read_text(encoding="utf-8"))
        assert [c["id"] for c in ours["cells"]] == [c["id"] for c in shipped["cells"]]
        strip = lambda nb: [("".join(c["source"]), c["cell_type"]) for c in nb["cells"]
                            if "parameters" not in c.get("metadata", {}).get("tags", [])]
        assert strip(ours) == strip(shipped)
        assert parameters_source(copied).count("workspace =") == 1


@pytest.mark.hostile
def test_an_absolute_workspace_with_quotes_stays_a_valid_literal(tmp_path):
    target = tmp_path / 'odd "name" \\ ünï'
    assert main(["notebooks", str(tmp_path / "nb"), "--workspace", str(target)]) == 0
    assert workspace_value(tmp_path / "nb" / "checkin.ipynb") == str(target)


def test_notebooks_never_overwrite_without_force(tmp_path, capsys):
    mine = tmp_path / "checkin.ipynb"
    mine.write_text("my own notes", encoding="utf-8")
    assert main(["notebooks", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "my own notes"
    assert not (tmp_path / "weekly_review.ipynb").exists()
    assert main(["notebooks", str(tmp_path), "--force"]) == 0
    assert json.loads(mine.read_text(encoding="utf-8"))["cells"]


@pytest.mark.hostile
def test_ingest_into_a_folder_without_a_workspace_says_how_to_create_one(tmp_path, capsys):
    export = tmp_path / "deals.csv"
    export.write_text("outcome_id,kind,created_at,contact_id,amount\n1,lead,2026-11-16,c,100\n", encoding="utf-8")
    target = tmp_path / "typo"
    assert main(["ingest", str(export), "--as", "outcomes", "--workspace", str(target)]) == WorkspaceError.exit_code
    err = capsys.readouterr().err
    assert "is not a coordkit workspace" in err and "coordkit init" in err and "--create" in err
    assert not target.exists()
    # the current folder is no exception
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["ingest", str(export), "--as", "outcomes"]) == WorkspaceError.exit_code
    finally:
        os.chdir(cwd)
    assert not (tmp_path / ".coordkit").exists()
    assert main(["ingest", str(export), "--as", "outcomes", "--workspace", str(target), "--create"]) == 0
    assert main(["status", "--workspace", str(target)]) == 0


def test_init_creates_an_empty_workspace_once(tmp_path, capsys):
    target = tmp_path / "acme"
    assert main(["status", "--workspace", str(target)]) == WorkspaceError.exit_code
    assert main(["init", str(target)]) == 0
    assert (target / ".coordkit" / "workspace.duckdb").is_file()
    assert main(["status", "--workspace", str(target)]) == 0
    assert main(["init", str(target)]) == 0
    assert "already a coordkit workspace" in capsys.readouterr().out


def test_init_on_a_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert main(["init", str(tmp_path / "f")]) == WorkspaceError.exit_code
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_a_copied_notebook_runs_from_its_own_folder_with_its_default_workspace(demo_workspace, tmp_path, monkeypatch):
    papermill = pytest.importorskip("papermill")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "mine"
    assert main(["notebooks", "mine", "--workspace", os.path.relpath(demo_workspace)]) == 0
    assert not Path(workspace_value(folder / "what_moved.ipynb")).is_absolute()
    # no workspace parameter given: the copied default must reach the workspace from the notebook's folder
    papermill.execute_notebook(
        str(folder / "what_moved.ipynb"), str(tmp_path / "out.ipynb"), cwd=str(folder),
        parameters={"before": "2026-11-02", "after": "2026-11-09"}, progress_bar=False,
    )


@pytest.mark.hostile
def test_demo_never_rebuilds_a_workspace_it_did_not_build(tmp_path, capsys):
    assert main(["init", str(tmp_path / "acme")]) == 0
    store = tmp_path / "acme" / ".coordkit" / "workspace.duckdb"
    before = store.read_bytes()
    assert main(["demo", str(tmp_path / "acme"), "--no-review"]) == WorkspaceError.exit_code
    assert "did not build" in capsys.readouterr().err
    assert store.read_bytes() == before


@pytest.mark.hostile
@pytest.mark.slow
def test_rebuilding_the_demo_keeps_its_checkin_notes(tmp_path):
    from coordkit.ingest.checkins import list_checkins, save_checkin

    folder = tmp_path / "demo"
    assert main(["demo", str(folder), "--no-review"]) == 0
    save_checkin(folder, team="emea", week="2026-W47", decisions="Keep me\nacross rebuilds", next_actions="",
                 teams=["emea"])
    assert main(["demo", str(folder), "--no-review"]) == 0
    notes = list_checkins(folder)
    assert notes["decisions"].tolist() == ["Keep me\nacross rebuilds"]
    assert list(folder.glob("checkins-backup-*.json"))
