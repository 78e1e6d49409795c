"""The check-in's form: last check-in's next actions as a checklist, this week's note, saving, earlier notes.

A part of :class:`coordkit.present.checkin_view.CheckinExplorer` (a mixin: it
uses the explorer's selected week and team, its store lock and its timing
record). What a note means is decided in :mod:`coordkit.analysis.checkin_notes`.
"""

from __future__ import annotations

import datetime as dt
import time

import ipywidgets as widgets
import pandas as pd

from coordkit.analysis.checkin import ALL_CHANNELS, STORE_LOCK, short_title
from coordkit.analysis.checkin_notes import (
    action_items,
    checklist_of,
    later_checkin_week,
    note_of_week,
    previous_checkin,
    with_checklist,
    without_checklist,
)
from coordkit.analysis.review import ALL_TEAMS
from coordkit.errors import CoordkitError, ParameterError
from coordkit.ingest.checkins import list_checkins, save_checkin
from coordkit.model.calendar import iso_week_label
from coordkit.present import checkin_html as parts
from coordkit.present.html import escape

__all__ = ["CheckinForm", "html_widget"]


def html_widget(name: str) -> widgets.HTML:
    """An HTML widget with the CSS class ``ck-<name>`` (the browser test finds sections by it)."""
    widget = widgets.HTML()
    widget.add_class(f"ck-{name}")
    return widget


def _as_date(value) -> dt.date | None:
    """A due date from the form or a caller: a date, a datetime, ``YYYY-MM-DD`` text, or empty."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and not value.strip():
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(f"due_date must be a date like 2026-11-30 (or empty); got {value!r}") from None


class CheckinForm:
    """The form's widgets and what they do (mixed into the explorer)."""

    def _build_form(self, author: str) -> None:
        self.decisions = widgets.Textarea(description="Decisions", placeholder="What did we decide?",
                                          layout=widgets.Layout(width="95%", height="70px"))
        self.next_actions = widgets.Textarea(description="Next actions", placeholder="What happens next?",
                                             layout=widgets.Layout(width="95%", height="70px"))
        self.owner = widgets.Text(description="Owner", placeholder="who does the next actions")
        self.due_date = widgets.DatePicker(description="Due date")
        self.author = widgets.Text(description="Written by", value=author or "")
        self.save_button = widgets.Button(description="Save check-in", button_style="primary", icon="save")
        self.save_status = widgets.HTML()
        for control, name in ((self.decisions, "decisions"), (self.next_actions, "next-actions"), (self.owner, "owner"),
                              (self.due_date, "due-date"), (self.author, "author"), (self.save_button, "save"),
                              (self.save_status, "save-status")):
            control.add_class(f"ck-{name}")
            control.style.description_width = "90px"
        self.save_button.on_click(self._on_save_click)
        for control in (self.decisions, self.next_actions, self.owner, self.due_date, self.author):
            control.observe(self._on_typing, names="value")
        self.history = html_widget("history")
        # last check-in's next actions, one checkbox each: done or not done, recorded with this week's note
        self.carried_note, self.form_note = html_widget("carried-note"), html_widget("form-note")
        self.carried = widgets.VBox(layout=widgets.Layout(width="auto"))
        self.carried.add_class("ck-carried")
        self._boxes: list[widgets.Checkbox] = []  # built once each, reused: a refresh changes their values

    def checkins(self, team: str | None = None, reload: bool = False) -> pd.DataFrame:
        """Saved check-in notes, newest first (read once, re-read after a save or with ``reload``)."""
        if self._notes is None or reload:
            with STORE_LOCK:
                self._notes = list_checkins(self.path)
        notes = self._notes
        if team not in (None, ALL_TEAMS):
            notes = notes[notes["team"] == team]
        return notes.reset_index(drop=True)

    def last_checkin(self, team: str | None = None, week=None):
        """The latest note of ``team`` from a week before ``week`` (the one whose next actions are carried), or None."""
        team = self.team.value if team is None else team
        week = self.selected_week if week is None else week
        return previous_checkin(self.checkins(team), team, week)

    # --- saving ------------------------------------------------------------------

    def save(self, decisions: str | None = None, next_actions: str | None = None, owner: str | None = None,
             due_date=None, author: str | None = None):
        """Save the check-in form (values given here are put in the form first) as a new note.

        The note is tied to the week and team shown (and records the model and
        channel). On success the note stays in the form (saving again stores a
        new version) and the history is re-read; on a bad value the form keeps
        its texts, the message is shown and the error is raised.
        """
        for control, value in ((self.decisions, decisions), (self.next_actions, next_actions), (self.owner, owner),
                               (self.author, author)):
            if value is not None:
                control.value = value
        started = time.perf_counter()
        self.save_status.value = "<span class='ck-note'>Saving…</span>"
        try:
            if due_date is not None:
                self.due_date.value = _as_date(due_date)
            later = later_checkin_week(self.checkins(self.team.value), self.team.value, self.selected_week)
            if later is not None:
                raise ParameterError(
                    f"the check-in of {iso_week_label(self.selected_week)} is final: a later one exists "
                    f"({iso_week_label(later)})", hint="pick the latest week to write this week's note")
            decisions = with_checklist(self.decisions.value, self._checklist())
            with STORE_LOCK:  # waits for a background read of the store (DuckDB: one writer, no readers alongside)
                note = save_checkin(
                    self.path, team=self.team.value, week=self.selected_week, decisions=decisions,
                    next_actions=self.next_actions.value, owner=self.owner.value, due_date=self.due_date.value,
                    author=self.author.value, model=self.model.value,
                    channel="" if self.channel.value == ALL_CHANNELS else self.channel.value,
                    teams=self.context.teams,
                )
        except CoordkitError as exc:
            self.save_status.value = parts.error_html(exc)
            self._record("save-failed", started)
            raise
        self.checkins(reload=True)
        self.history.value = parts.history_html(self.checkins(self.team.value), self.team.value)
        # the note stays in the form: it can be edited (saved again as a new version) until the next check-in
        self.save_button.description = "Update check-in"
        self.save_status.value = (
            f"<span class='ck-ok' data-checkin-id='{note.id}'>Saved check-in #{note.id} for "
            f"{escape('all teams' if note.team == ALL_TEAMS else note.team)}, week {escape(note.week_label)}; "
            "you can edit it until the next check-in.</span>"
        )
        self._record("save", started)
        return note

    # --- carrying decisions forward ----------------------------------------------------

    def _checklist(self) -> list[tuple[str, bool]]:
        return [(box.tooltip or box.description, bool(box.value)) for box in self.carried.children]

    def _checkboxes(self, count: int) -> tuple[widgets.Checkbox, ...]:
        while len(self._boxes) < count:
            box = widgets.Checkbox(indent=False, layout=widgets.Layout(width="auto"))
            box.add_class("ck-carried-item")
            self._boxes.append(box)
        return tuple(self._boxes[:count])

    def _load_form(self, team: str, week: dt.date) -> None:
        """Show last check-in's next actions as a checklist and this week's note (if any) in the form."""
        notes = self.checkins(team)
        previous = previous_checkin(notes, team, week)
        current = note_of_week(notes, team, week)
        ticked = dict(checklist_of(current["decisions"])) if current is not None else {}
        items = action_items(previous["next_actions"]) if previous is not None else []
        self.carried_note.value = parts.carried_note_html(previous, items)
        boxes = self._checkboxes(len(items))
        for box, item in zip(boxes, items):
            box.description, box.tooltip, box.value = short_title(item), item, ticked.get(item, False)
        if self.carried.children != boxes:
            self.carried.children = boxes
        final = later_checkin_week(notes, team, week) is not None
        for control in (self.decisions, self.next_actions, self.owner, self.due_date, self.author, self.save_button,
                        *boxes):
            control.disabled = final
        self._quiet = True
        try:
            if current is None:
                for control in (self.decisions, self.next_actions, self.owner):
                    control.value = ""
                self.due_date.value = None
                self.save_button.description = "Save check-in"
            else:
                self.decisions.value = without_checklist(current["decisions"])
                self.next_actions.value = current["next_actions"]
                self.owner.value = current["owner"]
                self.due_date.value = current["due_date"]
                self.save_button.description = "Update check-in"
            self.form_note.value = parts.form_note_html(current, final)
        finally:
            self._quiet = False

    def _on_typing(self, _change) -> None:
        self.data.touch()  # someone is filling in the form: keep the cores for them

    def _on_save_click(self, _button) -> None:
        try:
            self.save()
        except CoordkitError:
            pass  # already shown next to the button
