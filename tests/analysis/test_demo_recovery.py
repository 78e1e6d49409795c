"""The planted ground truth of the demo workspace is recovered by signals and drivers."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coordkit.analysis.drivers import explain_change
from coordkit.analysis.signals import compute_xmr

pytestmark = pytest.mark.slow  # uses the session's demo workspace (tests/conftest.py)


@pytest.fixture(scope="module")
def demo(demo_workspace):
    exports = demo_workspace / "exports"
    names = ("outputs", "touchpoints", "outcomes", "outcomes_update", "targets", "spend")
    paths = {name: exports / f"{name}.csv" for name in names}
    paths["ground_truth"] = exports / "ground_truth.json"
    truth = json.loads(paths["ground_truth"].read_text())
    return paths, truth


def weekly_opportunities(outcomes_csv) -> pd.DataFrame:
    outcomes = pd.read_csv(outcomes_csv, dtype=str)
    opportunities = outcomes[outcomes["kind"] == "opportunity"].copy()
    # the demo plants a few impossible dates on purpose; ingest rejects them, so do we
    created = pd.to_datetime(opportunities["created_at"], utc=True, errors="coerce", format="ISO8601")
    opportunities = opportunities[created.notna()]
    created = created[created.notna()].dt.tz_localize(None).dt.normalize()
    monday = created - pd.to_timedelta(created.dt.day_of_week, unit="D")
    return opportunities.assign(week=monday.dt.strftime("%Y-%m-%d"), opportunities=1)


def test_collapse_week_is_a_signal_against_the_planted_baseline(demo):
    _, truth = demo
    collapse = truth["planted"]["paid_social_collapse"]
    weekly = collapse["weekly"]["opportunities"]
    series = pd.Series(list(weekly.values()), index=pd.Index(list(weekly), name="week"))
    chart = compute_xmr(series, baseline=12)
    expected = collapse["xmr_baseline_12_weeks"]["opportunities"]
    assert chart["centre"].iloc[0] == pytest.approx(expected["centre"], abs=0.01)
    assert chart["lower_limit"].iloc[0] == pytest.approx(expected["lower_limit"], abs=0.02)
    assert chart["upper_limit"].iloc[0] == pytest.approx(expected["upper_limit"], abs=0.02)
    assert chart.set_index("week").loc[collapse["from_week"], "rule"].startswith("outside_limits")


def test_explain_names_the_planted_team_and_channel(demo):
    paths, truth = demo
    collapse = truth["planted"]["paid_social_collapse"]
    data = weekly_opportunities(paths["outcomes"])
    before = (pd.Timestamp(collapse["from_week"]) - pd.Timedelta(days=7)).strftime("%Y-%m-%d")
    result = explain_change(data, "opportunities", ["team", "utm_medium", "campaign"], "week", before, collapse["from_week"], max_segments=3)
    first = result.iloc[0]
    assert first["team"] == collapse["team"]
    assert first["utm_medium"] == collapse["channel"]
    assert first["after"] == 0
