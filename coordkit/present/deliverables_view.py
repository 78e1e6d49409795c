"""Deliverables due, done and overdue: the review's section, the check-in's panel and the summary's line.

One piece of HTML serves the report and the check-in
(:func:`deliverables_html`); a workspace without deliverables gets one quiet
line and nothing else.
"""

from __future__ import annotations

from coordkit.analysis.review_deliverables import DeliverablesSection
from coordkit.present.html import escape, section_html, table_html

__all__ = ["deliverables_html", "deliverables_markdown", "show_deliverables"]

_STATE_WORDS = {"due": "due, open", "overdue": "overdue", "done": "done", "done late": "done late"}
_COLUMNS = [("state_words", "State", "text"), ("title", "Deliverable", "text"), ("campaign", "Campaign", "text"),
            ("owner", "Owner", "text"), ("team", "Team", "text"), ("due", "Due", "text"), ("done_on", "Done", "text")]


def _day(value) -> str:
    return "" if value is None or value != value else value.strftime("%Y-%m-%d")  # noqa: PLR0124 - NaT


def deliverables_html(section: DeliverablesSection | None) -> str:
    """A sentence of counts and one row per deliverable (overdue first), or one quiet line when none are ingested."""
    if section is None or not section.ingested:
        return f'<p class="ck-empty ck-deliverables-none">{escape(section.sentence() if section else "")}</p>'
    if section.items.empty:
        return f'<p class="ck-empty">{escape(section.sentence())}</p>'
    items = section.items.assign(
        state_words=section.items["state"].map(_STATE_WORDS),
        due=[_day(v) for v in section.items["due_at"]],
        done_on=[_day(v) for v in section.items["done_at"]],
    )
    return (f"<p>{escape(section.sentence())}</p>"
            + table_html(items, _COLUMNS, caption="Deliverables due, done and overdue this week", max_rows=30,
                         empty="Nothing due, done or overdue this week."))


def show_deliverables(review):
    """The review's deliverables section (a single quiet line when the workspace has none)."""
    from IPython.display import HTML

    section = review.deliverables
    if section is None or not section.ingested:
        return HTML(deliverables_html(section))
    return HTML(section_html("Deliverables this week", deliverables_html(section), section_id="deliverables"))


def deliverables_markdown(section: DeliverablesSection | None) -> str | None:
    """The summary's one line about deliverables (None when none are ingested)."""
    if section is None or not section.ingested:
        return None
    return f"Deliverables: {section.sentence()}"
