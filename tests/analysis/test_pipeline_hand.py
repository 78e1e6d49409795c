"""Stage history, funnel, time in stage and velocity on a case small enough to compute by hand.

Three opportunities in the demo pipeline (Qualification, Discovery, Proposal,
Negotiation, Closed Won), all created in January 2026:

* A (amount 1000): Q Jan 1, D Jan 5, P Jan 10, back to D Jan 12, P again Jan 15,
  N Jan 20, Closed Won Jan 25.
* B (amount 500): Q Jan 2, straight to P Jan 8 (skips D), Closed Lost Jan 20.
* C (amount 2000): Q Jan 3, still open.

By hand, with as_of = Monday Feb 2:
  reached: Q 3, D 2 (B passed it), P 2, N 1, Won 1.
  next-step: Q->D 2/3, D->P 2/2, P->N 1/2, N->Won 1/1; cumulative 1, 2/3, 2/3, 1/3, 1/3.
  Proposal -> Won 1/2. Still open at Q: C, so open share 1/3 (provisional).
  days to reach P: A 9, B 6 -> median 7.5.
  days in stage: A: Q 4, D 5, P 10 (the back-and-forth counts to P), N 5;
  B: Q 6, P 12 (lost there); C: Q open, 30 days (Jan 3 -> Feb 2).
  velocity in the week of Jan 26: open = C (1); closed in the 13 weeks: A won,
  B lost -> win rate 1/2; won size 1000; cycle 24 days -> 1 x 0.5 x 1000 / 24.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coordkit.analysis.funnel import compute_funnel
from coordkit.analysis.pipeline_data import prepare_pipeline
from coordkit.analysis.velocity import compute_pipeline_velocity, compute_time_in_stage, find_stuck_deals

T = lambda day: pd.Timestamp(f"2026-01-{day:02d}T00:00:00Z") if day <= 31 else pd.Timestamp("2026-02-01T00:00:00Z") + pd.Timedelta(days=day - 32)


def _frames():
    outcomes = pd.DataFrame(
        {
            "outcome_id": ["A", "B", "C"],
            "kind": "opportunity",
            "created_at": [T(1), T(2), T(3)],
            "amount": [1000.0, 500.0, 2000.0],
            "stage": ["Closed Won", "Closed Lost", "Qualification"],
            "closed_at": [T(25), T(20), pd.NaT],
            "won": [True, False, None],
            "team": ["t1", "t1", "t2"],
            "campaign": ["c1", "", "c1"],
        }
    )
    stages = pd.DataFrame(
        [
            ("A", "Qualification", T(1)),
            ("A", "Discovery", T(5)),
            ("A", "Proposal", T(10)),
            ("A", "Discovery", T(12)),
            ("A", "Proposal", T(15)),
            ("A", "Negotiation", T(20)),
            ("A", "Closed Won", T(25)),
            ("B", "Qualification", T(2)),
            ("B", "Proposal", T(8)),
            ("B", "Closed Lost", T(20)),
            ("C", "Qualification", T(3)),
        ],
        columns=["outcome_id", "stage", "entered_at"],
    ).assign(stage_order=np.nan, pipeline="coordkit demo")
    return outcomes, stages


@pytest.fixture
def data():
    outcomes, stages = _frames()
    return prepare_pipeline(outcomes, stages, as_of="2026-02-02")


def test_history_applies_the_skip_and_backward_rules(data):
    h = data.history.set_index(["outcome_id", "stage"])
    assert h.loc[("A", "Proposal"), "reached_at"] == T(10)  # first entry counts
    assert h.loc[("A", "Discovery"), "reentries"] == 1 and h.loc[("A", "Proposal"), "reentries"] == 1
    assert bool(h.loc[("B", "Discovery"), "skipped"]) and h.loc[("B", "Discovery"), "reached_at"] == T(8)
    assert ("B", "Negotiation") not in h.index and ("C", "Discovery") not in h.index
    assert h.loc[("B", "Proposal"), "left_at"] == T(20)  # lost there
    assert pd.isna(h.loc[("C", "Qualification"), "left_at"])
    assert list(data.history.drop_duplicates("outcome_id")["closed"]) == ["won", "lost", ""]


def test_funnel_matches_the_hand_count(data):
    f = compute_funnel(data, grain="month").set_index("stage")
    assert f["reached"].to_dict() == {"Qualification": 3, "Discovery": 2, "Proposal": 2, "Negotiation": 1, "Closed Won": 1}
    assert f.loc["Qualification", "next_step_conversion"] == pytest.approx(2 / 3)
    assert f.loc["Discovery", "next_step_conversion"] == pytest.approx(1.0)
    assert f.loc["Proposal", "next_step_conversion"] == pytest.approx(0.5)
    assert f.loc["Negotiation", "next_step_conversion"] == pytest.approx(1.0)
    assert np.isnan(f.loc["Closed Won", "next_step_conversion"])
    assert f["cumulative_conversion"].tolist() == pytest.approx([1, 2 / 3, 2 / 3, 1 / 3, 1 / 3])
    assert f.loc["Proposal", "won_conversion"] == pytest.approx(0.5)
    assert f.loc["Proposal", "median_days_to_reach"] == pytest.approx(7.5)
    assert f.loc["Qualification", "still_open"] == 1 and f.loc["Qualification", "open_share"] == pytest.approx(1 / 3)
    assert bool(f.loc["Qualification", "provisional"])
    assert set(f["cohort"]) == {"2026-01-01"}


def test_funnel_by_team_splits_the_cohort(data):
    f = compute_funnel(data, grain="week", by="team")
    q = f[f["stage"] == "Qualification"].groupby("segment")["reached"].sum()
    assert q.to_dict() == {"t1": 2, "t2": 1}


def test_time_in_stage_matches_the_hand_count(data):
    tis = compute_time_in_stage(data)
    got = {(r.outcome_id, r.stage): (round(r.days, 6), bool(r.open)) for r in tis.itertuples()}
    assert got == {
        ("A", "Qualification"): (4, False),
        ("A", "Discovery"): (5, False),
        ("A", "Proposal"): (10, False),
        ("A", "Negotiation"): (5, False),
        ("B", "Qualification"): (6, False),
        ("B", "Proposal"): (12, False),
        ("C", "Qualification"): (30, True),
    }


def test_stuck_deal_is_the_one_past_nine_in_ten(data):
    stuck = find_stuck_deals(data)
    assert stuck["outcome_id"].tolist() == ["C"]  # 30 open days > p90 of the finished Q stays (4 and 6)


def test_velocity_matches_the_hand_count(data):
    v = compute_pipeline_velocity(data, weeks=1)
    row = v.iloc[-1]
    assert row["week"] == "2026-01-26"
    assert (row["open_opportunities"], row["win_rate"], row["avg_deal_size"]) == (1, 0.5, 1000.0)
    assert row["cycle_days"] == pytest.approx(24.0)
    assert row["velocity_per_day"] == pytest.approx(1 * 0.5 * 1000 / 24)


def test_inputs_are_not_modified():
    outcomes, stages = _frames()
    before = (outcomes.copy(), stages.copy())
    data = prepare_pipeline(outcomes, stages, as_of="2026-02-02")
    compute_funnel(data)
    compute_time_in_stage(data)
    pd.testing.assert_frame_equal(outcomes, before[0])
    pd.testing.assert_frame_equal(stages, before[1])


def test_unknown_pipeline_is_ordered_with_a_warning():
    outcomes, stages = _frames()
    stages = stages.replace({"Qualification": "Intro", "Discovery": "Demo"}).assign(pipeline="custom")
    data = prepare_pipeline(outcomes, stages, as_of="2026-02-02")
    assert any("custom" in w and "no known stage order" in w for w in data.warnings)
    order = data.history.drop_duplicates("step").sort_values("step")["stage"].tolist()
    assert order == ["Intro", "Demo", "Proposal", "Negotiation", "Closed Won"]


def test_view_as_of_a_past_day_forgets_what_came_later(data):
    from coordkit.analysis.pipeline_data import data_as_of

    view = data_as_of(data, pd.Timestamp("2026-01-12T00:00:00Z"))  # A in Proposal, B in Proposal, C in Q
    f = compute_funnel(view, grain="month").set_index("stage")
    assert f["reached"].to_dict() == {"Qualification": 3, "Discovery": 2, "Proposal": 2, "Negotiation": 0, "Closed Won": 0}
    assert f.loc["Proposal", "still_open"] == 2 and f.loc["Qualification", "still_open"] == 1
    assert view.outcomes["won"].isna().all() and view.outcomes["closed_at"].isna().all()


def test_forecast_with_nothing_open_and_nothing_arriving_is_zero():
    from coordkit.analysis.forecast import forecast_quarter

    outcomes, stages = _frames()
    keep = outcomes["outcome_id"] != "C"
    data = prepare_pipeline(outcomes[keep], stages[stages["outcome_id"] != "C"], as_of="2026-06-01")
    forecast = forecast_quarter(data, simulations=200).set_index("metric")
    # June: A and B closed in Q1, nothing is open, nothing was created in the 13 weeks before
    for metric in ("won_revenue", "pipeline_created"):
        row = forecast.loc[metric]
        assert (row["so_far"], row["expected"], row["lower"], row["upper"]) == (0.0, 0.0, 0.0, 0.0), metric
        assert row["quarter"] == "2026-Q2"


def test_forecast_when_no_opportunity_has_a_stage_history():
    """Real exports (Tallybook's HubSpot deals without "Date entered" columns, plus a contacts
    export with lifecycle dates) give stage history for leads only: the forecast has no
    win rates per step to learn, and must say so with a zero, not crash the review."""
    from coordkit.analysis.forecast import forecast_quarter

    outcomes, _ = _frames()
    leads = pd.DataFrame({"outcome_id": ["L1", "L2"], "kind": "lead", "created_at": [T(1), T(2)],
                          "amount": [np.nan, np.nan], "stage": ["MQL", "Lead"], "closed_at": [pd.NaT, pd.NaT],
                          "won": [None, None], "team": ["t1", "t1"], "campaign": ["c1", "c1"]})
    lifecycle = pd.DataFrame([("L1", "Lead", T(1)), ("L1", "MQL", T(4)), ("L2", "Lead", T(2))],
                             columns=["outcome_id", "stage", "entered_at"]).assign(
        stage_order=np.nan, pipeline="Lead lifecycle")
    data = prepare_pipeline(pd.concat([outcomes, leads], ignore_index=True), lifecycle, as_of="2026-05-04")
    forecast = forecast_quarter(data, simulations=200).set_index("metric")
    won = forecast.loc["won_revenue"]
    # C (2000, open) has no step to take a win rate from: nothing is expected from it
    assert won["so_far"] == 0.0 and won["expected"] == 0.0
    assert won["quarter"] == "2026-Q2"


def test_lead_lifecycle_dates_from_a_hubspot_contacts_export():
    """A lead's lifecycle dates (kept in extras by the hubspot-contacts preset) become its path.

    L1: lead Jan 2 (created_at), MQL Jan 5, Customer Feb 1 (skips SQL and Opportunity, which count as passed).
    L2: lead Jan 3, MQL Jan 10 14:30 in Europe/Berlin = 13:30 UTC. L3: a date HubSpot never writes -> warning.
    """
    import json

    leads = pd.DataFrame(
        {
            "outcome_id": ["L1", "L2", "L3"],
            "kind": "lead",
            "created_at": [T(2), T(3), T(4)],
            "amount": np.nan,
            "closed_at": pd.NaT,
            "won": None,
            "team": "t1",
            "campaign": "",
            "extras": [
                json.dumps({"Became a Marketing Qualified Lead Date": "2026-01-05 10:00", "Became a Customer Date": "2026-02-01"}),
                json.dumps({"Became a Marketing Qualified Lead Date": "2026-01-10 14:30", "Lifecycle Stage": "MQL"}),
                json.dumps({"Became a Marketing Qualified Lead Date": "05/01/2026"}),
            ],
            "_source_file": "contacts.csv",
            "_source_row": [2, 3, 4],
        }
    )
    data = prepare_pipeline(leads, None, as_of="2026-02-02", zone="Europe/Berlin")
    h = data.history.set_index(["outcome_id", "stage"])
    assert h.loc[("L1", "Lead"), "reached_at"] == T(2)  # rule 5: created in the first stage
    assert h.loc[("L1", "Marketing Qualified Lead"), "reached_at"] == pd.Timestamp("2026-01-05T09:00:00Z")
    assert bool(h.loc[("L1", "Sales Qualified Lead"), "skipped"]) and h.loc[("L1", "Customer"), "closed"] == "won"
    assert h.loc[("L2", "Marketing Qualified Lead"), "reached_at"] == pd.Timestamp("2026-01-10T13:30:00Z")
    assert "L3" not in data.history["outcome_id"].tolist()
    assert any("contacts.csv row 4" in w and "05/01/2026" in w for w in data.warnings)
    f = compute_funnel(data, grain="month").set_index("stage")
    assert f["reached"].to_dict() == {"Lead": 2, "Marketing Qualified Lead": 2, "Sales Qualified Lead": 1,
                                      "Opportunity": 1, "Customer": 1}
