"""A review per (week, team) reuses what does not depend on the week, and the reuse changes no number.

The check-in computes one review per picker change, so the review derives the
week-independent frames once per context (``ReviewContext.derived``), groups
without pandas' keyword-aggregation path, and runs the interval bootstrap on
coded arrays. Each shortcut is checked against the path it replaces:

* ``grouping.aggregate`` against pandas' own ``groupby().agg(name=(column, how))``;
* the coded bootstrap against ``credit_intervals`` on ``interval_rows``' frame;
* the headline series against ``weekly_metrics``' long frame split per metric;
* whole reviews computed one after another on one context (every derived
  frame reused, weeks, teams and models mixed) against the same reviews each
  computed on a fresh context, where nothing is reused; frame by frame, exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from coordkit.analysis import attributed_intervals as intervals
from coordkit.analysis.grouping import aggregate
from coordkit.analysis.metrics import OPPORTUNITY_KINDS, OUTCOME_METRICS, weekly_metrics
from coordkit.analysis.review import (
    NOT_CREDITED,
    compute_weekly_review,
    review_context,
)
from coordkit.analysis.review_attributed import window_rows
from coordkit.analysis.review_sections import metric_series
from coordkit.model.attribution.workspace_intervals import credit_intervals
from coordkit.model.calendar import trailing_weeks

SPECS = [
    {"outputs": ("output_id", "count"), "cost": ("cost", "sum")},
    {"last_week": ("output_id", "count")},
    {"outputs": ("output_id", "count"), "cost": ("cost", "sum"), "channel": ("channel", "first")},
    {"amount": ("cost", "first")},
]


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "campaign": pd.Series(rng.choice(["spring", "autumn", "brand", None], rows), dtype="str"),
        "channel": pd.Series(rng.choice(["email", "paid_social", None], rows), dtype="str"),
        "output_id": pd.Series([f"o{i}" if i % 5 else None for i in range(rows)], dtype="str"),
        "cost": np.where(rng.random(rows) < 0.1, np.nan, rng.random(rows) * 100),
    })


@pytest.mark.parametrize("rows", [0, 1, 7, 300])
@pytest.mark.parametrize("as_index", [True, False])
def test_aggregate_equals_pandas_named_aggregation(rows, as_index):
    frame = _frame(rows, seed=rows)
    for spec in SPECS:
        for by in ("campaign", ["campaign", "channel"]):
            expected = frame.groupby(by, as_index=as_index).agg(**spec)
            pd.testing.assert_frame_equal(aggregate(frame, by, as_index=as_index, **spec), expected, check_exact=True)


@pytest.fixture(scope="module")
def context(demo_workspace):
    return review_context(demo_workspace)


WEEKS = [dt.date(2026, 11, 16), dt.date(2026, 11, 9), dt.date(2026, 8, 3), dt.date(2025, 12, 29)]


@pytest.mark.parametrize("team", ["all", "emea", "north-america"])
def test_coded_bootstrap_equals_credit_intervals_on_interval_rows(context, team):
    credit = context.credit("position")
    facts = context.facts
    if team != "all":
        credit, facts = credit[credit["team"] == team], facts[facts["team"] == team]
    opportunities = facts[facts["kind"].isin(OPPORTUNITY_KINDS)]
    checked = 0
    for week in WEEKS:
        rows = window_rows(credit, context.outputs, week, opportunities)
        for column in ("channel", "campaign"):
            for opps in (rows.opportunities, None):
                coded = intervals._coded_intervals(rows.in_window, column, opps, NOT_CREDITED, 0.9, 400, 0)
                frame = intervals.interval_rows(rows.in_window, column, opps, NOT_CREDITED)
                if frame.empty:
                    assert coded is None
                    continue
                expected = credit_intervals(frame, column, level=0.9, resamples=400, seed=0)
                pd.testing.assert_frame_equal(coded, expected, check_exact=True)
                checked += 1
    assert checked >= 12


@pytest.mark.parametrize("team", ["all", "apac"])
def test_headline_series_equal_the_weekly_metrics_frame_split_per_metric(context, team):
    from coordkit.analysis.metrics import metric_totals

    facts = context.facts if team == "all" else context.facts[context.facts["team"] == team]
    scoped = facts.assign(scope=team)
    for week in WEEKS[:2]:
        history = trailing_weeks(week, 65) + [week]
        long = weekly_metrics(scoped, history, by=("scope",))
        series = metric_series(metric_totals(scoped, ("scope",)), history, team, empty=scoped.empty)
        for metric in OUTCOME_METRICS:
            expected = long[long["metric"] == metric].set_index("week")["value"].sort_index()
            pd.testing.assert_series_equal(series[metric], expected, check_exact=True, check_index_type=False)


def _fields(review) -> dict:
    out = {}
    for field in dataclasses.fields(review):
        value = getattr(review, field.name)
        out[field.name] = dict(vars(value)) if hasattr(value, "__dataclass_fields__") else value
    return out


def _assert_same(a, b, where=()):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=str(where))
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=str(where))
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], (*where, key))
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, (*where, i))
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, where


@pytest.mark.slow
def test_reviews_on_one_reused_context_equal_reviews_on_fresh_contexts(demo_workspace):
    reused = review_context(demo_workspace)
    picks = [(WEEKS[0], "all", "position"), (WEEKS[1], "emea", "position"), (WEEKS[0], "emea", "linear"),
             (WEEKS[1], "north-america", "position"), (WEEKS[2], "north-america", "linear"), (WEEKS[3], "apac", "position"),
             (WEEKS[1], "all", "linear")]
    for week, team, model in picks:
        again = compute_weekly_review(reused, week=week, team=team, model=model)
        fresh = compute_weekly_review(review_context(demo_workspace), week=week, team=team, model=model)
        assert not review_context(demo_workspace)._derived  # a fresh context has nothing derived yet
        _assert_same(_fields(again), _fields(fresh), (week.isoformat(), team, model))
    assert ("credit", "emea", "linear") in reused._derived and ("facts", "north-america") in reused._derived
