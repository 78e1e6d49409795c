"""The review's attributed tables: opportunities and pipeline credited per channel or campaign, with intervals.

:func:`attributed_table` is the one function behind the review's channel and
campaign tables and the check-in's campaign table of one channel. A review
builds both of its tables from the same 13 weeks of rows: :func:`window_rows`
cuts them once and each table takes them (``rows=``), which gives the same
tables as cutting them per table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coordkit.analysis.attributed_intervals import with_intervals
from coordkit.analysis.grouping import aggregate
from coordkit.analysis.metrics import OPPORTUNITY_KINDS
from coordkit.model.calendar import trailing_weeks

__all__ = ["NOT_CREDITED", "TREND_WEEKS", "WindowRows", "attributed_table", "window_rows"]

TREND_WEEKS = 13
#: the row that holds the opportunities and pipeline no output touched (so shares add up to the whole)
NOT_CREDITED = "(not credited to any output)"


@dataclass(frozen=True)
class WindowRows:
    """The rows of the 13 weeks up to ``week`` that the attributed tables add up."""

    week: dt.date
    #: opportunity credit of ``week`` and of the window
    this_week: pd.DataFrame
    in_window: pd.DataFrame
    #: outputs shipped in the window
    spent: pd.DataFrame
    #: the team's opportunities of the window (None: no "not credited" row)
    opportunities: pd.DataFrame | None


def window_rows(credit: pd.DataFrame, outputs: pd.DataFrame, week: dt.date,
                opportunities: pd.DataFrame | None = None) -> WindowRows:
    """Cut ``credit`` (opportunity kinds only), ``outputs`` and ``opportunities`` to the 13 weeks up to ``week``."""
    window = trailing_weeks(week, TREND_WEEKS - 1) + [week]
    credited = credit[credit["kind"].isin(OPPORTUNITY_KINDS)]
    in_window = credited[credited["week"].isin(window)]
    return WindowRows(
        week=week,
        this_week=in_window[in_window["week"] == week],
        in_window=in_window,
        spent=outputs[outputs["week"].isin(window)],
        opportunities=None if opportunities is None else opportunities[opportunities["week"].isin(window)],
    )


def attributed_table(credit: pd.DataFrame, outputs: pd.DataFrame, week: dt.date, column: str,
                     opportunities: pd.DataFrame | None = None, rows: WindowRows | None = None) -> pd.DataFrame:
    """Opportunities and pipeline credited per ``column`` this week and over 13 weeks, with efficiency.

    With ``opportunities`` (the team's opportunity facts) a last row
    :data:`NOT_CREDITED` holds what no output touched, so each column adds
    up to the team's whole (the headline's opportunities and pipeline).
    ``rows`` is :func:`window_rows` of the same arguments, when the caller
    builds several tables from them.
    """
    rows = window_rows(credit, outputs, week, opportunities) if rows is None else rows
    now = aggregate(rows.this_week, column, opportunities=("credit", "sum"), pipeline=("amount", "sum"))
    trailing = aggregate(rows.in_window, column, opportunities_13w=("credit", "sum"), pipeline_13w=("amount", "sum"))
    cost = aggregate(rows.spent, column, outputs_13w=("output_id", "count"), cost_13w=("cost", "sum"))
    frame = now.join(trailing, how="outer").join(cost, how="outer").fillna(0.0)
    frame = frame.reset_index().rename(columns={"index": column})
    frame = frame.sort_values(["pipeline", "pipeline_13w"], ascending=False, kind="stable").reset_index(drop=True)
    found = rows.opportunities
    if found is not None:
        this_week = found["week"] == week
        totals = {
            "opportunities": float(this_week.sum()),
            "pipeline": float(found.loc[this_week, "amount"].fillna(0).sum()),
            "opportunities_13w": float(len(found)),
            "pipeline_13w": float(found["amount"].fillna(0).sum()),
        }
        rest = {name: max(0.0, total - float(frame[name].sum())) for name, total in totals.items()}
        if any(value > 1e-9 for value in rest.values()):
            frame = pd.concat([frame, pd.DataFrame([{column: NOT_CREDITED, **rest, "outputs_13w": 0.0, "cost_13w": 0.0}])],
                              ignore_index=True)
    frame["cost_per_opportunity"] = frame["cost_13w"] / frame["opportunities_13w"].where(frame["opportunities_13w"] > 0)
    frame["pipeline_per_output"] = frame["pipeline_13w"] / frame["outputs_13w"].where(frame["outputs_13w"] > 0)
    frame.loc[frame[column] == NOT_CREDITED, ["cost_per_opportunity", "pipeline_per_output"]] = np.nan
    frame["outputs_13w"] = frame["outputs_13w"].astype(int)
    for name in ("opportunities", "pipeline", "opportunities_13w", "pipeline_13w"):
        total = frame[name].sum()
        frame[f"{name}_share"] = frame[name] / total if total > 0 else np.nan
    return with_intervals(frame, rows.in_window, column, found, NOT_CREDITED)
