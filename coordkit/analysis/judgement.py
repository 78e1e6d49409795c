"""Judge a headline value the way a manager reads it: against target first, then signal or noise in words.

:func:`judge_against_target` gives, per metric, the week's percent of target
and gap, the quarter to date against the quarter-to-date target, and the
weekly run-rate needed to close the quarter. :func:`target_status` turns a
percent into the card's colour. :func:`position_sentence` says where a value
sits in its normal range ("second week below the normal range").

Quarters are calendar quarters; a week belongs to the quarter its first day
falls in.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

__all__ = [
    "TARGET_STATUSES",
    "judge_against_target",
    "position_sentence",
    "quarter_of",
    "quarter_weeks",
    "target_series",
    "target_status",
]

ALL_TEAMS = "all"
#: status -> (the lowest share of target it covers, words)
TARGET_STATUSES = {
    "on_target": (1.0, "on target"),
    "near_target": (0.9, "within 10 % of target"),
    "behind_target": (0.0, "behind target"),
    "no_target": (None, "no target set"),
}
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}


def quarter_of(week: dt.date) -> tuple[int, int]:
    """(year, quarter) of the week's first day."""
    return week.year, (week.month - 1) // 3 + 1


def quarter_weeks(week: dt.date) -> list[dt.date]:
    """Every week (by its first day, same weekday as ``week``) that starts in ``week``'s quarter."""
    year, quarter = quarter_of(week)
    first_day = dt.date(year, 3 * quarter - 2, 1)
    next_quarter = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    start = week - dt.timedelta(days=7 * ((week - first_day).days // 7))
    weeks = []
    day = start
    while day < next_quarter:
        weeks.append(day)
        day += dt.timedelta(days=7)
    return weeks


def target_series(targets: pd.DataFrame, team: str, metric: str) -> pd.Series:
    """Weekly target of ``metric`` for ``team`` (for ``all``: its own rows, else the sum of the teams')."""
    if targets is None or targets.empty:
        return pd.Series(dtype=float)
    rows = targets[targets["metric"] == metric]
    if team == ALL_TEAMS:
        own = rows[rows["team"] == ALL_TEAMS]
        rows = own if not own.empty else rows
    else:
        rows = rows[rows["team"] == team]
    if rows.empty:
        return pd.Series(dtype=float)
    weeks = pd.to_datetime(rows["week"]).dt.date
    return rows.assign(week=weeks).groupby("week")["value"].sum().sort_index()


def target_status(share: float) -> str:
    """``on_target`` (100 % or more), ``near_target`` (90-100 %), ``behind_target``, or ``no_target``."""
    if share is None or not math.isfinite(share):
        return "no_target"
    if share >= TARGET_STATUSES["on_target"][0]:
        return "on_target"
    if share >= TARGET_STATUSES["near_target"][0]:
        return "near_target"
    return "behind_target"


def judge_against_target(weekly: pd.DataFrame | None, targets: pd.DataFrame, week: dt.date, team: str, metrics,
                         goals: dict | None = None, series: dict | None = None) -> pd.DataFrame:
    """Per metric: value, target, share and gap this week; quarter to date; run-rate needed to close the quarter.

    ``weekly`` is long (``week``, ``metric``, ``value``) and covers the quarter
    up to ``week``; missing weeks count as zero. Returns one row per metric
    with ``target``, ``pct_of_target`` (a share, 0.21 = 21 %), ``gap``
    (value - target), ``target_status``, ``quarter``, ``qtd_value``,
    ``qtd_target``, ``qtd_pct``, ``quarter_target``,
    ``quarter_target_weeks_assumed`` (remaining weeks with no target yet,
    assumed to carry the quarter's average weekly target so far),
    ``weeks_left`` and ``run_rate_needed`` (per remaining week; 0 when the
    quarter target is already met, NaN when no week is left or there is no
    target).
    ``goals`` maps a metric to its :func:`target_series` (for ``team``), and
    ``series`` a metric to its weekly values (instead of ``weekly``), when the caller keeps them.
    """
    weeks = quarter_weeks(week)
    done = [w for w in weeks if w <= week]
    left = [w for w in weeks if w > week]
    year, quarter = quarter_of(week)
    records = []
    for metric in metrics:
        values = series[metric] if series is not None else weekly[weekly["metric"] == metric].set_index("week")["value"]
        goal = goals[metric] if goals is not None else target_series(targets, team, metric)
        value = float(values.get(week, 0.0))
        target = float(goal[week]) if week in goal.index else np.nan
        qtd_value = float(values.reindex(done, fill_value=0.0).sum())
        has_qtd_target = bool(len(goal)) and all(w in goal.index for w in done)
        qtd_target = float(goal.reindex(done).sum()) if has_qtd_target else np.nan
        # weeks of the quarter still to come often have no target yet: they are assumed to carry this
        # quarter's average weekly target so far, and the row says how many weeks were assumed
        known_left = [w for w in left if w in goal.index]
        assumed = len(left) - len(known_left)
        quarter_target = np.nan
        if has_qtd_target:
            average = qtd_target / len(done)
            quarter_target = qtd_target + float(goal.reindex(known_left).sum()) + assumed * average
        needed = max(0.0, (quarter_target - qtd_value) / len(left)) if left and math.isfinite(quarter_target) else np.nan
        records.append({
            "metric": metric,
            "target": target,
            "pct_of_target": value / target if target and math.isfinite(target) else np.nan,
            "gap": value - target,
            "quarter": f"{year}-Q{quarter}",
            "qtd_value": qtd_value,
            "qtd_target": qtd_target,
            "qtd_pct": qtd_value / qtd_target if qtd_target and math.isfinite(qtd_target) else np.nan,
            "quarter_target": quarter_target,
            "quarter_target_weeks_assumed": assumed if has_qtd_target else 0,
            "weeks_left": len(left),
            "run_rate_needed": needed,
        })
    frame = pd.DataFrame(records)
    frame["target_status"] = frame["pct_of_target"].map(target_status)
    return frame


def position_sentence(chart: pd.DataFrame, fmt=None) -> str:
    """Where the last point of an XmR chart sits in its normal range, in plain words.

    ``chart`` has ``value``, ``centre``, ``lower_limit``, ``upper_limit`` and
    ``rule`` per week, oldest first (limits already floored at zero for counts
    and money); ``fmt`` formats the limits (default: compact numbers). Consecutive weeks outside the range on the same side are
    counted: "Second week below the normal range".
    """
    from coordkit.numbers import format_number

    fmt = fmt or format_number
    last = chart.iloc[-1]
    value, lower, upper, centre = (float(last[c]) for c in ("value", "lower_limit", "upper_limit", "centre"))

    def side(row) -> int:
        if row["value"] < row["lower_limit"]:
            return -1
        if row["value"] > row["upper_limit"]:
            return 1
        return 0

    sides = [side(row) for _, row in chart.iterrows()]
    where = sides[-1]
    if where != 0:
        run = 0
        for s in reversed(sides):
            if s != where:
                break
            run += 1
        words = "below" if where < 0 else "above"
        nth = _ORDINALS.get(run, f"{run}th")
        lead = "First week" if run == 1 else f"{nth.capitalize()} week in a row"
        return f"{lead} {words} the normal range ({_range(lower, upper, fmt)}): a signal, worth finding the cause."
    rules = str(last.get("rule") or "")
    half = "upper" if value > centre else ("lower" if value < centre else "middle")
    if rules:
        reason = "a run of 8 weeks on one side of the average" if "run_of_eight" in rules else "3 of the last 4 weeks near a limit"
        return f"Inside the normal range ({_range(lower, upper, fmt)}) but {reason}: a signal, worth a look."
    if half == "middle":
        return f"Right at the usual level, inside the normal range ({_range(lower, upper, fmt)}): routine variation."
    return f"In the {half} half of the normal range ({_range(lower, upper, fmt)}): routine variation, no cause to hunt."


def _range(lower: float, upper: float, fmt) -> str:
    return f"{fmt(lower)} to {fmt(upper)}"
