"""The demo's lead lifecycle (``exports/lead_stages.csv``): the funnel at the lead level equals a recount
with the plain ``csv`` module, and recovers the planted lax qualification (ground_truth.json,
planted.lead_lifecycle) as the only lead-level signals in emea.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from coordkit.analysis.funnel import compute_funnel, funnel_signals
from coordkit.analysis.pipeline_data import load_pipeline

PIPELINE = "Lead lifecycle"


@pytest.fixture(scope="module")
def data(demo_workspace):
    return load_pipeline(demo_workspace)


@pytest.fixture(scope="module")
def funnel(data):
    frame = compute_funnel(data, grain="month", by="team")
    return frame[frame["pipeline"] == PIPELINE]


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_lead_funnel_equals_the_csv_recount(demo_workspace, data, funnel):
    exports = demo_workspace / "exports"
    outcomes = {}
    for name in ("outcomes.csv", "outcomes_update.csv"):
        for row in _rows(exports / name):
            outcomes[row["outcome_id"]] = row  # the later export wins
    kept = set(data.outcomes["outcome_id"])  # rows rejected at ingest are not outcomes
    furthest = {}
    for row in _rows(exports / "lead_stages.csv"):
        assert row["pipeline"] == PIPELINE
        if row["stage_order"] and row["outcome_id"] in kept:
            furthest[row["outcome_id"]] = max(furthest.get(row["outcome_id"], 0), int(row["stage_order"]))
    expected = Counter()
    for outcome_id, far in furthest.items():
        lead = outcomes[outcome_id]
        assert lead["kind"] == "lead"
        for step in range(1, far + 1):
            expected[(lead["team"], lead["created_at"][:7] + "-01", step)] += 1
    got = {(r.segment, r.cohort, r.step): r.reached for r in funnel.itertuples() if r.reached}
    assert got == dict(expected)


def test_lax_qualification_is_recovered_at_the_lead_level(funnel, ground_truth):
    truth = ground_truth["planted"]["lead_lifecycle"]["lax_qualification"]
    cohort = truth["cohort_month"] + "-01"
    hits = funnel_signals(funnel)
    emea = hits[hits["segment"] == truth["team"]]
    assert sorted((r.cohort, r.stage, r.direction) for r in emea.itertuples()) == [
        (cohort, "Marketing Qualified Lead", "up"),
        (cohort, "Sales Qualified Lead", "down"),
    ]
    row = emea.set_index("stage").loc["Marketing Qualified Lead"]
    assert row["next_step_conversion"] == pytest.approx(truth["cohort"]["mql_to_sql"], abs=0.001)
    assert row["reached"] == truth["cohort"]["mql"]
    sql = emea.set_index("stage").loc["Sales Qualified Lead"]
    assert sql["next_step_conversion"] == pytest.approx(truth["cohort"]["sql_to_opportunity"], abs=0.001)
    # more SQLs, not more pipeline: Lead -> Opportunity that month is no signal
    lead_to_opp = funnel[(funnel["segment"] == truth["team"]) & (funnel["cohort"] == cohort) & (funnel["step"] == 4)]
    first = funnel[(funnel["segment"] == truth["team"]) & (funnel["cohort"] == cohort) & (funnel["step"] == 1)]
    assert int(lead_to_opp["reached"].iloc[0]) / int(first["reached"].iloc[0]) == pytest.approx(
        truth["cohort"]["lead_to_opportunity"], abs=0.001
    )


def test_no_other_team_has_a_lead_level_signal_in_that_month(funnel, ground_truth):
    truth = ground_truth["planted"]["lead_lifecycle"]["lax_qualification"]
    hits = funnel_signals(funnel)
    same_month = hits[(hits["cohort"] == truth["cohort_month"] + "-01") & (hits["segment"] != truth["team"])]
    assert same_month.empty
