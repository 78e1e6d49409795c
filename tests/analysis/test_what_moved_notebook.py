"""what_moved on the demo workspace recovers the planted collapse; the notebook runs under papermill."""

from __future__ import annotations

import nbformat
import pytest

from coordkit.analysis.what_moved import what_moved

pytestmark = pytest.mark.slow  # uses the session's demo workspace (tests/conftest.py) and starts a kernel

NOTEBOOK = "notebooks/what_moved.ipynb"


def test_committed_notebook_is_parameterised_and_has_no_outputs(repo_root):
    notebook = nbformat.read(repo_root / NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for name in ("workspace", "team", "metric", "before", "after", "compare", "dimensions"):
        assert f"{name} = " in code[0].source
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code)


def test_what_moved_names_the_planted_collapse(demo_workspace):
    # GROUND_TRUTH.md: north-america paid_social opportunities stop from 2026-11-09
    story = what_moved(demo_workspace, "pipeline_created", "2026-11-02", "2026-11-09")
    first = story.explanation.iloc[0]
    assert (first["team"], first["channel"]) == ("north-america", "paid_social")
    assert story.signal["rule"].iloc[-1].startswith("outside_limits")
    assert story.narrative.startswith("Pipeline created (vs the week of 2026-11-02) fell from")
    assert story.steps["end"].iloc[-1] == pytest.approx(story.after_total)


def test_notebook_renders_with_papermill(demo_workspace, repo_root, tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "what_moved.ipynb"
    papermill.execute_notebook(
        str(repo_root / NOTEBOOK), str(out), cwd=str(repo_root),
        parameters={"workspace": str(demo_workspace), "before": "2026-11-02", "after": "2026-11-09"},
        progress_bar=False,
    )
    notebook = nbformat.read(out, as_version=4)
    html = ["".join(o["data"]["text/html"]) for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert html and "Pipeline created (vs the week of 2026-11-02) fell from" in html[0]
    # formatted tables, not raw pandas: no <NA>, no index column, no unformatted floats
    tables = "".join(html)
    assert "&lt;NA&gt;" not in tables and "<NA>" not in tables and ".0</td>" not in tables
    assert "ck-table" in tables
    svgs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) == 2
