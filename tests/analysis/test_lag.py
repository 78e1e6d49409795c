"""Lag: output changes k weeks before an outcome change, and their association over the history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordkit.analysis.lag import compute_lagged_changes, strongest_lag
from coordkit.errors import AnalysisError, ParameterError


def frames(outcome_values, output_values, channel="webinar"):
    weeks = list(range(1, len(outcome_values) + 1))
    outcome = pd.DataFrame({"week": weeks, "value": outcome_values})
    outputs = pd.DataFrame({"week": weeks, "channel": channel, "outputs": output_values})
    return outcome, outputs


def test_output_change_at_each_lag_by_hand():
    outcome, outputs = frames([10, 10, 30, 10, 10, 30], [1, 0, 0, 1, 0, 0])
    table = compute_lagged_changes(outcome, outputs, week=6, max_lag=3)
    assert table["lag"].tolist() == [0, 1, 2, 3]
    assert table["output_week"].tolist() == [6, 5, 4, 3]
    # outputs by week 1,0,0,1,0,0: change into week 6 is 0, into 5 is -1, into 4 is +1, into 3 is 0
    assert table["output_change"].tolist() == [0, -1, 1, 0]
    assert table["outcome_change"].tolist() == [20] * 4
    assert table["correlation"].idxmax() == 2


def test_missing_output_weeks_count_zero_and_input_unchanged():
    outcome = pd.DataFrame({"week": [1, 2, 3, 4], "value": [1.0, 2.0, 3.0, 5.0]})
    outputs = pd.DataFrame({"week": [2, 4], "channel": ["email", "email"], "outputs": [3, 1]})
    copy = outputs.copy()
    table = compute_lagged_changes(outcome, outputs, week=4, max_lag=1)
    assert table["output_change"].tolist() == [1, -3]
    pd.testing.assert_frame_equal(outputs, copy)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 5)), min_size=8, max_size=20), st.integers(0, 3))
def test_correlation_matches_shifted_differences(pairs, lag):
    outcome, outputs = frames([p[0] for p in pairs], [p[1] for p in pairs])
    table = compute_lagged_changes(outcome, outputs, week=len(pairs), max_lag=3)
    row = table[table["lag"] == lag].iloc[0]
    outcome_change = outcome["value"].astype(float).diff()
    output_change = outputs["outputs"].astype(float).diff().shift(lag)
    both = pd.concat([outcome_change, output_change], axis=1).dropna()
    assert row["weeks"] == len(both)
    if both.iloc[:, 0].std() == 0 or both.iloc[:, 1].std() == 0:
        assert np.isnan(row["correlation"])
    else:
        assert row["correlation"] == pytest.approx(both.iloc[:, 0].corr(both.iloc[:, 1]), abs=1e-9)


def test_bad_input_is_named():
    outcome, outputs = frames([1, 2, 3], [0, 1, 0])
    with pytest.raises(AnalysisError, match=r"outcome: no week 9"):
        compute_lagged_changes(outcome, outputs, week=9)
    with pytest.raises(AnalysisError, match=r"week 1 is the first week"):
        compute_lagged_changes(outcome, outputs, week=1)
    with pytest.raises(ParameterError, match=r"max_lag must be a whole number of weeks, 0 or more; got -1"):
        compute_lagged_changes(outcome, outputs, week=3, max_lag=-1)
    with pytest.raises(AnalysisError, match=r"outputs: missing column 'channel'"):
        compute_lagged_changes(outcome, outputs.drop(columns="channel"), week=3)


@pytest.mark.slow
@pytest.mark.parametrize("team", ["emea", "apac"])
def test_planted_two_week_webinar_lag_is_the_strongest(demo_workspace, team):
    exports = demo_workspace / "exports"
    paths = {"outcomes": exports / "outcomes.csv", "outputs": exports / "outputs.csv"}

    def monday(text):
        moment = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601").dt.tz_localize(None).dt.normalize()
        return (moment - pd.to_timedelta(moment.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")

    outcomes = pd.read_csv(paths["outcomes"], dtype=str)
    outcomes = outcomes[(outcomes["kind"] == "opportunity") & (outcomes["team"] == team)].assign(week=lambda f: monday(f["created_at"]))
    outputs = pd.read_csv(paths["outputs"], dtype=str)
    outputs = outputs[outputs["team"] == team].assign(week=lambda f: monday(f["published_at"]))
    weekly = outcomes.dropna(subset=["week"]).groupby("week").size().rename("value").reset_index()
    by_kind = outputs.dropna(subset=["week"]).groupby(["week", "kind"]).size().rename("outputs").reset_index()
    table = compute_lagged_changes(weekly, by_kind, week=weekly["week"].iloc[-1], max_lag=4, by="kind")
    best = strongest_lag(table).set_index("kind")
    assert best.loc["webinar", "lag"] == 2
