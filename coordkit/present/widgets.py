"""The live weekly check-in: an ipywidgets explorer over one workspace.

A manager and a coordinator pick the week, the team (or client), a channel
and an attribution model, and see, for that choice:

* the headline outcomes with their signal / noise flags (XmR),
* outputs next to outcomes per channel (what was shipped, what it earned),
* attributed pipeline by campaign, with a drill-down to the campaign's
  individual outputs (title, owner, cost, credit earned),
* the "what moved" narrative, and 14-week trends (Altair, drawn by JupyterLab's own Vega renderer),
* a check-in form (decisions, next actions, owner, due date) that appends a
  note to the workspace, and the team's earlier notes (history is kept).

All logic lives in :class:`CheckinExplorer`, whose methods take plain values
(``set_week("2026-W46")``, ``set_team("emea")``, ``save(decisions=...)``) and
update the widgets' values, so it is tested without a browser. Every number
comes from :func:`~coordkit.analysis.review.compute_weekly_review`; what does
not change between interactions is cached (the workspace context, credit per
model, reviews per (week, team, model), trend charts per (week, team)), so an
interaction answers well under a second on the demo workspace. The explorer
holds no database connection: the store is opened only to read the context
once, to list notes, and for the moment of a save.

>>> import coordkit
>>> coordkit.checkin("demo", team="emea")     # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from coordkit.analysis.metrics import (
    OPPORTUNITY_KINDS,
)
from coordkit.analysis.narrative import format_amount
from coordkit.analysis.review import (
    ALL_TEAMS,
    TREND_WEEKS,
    ReviewContext,
    WeeklyReview,
    attributed_table,  # the review's own campaign table, reused for a channel subset so the numbers cannot diverge
    compute_weekly_review,
    review_context,
)
from coordkit.errors import CoordkitError, ParameterError, WorkspaceError, allowed_values_message
from coordkit.ingest.checkins import list_checkins, save_checkin
from coordkit.model.attribution.models import MODELS
from coordkit.model.calendar import iso_week_label, parse_week, trailing_weeks
from coordkit.present import charts
from coordkit.present.html import escape, table_html
from coordkit.present.pipeline_view import fill_pipeline_panel, wait_for_pipeline_panels
from coordkit.present.review_view import headline_html, what_moved_parts

__all__ = ["ALL_CHANNELS", "CheckinExplorer", "checkin"]

#: the channel value meaning "every channel"
ALL_CHANNELS = "all"

MODEL_LABELS = {
    "first": "first touch",
    "last": "last touch",
    "linear": "linear",
    "time_decay": "time decay",
    "position": "position-based (40/20/40)",
    "w_shaped": "W-shaped",
    "markov": "Markov removal effect",
    "shapley": "Shapley value",
}

#: one lock per process around everything that opens the store: DuckDB refuses a read-only and a
#: read-write connection to the same file in one process at once (model warm-up reads, saves write)
_STORE_LOCK = threading.RLock()

_CSS = """<style>
.ck-explorer { --ink:#2e3440; --muted:#5c6577; --line:#d8dee9; --signal:#c62828; --noise:#4c566a; --accent:#5e81ac; color:var(--ink); }
.ck-explorer h2 { font-size:1.1rem; border-bottom:2px solid var(--line); padding-bottom:2px; margin:14px 0 6px; }
.ck-explorer h3 { font-size:0.98rem; margin:10px 0 4px; }
.ck-explorer .ck-sub, .ck-explorer .ck-note { color:var(--muted); font-size:0.88rem; }
.ck-explorer .ck-cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(210px, 1fr)); gap:10px; }
.ck-explorer .ck-card { border:1px solid var(--line); border-radius:8px; padding:8px 10px; }
.ck-explorer .ck-card { border-top:5px solid var(--noise); min-width:0; }
.ck-explorer .ck-status-on_target { border-top-color:#2e7d32; } .ck-explorer .ck-status-near_target { border-top-color:#b7791f; }
.ck-explorer .ck-status-behind_target { border-top-color:var(--signal); } .ck-explorer .ck-status-no_target { border-top-color:var(--line); }
.ck-explorer .ck-badges { display:inline-flex; gap:4px; flex-wrap:wrap; justify-content:flex-end; }
.ck-explorer .ck-target-on_target { background:#2e7d32; } .ck-explorer .ck-target-near_target { background:#b7791f; }
.ck-explorer .ck-target-behind_target { background:var(--signal); } .ck-explorer .ck-target-no_target { background:var(--muted); }
.ck-explorer .ck-card-target { font-size:0.88rem; } .ck-explorer .ck-card-qtd { font-size:0.8rem; color:var(--muted); }
.ck-explorer .ck-card-position { font-size:0.82rem; margin:4px 0 0; }
.ck-explorer .ck-lens, .ck-explorer .ck-also { font-size:0.85rem; color:var(--muted); }
.ck-explorer, .ck-explorer .widget-box, .ck-explorer .widget-html, .ck-explorer .widget-html-content { max-width:100%; min-width:0; }
.ck-explorer .widget-html-content { overflow-wrap:anywhere; }
.ck-explorer .ck-scroll { max-width:100%; overflow-x:auto; background: linear-gradient(to right, #fff 30%, rgba(255,255,255,0)), linear-gradient(to left, #fff 30%, rgba(255,255,255,0)) 100% 0, radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.2), rgba(0,0,0,0)), radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.2), rgba(0,0,0,0)) 100% 0; background-repeat:no-repeat; background-size:40px 100%, 40px 100%, 14px 100%, 14px 100%; background-attachment:local, local, scroll, scroll; }
.ck-explorer .ck-card-label { font-weight:600; display:flex; justify-content:space-between; gap:8px; }
.ck-explorer .ck-card-value { font-size:1.5rem; font-weight:700; margin:2px 0; }
.ck-explorer .ck-card-change { color:var(--muted); font-size:0.85rem; }
.ck-explorer .ck-card-facts { display:grid; grid-template-columns:minmax(0,1fr) minmax(0,max-content); gap:1px 10px; margin:6px 0 0; font-size:0.82rem; }
.ck-explorer .ck-card-facts dt { color:var(--muted); font-weight:normal; min-width:0; white-space:normal; float:none; width:auto; margin:0; padding:0; }
.ck-explorer .ck-card-facts dd { margin:0; padding:0; float:none; width:auto; min-width:0; text-align:right; white-space:normal; overflow-wrap:anywhere; }
.ck-explorer .ck-badge { font-size:0.7rem; padding:1px 7px; border-radius:10px; color:#fff; text-transform:uppercase; }
.ck-explorer .ck-signal { background:var(--signal); } .ck-explorer .ck-noise { background:var(--noise); }
.ck-explorer .ck-verdicts { font-size:0.86rem; color:var(--muted); }
.ck-explorer .ck-table { border-collapse:collapse; width:100%; margin:4px 0 10px; font-size:0.85rem; }
.ck-explorer .ck-table caption { text-align:left; font-weight:600; padding:3px 0; }
.ck-explorer .ck-table th, .ck-explorer .ck-table td { border-bottom:1px solid var(--line); padding:3px 7px; }
.ck-explorer .ck-table th { background:#f4f6f9; text-align:left; }
.ck-explorer .ck-table .num { text-align:right; white-space:nowrap; }
.ck-explorer .ck-narrative { background:#f4f6f9; border-left:4px solid var(--accent); padding:4px 12px; }
.ck-explorer .ck-chart svg { max-width:100%; height:auto; }
.ck-explorer .ck-empty, .ck-explorer .ck-more { color:var(--muted); font-style:italic; }
.ck-explorer .ck-warning { border-left:3px solid #b45309; padding:2px 10px; margin:6px 0; }
.ck-explorer .ck-error { color:var(--signal); font-weight:600; }
.ck-explorer .ck-ok { color:#2e7d32; font-weight:600; }
.ck-explorer .ck-note-card { border-left:3px solid var(--line); padding:2px 10px; margin:6px 0; }
.ck-explorer .ck-note-card pre { white-space:pre-wrap; font-family:inherit; margin:2px 0; }
</style>"""

_FLOW_COLUMNS = [
    ("channel", "Channel", "text"), ("outputs", "Outputs", "int"), ("last_week", "Outputs last wk", "int"),
    ("cost", "Cost", "money"), ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
    ("pipeline_13w", "Pipeline (13 wk)", "money"), ("pipeline_13w_share_text", "Share (13 wk), 90 % range", "interval"),
    ("cost_per_opportunity", "Cost / opp (13 wk)", "money"),
]
_CAMPAIGN_COLUMNS = [
    ("campaign", "Campaign", "text"), ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
    ("opportunities_13w", "Opps (13 wk)", "number"), ("pipeline_13w", "Pipeline (13 wk)", "money"),
    ("pipeline_13w_share_text", "Share (13 wk), 90 % range", "interval"), ("outputs_13w", "Outputs (13 wk)", "int"), ("cost_13w", "Cost (13 wk)", "money"),
    ("cost_per_opportunity", "Cost / opp", "money"),
]
_DRILL_COLUMNS = [
    ("output_id", "Output", "text"), ("title", "Title", "text"), ("channel", "Channel", "text"), ("kind", "Kind", "text"),
    ("owner", "Owner", "text"), ("published", "Published", "text"), ("cost", "Cost", "money"),
    ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
    ("opportunities_13w", "Opps (13 wk)", "number"), ("pipeline_13w", "Pipeline (13 wk)", "money"),
]
DRILL_FRAME_COLUMNS = [c for c, _, _ in _DRILL_COLUMNS] + ["week"]


#: drill-down titles are cut to one line's worth; the full title is in the output's own tool
TITLE_CHARS = 48


def _short(title) -> str:
    text = "" if title is None or pd.isna(title) else " ".join(str(title).split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


CHECKLIST_PREFIX = "From the last check-in: "


def _action_items(text: str) -> list[str]:
    """Next actions as items: one per line, list markers and checkboxes stripped."""
    items = []
    for line in (text or "").splitlines():
        item = re.sub(r"^\s*(?:[-*•]|\d+[.)]|\[[ xX]\])\s*", "", line).strip()
        if item:
            items.append(item)
    return items


def _with_checklist(decisions: str, checklist: list[tuple[str, bool]]) -> str:
    if not checklist:
        return decisions
    line = CHECKLIST_PREFIX + " · ".join(f"[{'x' if done else ' '}] {item.replace('·', '-')}" for item, done in checklist)
    return f"{decisions.rstrip()}\n{line}" if decisions.strip() else line


def _checklist_of(decisions: str) -> list[tuple[str, bool]]:
    for line in (decisions or "").splitlines():
        if line.startswith(CHECKLIST_PREFIX):
            return [(item.strip(), mark == "x") for mark, item in re.findall(r"\[(x| )\] ([^·]+)", line)]
    return []


def _without_checklist(decisions: str) -> str:
    return "\n".join(line for line in (decisions or "").splitlines() if not line.startswith(CHECKLIST_PREFIX))


def _week_value(week: dt.date) -> str:
    return week.isoformat()


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


class CheckinExplorer:
    """The check-in explorer: widgets plus the methods that drive them.

    ``widget`` is the ipywidgets box to display (displaying the explorer
    itself does the same). Each ``set_*`` method changes one selector and
    refreshes what depends on it; ``timings`` keeps how long each
    interaction took, in seconds.
    """

    def __init__(self, workspace, week=None, team: str = ALL_TEAMS, model: str | None = None,
                 channel: str = ALL_CHANNELS, author: str = "", context: ReviewContext | None = None):
        if context is None:
            folder = Path(workspace).expanduser()
            from coordkit.ingest.workspace import is_workspace

            if not is_workspace(folder):
                raise WorkspaceError(
                    f"{folder.resolve()} is not a coordkit workspace (no .coordkit/workspace.duckdb)",
                    hint="set `workspace` to the folder built by `coordkit demo` or `coordkit ingest` "
                         "(a relative path counts from the notebook's folder)",
                )
            with _STORE_LOCK:
                context = review_context(folder)
        self.context = context
        self.path = Path(context.path)
        self.currency = context.config.currency
        self.timings: list[dict] = []
        self._reviews: dict[tuple, WeeklyReview] = {}
        self._team_contexts: dict[str, ReviewContext] = {}
        self._campaign_tables: dict[tuple, pd.DataFrame] = {}
        self._trend_specs: dict[tuple, dict] = {}
        self._notes: pd.DataFrame | None = None
        self._quiet = False
        self._warm_thread: threading.Thread | None = None
        self._last_activity = time.monotonic()

        self.weeks = self._all_weeks()
        self.teams = [ALL_TEAMS, *context.teams]
        self.channels = [ALL_CHANNELS, *sorted(str(c) for c in context.outputs["channel"].dropna().unique())]
        self.models = list(MODELS)
        self._build_widgets(author)
        self._quiet = True
        try:
            self.week.value = self._check_week(week)
            self.team.value = self._check("team", team or ALL_TEAMS, self.teams)
            self.model.value = self._check("model", model or context.config.default_model, self.models)
            self.channel.value = self._check("channel", channel or ALL_CHANNELS, self.channels)
        finally:
            self._quiet = False
        self.refresh("open")

    # --- widgets ---------------------------------------------------------------

    def _build_widgets(self, author: str) -> None:
        wide = widgets.Layout(width="auto")
        self.week = widgets.Dropdown(
            options=[(f"{iso_week_label(w)} · {w.isoformat()}", _week_value(w)) for w in reversed(self.weeks)],
            description="Week", layout=widgets.Layout(width="300px"),
        )
        self.team = widgets.Dropdown(options=[("All teams" if t == ALL_TEAMS else t, t) for t in self.teams],
                                     description="Team", layout=widgets.Layout(width="240px"))
        self.channel = widgets.Dropdown(options=[("All channels" if c == ALL_CHANNELS else c, c) for c in self.channels],
                                        description="Channel", layout=widgets.Layout(width="240px"))
        self.model = widgets.Dropdown(options=[(MODEL_LABELS.get(m, m), m) for m in self.models],
                                      description="Model", layout=widgets.Layout(width="300px"))
        for control, name in ((self.week, "week"), (self.team, "team"), (self.channel, "channel"), (self.model, "model")):
            control.add_class(f"ck-{name}")
            control.observe(self._on_selector, names="value")
        self.title = widgets.HTML()
        self.title.add_class("ck-title")
        self.timing = widgets.HTML()
        self.timing.add_class("ck-timing")
        self.status = widgets.HTML()
        self.headline = widgets.HTML()
        self.headline.add_class("ck-headline")
        self.flow = widgets.HTML()
        self.flow.add_class("ck-flow")
        self.campaigns = widgets.HTML()
        self.campaigns.add_class("ck-campaigns")
        self.campaign = widgets.Dropdown(description="Drill into", layout=widgets.Layout(width="480px"),
                                         style={"description_width": "initial"})
        self.campaign.add_class("ck-campaign")
        self.campaign.observe(self._on_campaign, names="value")
        self.drilldown = widgets.HTML()
        self.drilldown.add_class("ck-drilldown")
        self.what_moved = widgets.HTML()
        self.what_moved.add_class("ck-what-moved")
        # the same chart functions as the report, handed to JupyterLab's built-in Vega-Lite renderer (no network):
        # a redraw costs the browser a few milliseconds instead of a vl-convert round trip in the kernel
        self.trends = widgets.Output(layout=widgets.Layout(max_width="100%", overflow="auto"))
        self.trends.add_class("ck-trends")
        self.pipeline = widgets.HTML()  # coordkit.present.pipeline_view
        self.pipeline.add_class("ck-pipeline")
        # the check-in form
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
        self.history = widgets.HTML()
        self.history.add_class("ck-history")
        # last check-in's next actions, one checkbox each: done or not done, recorded with this week's note
        self.carried_note = widgets.HTML()
        self.carried_note.add_class("ck-carried-note")
        self.carried = widgets.VBox(layout=widgets.Layout(width="auto"))
        self.carried.add_class("ck-carried")
        self.form_note = widgets.HTML()
        self.form_note.add_class("ck-form-note")

        def heading(text: str) -> widgets.HTML:
            return widgets.HTML(f"<h2>{escape(text)}</h2>")

        self.widget = widgets.VBox(
            [
                widgets.HTML(_CSS),
                self.title,
                widgets.HBox([self.week, self.team, self.channel, self.model], layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox([self.timing, self.status]),
                heading("Headline outcomes"), self.headline,
                heading("Outputs next to outcomes"), self.flow,
                heading("Attributed pipeline by campaign"), self.campaigns, self.campaign, self.drilldown,
                heading("What moved the number"), self.what_moved,
                heading("Trends (14 weeks: normal range, target, last year)"), self.trends,
                heading("Is the pipeline moving?"), self.pipeline,
                heading("Last check-in's next actions"), self.carried_note, self.carried,
                heading("This week's check-in"),
                widgets.VBox([self.form_note, self.decisions, self.next_actions,
                              widgets.HBox([self.owner, self.due_date], layout=widgets.Layout(flex_flow="row wrap")),
                              widgets.HBox([self.author, self.save_button]), self.save_status], layout=wide),
                heading("Earlier check-ins"), self.history,
            ],
        )
        self.widget.add_class("ck-explorer")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- choices ---------------------------------------------------------------

    def _all_weeks(self) -> list[dt.date]:
        stamps = [s for s in (self.context.facts.get("week"), self.context.outputs.get("week")) if s is not None and len(s)]
        latest = self.context.latest_week
        first = min(min(s.dropna()) for s in stamps) if stamps else latest
        first = min(first, latest)
        count = (latest - first).days // 7
        return [first + dt.timedelta(days=7 * i) for i in range(count + 1)]

    def _check_week(self, week) -> str:
        if week in (None, "", "latest"):
            return _week_value(self.context.latest_week)
        start = parse_week(week, self.context.config.week_start)
        if start not in self.weeks:
            raise ParameterError(
                f"week {week!r} ({iso_week_label(start)}) has no data in this workspace; "
                f"pick a week from {iso_week_label(self.weeks[0])} to {iso_week_label(self.weeks[-1])}"
            )
        return _week_value(start)

    @staticmethod
    def _check(what: str, value, allowed: list[str]) -> str:
        if value not in allowed:
            raise ParameterError(allowed_values_message(what, value, allowed))
        return value

    @property
    def selected_week(self) -> dt.date:
        return dt.date.fromisoformat(self.week.value)

    @property
    def state(self) -> dict:
        """The current choices."""
        return {"week": self.selected_week, "team": self.team.value, "channel": self.channel.value,
                "model": self.model.value, "campaign": self.campaign.value}

    def set_week(self, week) -> CheckinExplorer:
        """Show another week (any date in it, or an ISO week like ``2026-W46``)."""
        self.week.value = self._check_week(week)
        return self

    def set_team(self, team: str) -> CheckinExplorer:
        """Show another team (or client), or ``all``."""
        self.team.value = self._check("team", team, self.teams)
        return self

    def set_channel(self, channel: str) -> CheckinExplorer:
        """Restrict outputs, campaigns and the drill-down to one channel (``all`` for every channel)."""
        self.channel.value = self._check("channel", channel, self.channels)
        return self

    def set_model(self, model: str) -> CheckinExplorer:
        """Credit outcomes to outputs under another attribution model."""
        self.model.value = self._check("model", model, self.models)
        return self

    def select_campaign(self, campaign: str) -> CheckinExplorer:
        """Drill into one campaign of the campaign table: its individual outputs."""
        options = [value for _, value in self.campaign.options]
        self.campaign.value = self._check("campaign", campaign, options)
        return self

    # --- cached computations ------------------------------------------------------

    def credit(self, model: str) -> pd.DataFrame:
        """Per-outcome credit under ``model`` (computed once per model)."""
        if self.context.has_credit(model):
            return self.context.credit(model)
        with _STORE_LOCK:
            return self.context.credit(model)

    def review_for(self, week, team: str, model: str) -> WeeklyReview:
        """The weekly review for (week, team, model), computed once."""
        key = (parse_week(week, self.context.config.week_start) if not isinstance(week, dt.date) else week, team, model)
        review = self._reviews.get(key)
        if review is None:
            review = compute_weekly_review(self._context_for(team, model), week=key[0], team=team, model=model)
            self._reviews[key] = review
        return review

    def _context_for(self, team: str, model: str) -> ReviewContext:
        """The workspace context cut down to one team's rows (kept per team), with ``model``'s credit in it.

        ``compute_weekly_review`` keeps only the team's rows of the facts,
        outputs and credit anyway; handing it a context that holds only those
        (plus the rows with no team, which the data-quality notes count) gives
        the same review about three times faster on a three-team workspace.
        The tests compare every section with a review of the full context.
        """
        credit = self.credit(model)  # read the store (if at all) under the lock
        if team == ALL_TEAMS:
            return self.context
        sub = self._team_contexts.get(team)
        if sub is None:
            sub = self.context.for_team(team)
            self._team_contexts[team] = sub
        if not sub.has_credit(model):
            sub.with_credit(model, credit)
        return sub

    @property
    def review(self) -> WeeklyReview:
        """The review behind what is shown now."""
        return self.review_for(self.selected_week, self.team.value, self.model.value)

    def _team_rows(self, frame: pd.DataFrame, team: str) -> pd.DataFrame:
        return frame if team == ALL_TEAMS else frame[frame["team"] == team]

    def campaign_table(self, week: dt.date, team: str, model: str, channel: str) -> pd.DataFrame:
        """Attributed opportunities, pipeline and cost per campaign; for one channel when ``channel`` is not ``all``."""
        if channel == ALL_CHANNELS:
            return self.review_for(week, team, model).attributed_by_campaign
        key = (week, team, model, channel)
        table = self._campaign_tables.get(key)
        if table is None:
            credit = self._team_rows(self.credit(model), team)
            outputs = self._team_rows(self.context.outputs, team)
            table = attributed_table(credit[credit["channel"] == channel], outputs[outputs["channel"] == channel], week, "campaign")
            table = table[(table["pipeline_13w"] > 0) | (table["outputs_13w"] > 0) | (table["opportunities_13w"] > 0)]
            self._campaign_tables[key] = table.reset_index(drop=True)
            table = self._campaign_tables[key]
        return table

    def campaign_outputs(self, campaign: str, week=None, team: str | None = None, model: str | None = None,
                         channel: str | None = None) -> pd.DataFrame:
        """The drill-down: each output of ``campaign`` shipped or credited in the 13 weeks up to ``week``.

        One row per output with its title, channel, kind, owner, publish date
        and cost, and the opportunities and pipeline credited to it this week
        and over the 13 weeks (the same window as the campaign table, so the
        rows add up to the campaign's row). Outputs that earned nothing are
        listed too, with zeros.
        """
        week = self.selected_week if week is None else parse_week(week, self.context.config.week_start)
        team = self.team.value if team is None else team
        model = self.model.value if model is None else model
        channel = self.channel.value if channel is None else channel
        window = [*trailing_weeks(week, TREND_WEEKS - 1), week]
        credit = self._team_rows(self.credit(model), team)
        credit = credit[(credit["campaign"] == campaign) & credit["kind"].isin(OPPORTUNITY_KINDS) & credit["week"].isin(window)]
        outputs = self._team_rows(self.context.outputs, team)
        shipped = outputs[(outputs["campaign"] == campaign) & outputs["week"].isin(window)]
        if channel != ALL_CHANNELS:
            credit = credit[credit["channel"] == channel]
            shipped = shipped[shipped["channel"] == channel]
        this_week = credit[credit["week"] == week]
        per_output = pd.DataFrame({
            "opportunities_13w": credit.groupby("output_id")["credit"].sum(),
            "pipeline_13w": credit.groupby("output_id")["amount"].sum(),
        })
        per_output = per_output.join(pd.DataFrame({
            "opportunities": this_week.groupby("output_id")["credit"].sum(),
            "pipeline": this_week.groupby("output_id")["amount"].sum(),
        }), how="left")
        ids = pd.Index(shipped["output_id"]).union(per_output.index)
        meta = self.context.outputs.drop_duplicates("output_id").set_index("output_id")
        frame = pd.DataFrame(index=ids).join(meta[["title", "channel", "kind", "owner", "published_at", "week", "cost"]], how="left")
        frame = frame.join(per_output, how="left")
        for column in ("opportunities", "pipeline", "opportunities_13w", "pipeline_13w"):
            frame[column] = frame[column].fillna(0.0)
        frame["published"] = [v.strftime("%Y-%m-%d") if not pd.isna(v) else "" for v in frame["published_at"]]
        frame = frame.rename_axis("output_id").reset_index()
        frame["title"] = [_short(t) for t in frame["title"]]
        # most credit first: the outputs that earned the campaign's opportunities lead the list
        frame = frame.sort_values(["opportunities_13w", "pipeline_13w", "opportunities", "published"],
                                  ascending=[False, False, False, False], kind="stable")
        return frame[DRILL_FRAME_COLUMNS].reset_index(drop=True)

    def trends_spec(self, week: dt.date, team: str) -> dict:
        """The 14-week trend charts as a Vega-Lite spec (the same for every model and channel)."""
        key = (week, team)
        spec = self._trend_specs.get(key)
        if spec is None:
            review = self.review_for(week, team, self.model.value)
            spec = charts.chart_spec(charts.chart_trends(review.trends, self.currency))
            self._trend_specs[key] = spec
        return spec

    def checkins(self, team: str | None = None, reload: bool = False) -> pd.DataFrame:
        """Saved check-in notes, newest first (read once, re-read after a save or with ``reload``)."""
        if self._notes is None or reload:
            with _STORE_LOCK:
                self._notes = list_checkins(self.path)
        notes = self._notes
        if team not in (None, ALL_TEAMS):
            notes = notes[notes["team"] == team]
        return notes.reset_index(drop=True)

    # --- rendering ---------------------------------------------------------------

    def refresh(self, action: str = "refresh") -> float:
        """Recompute (from caches where possible) and redraw every section; return the seconds taken."""
        started = time.perf_counter()
        try:
            week, team, model, channel = self.selected_week, self.team.value, self.model.value, self.channel.value
            review = self.review_for(week, team, model)
            scope = "all teams" if team == ALL_TEAMS else f"team {team}"
            self.title.value = (
                f"<h1 style='font-size:1.35rem;margin:4px 0'>Weekly check-in: {escape(scope)}, "
                f"{escape(iso_week_label(week))} ({week.isoformat()} to {(week + dt.timedelta(days=6)).isoformat()})</h1>"
                f"<p class='ck-sub'>Outcomes first, then the outputs behind them. Attribution model: "
                f"{escape(MODEL_LABELS.get(model, model))}; channel: {escape('all' if channel == ALL_CHANNELS else channel)}.</p>"
            )
            note = ""
            if channel != ALL_CHANNELS:
                note = ("<p class='ck-note'>Headline outcomes are the team's totals (outcomes are not split by channel); "
                        "the channel choice narrows outputs, campaigns and the drill-down.</p>")
            self.headline.value = headline_html(review) + note
            self.flow.value = self._flow_html(review, channel)
            campaigns = self.campaign_table(week, team, model, channel)
            self.campaigns.value = self._campaigns_html(review, campaigns)
            self._set_campaign_options(campaigns)
            self.drilldown.value = self._drilldown_html()
            self.what_moved.value = self._what_moved_html(review)
            self.trends.outputs = ({"output_type": "display_data", "metadata": {},
                                    "data": {"application/vnd.vegalite.v5+json": self.trends_spec(week, team),
                                             "text/plain": "14-week trends"}},)
            fill_pipeline_panel(self.pipeline, self.path, week, team)
            self.history.value = self._history_html(team)
            self._load_form(team, week)
            self.status.value = ""
        except CoordkitError as exc:
            self.status.value = self._error_html(exc)
        return self._record(action, started)

    def _record(self, action: str, started: float) -> float:
        seconds = time.perf_counter() - started
        self._last_activity = time.monotonic()
        self.timings.append({"action": action, "seconds": seconds, **self.state})
        self.timing.value = f"<span class='ck-done' data-ms='{seconds * 1000:.0f}' data-seq='{len(self.timings)}'></span>"
        return seconds

    @staticmethod
    def _error_html(exc: CoordkitError) -> str:
        hint = f" {escape(exc.hint)}" if getattr(exc, "hint", None) else ""
        return f"<span class='ck-error'>{escape(exc.message)}</span>{hint}"

    def _on_selector(self, change) -> None:
        if self._quiet:
            return
        name = next(n for n in ("week", "team", "channel", "model") if getattr(self, n) is change["owner"])
        self.refresh(name)

    def _on_campaign(self, change) -> None:
        if self._quiet:
            return
        started = time.perf_counter()
        try:
            self.drilldown.value = self._drilldown_html()
        except CoordkitError as exc:
            self.status.value = self._error_html(exc)
        self._record("campaign", started)

    def _flow_html(self, review: WeeklyReview, channel: str) -> str:
        shipped = review.outputs_by_channel[["channel", "outputs", "last_week", "cost"]]
        earned = review.attributed_by_channel[["channel", "opportunities", "pipeline", "pipeline_13w", "pipeline_13w_share_text",
                                               "cost_per_opportunity"]]
        flow = shipped.merge(earned, on="channel", how="outer")
        for column in ("outputs", "last_week", "cost", "opportunities", "pipeline", "pipeline_13w"):
            flow[column] = flow[column].fillna(0)
        flow = flow.sort_values(["pipeline", "outputs"], ascending=False, kind="stable")
        if channel != ALL_CHANNELS:
            flow = flow[flow["channel"] == channel]
        total_outputs = int(flow["outputs"].sum())
        lead = (f"<p>{total_outputs:,} outputs shipped this week for {escape(format_amount(float(flow['cost'].sum()), self.currency))}; "
                f"{float(flow['opportunities'].sum()):,.1f} opportunities and "
                f"{escape(format_amount(float(flow['pipeline'].sum()), self.currency))} of pipeline credited to outputs "
                f"this week under the {escape(MODEL_LABELS.get(review.model, review.model))} model.</p>")
        lead += "".join(f'<p class="ck-warning" role="note">{escape(note)}</p>' for note in review.attribution_notes)
        return lead + table_html(flow, _FLOW_COLUMNS, self.currency, caption="Per channel: what was shipped, what it earned",
                                 empty="Nothing shipped or credited for this choice.")

    def _campaigns_html(self, review: WeeklyReview, campaigns: pd.DataFrame) -> str:
        table = table_html(campaigns, _CAMPAIGN_COLUMNS, self.currency, max_rows=15,
                           caption="Opportunities credited to each campaign's outputs (13 weeks up to this week)",
                           empty="No campaign earned or shipped anything in these 13 weeks.")
        idle = review.activity_without_outcome
        if self.channel.value != ALL_CHANNELS and not idle.empty:
            idle = idle[idle["channel"] == self.channel.value]
        idle_html = table_html(
            idle, [("campaign", "Campaign", "text"), ("channel", "Channel", "text"), ("outputs", "Outputs (13 wk)", "int"),
                   ("touches", "Touches", "int"), ("cost", "Cost (13 wk)", "money")],
            self.currency, caption="Activity without outcome: much output, no attributed outcome in 13 weeks",
            empty="No campaign with much output went without an outcome.",
        )
        return table + idle_html

    def _set_campaign_options(self, campaigns: pd.DataFrame) -> None:
        names = [str(c) for c in campaigns["campaign"]] if not campaigns.empty else []
        current = self.campaign.value
        self._quiet = True
        try:
            self.campaign.options = [(name, name) for name in names]
            self.campaign.value = current if current in names else (names[0] if names else None)
        finally:
            self._quiet = False

    def _drilldown_html(self) -> str:
        campaign = self.campaign.value
        if campaign is None:
            return "<p class='ck-empty'>No campaign to drill into.</p>"
        frame = self.campaign_outputs(campaign)
        earning = int((frame["opportunities_13w"] > 0).sum())
        lead = (f"<p><strong>{escape(campaign)}</strong>: {len(frame):,} outputs shipped or credited in the 13 weeks up to this week; "
                f"{earning:,} earned credit for {float(frame['opportunities_13w'].sum()):,.1f} opportunities and "
                f"{escape(format_amount(float(frame['pipeline_13w'].sum()), self.currency))} of pipeline.</p>")
        return lead + table_html(frame, _DRILL_COLUMNS, self.currency, max_rows=40, caption="Outputs of this campaign",
                                 empty="This campaign has no outputs in these 13 weeks.")

    def _what_moved_html(self, review: WeeklyReview) -> str:
        narrative, table = what_moved_parts(review, "Segments that explain the change in pipeline created (vs last week)")
        return narrative + table

    def _history_html(self, team: str) -> str:
        notes = self.checkins(team)
        if notes.empty:
            scope = "any team" if team == ALL_TEAMS else f"team {team}"
            return f"<p class='ck-empty'>No check-in saved yet for {escape(scope)}.</p>"
        cards = []
        seen: set = set()
        for row in notes.head(20).itertuples():
            version = "" if (row.team, row.week) not in seen else " · <em>earlier version, replaced</em>"
            seen.add((row.team, row.week))
            due = f", due {row.due_date.isoformat()}" if row.due_date is not None else ""
            owner = f"owner {escape(row.owner)}{escape(due)}" if row.owner else escape(due.lstrip(", "))
            by = f" by {escape(row.author)}" if row.author else ""
            saved = pd.Timestamp(row.created_at).strftime("%Y-%m-%d %H:%M UTC")
            body = ""
            if row.decisions:
                body += f"<div><em>Decisions</em><pre>{escape(row.decisions)}</pre></div>"
            if row.next_actions:
                body += f"<div><em>Next actions</em> ({owner})<pre>{escape(row.next_actions)}</pre></div>"
            cards.append(
                f"<div class='ck-note-card' data-checkin-id='{int(row.id)}'>"
                f"<div class='ck-note'>#{int(row.id)} · {escape(row.team)} · week {escape(iso_week_label(row.week))} · "
                f"saved {escape(saved)}{by}{version}</div>{body}</div>"
            )
        more = f"<p class='ck-more'>… and {len(notes) - 20} earlier notes.</p>" if len(notes) > 20 else ""
        return "".join(cards) + more

    # --- saving ------------------------------------------------------------------

    def save(self, decisions: str | None = None, next_actions: str | None = None, owner: str | None = None,
             due_date=None, author: str | None = None):
        """Save the check-in form (values given here are put in the form first) as a new note.

        The note is tied to the week and team shown (and records the model and
        channel). On success the form's texts are cleared and the history is
        re-read; on a bad value the form keeps its texts, the message is shown
        and the error is raised.
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
            later = self._later_checkin(self.team.value, self.selected_week)
            if later is not None:
                raise ParameterError(
                    f"the check-in of {iso_week_label(self.selected_week)} is final: a later one exists "
                    f"({iso_week_label(later)})", hint="pick the latest week to write this week's note")
            decisions = _with_checklist(self.decisions.value, self._checklist())
            # DuckDB refuses a read-write open while this process still reads the store for the pipeline panel
            wait_for_pipeline_panels()
            with _STORE_LOCK:
                note = save_checkin(
                    self.path, team=self.team.value, week=self.selected_week, decisions=decisions,
                    next_actions=self.next_actions.value, owner=self.owner.value, due_date=self.due_date.value,
                    author=self.author.value, model=self.model.value,
                    channel="" if self.channel.value == ALL_CHANNELS else self.channel.value,
                    teams=self.context.teams,
                )
        except CoordkitError as exc:
            self.save_status.value = self._error_html(exc)
            self._record("save-failed", started)
            raise
        self.checkins(reload=True)
        self.history.value = self._history_html(self.team.value)
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

    def _later_checkin(self, team: str, week: dt.date) -> dt.date | None:
        notes = self.checkins(team)
        notes = notes[notes["team"] == team] if not notes.empty else notes
        later = [w for w in notes["week"] if w is not None and w > week] if not notes.empty else []
        return min(later) if later else None

    def last_checkin(self, team: str | None = None, week=None):
        """The latest note of ``team`` from a week before ``week`` (the one whose next actions are carried), or None."""
        team = self.team.value if team is None else team
        week = self.selected_week if week is None else week
        notes = self.checkins(team)
        notes = notes[(notes["team"] == team) & notes["week"].map(lambda w: w is not None and w < week)] if not notes.empty else notes
        return None if notes.empty else notes.iloc[0]

    def _checklist(self) -> list[tuple[str, bool]]:
        return [(box.tooltip or box.description, bool(box.value)) for box in self.carried.children]

    def _load_form(self, team: str, week: dt.date) -> None:
        """Show last check-in's next actions as a checklist and this week's note (if any) in the form."""
        previous = self.last_checkin(team, week)
        current = self.checkins(team)
        current = current[(current["team"] == team) & (current["week"] == week)] if not current.empty else current
        ticked = dict(_checklist_of(current.iloc[0]["decisions"])) if not current.empty else {}
        if previous is None:
            self.carried_note.value = "<p class='ck-empty'>No earlier check-in: nothing carried forward.</p>"
            self.carried.children = ()
        else:
            items = _action_items(previous["next_actions"])
            due = f", due {previous['due_date'].isoformat()}" if previous["due_date"] is not None else ""
            owner = f", owner {escape(previous['owner'])}" if previous["owner"] else ""
            self.carried_note.value = (
                f"<p class='ck-note'>From the check-in of {escape(iso_week_label(previous['week']))}{owner}{escape(due)}: "
                "tick what is done.</p>" if items else
                f"<p class='ck-empty'>The check-in of {escape(iso_week_label(previous['week']))} set no next actions.</p>")
            boxes = []
            for item in items:
                box = widgets.Checkbox(value=ticked.get(item, False), description=_short(item), indent=False,
                                       tooltip=item, layout=widgets.Layout(width="auto"))
                box.add_class("ck-carried-item")
                boxes.append(box)
            self.carried.children = tuple(boxes)
        later = self._later_checkin(team, week)
        final = later is not None
        for control in (self.decisions, self.next_actions, self.owner, self.due_date, self.author, self.save_button,
                        *self.carried.children):
            control.disabled = final
        self._quiet = True
        try:
            if current.empty:
                for control in (self.decisions, self.next_actions, self.owner):
                    control.value = ""
                self.due_date.value = None
                self.save_button.description = "Save check-in"
                self.form_note.value = ""
            else:
                note = current.iloc[0]
                self.decisions.value = _without_checklist(note["decisions"])
                self.next_actions.value = note["next_actions"]
                self.owner.value = note["owner"]
                self.due_date.value = note["due_date"]
                self.save_button.description = "Update check-in"
                self.form_note.value = (
                    f"<p class='ck-note'>This week's note (#{int(note['id'])}, saved "
                    f"{escape(pd.Timestamp(note['created_at']).strftime('%Y-%m-%d %H:%M UTC'))}): "
                    + ("final, a later check-in exists.</p>" if final else "edit it and save to update it.</p>"))
        finally:
            self._quiet = False

    def _on_typing(self, _change) -> None:
        self._last_activity = time.monotonic()  # someone is filling in the form: keep the cores for them

    def _on_save_click(self, _button) -> None:
        try:
            self.save()
        except CoordkitError:
            pass  # already shown next to the button

    # --- warming -------------------------------------------------------------------

    def warm_models(self, models=None, background: bool = True, idle_seconds: float = 3.0) -> threading.Thread | None:
        """Compute the credit of every model ahead of use, so switching model answers at once.

        In the background (the default) each model waits until nobody has
        touched the explorer for ``idle_seconds``: a credit computation keeps
        both cores busy for 2-4 s on the demo, and clicks come first.
        """
        todo = [m for m in (models or self.models) if not self.context.has_credit(m)]

        def work():
            for model in todo:
                while background and time.monotonic() - self._last_activity < idle_seconds:
                    time.sleep(0.25)
                with _STORE_LOCK:
                    if not self.context.has_credit(model):
                        try:
                            self.context.credit(model)
                        except CoordkitError:
                            continue

        if not background:
            work()
            return None
        self._warm_thread = threading.Thread(target=work, name="coordkit-warm-models", daemon=True)
        self._warm_thread.start()
        return self._warm_thread


def checkin(workspace="demo", team: str = ALL_TEAMS, week=None, model: str | None = None, channel: str = ALL_CHANNELS,
            author: str = "", warm_models: bool = True) -> CheckinExplorer:
    """Open the live check-in explorer on ``workspace`` (display the result in a notebook).

    Empty strings mean the defaults (as papermill parameters arrive): the
    latest complete week, all teams, the workspace's default model. With
    ``warm_models`` the other attribution models are computed in the
    background, so switching model later answers at once.
    """
    explorer = CheckinExplorer(workspace, week=week or None, team=team or ALL_TEAMS, model=model or None,
                               channel=channel or ALL_CHANNELS, author=author)
    if warm_models:
        explorer.warm_models()
    return explorer

