"""Week arithmetic shared by every layer: parse a week, find its start, label it.

Weeks start on Monday unless the workspace says Sunday. A week is identified
by the date of its first day; ISO labels (``2026-W47``) are accepted as input
and used for file names.
"""

from __future__ import annotations

import datetime as dt
import re

from coordkit.errors import ParameterError

__all__ = ["WEEK_PATTERN", "iso_week_label", "parse_week", "week_start_of"]

WEEK_PATTERN = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def week_start_of(day: dt.date, week_start: str = "monday") -> dt.date:
    """Return the first day of the week that contains ``day``.

    >>> week_start_of(dt.date(2026, 11, 19))
    datetime.date(2026, 11, 16)
    """
    if isinstance(day, dt.datetime):
        day = day.date()
    offset = day.weekday() if week_start == "monday" else (day.weekday() + 1) % 7
    return day - dt.timedelta(days=offset)


def parse_week(value, week_start: str = "monday") -> dt.date:
    """Parse any date in a week, or an ISO week like ``2026-W47``, to the week's first day.

    >>> parse_week("2026-W47")
    datetime.date(2026, 11, 16)
    >>> parse_week("2026-11-19")
    datetime.date(2026, 11, 16)
    """
    if isinstance(value, dt.datetime):
        return week_start_of(value.date(), week_start)
    if isinstance(value, dt.date):
        return week_start_of(value, week_start)
    text = str(value).strip()
    match = WEEK_PATTERN.match(text)
    if match:
        year, number = int(match.group(1)), int(match.group(2))
        try:
            monday = dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ParameterError(
                f"week {text!r} does not exist: {year} has weeks W01 to W{dt.date(year, 12, 28).isocalendar()[1]:02d}"
            ) from None
        return week_start_of(monday, week_start) if week_start == "monday" else monday - dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ParameterError(
            f"week {text!r} is not a date or an ISO week",
            hint="write any date in the week (2026-11-16) or the ISO week (2026-W47)",
        ) from None
    return week_start_of(day, week_start)


def iso_week_label(week: dt.date) -> str:
    """Return the ISO label of the week starting on ``week`` (``2026-W47``).

    For Sunday-start weeks the label is that of the Monday that follows, so
    labels stay unique and sort in time order.
    """
    monday = week if week.weekday() == 0 else week + dt.timedelta(days=(7 - week.weekday()) % 7)
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"
