"""Planned work from project tools: what is due, done and overdue in a week.

The ``deliverables`` table holds tasks and cards from Asana, Trello and
monday.com (see docs/presets.md). A review or check-in calls
:func:`compute_deliverables` for one week (and optionally one team) and shows
the frame as it is: one row per deliverable that was due that week or earlier
and still open at its start, or was done that week.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from coordkit.model.calendar import week_bounds

__all__ = ["DELIVERABLE_STATES", "compute_deliverables", "deliverables_of_week"]

#: states, in the order a review lists them
DELIVERABLE_STATES = ("overdue", "due", "done", "done late")
_COLUMNS = ["deliverable_id", "title", "campaign", "owner", "team", "platform", "status", "due_at", "done_at", "state"]


def compute_deliverables(ws, week: dt.date, team: str | None = None) -> pd.DataFrame:
    """Deliverables that matter for ``week``: due in it, overdue at its end, or done in it.

    - ``due``: due this week and not done by its end;
    - ``overdue``: due before this week and still not done at its end;
    - ``done``: done this week, on or before its due date (or with none);
    - ``done late``: done this week after its due date.

    >>> compute_deliverables(open_workspace("team", read_only=True), dt.date(2026, 3, 9))  # doctest: +SKIP
    """
    if "deliverables" not in ws.con.list_tables():
        return pd.DataFrame(columns=_COLUMNS)
    return deliverables_of_week(ws.con.table("deliverables").to_pandas(), week, team, ws.config)


def deliverables_of_week(frame: pd.DataFrame, week: dt.date, team: str | None = None, config=None) -> pd.DataFrame:
    """:func:`compute_deliverables` on the rows of the ``deliverables`` table (a frame; it is not changed)."""
    start, end = week_bounds(week, config)
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    if team is not None and team != "all":
        frame = frame[frame["team"] == team]
    due = pd.to_datetime(frame["due_at"], utc=True)
    done_at = pd.to_datetime(frame["done_at"], utc=True)
    # a tool that says "done" without a date (Trello's Due Complete, a monday.com status) is done
    # at an unknown time: it counts as done, never as overdue, and is listed in no week
    is_done = frame["done"].astype("boolean").fillna(False).astype(bool) | done_at.notna()
    open_at_end = ~is_done | (done_at >= end)
    done_this_week = done_at.ge(start) & done_at.lt(end)
    state = pd.Series(None, index=frame.index, dtype=object)
    state[due.ge(start) & due.lt(end) & open_at_end] = "due"
    state[due.lt(start) & open_at_end] = "overdue"
    # a due date is a day: work finished any time on that day is on time
    # (before the next day starts: a completion date with no time, the day after, is late)
    state[done_this_week & (due.isna() | (done_at < due + pd.Timedelta(days=1)))] = "done"
    state[done_this_week & due.notna() & (done_at >= due + pd.Timedelta(days=1))] = "done late"
    out = frame.assign(state=state, due_at=due, done_at=done_at)[state.notna()]
    order = {s: i for i, s in enumerate(DELIVERABLE_STATES)}
    out = out.assign(_order=out["state"].map(order)).sort_values(["_order", "due_at", "title"], kind="stable")
    return out[_COLUMNS].reset_index(drop=True)
