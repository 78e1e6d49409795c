"""The weekly review's "Pipeline movement" findings and the check-in panel recover the planted stage facts."""

from __future__ import annotations

import pytest

from coordkit.analysis.pipeline_data import load_pipeline
from coordkit.analysis.pipeline_movement import compute_pipeline_movement
from coordkit.present.pipeline_view import pipeline_movement_html, pipeline_movement_markdown, pipeline_panel_html

WEEK = "2026-11-16"


@pytest.fixture(scope="module")
def data(demo_workspace):
    return load_pipeline(demo_workspace)


@pytest.fixture(scope="module")
def movements(demo_workspace, data):
    return {team: compute_pipeline_movement(demo_workspace, WEEK, team, data=data) for team in ("all", "north-america", "apac", "emea")}


def test_slump_is_named_for_its_team_and_month_only(movements, ground_truth):
    truth = ground_truth["planted"]["pipeline_movement"]["proposal_slump"]
    month = "June 2026"
    assert truth["cohort_month"] == "2026-06"
    for team, movement in movements.items():
        named = [s for s in movement.sentences if s.startswith("Signal:") and "from Proposal to Negotiation" in s]
        if team in ("all", truth["team"]):
            assert len(named) == 1 and month in named[0], team
            assert f"{truth['cohort']['proposal_to_negotiation']:.0%}" in named[0]
        else:
            assert named == [], team


def test_stall_is_named_for_its_campaign(movements, ground_truth):
    truth = ground_truth["planted"]["pipeline_movement"]["discovery_stall"]
    for team, movement in movements.items():
        slow = [s for s in movement.sentences if s.startswith("Slow stage:")]
        if team in ("all", "apac"):
            assert slow and truth["campaign"] in slow[0] and f"in {truth['stage']}" in slow[0], team
        else:
            assert slow == [], team


def test_a_past_week_uses_only_what_was_known_then(demo_workspace, data):
    # in mid-July the June cohort is still open: no verdict on it yet
    movement = compute_pipeline_movement(demo_workspace, "2026-07-06", "north-america", data=data)
    assert not any("June 2026" in s for s in movement.sentences)
    assert movement.forecast["quarter"].tolist() == ["2026-Q3", "2026-Q3"]


def test_review_section_and_checkin_panel_show_the_findings(movements):
    movement = movements["north-america"]
    html = pipeline_movement_html(movement)
    assert html.count('id="pipeline-movement"') == 1 and "Pipeline movement" in html
    assert "June 2026" in html and "Proposal to Negotiation" in html
    assert "June 2026" in pipeline_panel_html(movement)
    assert "June 2026" in pipeline_movement_markdown(movement)
    assert "on current rates" in html.lower()


@pytest.mark.hostile
def test_findings_are_escaped(movements):
    from dataclasses import replace

    movement = replace(movements["emea"], sentences=["<script>alert(1)</script>"])
    assert "<script>" not in pipeline_movement_html(movement)
    assert "<script>" not in pipeline_panel_html(movement)
