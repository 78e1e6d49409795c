"""Lagged association of GA4 sessions per campaign with the outcomes that followed.

GA4's traffic-acquisition download has no contact ids: it can never credit an
outcome. What it can show is whether weeks with more sessions from a campaign
were followed, 0..k weeks later, by more pipeline (or opportunities, or leads).
Campaigns are canonical (the workspace's campaign map is applied where tables
are read), so ``spend-leak-report-2026`` in GA4 is the same campaign as the CRM's
``2026 Spend Leak Report``. Placeholders (``(organic)``, ``(direct)``,
``(not set)``) stay as GA4 names them. Association, not proof.
"""

from __future__ import annotations

import pandas as pd

from coordkit.analysis.lag import compute_lagged_changes
from coordkit.analysis.metrics import metric_rows, outcome_facts
from coordkit.model.calendar import parse_week, week_of

__all__ = ["compute_sessions_lag", "weekly_sessions"]


def weekly_sessions(ws, by: str = "campaign") -> pd.DataFrame:
    """Sessions per workspace week and ``by`` (campaign, channel, source, medium): ``week, <by>, sessions``."""
    table = ws.table("sessions")
    frame = table.select("period_start", by, "sessions").to_pandas()
    frame[by] = frame[by].fillna("(not set)")
    frame["week"] = week_of(frame["period_start"], ws.config)
    return frame.groupby(["week", by], as_index=False)["sessions"].sum()


def compute_sessions_lag(workspace, week, metric: str = "pipeline_created", by: str = "campaign", max_lag: int = 4) -> pd.DataFrame:
    """Per campaign and lag 0..``max_lag``: the change in sessions before ``week`` and how the weekly
    changes of sessions and ``metric`` moved together (see :func:`coordkit.analysis.lag.compute_lagged_changes`).

    >>> compute_sessions_lag("acme", "2026-W42").sort_values("correlation").tail()   # doctest: +SKIP
    """
    from coordkit.ingest.workspace import Workspace, open_workspace

    owned = not isinstance(workspace, Workspace)
    ws = open_workspace(workspace, read_only=True, create=False) if owned else workspace
    try:
        sessions = weekly_sessions(ws, by)
        facts = outcome_facts(ws)
        config = ws.config
    finally:
        if owned:
            ws.close()
    week = parse_week(week, config.week_start)
    rows = metric_rows(facts, metric)
    weeks = sorted(set(sessions["week"]) | {week})
    weeks = [w for w in weeks if w <= week]
    outcome = rows.groupby("week")["value"].sum().reindex(weeks, fill_value=0.0).rename_axis("week").reset_index()
    return compute_lagged_changes(outcome, sessions, week, max_lag, by=by, output_column="sessions")
