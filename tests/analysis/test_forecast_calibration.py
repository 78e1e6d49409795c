"""The forecast's interval covers the realised quarter at its stated rate: measured, not assumed.

Two checks, each against what actually happened (never against the forecast's own output):

* a simulated world with known, steady rates (Poisson arrivals, fixed stage
  advance probabilities and durations): many independent worlds, each
  forecast mid-quarter from what was known then, and the interval's hits
  counted against each world's realised quarter;
* the back-test on the demo's history (``backtest_forecast``).

Tolerance: the number of hits must lie in the central 95 % of Binomial(n,
level), computed below with ``math.comb``. For the demo the 27 dates fall in
three quarters and are not independent (neighbouring dates share most of
their future), so that band is only a rough yardstick there.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coordkit.analysis.forecast import backtest_forecast, forecast_quarter
from coordkit.analysis.forecast_calibration import conformal_radius, min_origins
from coordkit.analysis.pipeline_data import data_as_of, prepare_pipeline

STAGES = ("Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won")
ADVANCE = (0.7, 0.6, 0.55, 0.7)  # chance of moving on from each stage before Closed Won
MEAN_DAYS = (6.0, 12.0, 15.0, 10.0)


def binomial_band(n: int, p: float, mass: float = 0.95) -> tuple[int, int]:
    """Smallest and largest hit counts inside the central ``mass`` of Binomial(n, p)."""
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    cdf = np.cumsum(pmf)
    tail = (1 - mass) / 2
    low = int(np.searchsorted(cdf, tail, side="right"))  # first k with P(X <= k) > tail
    high = int(np.searchsorted(cdf, 1 - tail, side="left"))  # first k with P(X <= k) >= 1 - tail
    return low, high


def simulate_world(seed: int, start="2025-01-06", weeks: int = 82, per_week: float = 25.0):
    """Opportunities arriving at a steady Poisson rate and moving through STAGES with fixed odds."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start, tz="UTC")
    n = rng.poisson(per_week * weeks)
    created = t0 + pd.to_timedelta(np.round(np.sort(rng.random(n)) * weeks * 86_400 * 7), unit="s")
    amount = np.round(rng.lognormal(10, 0.5, n), -2)
    outcomes, stages = [], []
    for i in range(n):
        at, won, closed = created[i], None, pd.NaT
        oid = f"w{seed}-{i}"
        stages.append((oid, STAGES[0], at))
        for k in range(4):
            at = at + pd.Timedelta(seconds=round(rng.exponential(MEAN_DAYS[k]) * 86_400))
            if rng.random() < ADVANCE[k]:
                stages.append((oid, STAGES[k + 1], at))
                if k == 3:
                    won, closed = True, at
            else:
                won, closed = False, at
                break
        outcomes.append((oid, "opportunity", created[i], amount[i], closed, won, "team"))
    outcomes = pd.DataFrame(outcomes, columns=["outcome_id", "kind", "created_at", "amount", "closed_at", "won", "team"])
    outcomes["stage"] = ""
    outcomes["won"] = outcomes["won"].astype(object)  # open deals have none, as in the store
    stages = pd.DataFrame(stages, columns=["outcome_id", "stage", "entered_at"]).assign(
        stage_order=np.nan, pipeline="coordkit demo"
    )
    return outcomes, stages


def realised(outcomes: pd.DataFrame, start, end) -> dict:
    won = outcomes["won"].fillna(False).astype(bool) & (outcomes["closed_at"] >= start) & (outcomes["closed_at"] < end)
    created = (outcomes["created_at"] >= start) & (outcomes["created_at"] < end)
    return {"won_revenue": outcomes.loc[won, "amount"].sum(), "pipeline_created": outcomes.loc[created, "amount"].sum()}


def test_binomial_band_matches_a_hand_count():
    # Binomial(27, 0.8): P(X <= 16) = 0.011 and P(X <= 17) = 0.030; P(X >= 26) = 0.019, P(X >= 25) = 0.072
    assert binomial_band(27, 0.8) == (17, 25)


def test_conformal_radius_is_the_right_order_statistic():
    scores = np.arange(1, 10) / 10  # 9 scores: rank ceil(10 * 0.8) = 8 -> 0.8
    assert conformal_radius(scores, 0.8) == pytest.approx(0.8)
    assert conformal_radius(scores[:3], 0.8) is None  # rank ceil(4 * 0.8) = 4 > 3
    assert min_origins(0.8) == 4 and min_origins(0.9) == 9


@pytest.mark.slow
def test_interval_covers_at_its_stated_rate_in_steady_simulated_worlds():
    as_of, q_start, q_end = (pd.Timestamp(d, tz="UTC") for d in ("2026-05-04", "2026-04-01", "2026-07-01"))
    hits = {"won_revenue": 0, "pipeline_created": 0}
    methods = set()
    worlds = 40
    for seed in range(worlds):
        outcomes, stages = simulate_world(seed)
        full = prepare_pipeline(outcomes, stages, as_of=pd.Timestamp("2026-08-01", tz="UTC"))
        forecast = forecast_quarter(data_as_of(full, as_of), simulations=500).set_index("metric")
        truth = realised(outcomes, q_start, q_end)
        methods |= set(forecast["interval_method"])
        for metric in hits:
            hits[metric] += int(forecast.at[metric, "lower"] <= truth[metric] <= forecast.at[metric, "upper"])
    assert methods == {"calibrated"}
    low, high = binomial_band(worlds, 0.8)
    for metric, count in hits.items():
        assert low <= count <= high, (metric, count, (low, high))


@pytest.mark.slow
def test_backtest_on_the_demo_covers_at_the_stated_rate(demo_workspace):
    from coordkit.analysis.pipeline_data import load_pipeline

    backtest = backtest_forecast(load_pipeline(demo_workspace), simulations=1000)
    for metric, rows in backtest.groupby("metric"):
        low, high = binomial_band(len(rows), 0.8)
        assert low <= int(rows["covered"].sum()) <= high, (metric, int(rows["covered"].sum()), len(rows), (low, high))


if __name__ == "__main__":  # the figures behind the steady-world test, for docs/pipeline.md
    import sys

    worlds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    as_of, q_start, q_end = (pd.Timestamp(d, tz="UTC") for d in ("2026-05-04", "2026-04-01", "2026-07-01"))
    rows = []
    for seed in range(worlds):
        outcomes, stages = simulate_world(seed)
        full = prepare_pipeline(outcomes, stages, as_of=pd.Timestamp("2026-08-01", tz="UTC"))
        for calibrate in (False, True):
            forecast = forecast_quarter(data_as_of(full, as_of), simulations=500, calibrate=calibrate)
            truth = realised(outcomes, q_start, q_end)
            for row in forecast.itertuples():
                value = truth[row.metric]
                rows.append((calibrate, row.metric, row.lower <= value <= row.upper, abs(row.expected - value) / value))
    table = pd.DataFrame(rows, columns=["calibrated", "metric", "covered", "abs_pct_error"])
    print(table.groupby(["calibrated", "metric"]).agg(coverage=("covered", "mean"), mae=("abs_pct_error", "mean"), n=("covered", "size")))
