"""Calibrating the forecast's interval on its own past errors (conformal-style, honest about time).

The Monte Carlo in :mod:`coordkit.analysis.forecast` carries the luck of the
draw and the uncertainty of the rates, but not what makes rates *change*:
seasons, campaign pushes, a slump in one team's conversion. Measured on the
demo, its 80 % interval covered the realised quarter only 52-67 % of the time.

So the interval is taken from how wrong the same point forecast was before,
at the same horizon. For every past Monday ``t`` (an *origin*) whose horizon
``t + h`` had ended by ``as_of``, the point forecast of what was still to come
in ``[t, t + h)`` is recomputed from what was known at ``t`` only (closes,
stage moves and creations before ``t``), and compared with what happened. The
log errors realised / forecast of those origins are the scores; the interval
for the rest of the quarter is the forecast times ``exp(+-r)``, ``r`` the
split-conformal quantile of the scores (the point forecast is unchanged).
With too few past origins for the stated level (``min_origins``: 4 for 80 %)
the simulation's interval is kept, and the forecast says so
(``interval_method``).

Everything is vectorised over one matrix of weekly snapshots, so calibrating
costs about as much as one forecast.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from coordkit.analysis.pipeline_data import PipelineData

__all__ = ["conformal_radius", "min_origins", "remaining_forecasts"]

_WEEK = np.timedelta64(7, "D")


def _naive(stamps) -> np.ndarray:
    return pd.to_datetime(stamps, utc=True).dt.tz_localize(None).to_numpy()


def _steps_at(history: pd.DataFrame, ids: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Matrix (ids x times) of the furthest step each outcome had reached before each time; 0 = none."""
    h = history[history["outcome_id"].isin(ids)]
    row = pd.Index(ids).get_indexer(h["outcome_id"])
    reached = _naive(h["reached_at"])
    steps = np.zeros((len(ids), len(times)), dtype=int)
    values = np.where(reached[:, None] < times[None, :], h["step"].to_numpy(dtype=int)[:, None], 0)
    np.maximum.at(steps, row, values)
    return steps


def remaining_forecasts(
    data: PipelineData, horizon_days: float, rate_weeks: int = 13, history_weeks: int = 52, min_weeks: int = 26
) -> pd.DataFrame:
    """Point forecast and realised value of what comes in ``[t, t + horizon)``, for weekly origins ``t``.

    Origins are ``as_of`` and every week before it with at least ``min_weeks``
    of opportunities before it: an origin whose rates rested on much less
    history than today's errs more than today's forecast will, and widened the
    interval past its level (in steady simulated worlds, 93 % instead of 80 %
    with 13 weeks; 75-83 % with 26). The forecast at ``t`` uses only
    what was known at ``t`` (the same rules as ``forecast_quarter``: win
    probability by current stage from weekly snapshots of the last
    ``history_weeks`` weeks whose horizon had ended; arrivals at the mean rate of
    the last ``rate_weeks`` weeks; recent amounts; share of new deals won within
    the days left). ``realised`` is NaN where ``t + horizon`` is after ``as_of``.

    Columns: origin, metric (won_revenue, pipeline_created), forecast, realised.
    """
    opps = data.outcomes[data.outcomes["kind"] == "opportunity"]
    ids = opps["outcome_id"].to_numpy(dtype=str)
    created, closed = _naive(opps["created_at"]), _naive(opps["closed_at"])
    won = opps["won"].fillna(False).astype(bool).to_numpy() & ~np.isnat(closed)
    amount = pd.to_numeric(opps["amount"], errors="coerce").to_numpy(dtype=float)
    amount0 = np.nan_to_num(amount)
    as_of = data.as_of.tz_convert(None).to_datetime64()
    if len(opps) == 0:
        return pd.DataFrame(columns=["origin", "metric", "forecast", "realised"])
    span = int((as_of - created.min()) // _WEEK)
    grid = as_of - np.arange(span, -1, -1) * _WEEK  # oldest first; the last is as_of
    horizon = np.timedelta64(int(round(horizon_days * 86_400)), "s")
    lag = max(1, math.ceil(horizon_days / 7 - 1e-9))  # a snapshot's outcome is known `lag` weeks later

    steps = _steps_at(data.history, ids, grid)
    is_open = (created[:, None] < grid[None, :]) & ~(closed[:, None] < grid[None, :]) & (steps > 0)
    won_in_time = won[:, None] & (closed[:, None] >= grid[None, :]) & (closed[:, None] < (grid + horizon)[None, :])
    size = int(steps.max()) + 1 if steps.size else 1
    open_n = np.zeros((len(grid) + 1, size))
    won_n = np.zeros((len(grid) + 1, size))
    for k in range(len(grid)):  # cumulative per-step counts over snapshots, for windowed sums
        open_n[k + 1] = open_n[k] + np.bincount(steps[is_open[:, k], k], minlength=size)
        won_n[k + 1] = won_n[k] + np.bincount(steps[is_open[:, k] & won_in_time[:, k], k], minlength=size)

    rows = []
    for k, origin in enumerate(grid):
        if (origin - created.min()) < min_weeks * _WEEK:
            continue
        hi, lo = k - lag + 1, max(k - history_weeks, 0)  # snapshots lo..k-lag (inclusive)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.nan_to_num((won_n[hi] - won_n[lo]) / (open_n[hi] - open_n[lo])) if hi > lo else np.zeros(size)
        now_open = is_open[:, k]
        from_open = float((rate[steps[now_open, k]] * amount0[now_open]).sum())
        recent = (created >= origin - rate_weeks * _WEEK) & (created < origin)
        amounts = amount[recent & ~np.isnan(amount)]
        mean_amount = float(amounts.mean()) if amounts.size else 0.0
        per_day = recent.sum() / (rate_weeks * 7)
        window = (created >= origin - history_weeks * _WEEK) & (created < origin)
        cycle = np.sort(((closed - created)[window & won & (closed < origin)]) / np.timedelta64(1, "D"))
        grid_days = np.linspace(0, horizon_days, 50)
        win_share = float(np.mean(np.searchsorted(cycle, grid_days, side="right"))) / max(int(window.sum()), 1)
        new_created = per_day * horizon_days * mean_amount
        known = origin + horizon <= as_of
        born = (created >= origin) & (created < origin + horizon)
        real_won = float(amount0[(now_open | born) & won & (closed >= origin) & (closed < origin + horizon)].sum())
        real_created = float(amount0[born].sum())
        rows.append((origin, "won_revenue", from_open + new_created * win_share, real_won if known else np.nan))
        rows.append((origin, "pipeline_created", new_created, real_created if known else np.nan))
    frame = pd.DataFrame(rows, columns=["origin", "metric", "forecast", "realised"])
    frame["origin"] = pd.to_datetime(frame["origin"]).dt.tz_localize("UTC")
    return frame


def min_origins(level: float) -> int:
    """Fewest calibration errors whose split-conformal interval at ``level`` is finite (4 for 80 %)."""
    return math.ceil(level / (1 - level) - 1e-9)


def conformal_radius(scores: np.ndarray, level: float) -> float | None:
    """Split-conformal radius: the ceil((n + 1) * level)-th smallest score, or None when there are too few.

    With exchangeable scores, a new one is at most this radius with probability
    at least ``level`` (Vovk et al.; Lei et al. 2018, "Distribution-free
    predictive inference for regression").
    """
    scores = np.sort(np.asarray(scores, dtype=float))
    rank = math.ceil((scores.size + 1) * level - 1e-9)
    if rank > scores.size or rank < 1:
        return None
    return float(scores[rank - 1])
