"""Workspace-level attribution: touches -> outcomes within a lookback window."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from coordkit.errors import ParameterError
from coordkit.model.attribution.outcomes import attribute_outcomes, influenced_pipeline, sourced_attribution

OUTPUTS = pd.DataFrame(
    {"output_id": ["o1", "o2", "o3"], "channel": ["email", "social", "events"], "campaign": ["Spring", "Spring", "Expo"],
     "utm_campaign": ["spring", "spring", "expo"], "utm_content": ["mail", "post", None]}
)


def ts(day):
    return pd.Timestamp("2024-03-01", tz="UTC") + pd.Timedelta(days=day)


TOUCHES = pd.DataFrame(
    {
        "touchpoint_id": ["t1", "t2", "t3", "t4", "t5", "t6"],
        "contact_id": ["c1", "c1", "c1", "c1", "c2", "c1"],
        "touched_at": [ts(-200), ts(0), ts(5), ts(12), ts(1), ts(30)],
        "output_id": ["o1", "o1", "o2", "o3", "o3", "o2"],
    }
)
OUTCOMES = pd.DataFrame(
    {
        "outcome_id": ["L1", "L2", "L3"],
        "contact_id": ["c1", "c1", "c2"],
        "created_at": [ts(10), ts(20), ts(2)],
        "amount": [100.0, 50.0, 10.0],
        "team": ["emea", "emea", "us"],
        "kind": ["opportunity"] * 3,
        "campaign": ["spring", None, "EXPO"],
    }
)


def run(model="linear", **kw):
    return attribute_outcomes(ibis.memtable(TOUCHES), ibis.memtable(OUTCOMES), ibis.memtable(OUTPUTS), model, **kw)


def test_touches_go_to_the_next_outcome_within_the_lookback():
    result = run("linear")
    # L1 gets t2 (o1) and t3 (o2): t1 is 210 days before, outside 90 days
    l1 = result[result["outcome_id"] == "L1"].set_index("output_id")
    assert l1["amount"].to_dict() == pytest.approx({"o1": 50.0, "o2": 50.0})
    # L2 gets only t4: t2/t3 already led to L1, t6 comes after L2
    l2 = result[result["outcome_id"] == "L2"]
    assert l2[["output_id", "channel", "campaign", "credit", "amount"]].values.tolist() == [["o3", "events", "Expo", 1.0, 50.0]]
    assert result.groupby("outcome_id")["credit"].sum().to_dict() == pytest.approx({"L1": 1, "L2": 1, "L3": 1})
    # week: Monday (UTC) of created_at; 2024-03-11 is a Monday
    assert set(l1["week"]) == {dt.date(2024, 3, 11)}
    assert set(result["team"]) == {"emea", "us"}


def test_lookback_and_week_hook():
    result = run("first", lookback_days=300, week_of=lambda s: pd.to_datetime(s).dt.strftime("%G-W%V"))
    l1 = result[result["outcome_id"] == "L1"]
    assert l1.loc[l1["credit"] > 0, "output_id"].tolist() == ["o1"]  # t1 now in the window, first touch
    assert set(l1["week"]) == {"2024-W11"}


@pytest.mark.parametrize("model", ["position", "time_decay", "w_shaped", "markov", "shapley"])
def test_every_model_conserves_each_outcome(model):
    result = run(model)
    sums = result.groupby("outcome_id")["amount"].sum()
    assert sums.to_dict() == pytest.approx({"L1": 100.0, "L2": 50.0, "L3": 10.0})


def test_bad_join_key_is_refused():
    with pytest.raises(ParameterError, match=r"by must be one of 'contact', 'account'; got 'email'"):
        run(by="email")


def test_sourced_and_influenced():
    sourced = sourced_attribution(ibis.memtable(OUTCOMES), ibis.memtable(OUTPUTS)).sort_values("outcome_id")
    assert sourced[["outcome_id", "campaign", "amount"]].values.tolist() == [["L1", "Spring", 100.0], ["L3", "Expo", 10.0]]
    influenced = influenced_pipeline(ibis.memtable(TOUCHES), ibis.memtable(OUTCOMES), ibis.memtable(OUTPUTS))
    # Spring touched L1; Expo touched L2 and L3
    assert influenced.values.tolist() == [["Expo", 2, 60.0], ["Spring", 1, 100.0]]
