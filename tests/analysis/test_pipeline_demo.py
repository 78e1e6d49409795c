"""Funnel, time in stage and velocity on the demo equal a plain-pandas recount of the exported CSVs,
and the planted stage facts (ground_truth.json, planted.pipeline_movement) are recovered.

The recount reads ``exports/outcome_stages.csv`` (the opportunities' pipeline
``New business``; the leads' lifecycle is checked in test_lead_lifecycle_demo.py)
and the two outcome exports
with ``pd.read_csv`` and applies the documented rules directly (first entry per
stage, furthest stage reached via ``stage_order``, time in a stage = first entry
into it to the first entry into any later stage or being lost there). Only the
set of outcomes is shared with the code under test (the messy rows rejected at
ingest are not outcomes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coordkit.analysis.funnel import compute_funnel, funnel_signals
from coordkit.analysis.pipeline_data import STORE_PATH, load_pipeline
from coordkit.analysis.velocity import compute_pipeline_velocity, compute_time_in_stage, summarise_time_in_stage


@pytest.fixture(scope="module")
def data(demo_workspace):
    return load_pipeline(demo_workspace)


@pytest.fixture(scope="module")
def recount(demo_workspace, data):
    exports = demo_workspace / "exports"
    stages = pd.read_csv(exports / "outcome_stages.csv", dtype=str)
    stages["t"] = pd.to_datetime(stages["entered_at"], utc=True)
    stages["order"] = pd.to_numeric(stages["stage_order"])
    base = pd.read_csv(exports / "outcomes.csv", dtype=str)
    update = pd.read_csv(exports / "outcomes_update.csv", dtype=str)
    outcomes = pd.concat([base, update]).drop_duplicates("outcome_id", keep="last").set_index("outcome_id")
    # the opportunities' pipeline; the leads' lifecycle (lead_stages.csv) has its own test
    ids = set(data.outcomes.loc[data.outcomes["kind"] == "opportunity", "outcome_id"])
    stages = stages[stages["outcome_id"].isin(ids)]
    outcomes = outcomes.loc[sorted(ids)]
    first = stages.sort_values("t").drop_duplicates(["outcome_id", "stage"])
    furthest = first.groupby("outcome_id")["order"].max()
    lost_at = first[first["stage"] == "Closed Lost"].set_index("outcome_id")["t"]
    return {"stages": stages, "first": first, "furthest": furthest, "lost_at": lost_at, "outcomes": outcomes}


def test_store_path_matches_the_workspace_module():
    from coordkit.ingest.workspace import STORE_DIR, STORE_FILE

    assert STORE_PATH == (STORE_DIR, STORE_FILE)


def test_monthly_funnel_by_team_equals_the_recount(data, recount):
    o = recount["outcomes"]
    month = pd.to_datetime(o["created_at"], utc=True).dt.strftime("%Y-%m-01")
    frame = pd.DataFrame({"team": o["team"], "cohort": month, "furthest": recount["furthest"].reindex(o.index)})
    expected = {}
    for (team, cohort), group in frame.groupby(["team", "cohort"]):
        for step in range(1, 6):
            expected[(team, cohort, step)] = int((group["furthest"] >= step).sum())
    funnel = compute_funnel(data, grain="month", by="team")
    funnel = funnel[funnel["pipeline"] == "New business"]
    got = {(r.segment, r.cohort, r.step): r.reached for r in funnel.itertuples()}
    assert got == expected
    # next-step conversion is the ratio of consecutive recounted steps
    for r in funnel[funnel["step"] < 5].itertuples():
        reached, advanced = expected[(r.segment, r.cohort, r.step)], expected[(r.segment, r.cohort, r.step + 1)]
        if reached:
            assert r.next_step_conversion == pytest.approx(advanced / reached)


def test_time_in_stage_medians_equal_the_recount(data, recount):
    first = recount["first"]
    open_stays, finished = [], []
    for outcome_id, group in first.groupby("outcome_id"):
        entries = group[group["order"].notna() & (group["order"] < 5)]
        for row in entries.itertuples():
            later = group[group["order"] > row.order]["t"]
            if len(later):
                left = later.min()
            elif outcome_id in recount["lost_at"].index:
                left = recount["lost_at"][outcome_id]
            else:
                open_stays.append(row.stage)
                continue
            if left > row.t:
                finished.append((row.stage, (left - row.t).total_seconds() / 86_400))
    expected = pd.DataFrame(finished, columns=["stage", "days"]).groupby("stage")["days"].agg(["size", "median"])
    summary = summarise_time_in_stage(compute_time_in_stage(data))
    summary = summary[summary["pipeline"] == "New business"].set_index("stage")
    for stage, row in expected.iterrows():
        assert summary.loc[stage, "finished"] == row["size"], stage
        assert summary.loc[stage, "median_days"] == pytest.approx(row["median"], abs=1e-6), stage
    assert summary["open"].sum() == len(open_stays)


def test_latest_velocity_equals_the_recount(data, recount):
    o = recount["outcomes"]
    o = o[o["kind"] == "opportunity"]
    created = pd.to_datetime(o["created_at"], utc=True)
    closed = pd.to_datetime(o["closed_at"], utc=True)
    end = pd.Timestamp("2026-11-23", tz="UTC")
    is_open = (created < end) & ~(closed < end)
    window = (closed >= end - pd.Timedelta(weeks=13)) & (closed < end)
    won = window & (o["won"] == "true")
    amount = pd.to_numeric(o["amount"])
    cycle = ((closed - created).dt.total_seconds() / 86_400)[won].mean()
    expected = is_open.sum() * (won.sum() / window.sum()) * amount[won].mean() / cycle
    latest = compute_pipeline_velocity(data, weeks=4).iloc[-1]
    assert latest["week"] == "2026-11-16"
    assert latest["open_opportunities"] == is_open.sum()
    assert latest["velocity_per_day"] == pytest.approx(expected, rel=1e-9)


def test_planted_proposal_slump_is_a_signal_only_there(data, ground_truth):
    truth = ground_truth["planted"]["pipeline_movement"]["proposal_slump"]
    funnel = compute_funnel(data, grain="month", by="team")
    hits = funnel_signals(funnel)
    slump = hits[(hits["stage"] == "Proposal") & (hits["direction"] == "down")]
    assert [(r.segment, r.cohort) for r in slump.itertuples()] == [(truth["team"], truth["cohort_month"] + "-01")]
    row = slump.iloc[0]
    assert row["next_step_conversion"] == pytest.approx(truth["cohort"]["proposal_to_negotiation"], abs=0.001)
    assert row["reached"] == truth["cohort"]["reached_proposal"]


def test_planted_discovery_stall_tops_time_in_stage_by_campaign(data, ground_truth):
    truth = ground_truth["planted"]["pipeline_movement"]["discovery_stall"]
    summary = summarise_time_in_stage(compute_time_in_stage(data, by="campaign"))
    discovery = summary[(summary["stage"] == truth["stage"]) & (summary["finished"] >= 10)]
    top = discovery.sort_values("median_days", ascending=False).iloc[0]
    assert top["segment"] == truth["campaign"]
    assert top["median_days"] == pytest.approx(truth["median_days_in_stage"], abs=0.05)
    others = discovery[discovery["segment"] != truth["campaign"]]["median_days"]
    assert top["median_days"] > 1.5 * others.max()  # next slowest campaign: about 23 days
    assert np.isfinite(top["p90_days"])
