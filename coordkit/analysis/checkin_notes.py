"""Check-in notes carried forward: last week's next actions as a checklist, and which note is final.

Notes are the frame :func:`coordkit.ingest.checkins.list_checkins` returns
(newest first). A note's ticked checklist is kept inside its decisions text as
one line starting with :data:`CHECKLIST_PREFIX`, so a note stays one row of
plain text that any tool can read.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

__all__ = [
    "CHECKLIST_PREFIX",
    "action_items",
    "checklist_of",
    "later_checkin_week",
    "note_of_week",
    "previous_checkin",
    "with_checklist",
    "without_checklist",
]

CHECKLIST_PREFIX = "From the last check-in: "


def action_items(text: str) -> list[str]:
    """Next actions as items: one per line, a list marker and a checkbox (``- [x]``) stripped, blank lines dropped."""
    items = []
    for line in (text or "").splitlines():
        item = re.sub(r"^\s*(?:(?:[-*•]|\d+[.)])\s*)?(?:\[[ xX]\]\s*)?", "", line).strip()
        if item:
            items.append(item)
    return items


def with_checklist(decisions: str, checklist: list[tuple[str, bool]]) -> str:
    """The decisions text with the ticked checklist appended as one line (unchanged when there is none)."""
    if not checklist:
        return decisions
    line = CHECKLIST_PREFIX + " · ".join(f"[{'x' if done else ' '}] {item.replace('·', '-')}" for item, done in checklist)
    return f"{decisions.rstrip()}\n{line}" if decisions.strip() else line


def checklist_of(decisions: str) -> list[tuple[str, bool]]:
    """The (item, done) pairs recorded in a note's decisions text."""
    for line in (decisions or "").splitlines():
        if line.startswith(CHECKLIST_PREFIX):
            return [(item.strip(), mark == "x") for mark, item in re.findall(r"\[(x| )\] ([^·]+)", line)]
    return []


def without_checklist(decisions: str) -> str:
    """The decisions text as the author wrote it (the checklist line removed)."""
    return "\n".join(line for line in (decisions or "").splitlines() if not line.startswith(CHECKLIST_PREFIX))


def _of_team(notes: pd.DataFrame, team: str) -> pd.DataFrame:
    return notes[notes["team"] == team] if not notes.empty else notes


def later_checkin_week(notes: pd.DataFrame, team: str, week: dt.date) -> dt.date | None:
    """The first week after ``week`` with a note of ``team`` (that note makes ``week``'s final), or None."""
    later = [w for w in _of_team(notes, team)["week"] if w is not None and w > week] if not notes.empty else []
    return min(later) if later else None


def previous_checkin(notes: pd.DataFrame, team: str, week: dt.date) -> pd.Series | None:
    """The latest note of ``team`` from a week before ``week`` (the one whose next actions are carried), or None."""
    mine = _of_team(notes, team)
    if mine.empty:
        return None
    mine = mine[mine["week"].map(lambda w: w is not None and w < week)]
    return None if mine.empty else mine.iloc[0]


def note_of_week(notes: pd.DataFrame, team: str, week: dt.date) -> pd.Series | None:
    """``team``'s newest note for ``week`` (the one the form edits), or None."""
    mine = _of_team(notes, team)
    if mine.empty:
        return None
    mine = mine[mine["week"] == week]
    return None if mine.empty else mine.iloc[0]
