"""coordkit review: papermill really runs the notebook on the demo workspace; the planted truth shows up."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import nbformat
import pytest
from review_html_checks import assert_static_review_html

from coordkit.cli import main
from coordkit.errors import ParameterError, ReportError
from coordkit.report import review as review_module
from coordkit.report.review import render_review, render_reviews

pytestmark = pytest.mark.slow

COLLAPSE_WEEK = "2026-W46"
BEFORE_COLLAPSE = "2026-W45"


def ground_truth_value(ground_truth, team, metric, week):
    first = dt.date.fromisoformat(ground_truth["calendar"]["first_week"])
    index = (week - first).days // 7
    return ground_truth["weekly_metrics"][team][metric][index]


@pytest.fixture(scope="module")
def rendered(demo_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("reviews")
    results = {}
    for week in (COLLAPSE_WEEK, BEFORE_COLLAPSE):
        for result in render_reviews(demo_workspace, week, teams=["north-america", "emea"], out=out, progress=False):
            results[(week, result.team)] = result
    return out, results


def test_files_land_at_predictable_paths(rendered):
    out, results = rendered
    for (week, team), result in results.items():
        assert result.html == out / week / f"{team}.html"
        for path in (result.html, result.notebook, result.summary, result.sidecar):
            assert path.exists() and path.stat().st_size > 0
    assert not list(out.rglob(".rendering-*")), "scratch folders must not be left behind"


def test_collapse_week_is_a_signal_for_the_right_team_only(rendered):
    _, results = rendered
    facts = {key: json.loads(result.sidecar.read_text()) for key, result in results.items()}
    north_america = facts[(COLLAPSE_WEEK, "north-america")]["headline"]
    assert north_america["opportunities"]["signal"] and "outside_limits" in north_america["opportunities"]["rule"]
    assert north_america["pipeline_created"]["signal"]
    assert not facts[(COLLAPSE_WEEK, "emea")]["headline"]["opportunities"]["signal"]
    assert not facts[(BEFORE_COLLAPSE, "north-america")]["headline"]["opportunities"]["signal"]


def test_headline_values_match_the_generators_ground_truth(rendered, ground_truth):
    _, results = rendered
    for (week, team), result in results.items():
        facts = json.loads(result.sidecar.read_text())
        monday = dt.date.fromisoformat(facts["week"])
        for metric in ("pipeline_created", "opportunities", "leads", "won_revenue"):
            expected = ground_truth_value(ground_truth, team, metric, monday)
            assert facts["headline"][metric]["value"] == pytest.approx(expected), (week, team, metric)


def test_what_moved_names_paid_social_for_the_collapse(rendered):
    _, results = rendered
    facts = json.loads(results[(COLLAPSE_WEEK, "north-america")].sidecar.read_text())
    top = facts["what_moved"][0]
    assert "paid_social" in top["segment"] and top["contribution"] < 0
    assert "fell" in facts["narrative"]


@pytest.mark.hostile
def test_html_has_no_code_and_no_contact_emails(rendered, demo_workspace):
    _, results = rendered
    assert_static_review_html(results[(COLLAPSE_WEEK, "north-america")].html, demo_workspace / "exports")


def test_summary_is_short_markdown(rendered):
    _, results = rendered
    text = results[(COLLAPSE_WEEK, "north-america")].summary.read_text()
    assert text.startswith("*Weekly outcome review: north-america, 2026-W46")
    assert "*Opportunities*: 3," in text and "of target" in text and "below the normal range" in text
    assert "\\" not in text, "no backslash escapes: they show up literally in Slack"
    assert "Data caveat:" in text and text.rstrip().endswith("north-america.html")
    assert len(text.splitlines()) <= 16


def test_executed_notebook_is_kept(rendered):
    _, results = rendered
    notebook = nbformat.read(str(results[(COLLAPSE_WEEK, "emea")].notebook), as_version=4)
    assert notebook.metadata["papermill"]["exception"] in (None, False)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in notebook.cells)


@pytest.mark.hostile
def test_unknown_parameter_fails_before_execution_and_lists_accepted(demo_workspace, tmp_path):
    with pytest.raises(ParameterError, match=r"parameter must be one of 'compare', .*'title'.*; got 'colour'"):
        render_review(demo_workspace, "2026-W46", "emea", out=tmp_path, parameters={"colour": "red"})
    assert not list(tmp_path.rglob("*.ipynb"))


@pytest.mark.hostile
@pytest.mark.parametrize(
    "week, team, message",
    [
        ("2026-W60", "emea", r"week '2026-W60' does not exist"),
        ("next tuesday", "emea", r"week 'next tuesday' is not a date or an ISO week"),
        ("2026-W46", "latam", r"team must be one of 'all', 'apac', 'emea', 'north-america'; got 'latam'"),
    ],
)
def test_malformed_week_or_unknown_team(demo_workspace, tmp_path, week, team, message):
    with pytest.raises(ParameterError, match=message):
        render_review(demo_workspace, week, team, out=tmp_path)


def test_cli_reports_a_bad_parameter_in_one_line(demo_workspace, capsys):
    code = main(["review", "--workspace", str(demo_workspace), "--week", "2026-W46", "-p", "compare=yesterday"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[0] == (
        "error: compare must be one of 'auto', 'baseline', 'previous', 'trailing4', 'trailing13', 'last_year'; got 'yesterday'"
    )


@pytest.mark.hostile
def test_failure_keeps_no_html_keeps_the_failed_notebook_and_the_previous_report(demo_workspace, tmp_path, monkeypatch, rendered):
    out, results = rendered
    target = out / COLLAPSE_WEEK / "emea.html"
    before = target.read_bytes()
    broken = tmp_path / "weekly_review.ipynb"
    notebook = nbformat.read(str(review_module.notebook_path()), as_version=4)
    notebook.cells.insert(4, nbformat.v4.new_code_cell("raise RuntimeError('pipeline table is empty')"))
    nbformat.write(notebook, str(broken))
    monkeypatch.setattr(review_module, "notebook_path", lambda: broken)
    with pytest.raises(ReportError) as info:
        render_review(demo_workspace, COLLAPSE_WEEK, "emea", out=out)
    assert "failed: cell" in info.value.message and "RuntimeError: pipeline table is empty" in info.value.message
    assert "\n" not in info.value.message
    failed = out / COLLAPSE_WEEK / "emea.failed.ipynb"
    assert failed.exists() and str(failed) in info.value.hint
    assert target.read_bytes() == before, "a failed run must not touch the last good report"
    assert not list(out.rglob(".rendering-*"))


def test_rerun_replaces_the_report_cleanly(demo_workspace, rendered):
    out, results = rendered
    first = results[(BEFORE_COLLAPSE, "emea")]
    again = render_review(demo_workspace, BEFORE_COLLAPSE, "emea", out=out)
    assert again.html == first.html
    assert not (out / BEFORE_COLLAPSE / "emea.failed.ipynb").exists()
    assert sorted(p.name for p in (out / BEFORE_COLLAPSE).iterdir() if p.name.startswith("emea")) == [
        "emea.html", "emea.ipynb", "emea.json", "emea.md",
    ]


def test_plain_papermill_runs_the_notebook(demo_workspace, tmp_path, repo_root):
    output = tmp_path / "out.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(repo_root / "notebooks" / "weekly_review.ipynb"), str(output),
         "-p", "week", "2026-11-16", "-p", "workspace", str(demo_workspace), "--no-progress-bar"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    executed = nbformat.read(str(output), as_version=4)
    shown = "".join(
        o.get("data", {}).get("text/html", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "2026-W47" in shown and "Headline outcomes" in shown


def test_all_teams_reuse_kernels_and_match_single_renders(demo_workspace, tmp_path, rendered):
    _, single = rendered
    results = render_reviews(demo_workspace, COLLAPSE_WEEK, all_teams=True, out=tmp_path, progress=False, workers=1)
    assert [r.team for r in results] == ["all", "apac", "emea", "north-america"]
    # one kernel served four reviews in a row: each got its own parameters, nothing leaked between them
    for team in ("north-america", "emea"):
        batch = json.loads(next(r for r in results if r.team == team).sidecar.read_text())
        alone = json.loads(single[(COLLAPSE_WEEK, team)].sidecar.read_text())
        assert batch == alone
        # the whole page, byte for byte: the kernel's namespace and the batch's shared data leak nothing
        batch_page = next(r for r in results if r.team == team).html.read_bytes()
        assert batch_page == single[(COLLAPSE_WEEK, team)].html.read_bytes()
    assert json.loads(results[0].sidecar.read_text())["team"] == "all"


def test_batch_with_relative_paths_writes_where_asked(demo_workspace, tmp_path, monkeypatch):
    # relative workspace and output folders, as `coordkit demo` and users pass them, with parallel workers
    monkeypatch.chdir(demo_workspace.parent)
    results = render_reviews(demo_workspace.name, COLLAPSE_WEEK, teams=["emea", "apac"], out="relative-reviews",
                             progress=False, workers=2)
    expected = (demo_workspace.parent / "relative-reviews" / COLLAPSE_WEEK).resolve()
    assert sorted(r.html.parent for r in results) == [expected, expected]
    assert all(r.html.exists() for r in results)
