"""Is the pipeline moving? The findings the weekly review and the check-in show for one week and team.

Everything is computed from the data as it stood at the end of the week
(``data_as_of``), so a past week's review never uses later moves.

* **Conversion signals**: settled monthly cohorts of the last ``months``
  months whose next-step conversion is outside its natural process limits
  (per team when the review is for all teams).
* **Slow stages**: campaigns whose finished stays in a stage have a median at
  least ``slow_factor`` times the stage's median over all opportunities (at
  least ``min_stays`` stays).
* **Stuck deals**, **velocity** (latest week with its XmR verdict) and the
  **forecast** against the quarter's target.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pandas as pd

from coordkit.analysis.forecast import forecast_quarter, forecast_sentence
from coordkit.analysis.funnel import compute_funnel, funnel_signals
from coordkit.analysis.narrative import format_amount
from coordkit.analysis.pipeline_data import (
    NoStageHistoryError,
    PipelineData,
    data_as_of,
    load_pipeline,
)
from coordkit.analysis.velocity import (
    compute_pipeline_velocity,
    compute_time_in_stage,
    find_stuck_deals,
    summarise_time_in_stage,
)

__all__ = ["PipelineMovement", "compute_pipeline_movement"]


@dataclass(frozen=True)
class PipelineMovement:
    """Findings for one week and team; every frame is tidy, ``sentences`` are plain English."""

    week: dt.date
    team: str
    conversion_signals: pd.DataFrame
    slow_stages: pd.DataFrame
    stage_times: pd.DataFrame
    stuck: pd.DataFrame
    velocity: pd.DataFrame
    forecast: pd.DataFrame
    sentences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    currency: str = "USD"


def _month_name(cohort: str) -> str:
    return pd.Timestamp(cohort).strftime("%B %Y")


def _conversion_signals(data: PipelineData, team: str, months: int) -> pd.DataFrame:
    funnel = compute_funnel(data, grain="month", by="team" if team == "all" else None)
    hits = funnel_signals(funnel)
    since = (data.as_of - pd.DateOffset(months=months)).strftime("%Y-%m-01")
    hits = hits[hits["cohort"] >= since]
    return hits.assign(team=hits["segment"] if team == "all" else team).reset_index(drop=True)


def _slow_stages(data: PipelineData, slow_factor: float, min_stays: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    overall = summarise_time_in_stage(compute_time_in_stage(data))
    by_campaign = summarise_time_in_stage(compute_time_in_stage(data, by="campaign"))
    usual = overall.set_index(["pipeline", "stage"])["median_days"].rename("usual_median_days")
    slow = by_campaign.join(usual, on=["pipeline", "stage"])
    slow = slow[
        (slow["finished"] >= min_stays)
        & (slow["median_days"] >= slow_factor * slow["usual_median_days"])
        & (slow["segment"] != "(no campaign)")
    ]
    slow = slow.rename(columns={"segment": "campaign"}).sort_values("median_days", ascending=False, kind="stable")
    return overall, slow.reset_index(drop=True)


def _opportunities_only(data: PipelineData) -> PipelineData:
    ids = data.outcomes.loc[data.outcomes["kind"] == "opportunity", "outcome_id"]
    return replace(
        data,
        outcomes=data.outcomes[data.outcomes["outcome_id"].isin(ids)].reset_index(drop=True),
        history=data.history[data.history["outcome_id"].isin(ids)].reset_index(drop=True),
    )


def _nouns(data: PipelineData) -> dict:
    """Pipeline -> what its outcomes are called in a sentence ("leads" for a lead lifecycle)."""
    kinds = data.history[["outcome_id", "pipeline"]].drop_duplicates("outcome_id").merge(
        data.outcomes[["outcome_id", "kind"]], on="outcome_id"
    )
    most = kinds.groupby("pipeline")["kind"].agg(lambda k: k.value_counts().index[0])
    return {p: "leads" if kind == "lead" else "opportunities" for p, kind in most.items()}


def _velocity_trend(row, money) -> str:
    """The XmR judgement of the latest week-to-week change of velocity, as a clause."""
    change = row.get("weekly_change")
    if change is None or pd.isna(change) or pd.isna(row.get("change_lower")):
        return ""
    signed = ("+" if change >= 0 else "-") + money(abs(change))
    bounds = f"{'-' if row['change_lower'] < 0 else '+'}{money(abs(row['change_lower']))} to " \
        f"{'-' if row['change_upper'] < 0 else '+'}{money(abs(row['change_upper']))}"
    if "outside_limits" in row["change_rule"]:
        return f" Signal: this week's change, {signed} a day, is outside its natural range ({bounds})."
    return f" This week's change, {signed} a day, is within its natural range ({bounds}): noise."


def _nothing_to_show(week, team: str, reason: str) -> PipelineMovement:
    empty = pd.DataFrame()
    return PipelineMovement(week, team, empty, empty, empty, empty, empty, empty, [], [reason])


def compute_pipeline_movement(
    workspace,
    week,
    team: str = "all",
    months: int = 6,
    slow_factor: float = 2.0,
    min_stays: int = 20,
    data: PipelineData | None = None,
) -> PipelineMovement:
    """Pipeline movement for the week starting ``week`` (a date or ISO string) and ``team``.

    ``data`` (from :func:`load_pipeline`, all teams) can be passed to reuse one load.
    """
    week = pd.Timestamp(week).date()
    as_of = pd.Timestamp(week, tz="UTC") + pd.Timedelta(days=7)
    if data is None:
        try:
            data = load_pipeline(workspace)
        except NoStageHistoryError as exc:
            return _nothing_to_show(week, team or "all", f"{exc} ({exc.hint})" if exc.hint else str(exc))
    full = data
    if team not in ("", "all", None):
        keep = full.outcomes["team"] == team
        ids = set(full.outcomes.loc[keep, "outcome_id"])
        full = replace(
            full,
            outcomes=full.outcomes[keep].reset_index(drop=True),
            history=full.history[full.history["outcome_id"].isin(ids)].reset_index(drop=True),
        )
    team = team or "all"
    view = data_as_of(full, as_of)
    signals = _conversion_signals(view, team, months)
    # time in stage and stuck deals are about opportunities (a lead lifecycle shows in the conversion signals)
    deals = _opportunities_only(view)
    stage_times, slow = _slow_stages(deals, slow_factor, min_stays)
    stuck = find_stuck_deals(deals)
    velocity = compute_pipeline_velocity(view, weeks=26)
    forecast = forecast_quarter(view, simulations=2000, target_team=team)

    sentences = []
    nouns = _nouns(view)
    for row in signals.itertuples():
        who = f"{row.team} " if team == "all" else ""
        sentences.append(
            f"Signal: {who}{nouns.get(row.pipeline, 'opportunities')} created in {_month_name(row.cohort)} moved from {row.stage} to "
            f"{row.next_stage} at {row.next_step_conversion:.0%} ({row.advanced} of {row.reached}); usual "
            f"{row.xmr_centre:.0%}, limits {max(row.xmr_lower, 0):.0%} to {min(row.xmr_upper, 1):.0%}."
        )
    for row in slow.itertuples():
        sentences.append(
            f"Slow stage: opportunities sourced by {row.campaign} spend a median {row.median_days:.0f} days in "
            f"{row.stage} ({row.finished} finished stays), against {row.usual_median_days:.0f} days for all."
        )
    if len(stuck):
        top = stuck["stage"].value_counts()
        money = pd.to_numeric(stuck["amount"], errors="coerce").sum()
        sentences.append(
            f"{len(stuck)} open opportunities are stuck (in their stage longer than 9 in 10 before them), "
            f"{format_amount(money, full.currency)} of pipeline; most in {top.index[0]} ({top.iloc[0]})."
        )
    latest = velocity.dropna(subset=["velocity_per_day"])
    if len(latest):
        now = latest.iloc[-1]
        then = latest.iloc[max(len(latest) - 14, 0)]
        money = lambda value: format_amount(value, full.currency)
        # velocity is a trailing 13-week figure, so its level is compared with 13 weeks earlier and its
        # week-to-week change (which shares almost no data with the previous change) is judged on an XmR chart
        sentences.append(
            f"Pipeline velocity {money(now['velocity_per_day'])} a day "
            f"({int(now['open_opportunities'])} open opportunities x {now['win_rate']:.0%} win rate x "
            f"{money(now['avg_deal_size'])} average won deal / {now['cycle_days']:.0f}-day cycle); "
            f"{money(then['velocity_per_day'])} a day in the week of {then['week']}." + _velocity_trend(now, money)
        )
    sentences += [forecast_sentence(row, full.currency) for _, row in forecast.iterrows()]
    return PipelineMovement(
        week, team, signals, slow, stage_times, stuck, velocity, forecast, sentences, list(full.warnings), full.currency
    )
