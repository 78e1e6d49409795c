"""The weekly review's sections computed from one team's facts: trends, headline, outputs, activity without outcome.

:func:`coordkit.analysis.review.compute_weekly_review` calls these and assembles the
:class:`~coordkit.analysis.review.WeeklyReview`; each takes and returns plain frames.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from coordkit.analysis.grouping import aggregate
from coordkit.analysis.judgement import judge_against_target, position_sentence
from coordkit.analysis.metrics import METRIC_LABELS, MONEY_METRICS, OUTCOME_METRICS
from coordkit.analysis.review_attributed import TREND_WEEKS
from coordkit.analysis.review_context import ALL_TEAMS
from coordkit.analysis.signals import compute_xmr
from coordkit.model.calendar import comparison_weeks, trailing_weeks
from coordkit.numbers import format_metric

__all__ = ["ACTIVITY_MIN_COST", "ACTIVITY_MIN_COST_SHARE", "ACTIVITY_MIN_OUTPUTS", "activity_without_outcome",
           "headline_rows", "metric_series", "outputs_by", "trend_rows"]

#: a campaign with at least this many outputs in the trailing window and no outcome is "activity without outcome"
ACTIVITY_MIN_OUTPUTS = 10
#: ... or at least this much spend (and this share of the team's 13-week spend)
ACTIVITY_MIN_COST = 1000.0
ACTIVITY_MIN_COST_SHARE = 0.02


def metric_series(totals: pd.DataFrame, weeks: list[dt.date], team: str, empty: bool) -> dict[str, pd.Series]:
    """Metric -> its weekly values over ``weeks`` (zeros filled), from ``metric_totals`` of one team's facts (scope ``team``).

    The values of ``weekly_metrics(facts, weeks, by=("scope",))`` for each
    metric, without building and splitting its long frame; empty when the
    team has no outcome at all, as that frame is.
    """
    if empty:
        return {metric: pd.Series(dtype="float64", name="value", index=pd.Index([], name="week", dtype=object))
                for metric in OUTCOME_METRICS}
    grid = pd.MultiIndex.from_product([weeks, [team]], names=["week", "scope"])
    wide = totals.reindex(grid, fill_value=0.0)
    index = pd.Index(weeks, name="week", dtype=object)
    return {metric: pd.Series(wide[metric].to_numpy(), index=index, name="value") for metric in OUTCOME_METRICS}


def trend_rows(series: dict[str, pd.Series], week: dt.date, targets: pd.DataFrame | None = None, team: str = ALL_TEAMS,
            first_week: dt.date | None = None, goals: dict | None = None) -> pd.DataFrame:
    """XmR chart per metric: limits from the 13 weeks before ``week``; ``week`` judged against them.

    Every headline metric is a count or money, so a lower limit below zero is
    shown as 0 (a natural lower bound); the rules are judged on the unfloored
    limits, as Wheeler computes them. ``last_year`` is the same week 52 weeks
    earlier, and ``target`` the week's target, for the trend chart's lines.
    """
    from coordkit.analysis.judgement import target_series

    weeks = trailing_weeks(week, TREND_WEEKS) + [week]
    frames = []
    for metric in OUTCOME_METRICS:
        full = series[metric]
        chart = compute_xmr(full.reindex(weeks, fill_value=0.0), baseline=TREND_WEEKS)
        chart = chart.rename(columns={chart.columns[0]: "week"})
        chart["lower_limit"] = chart["lower_limit"].clip(lower=0.0)
        first = first_week or (min(full.index) if len(full) else week)
        chart["last_year"] = [float(full.get(w - dt.timedelta(days=364), np.nan)) if w - dt.timedelta(days=364) >= first
                              else np.nan for w in chart["week"]]
        goal = goals[metric] if goals is not None else target_series(targets, team, metric)
        chart["target"] = [float(goal[w]) if w in goal.index else np.nan for w in chart["week"]]
        chart.insert(0, "metric", metric)
        frames.append(chart)
    return pd.concat(frames, ignore_index=True)


def headline_rows(all_series: dict[str, pd.Series], targets: pd.DataFrame, week: dt.date, team: str, trends: pd.DataFrame,
              currency: str, first_week: dt.date, goals: dict | None = None) -> pd.DataFrame:
    judged = judge_against_target(None, targets, week, team, OUTCOME_METRICS, goals, all_series).set_index("metric")
    records = []
    for metric in OUTCOME_METRICS:
        series = all_series[metric]
        last_year = comparison_weeks(week, "last_year")[0]
        chart = trends[trends["metric"] == metric].reset_index(drop=True)
        last = chart.iloc[-1]
        money = metric in MONEY_METRICS
        position = position_sentence(chart, lambda v, m=money: format_metric(v, m, currency))
        records.append({
            "metric": metric,
            "label": METRIC_LABELS[metric],
            "money": money,
            "value": float(series.get(week, 0.0)),
            **judged.loc[metric].to_dict(),
            "last_week": float(series.get(comparison_weeks(week, "previous")[0], np.nan)),
            "trailing4": float(series.reindex(comparison_weeks(week, "trailing4")).mean()),
            "trailing13": float(series.reindex(comparison_weeks(week, "trailing13")).mean()),
            # before the data starts there is no "last year", not a zero
            "last_year": float(series.get(last_year, np.nan)) if last_year >= first_week else np.nan,
            "rule": last["rule"],
            "signal": bool(last["rule"]),
            "centre": float(last["centre"]),
            "lower_limit": float(last["lower_limit"]),
            "upper_limit": float(last["upper_limit"]),
            "position": position,
            "verdict": f"{METRIC_LABELS[metric]}: {position}",
        })
    frame = pd.DataFrame(records)
    frame["vs_target"] = frame["gap"]
    frame["vs_last_week"] = frame["value"] - frame["last_week"]
    return frame


def outputs_by(shipped: tuple[pd.DataFrame, pd.DataFrame], plan: pd.DataFrame | None, week: dt.date,
                column: str) -> pd.DataFrame:
    """Outputs and cost per ``column`` this week, last week's count, and (with ``plan``, the team's spend plan) planned cost.

    ``shipped`` is (this week's outputs, last week's outputs).
    """
    this = aggregate(shipped[0], column, outputs=("output_id", "count"), cost=("cost", "sum"))
    before = aggregate(shipped[1], column, last_week=("output_id", "count"))
    frame = this.join(before, how="outer").fillna(0)
    if plan is not None and column == "channel":
        plan = plan[plan["week"] == week]
        planned = plan[plan["channel"] != ""].groupby("channel")["planned_cost"].sum().rename("planned_cost")
        frame = frame.join(planned, how="outer").fillna(0)
    frame = frame.reset_index().rename(columns={"index": column})
    frame["outputs"] = frame["outputs"].astype(int)
    frame["last_week"] = frame["last_week"].astype(int)
    return frame.sort_values(["outputs", "cost"], ascending=False, kind="stable").reset_index(drop=True)


def activity_without_outcome(outputs, credit, touch_counts, week) -> pd.DataFrame:
    """Campaigns with much output or spend in the last 13 weeks and no attributed outcome in that time."""
    window = trailing_weeks(week, TREND_WEEKS - 1) + [week]
    recent = outputs[outputs["week"].isin(window)]
    per_campaign = aggregate(recent, "campaign", outputs=("output_id", "count"), cost=("cost", "sum"),
                             channel=("channel", "first"))
    credited = credit[credit["week"].isin(window)].groupby("campaign")["credit"].sum()
    per_campaign = per_campaign.join(credited.rename("outcomes"), how="left").fillna({"outcomes": 0.0})
    per_campaign = per_campaign.join(touch_counts.set_index("campaign")["touches"], how="left").fillna({"touches": 0})
    # by money as well as by count: a few expensive outputs with nothing to show matter as much as many cheap ones
    spend_floor = max(ACTIVITY_MIN_COST, ACTIVITY_MIN_COST_SHARE * float(recent["cost"].sum()))
    much = (per_campaign["outputs"] >= ACTIVITY_MIN_OUTPUTS) | (per_campaign["cost"] >= spend_floor)
    flagged = per_campaign[much & (per_campaign["outcomes"] == 0)]
    flagged = flagged.reset_index().sort_values(["cost", "outputs"], ascending=False, kind="stable")
    flagged["touches"] = flagged["touches"].astype(int)
    return flagged[["campaign", "channel", "outputs", "touches", "cost"]].reset_index(drop=True)
