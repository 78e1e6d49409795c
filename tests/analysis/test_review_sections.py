"""The weekly review's sections on the demo workspace: sums add up and the planted truth is found."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from coordkit.analysis.review import compute_weekly_review, review_context
from coordkit.errors import ParameterError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def context(demo_workspace):
    return review_context(demo_workspace)


@pytest.mark.parametrize("compare", ["previous", "trailing4", "trailing13", "last_year"])
def test_drivers_and_bridge_add_up_exactly_to_the_change(context, compare):
    review = compute_weekly_review(context, week="2026-W46", team="all", compare=compare)
    headline = review.headline.set_index("metric").loc["pipeline_created"]
    reference = {"previous": "last_week", "trailing4": "trailing4", "trailing13": "trailing13", "last_year": "last_year"}[compare]
    change = headline["value"] - headline[reference]
    assert review.what_moved["contribution"].sum() == pytest.approx(change, abs=1e-6)
    assert review.what_moved_bridge["contribution"].sum() == pytest.approx(change, abs=1e-6)
    assert review.what_moved["segment"].iloc[-1] == "remainder"


def test_headline_matches_an_independent_count_from_the_exports(context, demo_workspace):
    # independent reference: the CSV exports read with plain pandas, later export wins by id
    frames = [pd.read_csv(demo_workspace / "exports" / name, dtype=str) for name in ("outcomes.csv", "outcomes_update.csv")]
    outcomes = pd.concat(frames).drop_duplicates("outcome_id", keep="last")
    outcomes["created"] = pd.to_datetime(outcomes["created_at"], utc=True, errors="coerce")
    outcomes["amount_value"] = pd.to_numeric(outcomes["amount"], errors="coerce")
    week = dt.date(2026, 11, 2)
    start, end = pd.Timestamp(week, tz="UTC"), pd.Timestamp(week + dt.timedelta(days=7), tz="UTC")
    emea = outcomes[(outcomes["team"] == "emea") & (outcomes["created"] >= start) & (outcomes["created"] < end)]
    emea_opps = emea[emea["kind"] == "opportunity"]
    review = compute_weekly_review(context, week=week.isoformat(), team="emea")
    headline = review.headline.set_index("metric")["value"]
    clean_opps = emea_opps[emea_opps["amount_value"].fillna(0) >= 0]
    assert headline["opportunities"] == len(clean_opps)
    assert headline["leads"] == int((emea["kind"] == "lead").sum())
    assert headline["pipeline_created"] == pytest.approx(clean_opps["amount_value"].fillna(0).sum())


def test_activity_without_outcome_finds_the_planted_campaign(context, ground_truth):
    planted = ground_truth["planted"]["activity_without_outcome"]
    name = planted["campaign"]
    review = compute_weekly_review(context, week="2026-W47", team="emea")
    assert name in review.activity_without_outcome["campaign"].tolist()
    assert review.activity_without_outcome.set_index("campaign").loc[name, "touches"] > 0
    # only the planted campaign is flagged for the team that runs it
    assert review.activity_without_outcome["campaign"].tolist() == [name]


def test_unknown_team_and_compare_are_clear_errors(context):
    with pytest.raises(ParameterError, match=r"team must be one of 'all', 'apac', 'emea', 'north-america'; got 'EMEA'"):
        compute_weekly_review(context, team="EMEA")
    with pytest.raises(ParameterError, match=r"compare must be one of 'auto', 'baseline', 'previous', 'trailing4', 'trailing13', 'last_year'; got 'yoy'"):
        compute_weekly_review(context, compare="yoy")


def test_default_week_is_the_latest_complete_week(context, ground_truth):
    review = compute_weekly_review(context)
    assert review.week.isoformat() == ground_truth["calendar"]["last_week"]


@pytest.mark.hostile
def test_review_frames_hold_no_contact_emails(context):
    review = compute_weekly_review(context, week="2026-W47", team="all")
    text = review.to_json() + "".join(
        frame.to_csv() for frame in (review.headline, review.attributed_by_campaign, review.what_moved, review.rejection_reasons)
    )
    assert "@" not in text


def test_cache_follows_ingests_not_other_writes(demo_workspace, tmp_path):
    import shutil

    from coordkit.analysis.review_cache import cache_key as _cache_key
    from coordkit.ingest.checkins import save_checkin
    from coordkit.ingest.workspace import open_workspace

    copy = tmp_path / "ws"
    shutil.copytree(demo_workspace, copy)
    before = _cache_key(copy)
    save_checkin(copy, team="emea", week="2026-W47", decisions="keep webinars", next_actions="", owner="", due_date=None)
    assert _cache_key(copy) == before, "a check-in note does not change the data a review shows"
    extra = tmp_path / "late.csv"
    extra.write_text("outcome_id,kind,created_at,team\nLATE-1,lead,2026-11-18T10:00:00Z,emea\n", encoding="utf-8")
    with open_workspace(copy) as ws:
        ws.ingest(extra, "outcomes")
    assert _cache_key(copy) != before
    review = compute_weekly_review(copy, week="2026-W47", team="emea")
    fresh = compute_weekly_review(review_context(copy, use_cache=False), week="2026-W47", team="emea")
    assert review.headline["value"].tolist() == fresh.headline["value"].tolist()
