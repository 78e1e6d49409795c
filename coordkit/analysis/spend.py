"""Spend and efficiency for the weekly review: plan against actual, pacing, and what the money earned.

Actual spend is the ``cost`` of the outputs shipped (by publish week); the
plan is the ingested spend plan (``planned_cost`` per week, channel and
campaign). Periods are the week, the month to date and the quarter to date
(a week belongs to the month and quarter its first day falls in). The
projected end-of-period spend runs the period's actual spend so far at its
weekly rate to the period's last week. Pacing is actual / planned; the
weekly pacing of the last 13 weeks gets an XmR signal flag like the
headline metrics.

Efficiency uses the section's one lens, the review's touch-based model:
cost per credited opportunity, cost per $ of credited pipeline and ROAS
(credited pipeline / spend), week by week over 13 weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coordkit.analysis.judgement import quarter_weeks
from coordkit.analysis.metrics import OPPORTUNITY_KINDS
from coordkit.analysis.signals import compute_xmr
from coordkit.model.calendar import trailing_weeks
from coordkit.numbers import format_percent

__all__ = ["SpendReview", "compute_spend", "spend_inputs"]

ALL_TEAMS = "all"
TREND_WEEKS = 13


@dataclass
class SpendReview:
    """The spend section's frames."""

    #: period (week, month to date, quarter to date), actual, planned, pct_paced, projected, planned_full, weeks_done, weeks_total
    pacing: pd.DataFrame
    #: per channel: actual and planned for the week and the quarter to date, pct paced
    by_channel: pd.DataFrame
    #: per campaign: the same, largest plan first
    by_campaign: pd.DataFrame
    #: 13 weeks + this one: spend, planned, pacing (XmR), credited opportunities and pipeline, cost/opp, cost per $, ROAS
    trend: pd.DataFrame
    #: plain-words pacing signal ("spend ran at 132 % of plan: outside its normal range")
    pacing_signal: str


def _month_weeks(week: dt.date) -> list[dt.date]:
    start = week - dt.timedelta(days=7 * ((week.day - 1) // 7))
    weeks, day = [], start
    while day.month == week.month:
        weeks.append(day)
        day += dt.timedelta(days=7)
    return weeks


def _plan(spend: pd.DataFrame, team: str) -> pd.DataFrame:
    if spend is None or spend.empty:
        return pd.DataFrame(columns=["week", "channel", "campaign", "planned_cost"])
    plan = spend.assign(week=pd.to_datetime(spend["week"]).dt.date)
    if team != ALL_TEAMS:
        plan = plan[plan["team"].isin([team, ""])]
    return plan


def _period_rows(actual: pd.Series, planned: pd.Series, week: dt.date) -> pd.DataFrame:
    rows = []
    for name, weeks in (("week", [week]), ("month to date", _month_weeks(week)), ("quarter to date", quarter_weeks(week))):
        done = [w for w in weeks if w <= week]
        spent = float(actual.reindex(done, fill_value=0.0).sum())
        plan_done = float(planned.reindex(done, fill_value=0.0).sum())
        plan_full = float(planned.reindex(weeks, fill_value=0.0).sum())
        rows.append({
            "period": name, "actual": spent, "planned": plan_done,
            "pct_paced": spent / plan_done if plan_done > 0 else np.nan,
            "projected": spent / len(done) * len(weeks), "planned_full": plan_full,
            "weeks_done": len(done), "weeks_total": len(weeks),
        })
    return pd.DataFrame(rows)


def _by(shipped: tuple[pd.DataFrame, pd.DataFrame], planned: tuple[pd.DataFrame, pd.DataFrame], column: str) -> pd.DataFrame:
    """Actual and planned spend per ``column``: ``shipped`` and ``planned`` are (this week's rows, the quarter's to date)."""
    actual_week = shipped[0].groupby(column)["cost"].sum().rename("actual")
    actual_qtd = shipped[1].groupby(column)["cost"].sum().rename("actual_qtd")
    week_plan, quarter_plan = (p[p[column] != ""] if column in p else p.iloc[0:0] for p in planned)
    planned_week = week_plan.groupby(column)["planned_cost"].sum().rename("planned")
    planned_qtd = quarter_plan.groupby(column)["planned_cost"].sum().rename("planned_qtd")
    frame = pd.concat([actual_week, planned_week, actual_qtd, planned_qtd], axis=1).fillna(0.0)
    frame["pct_paced_qtd"] = frame["actual_qtd"] / frame["planned_qtd"].where(frame["planned_qtd"] > 0)
    frame = frame.rename_axis(column).reset_index()
    return frame.sort_values(["planned_qtd", "actual_qtd"], ascending=False, kind="stable").reset_index(drop=True)


def spend_inputs(outputs: pd.DataFrame, spend_plan: pd.DataFrame, credit: pd.DataFrame, team: str = ALL_TEAMS) -> dict:
    """What :func:`compute_spend` derives from a team's frames for any week: the plan, spend and credit per week.

    A caller that reviews many weeks of one team (the check-in) computes it
    once and hands it to each :func:`compute_spend`.
    """
    plan = _plan(spend_plan, team)
    opportunities = credit[credit["kind"].isin(OPPORTUNITY_KINDS)]
    return {
        "plan": plan,
        "actual": outputs.groupby("week")["cost"].sum(),
        "planned": plan.groupby("week")["planned_cost"].sum() if not plan.empty else pd.Series(dtype=float),
        "opportunities": opportunities.groupby("week")["credit"].sum(),
        "pipeline": opportunities.groupby("week")["amount"].sum(),
    }


def compute_spend(outputs: pd.DataFrame, spend_plan: pd.DataFrame, credit: pd.DataFrame, week: dt.date,
                  team: str = ALL_TEAMS, inputs: dict | None = None) -> SpendReview:
    """Plan against actual and efficiency for one team's (already filtered) outputs and credit.

    ``inputs`` is :func:`spend_inputs` of the same frames, when the caller keeps it.
    """
    inputs = spend_inputs(outputs, spend_plan, credit, team) if inputs is None else inputs
    plan, actual, planned = inputs["plan"], inputs["actual"], inputs["planned"]
    pacing = _period_rows(actual, planned, week)
    weeks = trailing_weeks(week, TREND_WEEKS) + [week]
    trend = pd.DataFrame({"week": weeks})
    trend["spend"] = actual.reindex(weeks, fill_value=0.0).to_numpy()
    trend["planned"] = planned.reindex(weeks, fill_value=0.0).to_numpy()
    trend["pct_paced"] = trend["spend"] / trend["planned"].where(trend["planned"] > 0)
    trend["opportunities"] = inputs["opportunities"].reindex(weeks, fill_value=0.0).to_numpy()
    trend["pipeline"] = inputs["pipeline"].reindex(weeks, fill_value=0.0).to_numpy()
    trend["cost_per_opportunity"] = trend["spend"] / trend["opportunities"].where(trend["opportunities"] > 0)
    trend["cost_per_pipeline_dollar"] = trend["spend"] / trend["pipeline"].where(trend["pipeline"] > 0)
    trend["roas"] = trend["pipeline"] / trend["spend"].where(trend["spend"] > 0)
    signal = ""
    paced = trend["pct_paced"]
    if paced.notna().sum() >= 4 and pd.notna(paced.iloc[-1]):
        chart = compute_xmr(paced.fillna(paced.mean()).reset_index(drop=True), baseline=TREND_WEEKS)
        rule = chart["rule"].iloc[-1]
        trend["pacing_rule"] = chart["rule"].to_numpy()
        low, high = max(0.0, chart["lower_limit"].iloc[-1]), chart["upper_limit"].iloc[-1]
        where = ("outside its normal range: a signal, worth a look" if rule else
                 f"inside its normal range ({format_percent(low)} to {format_percent(high)})")
        signal = f"Spend ran at {format_percent(paced.iloc[-1])} of plan this week, {where}."
    # this week's and the quarter's rows, cut once for both tables
    quarter = [w for w in quarter_weeks(week) if w <= week]
    shipped = (outputs[outputs["week"] == week], outputs[outputs["week"].isin(quarter)])
    planned_rows = (plan[plan["week"] == week], plan[plan["week"].isin(quarter)])
    return SpendReview(pacing, _by(shipped, planned_rows, "channel"), _by(shipped, planned_rows, "campaign"), trend, signal)
