"""The review's deliverables section: what was due this week, what got done, what is overdue.

Deliverables are tasks and cards from Asana, Trello and monday.com (the
``deliverables`` table, read once into
:attr:`~coordkit.analysis.review_context.ReviewContext.deliverables`). The
states are those of :func:`coordkit.analysis.deliverables.compute_deliverables`.
A workspace without deliverables gets a section that says so and nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from coordkit.analysis.deliverables import DELIVERABLE_STATES, deliverables_of_week

__all__ = ["NOT_INGESTED", "DeliverablesSection", "deliverables_section"]

NOT_INGESTED = "No deliverables ingested (Asana, Trello or monday.com exports), so none are shown."


@dataclasses.dataclass
class DeliverablesSection:
    """One week's deliverables for one team (or all teams)."""

    #: whether the workspace holds any deliverables at all
    ingested: bool
    #: one row per deliverable due, overdue, done or done late this week (compute_deliverables' columns)
    items: pd.DataFrame
    #: one row per state, in the order the review lists them: state, deliverables
    counts: pd.DataFrame

    def count(self, state: str) -> int:
        return int(self.counts.set_index("state").loc[state, "deliverables"])

    def sentence(self) -> str:
        """The week in one line ("3 due this week and still open, 5 done this week (1 late), 2 overdue ...")."""
        if not self.ingested:
            return NOT_INGESTED
        done, late = self.count("done") + self.count("done late"), self.count("done late")
        if self.items.empty:
            return "No deliverable was due, done or overdue this week."
        late_text = f" ({late:,} late)" if late else ""
        return (f"{self.count('due'):,} due this week and still open, {done:,} done this week{late_text}, "
                f"{self.count('overdue'):,} overdue from earlier weeks.")

    def to_dict(self) -> dict | None:
        """Counts per state for the JSON sidecar (None when no deliverables are ingested)."""
        if not self.ingested:
            return None
        return {state: self.count(state) for state in DELIVERABLE_STATES}


def deliverables_section(deliverables: pd.DataFrame, week: dt.date, team: str = "all", config=None) -> DeliverablesSection:
    """The deliverables that matter for ``week`` (``team``'s, or every team's for ``all``), with counts per state."""
    items = deliverables_of_week(deliverables, week, team, config)
    counts = items["state"].value_counts().reindex(list(DELIVERABLE_STATES), fill_value=0)
    frame = pd.DataFrame({"state": list(DELIVERABLE_STATES), "deliverables": counts.to_numpy(dtype=int)})
    return DeliverablesSection(ingested=not deliverables.empty, items=items, counts=frame)
