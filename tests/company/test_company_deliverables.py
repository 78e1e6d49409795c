"""Tallybook's Asana marketing calendar in its reviews: due, done and overdue per week against a csv recount."""

from __future__ import annotations

import csv
import datetime as dt

from coordkit.analysis.review import compute_weekly_review, review_context
from coordkit.analysis.review_deliverables import deliverables_section

from .conftest import DOWNLOADS


def _recount(week: dt.date) -> dict[str, str]:
    start, end = week, week + dt.timedelta(days=7)
    out = {}
    with (DOWNLOADS / "Marketing_calendar.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            due = dt.date.fromisoformat(row["Due Date"]) if row["Due Date"] else None
            done = dt.date.fromisoformat(row["Completed At"]) if row["Completed At"] else None
            open_at_end = done is None or done >= end
            if done is not None and start <= done < end:
                out[row["Task ID"]] = "done" if due is None or done <= due else "done late"
            elif due is not None and start <= due < end and open_at_end:
                out[row["Task ID"]] = "due"
            elif due is not None and due < start and open_at_end:
                out[row["Task ID"]] = "overdue"
    return out


def test_every_week_of_the_calendar_matches_a_recount(company_workspace):
    context = review_context(company_workspace)
    assert not context.deliverables.empty
    busiest, most = None, -1
    for week in context.weeks:
        got = deliverables_section(context.deliverables, week).items
        states = dict(zip(got["deliverable_id"].astype(str), got["state"]))
        assert states == _recount(week), week
        if len(states) > most:
            busiest, most = week, len(states)
    assert most > 0
    review = compute_weekly_review(context, week=busiest)  # and on the review itself, for its busiest week
    shown = review.deliverables
    assert dict(zip(shown.items["deliverable_id"].astype(str), shown.items["state"])) == _recount(busiest)
    assert "@" not in shown.items["owner"].fillna("").str.cat()  # assignee e-mails never reach the review
