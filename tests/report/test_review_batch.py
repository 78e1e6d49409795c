"""A batch renders every team from one store snapshot; refused weeks; no personal data in any rendered file."""

from __future__ import annotations

import json
import shutil

import pytest

from coordkit.analysis.privacy import find_personal_data
from coordkit.cli import main
from coordkit.ingest.workspace import open_workspace
from coordkit.report import review as review_module
from coordkit.report.review import render_reviews

pytestmark = pytest.mark.slow

WEEK = "2026-W47"


@pytest.fixture()
def workspace(demo_workspace, tmp_path):
    copy = tmp_path / "ws"
    shutil.copytree(demo_workspace, copy, ignore=shutil.ignore_patterns("reviews"))
    return copy


@pytest.mark.hostile
def test_an_ingest_during_a_batch_does_not_mix_store_states(workspace, tmp_path, monkeypatch):
    """`all` equals the sum of the teams even when an ingest lands between two teams' renders."""
    extra = tmp_path / "late_deals.csv"
    extra.write_text(
        "outcome_id,kind,created_at,team,amount\n"
        "MID-1,opportunity,2026-11-17T10:00:00Z,emea,500000\n"
        "MID-2,opportunity,2026-11-18T10:00:00Z,apac,250000\n",
        encoding="utf-8",
    )
    original = review_module.render_review
    rendered = []

    def render_then_ingest(*args, **kwargs):
        result = original(*args, **kwargs)
        rendered.append(result.team)
        if len(rendered) == 1:  # after the first review of the batch, new data arrives
            with open_workspace(workspace) as ws:
                ws.ingest(extra, "outcomes")
        return result

    monkeypatch.setattr(review_module, "render_review", render_then_ingest)
    results = render_reviews(workspace, WEEK, all_teams=True, out=tmp_path / "out", progress=False, workers=1)
    assert len(rendered) == 4
    sidecars = {r.team: json.loads(r.sidecar.read_text(encoding="utf-8")) for r in results}
    for metric in ("pipeline_created", "opportunities", "leads", "won_revenue"):
        teams = sum(sidecars[t]["headline"][metric]["value"] for t in sidecars if t != "all")
        assert sidecars["all"]["headline"][metric]["value"] == pytest.approx(teams), metric
    # every team saw the state from before the ingest
    assert sidecars["emea"]["headline"]["pipeline_created"]["value"] < 500_000
    monkeypatch.setattr(review_module, "render_review", original)
    after = render_reviews(workspace, WEEK, teams=["emea"], out=tmp_path / "after", progress=False, workers=1)
    fresh = json.loads(after[0].sidecar.read_text(encoding="utf-8"))
    assert fresh["headline"]["pipeline_created"]["value"] == pytest.approx(
        sidecars["emea"]["headline"]["pipeline_created"]["value"] + 500_000)


@pytest.mark.parametrize("week", ["2027-W10", "2024-W01", "2026-W53"])
def test_a_week_outside_the_data_exits_non_zero_with_the_range(demo_workspace, ground_truth, capsys, week):
    code = main(["review", "--workspace", str(demo_workspace), "--week", week, "--team", "emea"])
    err = capsys.readouterr().err
    assert code != 0
    first, last = ground_truth["calendar"]["first_week"], ground_truth["calendar"]["last_week"]
    assert "outside the workspace's data" in err and first in err and last in err
    assert not (demo_workspace / "reviews" / week).exists() or not list((demo_workspace / "reviews" / week).glob("*.html"))


@pytest.mark.hostile
def test_no_personal_data_in_any_rendered_file_and_no_other_teams_quality_facts(workspace, tmp_path):
    outputs = tmp_path / "hostile_outputs.csv"
    outputs.write_text(
        "output_id,published_at,channel,kind,campaign,owner,team,title,cost\n"
        "H-1,2026-11-17T09:00:00Z,email,email,emea-newsletter,ana.lopez@client-b.example,emea,Call +44 20 7946 0958,10\n"
        "H-2,2026-11-17T09:00:00Z,email,email,emea-newsletter,Ana,emea,Weekly,not-a-number +1 415 555 0100\n"
        + "".join(f"H-{n},2026-11-18T09:00:00Z,email,email,emea-newsletter,Ana,emea,Weekly {n},5\n" for n in range(3, 9)),
        encoding="utf-8",
    )
    with open_workspace(workspace) as ws:
        ws.ingest(outputs, "outputs")
    out = tmp_path / "out"
    results = render_reviews(workspace, WEEK, teams=["all", "emea", "apac"], out=out, progress=False, workers=1)
    for result in results:
        for path in (result.html, result.summary, result.sidecar, result.notebook):
            text = path.read_text(encoding="utf-8")
            assert find_personal_data(text) == [], (path.name, find_personal_data(text)[:3])
        json.loads(result.sidecar.read_text(encoding="utf-8"))
    apac = next(r for r in results if r.team == "apac").html.read_text(encoding="utf-8")
    emea = next(r for r in results if r.team == "emea").html.read_text(encoding="utf-8")
    assert "hostile_outputs.csv" in emea and "hostile_outputs.csv" not in apac
