"""Forecast against target: where the quarter closes on current rates, with an interval.

Method (``docs/pipeline.md``), for the rest of the calendar quarter after ``as_of``:

* **Open deals**: each open opportunity is won before the quarter ends with the
  probability that deals open *in the same stage* were won within the same
  number of days, measured on weekly snapshots of the last ``history_weeks``
  weeks (only snapshots whose outcome is already known are used).
* **Deals not created yet**: opportunities keep arriving at the recent weekly
  rate (mean of the last ``rate_weeks`` weeks), give or take how far that rate
  has drifted over the same horizon in the past (seasons, campaign pushes:
  measured on the workspace's own history); one created ``d`` days before
  the quarter ends is won in time with the historical share of deals won
  within ``d`` days of creation; amounts are drawn from recent deals.
* **Simulation**: Monte Carlo (``simulations`` draws). Each draw also redraws the
  rates themselves (win probabilities from their Beta posterior, the weekly
  arrival rate from its sampling distribution) and arrivals are negative
  binomial with the measured week-to-week variance. Its mean is the forecast.
* **Interval**: from the forecast's own past errors at the same horizon
  (split-conformal, :mod:`coordkit.analysis.forecast_calibration`); the
  simulation's quantiles only while there are too few past origins. Coverage
  is measured by :func:`backtest_forecast` and in simulated worlds, not assumed.
* **Gap**: each extra opportunity a week is worth its expected won amount
  within the quarter (or its amount, for pipeline created); the gap to target
  divided by that and by the weeks left gives the extra opportunities a week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.analysis.forecast_calibration import conformal_radius, remaining_forecasts
from coordkit.analysis.narrative import format_amount
from coordkit.analysis.pipeline_data import PipelineData, data_as_of, days_between

__all__ = ["backtest_forecast", "forecast_quarter", "forecast_sentence"]

_DAY = pd.Timedelta(days=1)


def _quarter(as_of: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    day = (as_of - pd.Timedelta(seconds=1)).tz_convert("UTC")
    start = pd.Timestamp(year=day.year, month=3 * ((day.month - 1) // 3) + 1, day=1, tz="UTC")
    return start, start + pd.DateOffset(months=3)


def _open_stage_at(history: pd.DataFrame, outcomes: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """Furthest step reached by ``at`` of each outcome open at ``at`` (index outcome_id)."""
    is_open = (outcomes["created_at"] < at) & ~(outcomes["closed_at"] < at)
    ids = outcomes.loc[is_open, "outcome_id"]
    reached = history[(history["reached_at"] < at) & history["outcome_id"].isin(ids)]
    return reached.groupby("outcome_id")["step"].max()


def _naive(stamps) -> np.ndarray:
    return pd.to_datetime(stamps, utc=True).dt.tz_localize(None).to_numpy()


def _steps_at(history: pd.DataFrame, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(outcome ids, matrix outcomes x times of the furthest step reached before each time; 0 = none)."""
    h = history.sort_values("outcome_id", kind="stable")
    ids, first = np.unique(h["outcome_id"].to_numpy(dtype=str), return_index=True)
    if len(h) == 0:
        return ids, np.zeros((0, len(times)), dtype=int)
    reached = _naive(h["reached_at"])
    steps = np.where(reached[:, None] < times[None, :], h["step"].to_numpy(dtype=int)[:, None], 0)
    return ids, np.maximum.reduceat(steps, first, axis=0)


def _win_probabilities(data: PipelineData, horizon_days: float, history_weeks: int) -> pd.DataFrame:
    """Per step: deals open in it at a weekly snapshot, and how many were won within ``horizon_days``."""
    horizon = pd.Timedelta(days=horizon_days)
    snaps = [data.as_of - pd.Timedelta(weeks=k) for k in range(1, history_weeks + 1)]
    snaps = [s for s in snaps if s + horizon <= data.as_of]
    if not snaps:
        return pd.DataFrame({"open": [], "won": [], "deals": []})
    times = np.array([s.tz_convert(None).to_datetime64() for s in snaps])
    # opportunities only: a lead lifecycle's steps are another pipeline's
    opp_ids = data.outcomes.loc[data.outcomes["kind"] == "opportunity", "outcome_id"]
    ids, steps = _steps_at(data.history[data.history["outcome_id"].isin(opp_ids)], times)
    if steps.size == 0:  # no opportunity has a stage history (e.g. only a lead lifecycle was exported)
        return pd.DataFrame({"open": [], "won": [], "deals": []})
    info = data.outcomes.set_index("outcome_id").reindex(ids)
    created, closed = _naive(info["created_at"]), _naive(info["closed_at"])
    won = info["won"].fillna(False).astype(bool).to_numpy()
    is_open = (created[:, None] < times[None, :]) & ~(closed[:, None] < times[None, :]) & (steps > 0)
    win_in_time = won[:, None] & (closed[:, None] >= times[None, :]) & (closed[:, None] < (times + horizon.to_timedelta64())[None, :])
    size = int(steps.max()) + 1
    open_n = np.bincount(steps[is_open], minlength=size)
    won_n = np.bincount(steps[is_open & win_in_time], minlength=size)
    # one deal sits in many weekly snapshots, so the snapshots are not independent trials:
    # the posterior uses the number of distinct deals behind each step's snapshots
    deals = np.array([int(((steps == s) & is_open).any(axis=1).sum()) for s in range(size)])
    table = pd.DataFrame({"open": open_n, "won": won_n, "deals": deals}).rename_axis("step")
    return table[table["open"] > 0]


def _weekly_counts(created: pd.Series, as_of) -> np.ndarray:
    """Opportunities created per week, oldest first, in the whole weeks before ``as_of``."""
    age = ((as_of - pd.to_datetime(created, utc=True)) // pd.Timedelta(weeks=1)).to_numpy(dtype=int)
    if age.size == 0:
        return np.zeros(0)
    return np.bincount(age[age >= 0])[::-1].astype(float)


def _rate_drift(counts: np.ndarray, rate_weeks: int, horizon_weeks: int) -> float:
    """Spread (sd of the log ratio) between the coming weeks' rate and the trailing rate, measured in the past.

    For every past week with ``rate_weeks`` before it and ``horizon_weeks`` after
    it: log(mean of the weeks after / mean of the weeks before). Seasons and
    campaign pushes move the rate; this is how far they moved it here.
    """
    horizon_weeks = max(int(np.ceil(horizon_weeks)), 1)
    ratios = []
    for t in range(rate_weeks, len(counts) - horizon_weeks + 1):
        before, after = counts[t - rate_weeks : t].mean(), counts[t : t + horizon_weeks].mean()
        if before > 0 and after > 0:
            ratios.append(np.log(after / before))
    return float(np.std(ratios, ddof=1)) if len(ratios) >= 8 else 0.0


def _arrivals(rng, created: pd.Series, as_of, rate_weeks: int, left_days: float, simulations: int) -> np.ndarray:
    """New opportunities in the days left, per draw.

    The weekly rate is the mean of the last ``rate_weeks`` weeks, redrawn per
    simulation with its sampling error and with the drift measured by
    :func:`_rate_drift` (log-normal); weekly counts vary more than a Poisson
    process allows, so arrivals are negative binomial with the measured variance.
    """
    counts = _weekly_counts(created, as_of)
    recent = counts[-rate_weeks:] if counts.size else np.zeros(1)
    mean = recent.mean()
    var = recent.var(ddof=1) if recent.size > 1 else mean
    if mean <= 0:
        return np.zeros(simulations, dtype=int)
    horizon = left_days / 7
    drift = _rate_drift(counts, rate_weeks, horizon)
    weekly = np.maximum(rng.normal(mean, np.sqrt(max(var, mean) / recent.size), size=simulations), 0.0)
    weekly = weekly * np.exp(rng.normal(-drift**2 / 2, drift, size=simulations))
    expected = weekly * horizon
    extra = max(var - mean, 0.0) * horizon  # week-to-week variance beyond Poisson over the horizon
    if extra <= 0:
        return rng.poisson(expected)
    shape = np.maximum((mean * horizon) ** 2 / extra, 1e-6)
    return rng.poisson(rng.gamma(shape, np.maximum(expected, 1e-12) / shape))


def _created_won_within(data: PipelineData, history_weeks: int) -> tuple[np.ndarray, int]:
    """Days from creation to a win for deals created in the window, and how many deals were created."""
    opps = data.outcomes[(data.outcomes["kind"] == "opportunity") & (data.outcomes["created_at"] >= data.as_of - pd.Timedelta(weeks=history_weeks))]
    won = opps[opps["won"].fillna(False).astype(bool)]
    return days_between(won["created_at"], won["closed_at"]), len(opps)


def forecast_quarter(
    data: PipelineData,
    level: float = 0.8,
    simulations: int = 4000,
    rate_weeks: int = 13,
    history_weeks: int = 52,
    seed: int = 20261116,
    target_team: str = "all",
    calibrate: bool = True,
) -> pd.DataFrame:
    """Expected won revenue and pipeline created for the quarter holding ``as_of``, with an interval.

    One row per metric (``won_revenue``, ``pipeline_created``): quarter, so_far,
    expected, lower, upper, level, target, share_of_target, gap,
    extra_opportunities_per_week, weeks_left, interval_method, calibration_origins.

    With ``calibrate`` (default) the interval and the point forecast of what is
    still to come are taken from the forecast's own past errors at the same
    horizon (:mod:`coordkit.analysis.forecast_calibration`); without enough past
    origins, or with ``calibrate=False``, from the simulation alone.
    """
    rng = np.random.default_rng(seed)
    as_of = data.as_of
    q_start, q_end = _quarter(as_of)
    left_days = max((q_end - as_of) / _DAY, 0.0)
    opps = data.outcomes[data.outcomes["kind"] == "opportunity"]
    amount = pd.to_numeric(opps["amount"], errors="coerce")
    is_won = opps["won"].fillna(False).astype(bool)
    won_so_far = float(amount[is_won & (opps["closed_at"] >= q_start) & (opps["closed_at"] < as_of)].sum())
    created_so_far = float(amount[(opps["created_at"] >= q_start) & (opps["created_at"] < as_of)].sum())

    # open deals: win probability within the days left, by current step (Beta posterior per draw)
    rates = _win_probabilities(data, left_days, history_weeks)
    steps = _open_stage_at(data.history, opps, as_of)
    open_amount = amount.set_axis(opps["outcome_id"]).reindex(steps.index).fillna(0.0).to_numpy()
    rate = (rates["won"] / rates["open"]).reindex(steps.to_numpy()).fillna(0).to_numpy()
    deals = rates["deals"].reindex(steps.to_numpy()).fillna(0).to_numpy()
    p = rng.beta(rate * deals + 0.5, (1 - rate) * deals + 0.5, size=(simulations, len(steps)))
    from_open = (rng.random((simulations, len(steps))) < p) @ open_amount

    # new deals: arrival rate (Gamma posterior), time to a win, recent amounts
    recent = opps[opps["created_at"] >= as_of - pd.Timedelta(weeks=rate_weeks)]
    arrivals = _arrivals(rng, opps["created_at"], as_of, rate_weeks, left_days, simulations)
    amounts = pd.to_numeric(recent["amount"], errors="coerce").dropna().to_numpy()
    if amounts.size == 0:
        amounts = np.array([0.0])
    cycle, created_n = _created_won_within(data, history_weeks)
    max_n = int(arrivals.max()) if simulations else 0
    draw_amount = rng.choice(amounts, size=(simulations, max(max_n, 1)))
    draw_left = rng.random((simulations, max(max_n, 1))) * left_days
    win_share = np.searchsorted(np.sort(cycle), draw_left, side="right") / max(created_n, 1)
    exists = np.arange(max(max_n, 1))[None, :] < arrivals[:, None]
    from_new = (exists * (rng.random(exists.shape) < win_share) * draw_amount).sum(axis=1)
    created_new = (exists * draw_amount).sum(axis=1)

    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    mean_new_amount = float(amounts.mean())
    grid = np.linspace(0, left_days, 50)
    win_value = float(np.mean(np.searchsorted(np.sort(cycle), grid, side="right")) / max(created_n, 1)) * mean_new_amount
    weeks_left = left_days / 7
    calibration = _calibration(data, left_days, level, rate_weeks, history_weeks) if calibrate and left_days > 0 else {}
    out = []
    for metric, so_far, draws, per_opp in (
        ("won_revenue", won_so_far, won_so_far + from_open + from_new, win_value),
        ("pipeline_created", created_so_far, created_so_far + created_new, mean_new_amount),
    ):
        target = _quarter_target(data.targets, metric, target_team, q_start, q_end)
        expected = float(np.mean(draws))
        lower, upper = float(np.quantile(draws, lo_q)), float(np.quantile(draws, hi_q))
        method, origins = "simulation", 0
        if metric in calibration:
            point, radius, origins, one_deal = calibration[metric]
            if radius is not None:
                lower = so_far + max((point + one_deal) * np.exp(-radius) - one_deal, 0.0)
                upper = so_far + (point + one_deal) * np.exp(radius) - one_deal
                method = "calibrated"
        gap = max(target - expected, 0.0) if pd.notna(target) else np.nan
        extra = gap / (weeks_left * per_opp) if pd.notna(gap) and weeks_left > 0 and per_opp > 0 else np.nan
        out.append(
            {
                "metric": metric,
                "quarter": f"{q_start.year}-Q{(q_start.month - 1) // 3 + 1}",
                "as_of": as_of.strftime("%Y-%m-%d"),
                "so_far": so_far,
                "expected": expected,
                "lower": lower,
                "upper": upper,
                "level": level,
                "target": target,
                "share_of_target": expected / target if pd.notna(target) and target else np.nan,
                "gap": gap,
                "extra_opportunities_per_week": extra,
                "weeks_left": weeks_left,
                "interval_method": method,
                "calibration_origins": origins,
            }
        )
    return pd.DataFrame(out)


def _calibration(data: PipelineData, left_days: float, level: float, rate_weeks: int, history_weeks: int) -> dict:
    """Per metric: (point forecast of the rest, radius (log error) or None, past origins used, one deal's amount)."""
    past = remaining_forecasts(data, left_days, rate_weeks=rate_weeks, history_weeks=history_weeks)
    latest = past["origin"].max()
    now = past[past["origin"] == latest].set_index("metric")["forecast"]
    known = past[past["realised"].notna() & (past["forecast"] > 0) & (past["origin"] < latest)]
    amounts = pd.to_numeric(data.outcomes.loc[data.outcomes["kind"] == "opportunity", "amount"], errors="coerce")
    one_deal = float(amounts.median()) if amounts.notna().any() else 0.0
    out = {}
    for metric, rows in known.groupby("metric"):
        if metric not in now.index:
            continue
        # log error of what was still to come, one typical deal added to both sides so that a short
        # horizon with nothing realised (or forecast) stays finite
        scores = np.abs(np.log((rows["realised"] + one_deal) / (rows["forecast"] + one_deal))).to_numpy()
        out[metric] = (float(now[metric]), conformal_radius(scores, level), len(scores), one_deal)
    return out


def _quarter_target(targets: pd.DataFrame, metric: str, team: str, start, end) -> float:
    if targets is None or targets.empty:
        return np.nan
    week = pd.to_datetime(targets["week"].astype(str), utc=True, errors="coerce")
    rows = targets[(targets["metric"] == metric) & (targets["team"] == team) & (week >= start) & (week < end)]
    return float(pd.to_numeric(rows["value"], errors="coerce").sum()) if len(rows) else np.nan


def forecast_sentence(row: pd.Series, currency: str = "USD") -> str:
    """'On current rates the quarter closes at $X (interval), Y % of target; closing the gap takes Z more ...'."""
    money = lambda value: format_amount(value, currency)
    what = "won revenue" if row["metric"] == "won_revenue" else "pipeline created"
    text = (
        f"On current rates {row['quarter']} closes at {money(row['expected'])} of {what} "
        f"({row['level']:.0%} interval {money(row['lower'])} to {money(row['upper'])})"
    )
    if pd.isna(row["target"]):
        return text + "; no target set."
    text += f", {row['share_of_target']:.0%} of the {money(row['target'])} target"
    if row["gap"] <= 0:
        return text + "; on track."
    if pd.isna(row["extra_opportunities_per_week"]):
        return text + "; the gap cannot be closed by new opportunities this quarter."
    return text + f"; closing the gap takes {row['extra_opportunities_per_week']:.1f} more opportunities a week."


def backtest_forecast(data: PipelineData, first_week: int = 26, every_weeks: int = 1, **options) -> pd.DataFrame:
    """Forecast at past weeks from what was known then; compare with what the quarter realised.

    Uses Mondays from ``first_week`` weeks after the first outcome up to the
    last one whose quarter has ended by ``data.as_of``. Columns: as_of, metric,
    quarter, expected, lower, upper, realised, error, abs_pct_error, covered.
    """
    start = data.outcomes["created_at"].min().normalize()
    start = start - pd.Timedelta(days=start.weekday()) + pd.Timedelta(weeks=first_week)
    rows = []
    at = start
    opps = data.outcomes[data.outcomes["kind"] == "opportunity"]
    amount = pd.to_numeric(opps["amount"], errors="coerce")
    while True:
        q_start, q_end = _quarter(at)
        if q_end > data.as_of:
            break
        forecast = forecast_quarter(data_as_of(data, at), **options)
        won = opps["won"].fillna(False).astype(bool) & (opps["closed_at"] >= q_start) & (opps["closed_at"] < q_end)
        realised = {
            "won_revenue": float(amount[won].sum()),
            "pipeline_created": float(amount[(opps["created_at"] >= q_start) & (opps["created_at"] < q_end)].sum()),
        }
        for row in forecast.itertuples(index=False):
            truth = realised[row.metric]
            rows.append(
                {
                    "as_of": row.as_of,
                    "metric": row.metric,
                    "quarter": row.quarter,
                    "weeks_left": row.weeks_left,
                    "expected": row.expected,
                    "lower": row.lower,
                    "upper": row.upper,
                    "realised": truth,
                    "error": row.expected - truth,
                    "abs_pct_error": abs(row.expected - truth) / truth if truth else np.nan,
                    "covered": row.lower <= truth <= row.upper,
                    "interval_method": row.interval_method,
                }
            )
        at = at + pd.Timedelta(weeks=every_weeks)
    return pd.DataFrame(rows)
