"""Time in stage, stuck deals and pipeline velocity.

Definitions (``docs/pipeline.md``):

* **days in stage**: from the first entry into a stage to the first entry into a
  later one (or to being lost there); skipped stages have none; time spent after
  a move backwards counts towards the furthest stage reached. A stage the
  outcome still sits in is *open*: its days run to ``as_of`` and are kept out of
  the medians (they are not finished yet).
* **stuck**: an open outcome whose days in its current stage exceed the 90th
  percentile of finished stays in that stage (``stuck_quantile``), i.e. longer
  than nine in ten deals that moved on or were lost there.
* **pipeline velocity** at the end of a week = open opportunities x win rate x
  average won deal size / average sales cycle (days), money per day. Win rate,
  deal size and cycle come from the opportunities closed in the trailing
  ``window_weeks`` (default 13) weeks; open = created before and not closed by
  the week's end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.analysis.pipeline_data import PipelineData, days_between, pipeline_orders, segments_of
from coordkit.analysis.signals import compute_xmr
from coordkit.model.stage_history import won_step_of

__all__ = ["compute_pipeline_velocity", "compute_time_in_stage", "find_stuck_deals", "summarise_time_in_stage"]


def compute_time_in_stage(data: PipelineData, by: str | None = None) -> pd.DataFrame:
    """One row per (outcome, stage actually entered, not the won step): days in it and whether still open.

    Columns: outcome_id, pipeline, segment, stage, step, entered_at, days, open.
    """
    hist = data.history
    won_step = {p: won_step_of(order) for p, order in pipeline_orders(data).items()}
    is_won_step = hist["step"].to_numpy() == hist["pipeline"].map(won_step).to_numpy()
    # a stage first entered only after a later one was reached has no stay of its own (stage_history rule 2)
    late_first = hist["left_at"].notna() & (hist["entered_at"] >= hist["left_at"])
    stays = hist[~hist["skipped"].astype(bool) & ~is_won_step & ~late_first]
    segments = segments_of(data.outcomes, by)
    segment = pd.Series(segments.to_numpy(), index=data.outcomes["outcome_id"].to_numpy())
    is_open = stays["left_at"].isna()
    end = stays["left_at"].where(~is_open, data.as_of)
    return pd.DataFrame(
        {
            "outcome_id": stays["outcome_id"].to_numpy(),
            "pipeline": stays["pipeline"].to_numpy(),
            "segment": segment.reindex(stays["outcome_id"]).to_numpy(),
            "stage": stays["stage"].to_numpy(),
            "step": stays["step"].to_numpy(),
            "entered_at": stays["entered_at"].to_numpy(),
            "days": days_between(stays["entered_at"], end),
            "open": is_open.to_numpy(),
        }
    )


def summarise_time_in_stage(time_in_stage: pd.DataFrame) -> pd.DataFrame:
    """Per pipeline, segment and stage: finished stays (count, median, quartiles, p90, mean) and open ones."""
    done = time_in_stage[~time_in_stage["open"]]
    keys = ["pipeline", "segment", "step", "stage"]
    grouped = done.groupby(keys, sort=True)["days"]
    summary = grouped.agg(finished="size", median_days="median")
    # reindexed: a workspace without finished stays (no stage history) has no quantile columns at all
    quantiles = grouped.quantile([0.25, 0.75, 0.90]).unstack().reindex(columns=[0.25, 0.75, 0.90])
    summary["p25_days"], summary["p75_days"], summary["p90_days"] = (quantiles[q] for q in (0.25, 0.75, 0.90))
    summary["mean_days"] = grouped.mean()
    still = time_in_stage[time_in_stage["open"]].groupby(keys, sort=True)["days"].agg(open="size", median_open_days="median")
    out = summary.join(still, how="outer").reset_index()
    out["finished"] = out["finished"].fillna(0).astype(int)
    out["open"] = out["open"].fillna(0).astype(int)
    return out


def find_stuck_deals(data: PipelineData, stuck_quantile: float = 0.9) -> pd.DataFrame:
    """Open outcomes sitting in their stage longer than ``stuck_quantile`` of finished stays there.

    The limit is per pipeline and stage over all teams and campaigns, so a
    segment whose deals all stall is not judged against itself.
    """
    tis = compute_time_in_stage(data)
    done = tis[~tis["open"]]
    limit = done.groupby(["pipeline", "stage"])["days"].quantile(stuck_quantile).rename("limit_days")
    usual = done.groupby(["pipeline", "stage"])["days"].median().rename("usual_days")
    current = tis[tis["open"]].join(limit, on=["pipeline", "stage"]).join(usual, on=["pipeline", "stage"])
    stuck = current[current["days"] > current["limit_days"]]
    info = data.outcomes.set_index("outcome_id")[["team", "campaign", "channel", "amount"]]
    stuck = stuck.drop(columns=["segment"]).join(info, on="outcome_id")
    return stuck.sort_values("days", ascending=False, kind="stable")[
        ["outcome_id", "pipeline", "stage", "days", "usual_days", "limit_days", "team", "campaign", "channel", "amount"]
    ].reset_index(drop=True)


def _naive(stamps: pd.Series) -> np.ndarray:
    """UTC timestamps as naive datetime64 (NaT stays NaT), for fast vectorised comparisons."""
    return pd.to_datetime(stamps, utc=True).dt.tz_localize(None).to_numpy()


def compute_pipeline_velocity(
    data: PipelineData, weeks: int = 26, window_weeks: int = 13, by: str | None = None
) -> pd.DataFrame:
    """Weekly pipeline velocity for the ``weeks`` weeks ending at ``as_of``, with its XmR judgement.

    Columns: segment, week (Monday), open_opportunities, win_rate, avg_deal_size,
    cycle_days, velocity_per_day, xmr_centre, xmr_lower, xmr_upper, xmr_rule (the
    level's chart: successive weeks share most of their data, so read its runs
    with care), weekly_change (velocity minus the week before), change_centre,
    change_lower, change_upper, change_rule (the XmR chart of the weekly
    changes: the trend's signal-or-noise judgement).
    """
    opps = data.outcomes[data.outcomes["kind"] == "opportunity"].assign(segment=lambda f: segments_of(f, by))
    ends = [data.as_of - pd.Timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    created = _naive(opps["created_at"])
    closed_at = _naive(opps["closed_at"])
    won = opps["won"].fillna(False).astype(bool).to_numpy() & pd.notna(closed_at)
    amount = pd.to_numeric(opps["amount"], errors="coerce").to_numpy(dtype=float)
    cycle = days_between(opps["created_at"], opps["closed_at"])
    rows = []
    for segment in sorted(opps["segment"].unique()):
        mask = opps["segment"].to_numpy() == segment
        for end in ends:
            end64 = end.tz_convert(None).to_datetime64()
            start64 = (end - pd.Timedelta(weeks=window_weeks)).tz_convert(None).to_datetime64()
            is_open = mask & (created < end64) & ~(closed_at < end64)
            in_window = mask & (closed_at >= start64) & (closed_at < end64)
            won_window = in_window & won
            decided = int(in_window.sum())
            win_rate = won_window.sum() / decided if decided else np.nan
            size = np.nanmean(amount[won_window]) if won_window.any() else np.nan
            cycle_days = np.nanmean(cycle[won_window]) if won_window.any() else np.nan
            velocity = is_open.sum() * win_rate * size / cycle_days if cycle_days and cycle_days > 0 else np.nan
            rows.append(
                (segment, (end - pd.Timedelta(days=7)).strftime("%Y-%m-%d"), int(is_open.sum()), win_rate, size, cycle_days, velocity)
            )
    out = pd.DataFrame(
        rows,
        columns=["segment", "week", "open_opportunities", "win_rate", "avg_deal_size", "cycle_days", "velocity_per_day"],
    )
    out = out.assign(xmr_centre=np.nan, xmr_lower=np.nan, xmr_upper=np.nan, xmr_rule="")
    out["weekly_change"] = out.groupby("segment", sort=False)["velocity_per_day"].diff()
    out = out.assign(change_centre=np.nan, change_lower=np.nan, change_upper=np.nan, change_rule="")
    for _, series in out.groupby("segment", sort=False):
        _xmr_into(out, series["velocity_per_day"].dropna(), "xmr_centre", "xmr_lower", "xmr_upper", "xmr_rule")
        # the trend's judgement: a trailing figure's week-to-week change is driven by the week that came
        # in and the one that dropped out, so successive changes share almost no data (unlike the levels)
        _xmr_into(out, series["weekly_change"].dropna(), "change_centre", "change_lower", "change_upper", "change_rule")
    return out


def _xmr_into(out: pd.DataFrame, values: pd.Series, centre: str, lower: str, upper: str, rule: str) -> None:
    if len(values) < 3:
        return
    chart = compute_xmr(values.to_numpy())
    out.loc[values.index, [centre, lower, upper]] = chart[["centre", "lower_limit", "upper_limit"]].to_numpy()
    out.loc[values.index, rule] = chart["rule"].to_numpy()
