"""The review judged against target, what moved against the right baseline, refusing weeks outside the data.

Expected values come from the demo's ground truth (exports/ground_truth.json,
targets.csv read with the csv module) and from hand-computed cases, never
from the code's own output.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math

import pandas as pd
import pytest

from coordkit.analysis.judgement import (
    judge_against_target,
    position_sentence,
    quarter_weeks,
    target_status,
)
from coordkit.analysis.review import NOT_CREDITED, compute_weekly_review, review_context
from coordkit.analysis.what_moved import what_moved
from coordkit.errors import ParameterError

COLLAPSE_WEEK = "2026-W47"


def test_quarter_weeks_are_the_weeks_starting_in_the_quarter():
    weeks = quarter_weeks(dt.date(2026, 11, 16))
    assert weeks[0] == dt.date(2026, 10, 5) and weeks[-1] == dt.date(2026, 12, 28)
    assert len(weeks) == 13 and all(w.weekday() == 0 for w in weeks)


def test_target_judgement_by_hand():
    weeks = quarter_weeks(dt.date(2026, 1, 12))  # 2026-01-05 ... 2026-03-30: 13 weeks
    weekly = pd.DataFrame({"week": weeks[:2], "metric": "leads", "value": [30.0, 40.0]})
    targets = pd.DataFrame({"week": weeks, "metric": "leads", "team": "emea", "value": 50.0})
    row = judge_against_target(weekly, targets, weeks[1], "emea", ["leads"]).iloc[0]
    assert row["pct_of_target"] == pytest.approx(0.8) and row["gap"] == -10
    assert row["qtd_value"] == 70 and row["qtd_target"] == 100 and row["qtd_pct"] == pytest.approx(0.7)
    # 650 for the quarter, 70 done, 11 weeks left
    assert row["quarter_target"] == 650 and row["run_rate_needed"] == pytest.approx(580 / 11)
    assert row["target_status"] == "behind_target"
    assert [target_status(x) for x in (1.0, 0.95, 0.2, float("nan"))] == ["on_target", "near_target", "behind_target", "no_target"]


def test_position_sentence_counts_weeks_outside_the_range():
    chart = pd.DataFrame({"value": [10, 11, 2, 1], "centre": 10.0, "lower_limit": 5.0, "upper_limit": 15.0,
                          "rule": ["", "", "outside_limits", "outside_limits"]})
    assert position_sentence(chart).startswith("Second week in a row below the normal range")
    chart.loc[3, ["value", "rule"]] = [12, ""]
    assert position_sentence(chart).startswith("In the upper half of the normal range")


@pytest.fixture(scope="module")
def context(demo_workspace):
    return review_context(demo_workspace)


@pytest.fixture(scope="module")
def north_america(context):
    return compute_weekly_review(context, week=COLLAPSE_WEEK, team="north-america")


@pytest.mark.slow
class TestDemoReview:

    def test_card_shows_21_percent_of_target(self, north_america, demo_workspace, ground_truth):
        with (demo_workspace / "exports" / "targets.csv").open(newline="", encoding="utf-8") as handle:
            target = next(float(r["value"]) for r in csv.DictReader(handle)
                          if r["team"] == "north-america" and r["metric"] == "pipeline_created" and r["week"].startswith("2026-11-16"))
        value = ground_truth["headline_last_week"]["metrics"]["north-america"]["pipeline_created"]
        row = north_america.headline.set_index("metric").loc["pipeline_created"]
        assert row["pct_of_target"] == pytest.approx(value / target)
        assert round(100 * value / target) == 21
        assert row["target_status"] == "behind_target" and row["gap"] == pytest.approx(value - target)

    def test_what_moved_names_paid_social_against_the_baseline(self, north_america):
        assert north_america.what_moved_compare == "baseline"
        first = north_america.what_moved.iloc[0]
        assert first["channel"] == "paid_social" and first["contribution"] < 0
        assert "paid_social" in north_america.what_moved_narrative.replace("\\_", "_").split("Most of the change came from")[1][:40]
        # the week-on-week view is still shown, as the second comparison
        assert north_america.what_moved_also is not None and north_america.what_moved_also.compare == "previous"

    def test_no_negative_limits_for_counts_and_money(self, north_america):
        assert (north_america.trends["lower_limit"] >= 0).all()
        assert (north_america.headline["lower_limit"] >= 0).all()

    def test_review_and_notebook_agree_to_the_cent(self, context, north_america):
        story = what_moved(context, "pipeline_created", after=COLLAPSE_WEEK, team="north-america", compare="baseline")
        review_rows = north_america.what_moved.set_index("segment")["contribution"]
        notebook_rows = story.explanation.set_index("segment")["contribution"]
        assert review_rows.index.tolist() == notebook_rows.index.tolist()
        assert (review_rows.round(2) == notebook_rows.round(2)).all()
        assert story.bridge["contribution"].round(2).tolist() == north_america.what_moved_bridge["contribution"].round(2).tolist()

    def test_not_credited_row_makes_shares_add_up(self, north_america, ground_truth):
        table = north_america.attributed_by_channel
        assert table["channel"].iloc[-1] == NOT_CREDITED
        truth = ground_truth["headline_last_week"]["metrics"]["north-america"]
        assert table["opportunities"].sum() == pytest.approx(truth["opportunities"])
        assert table["pipeline"].sum() == pytest.approx(truth["pipeline_created"])
        assert table["pipeline_share"].sum() == pytest.approx(1.0)

    @pytest.mark.parametrize("week", ["2027-W10", "2024-W01", "2026-W53"])
    def test_week_outside_the_data_is_refused_with_the_range(self, context, ground_truth, week):
        first, last = ground_truth["calendar"]["first_week"], ground_truth["calendar"]["last_week"]
        with pytest.raises(ParameterError, match=rf"outside the workspace's data.*{first}.*{last}"):
            compute_weekly_review(context, week=week, team="emea")

    def test_late_rows_equal_the_ground_truth(self, context, ground_truth):
        late = ground_truth["realism"]["late_arriving_outcomes"]
        flagged = context.facts[context.facts["late"]]
        assert len(flagged) == late["count"]
        assert (flagged["kind"] == "lead").sum() == late["leads"]
        assert flagged["created_at"].min().date().isoformat() >= late["created_from"]
        assert flagged["created_at"].max().date().isoformat() <= late["created_to"]
        teams = [compute_weekly_review(context, week=COLLAPSE_WEEK, team=t) for t in context.teams]
        assert sum(int(r.data_quality["late"].sum()) for r in teams) == late["count"]

    def test_sidecar_is_strict_json(self, context):
        for team in ("all", "north-america"):
            text = compute_weekly_review(context, week="2025-10-06", team=team).to_json()
            json.loads(text, parse_constant=lambda name: pytest.fail(f"non-standard JSON constant {name}"))
            assert "NaN" not in text and "Infinity" not in text

    def test_team_data_quality_shows_only_its_own_rows(self, context):
        emea = compute_weekly_review(context, week=COLLAPSE_WEEK, team="emea")
        everyone = compute_weekly_review(context, week=COLLAPSE_WEEK, team="all")
        assert set(context.rejected["team"]) > {"emea"}
        own = context.rejected[context.rejected["team"] == "emea"]
        assert int(emea.rejection_reasons["rows"].sum()) == len(own)
        assert int(everyone.rejection_reasons["rows"].sum()) == len(context.rejected)
        assert "file" not in emea.data_quality.columns
        assert not any("touchpoints link" in note for note in emea.quality_notes)
        assert not math.isnan(float(emea.data_quality["stored"].sum()))
