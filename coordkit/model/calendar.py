"""The workspace calendar: which week a timestamp falls in, and which weeks to compare.

Timestamps are stored in UTC; weeks are bucketed in the workspace time zone
and start on the configured day (Monday by default). A week is named by the
date of its first day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from coordkit.config import WorkspaceConfig
from coordkit.errors import ParameterError, allowed_values_message
from coordkit.weeks import iso_week_label, parse_week, week_start_of

__all__ = [
    "COMPARISONS",
    "comparison_weeks",
    "iso_week_label",
    "latest_complete_week",
    "parse_week",
    "trailing_weeks",
    "week_bounds",
    "week_of",
]

COMPARISONS = ("previous", "trailing4", "trailing13", "last_year")


def week_of(stamps: pd.Series, config: WorkspaceConfig | None = None) -> pd.Series:
    """First day (a date) of the workspace week each UTC timestamp falls in.

    >>> week_of(pd.Series(pd.to_datetime(["2026-11-22T23:30:00Z"])), WorkspaceConfig(timezone="Europe/Berlin")).tolist()
    [datetime.date(2026, 11, 23)]
    """
    config = config or WorkspaceConfig()
    stamps = pd.to_datetime(stamps, utc=True)
    local_days = stamps.dt.tz_convert(config.timezone).dt.tz_localize(None).dt.normalize()
    offset = local_days.dt.day_of_week if config.week_start == "monday" else (local_days.dt.day_of_week + 1) % 7
    starts = local_days - pd.to_timedelta(offset, unit="D")
    return starts.dt.date


def week_bounds(week: dt.date, config: WorkspaceConfig | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC start (inclusive) and end (exclusive) of the workspace week starting on ``week``."""
    config = config or WorkspaceConfig()
    start = pd.Timestamp(week).tz_localize(config.timezone)
    end = (pd.Timestamp(week) + pd.Timedelta(days=7)).tz_localize(config.timezone)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def trailing_weeks(week: dt.date, count: int) -> list[dt.date]:
    """The ``count`` weeks before ``week``, oldest first."""
    return [week - dt.timedelta(days=7 * k) for k in range(count, 0, -1)]


def comparison_weeks(week: dt.date, compare: str) -> list[dt.date]:
    """Weeks a week is compared with: the previous one, trailing 4 or 13, or the same week last year.

    >>> comparison_weeks(dt.date(2026, 11, 16), "last_year")
    [datetime.date(2025, 11, 17)]
    """
    if compare == "previous":
        return trailing_weeks(week, 1)
    if compare == "trailing4":
        return trailing_weeks(week, 4)
    if compare == "trailing13":
        return trailing_weeks(week, 13)
    if compare == "last_year":
        # the week with the same ISO week number a year earlier (52 weeks back)
        return [week - dt.timedelta(days=364)]
    raise ParameterError(allowed_values_message("compare", compare, COMPARISONS))


def latest_complete_week(last_activity: pd.Timestamp | None, config: WorkspaceConfig | None = None) -> dt.date:
    """The latest week the data covers to its last day.

    The data, not today's date, decides: a workspace whose newest record is on
    the week's last local day counts that week as complete; otherwise the week
    before it is the latest complete one.
    """
    config = config or WorkspaceConfig()
    if last_activity is None or pd.isna(last_activity):
        raise ParameterError("the workspace has no dated rows yet", hint="ingest outputs or outcomes first")
    local = pd.Timestamp(last_activity).tz_convert(config.timezone)
    start = week_start_of(local.date(), config.week_start)
    last_day = start + dt.timedelta(days=6)
    return start if local.date() >= last_day else start - dt.timedelta(days=7)
