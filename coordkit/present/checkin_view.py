"""The live weekly check-in: an ipywidgets explorer over one workspace.

A manager and a coordinator pick the week, the team (or client), a channel
and an attribution model, and see, for that choice:

* the headline outcomes with their signal / noise flags (XmR),
* outputs next to outcomes per channel (what was shipped, what it earned),
* attributed pipeline by campaign, with a drill-down to the campaign's
  individual outputs (title, owner, cost, credit earned),
* the "what moved" narrative, and 14-week trends (Altair, drawn by JupyterLab's own Vega renderer),
* the deliverables due, done and overdue this week (when a project tool's export is ingested),
* a check-in form (decisions, next actions, owner, due date) that appends a
  note to the workspace, and the team's earlier notes (history is kept).

This module is widgets only. Every frame comes from
:class:`coordkit.analysis.checkin.CheckinData` (the reviews of
:func:`~coordkit.analysis.review.compute_weekly_review`, cached per
(week, team, model)), every piece of HTML from :mod:`coordkit.present.checkin_html`.
Each interaction updates the values of widgets built once; while nobody
clicks, the reviews of the weeks and teams picked next are computed ahead.
:class:`CheckinExplorer`'s methods take plain values (``set_week("2026-W46")``,
``set_team("emea")``, ``save(decisions=...)``), so it is tested without a browser.

>>> import coordkit
>>> coordkit.checkin("demo", team="emea")     # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from coordkit.analysis.checkin import (
    ALL_CHANNELS,
    STORE_LOCK,
    CheckinData,
    channel_flow,
    data_weeks,
    idle_campaigns,
    likely_picks,
    shown_campaign,
)
from coordkit.analysis.review import ALL_TEAMS, ReviewContext, WeeklyReview, review_context
from coordkit.errors import CoordkitError, ParameterError, WorkspaceError, allowed_values_message
from coordkit.model.attribution.models import MODELS
from coordkit.model.calendar import iso_week_label, parse_week
from coordkit.present import checkin_html as parts
from coordkit.present.checkin_charts import trends_spec
from coordkit.present.checkin_form import CheckinForm
from coordkit.present.checkin_form import html_widget as _html
from coordkit.present.deliverables_view import deliverables_html
from coordkit.present.html import escape
from coordkit.present.pipeline_view import pipeline_panel
from coordkit.present.review_view import headline_html

__all__ = ["ALL_CHANNELS", "CheckinExplorer", "checkin"]

_PIPELINE_WAIT = '<p class="ck-note">Working out how the pipeline moved ...</p>'


class CheckinExplorer(CheckinForm):
    """The check-in explorer: widgets plus the methods that drive them.

    ``widget`` is the ipywidgets box to display (displaying the explorer
    itself does the same). Each ``set_*`` method changes one selector and
    refreshes what depends on it; ``timings`` keeps how long each
    interaction took, in seconds; ``data`` is the
    :class:`~coordkit.analysis.checkin.CheckinData` behind it.
    """

    def __init__(self, workspace, week=None, team: str = ALL_TEAMS, model: str | None = None,
                 channel: str = ALL_CHANNELS, author: str = "", context: ReviewContext | None = None,
                 prefetch: bool = True):
        if context is None:
            folder = Path(workspace).expanduser()
            from coordkit.ingest.workspace import is_workspace

            if not is_workspace(folder):
                raise WorkspaceError(
                    f"{folder.resolve()} is not a coordkit workspace (no .coordkit/workspace.duckdb)",
                    hint="set `workspace` to the folder built by `coordkit demo` or `coordkit ingest` "
                         "(a relative path counts from the notebook's folder)",
                )
            with STORE_LOCK:
                context = review_context(folder)
        self.context = context
        self.data = CheckinData(context)
        self.path = Path(context.path)
        self.currency = context.config.currency
        self.prefetch = prefetch
        self.timings: list[dict] = []
        self._notes: pd.DataFrame | None = None
        self._quiet = False
        self._warm_thread: threading.Thread | None = None

        self.weeks = data_weeks(context)
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
        self.week = widgets.Dropdown(
            options=[(f"{iso_week_label(w)} · {w.isoformat()}", w.isoformat()) for w in reversed(self.weeks)],
            description="Week", layout=widgets.Layout(width="300px"),
        )
        self.team = widgets.Dropdown(options=[("All teams" if t == ALL_TEAMS else t, t) for t in self.teams],
                                     description="Team", layout=widgets.Layout(width="240px"))
        self.channel = widgets.Dropdown(options=[("All channels" if c == ALL_CHANNELS else c, c) for c in self.channels],
                                        description="Channel", layout=widgets.Layout(width="240px"))
        self.model = widgets.Dropdown(options=[(parts.MODEL_LABELS.get(m, m), m) for m in self.models],
                                      description="Model", layout=widgets.Layout(width="300px"))
        for control, name in ((self.week, "week"), (self.team, "team"), (self.channel, "channel"), (self.model, "model")):
            control.add_class(f"ck-{name}")
            control.observe(self._on_selector, names="value")
        self.title, self.timing, self.status = _html("title"), _html("timing"), widgets.HTML()
        self.headline, self.flow, self.campaigns = _html("headline"), _html("flow"), _html("campaigns")
        self.campaign = widgets.Dropdown(description="Drill into", layout=widgets.Layout(width="480px"),
                                         style={"description_width": "initial"})
        self.campaign.add_class("ck-campaign")
        self.campaign.observe(self._on_campaign, names="value")
        self.drilldown, self.what_moved = _html("drilldown"), _html("what-moved")
        # the same chart functions as the report, handed to JupyterLab's built-in Vega-Lite renderer (no network):
        # a redraw costs the browser a few milliseconds instead of a vl-convert round trip in the kernel
        self.trends = widgets.Output(layout=widgets.Layout(max_width="100%", overflow="auto"))
        self.trends.add_class("ck-trends")
        self.pipeline = _html("pipeline")  # coordkit.present.pipeline_view
        self.deliverables = _html("deliverables")
        self._build_form(author)

        def heading(text: str) -> widgets.HTML:
            return widgets.HTML(f"<h2>{escape(text)}</h2>")

        self.widget = widgets.VBox(
            [
                widgets.HTML(parts.CSS),
                self.title,
                widgets.HBox([self.week, self.team, self.channel, self.model], layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox([self.timing, self.status]),
                heading("Headline outcomes"), self.headline,
                heading("Outputs next to outcomes"), self.flow,
                heading("Attributed pipeline by campaign"), self.campaigns, self.campaign, self.drilldown,
                heading("What moved the number"), self.what_moved,
                heading("Trends (14 weeks: normal range, target, last year)"), self.trends,
                heading("Is the pipeline moving?"), self.pipeline,
                heading("Deliverables this week"), self.deliverables,
                heading("Last check-in's next actions"), self.carried_note, self.carried,
                heading("This week's check-in"),
                widgets.VBox([self.form_note, self.decisions, self.next_actions,
                              widgets.HBox([self.owner, self.due_date], layout=widgets.Layout(flex_flow="row wrap")),
                              widgets.HBox([self.author, self.save_button]), self.save_status],
                             layout=widgets.Layout(width="auto")),
                heading("Earlier check-ins"), self.history,
            ],
        )
        self.widget.add_class("ck-explorer")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- choices ---------------------------------------------------------------

    def _check_week(self, week) -> str:
        if week in (None, "", "latest"):
            return self.context.latest_week.isoformat()
        start = parse_week(week, self.context.config.week_start)
        if start not in self.weeks:
            raise ParameterError(
                f"week {week!r} ({iso_week_label(start)}) has no data in this workspace; "
                f"pick a week from {iso_week_label(self.weeks[0])} to {iso_week_label(self.weeks[-1])}"
            )
        return start.isoformat()

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

    # --- frames (all from self.data) ------------------------------------------------

    def credit(self, model: str) -> pd.DataFrame:
        """Per-outcome credit under ``model`` (computed once per model)."""
        return self.data.credit(model)

    def review_for(self, week, team: str, model: str) -> WeeklyReview:
        """The weekly review for (week, team, model), computed once."""
        week = week if isinstance(week, dt.date) else parse_week(week, self.context.config.week_start)
        return self.data.review(week, team, model)

    @property
    def review(self) -> WeeklyReview:
        """The review behind what is shown now."""
        return self.review_for(self.selected_week, self.team.value, self.model.value)

    def campaign_table(self, week: dt.date, team: str, model: str, channel: str) -> pd.DataFrame:
        """Attributed opportunities, pipeline and cost per campaign; for one channel when ``channel`` is not ``all``."""
        return self.data.campaigns(week, team, model, channel)

    def campaign_outputs(self, campaign: str, week=None, team: str | None = None, model: str | None = None,
                         channel: str | None = None) -> pd.DataFrame:
        """The drill-down of ``campaign`` (see :func:`coordkit.analysis.checkin.campaign_outputs`); the shown choice by default."""
        week = self.selected_week if week is None else parse_week(week, self.context.config.week_start)
        return self.data.campaign_outputs(campaign, week, self.team.value if team is None else team,
                                          self.model.value if model is None else model,
                                          self.channel.value if channel is None else channel)

    def trends_spec(self, week: dt.date, team: str) -> dict:
        """The 14-week trend charts as a Vega-Lite spec (the same for every model and channel)."""
        return self.data.memo(("trends-spec", week, team),
                              lambda: trends_spec(self.review_for(week, team, self.model.value).trends, self.currency,
                                                  self.data))

    # --- rendering ---------------------------------------------------------------

    def refresh(self, action: str = "refresh") -> float:
        """Recompute (from the cache where possible) and redraw every section; return the seconds taken."""
        started = time.perf_counter()
        self.data.touch()
        try:
            week, team, model, channel = self.selected_week, self.team.value, self.model.value, self.channel.value
            review = self.review_for(week, team, model)
            self.title.value = parts.title_html(week, team, model, channel)
            self.headline.value = headline_html(review) + parts.channel_note_html(channel)
            self.flow.value = parts.flow_html(channel_flow(review, channel), model, self.currency, review.attribution_notes)
            campaigns = self.campaign_table(week, team, model, channel)
            self.campaigns.value = parts.campaigns_html(campaigns, idle_campaigns(review, channel), self.currency)
            self._set_campaign_options(campaigns)
            self.drilldown.value = self._drilldown_html()
            self.what_moved.value = parts.what_moved_html(review)
            spec = self.trends_spec(week, team)
            if not self.trends.outputs or self.trends.outputs[0]["data"]["application/vnd.vegalite.v5+json"] is not spec:
                self.trends.outputs = ({"output_type": "display_data", "metadata": {},
                                        "data": {"application/vnd.vegalite.v5+json": spec, "text/plain": "14-week trends"}},)
            self.deliverables.value = deliverables_html(review.deliverables)
            self.history.value = parts.history_html(self.checkins(team), team)
            self._load_form(team, week)
            self._show_pipeline(week, team)
            self.status.value = ""
        except CoordkitError as exc:
            self.status.value = parts.error_html(exc)
        seconds = self._record(action, started)
        self._compute_ahead(action)
        return seconds

    def _record(self, action: str, started: float) -> float:
        seconds = time.perf_counter() - started
        self.data.touch()
        self.timings.append({"action": action, "seconds": seconds, **self.state})
        self.timing.value = f"<span class='ck-done' data-ms='{seconds * 1000:.0f}' data-seq='{len(self.timings)}'></span>"
        return seconds

    def _on_selector(self, change) -> None:
        if self._quiet:
            return
        name = next(n for n in ("week", "team", "channel", "model") if getattr(self, n) is change["owner"])
        self.refresh(name)

    def _on_campaign(self, change) -> None:
        if self._quiet:
            return
        started = time.perf_counter()
        self.data.touch()
        try:
            self.drilldown.value = self._drilldown_html()
        except CoordkitError as exc:
            self.status.value = parts.error_html(exc)
        self._record("campaign", started)

    def _set_campaign_options(self, campaigns: pd.DataFrame) -> None:
        names = [str(c) for c in campaigns["campaign"]] if not campaigns.empty else []
        self._quiet = True
        try:
            options = [(name, name) for name in names]
            if list(self.campaign.options) != options:
                self.campaign.options = options
            self.campaign.value = shown_campaign(campaigns, self.campaign.value)
        finally:
            self._quiet = False

    def _drilldown_html(self) -> str:
        campaign = self.campaign.value
        frame = None if campaign is None else self.campaign_outputs(campaign)
        return parts.drilldown_html(campaign, frame, self.currency)

    # --- computed in the background -------------------------------------------------

    def _pipeline_job(self, week: dt.date, team: str):
        key = ("pipeline", week, team)

        def panel() -> str:
            try:
                with STORE_LOCK:  # it reads the store once per store state; a save must not open it meanwhile
                    value = pipeline_panel(self.path, week, team)
            except CoordkitError as exc:
                value = f'<p class="ck-error">{escape(exc)}</p>'
            if (self.selected_week, self.team.value) == (week, team):
                self.pipeline.value = value
            return value
        return key, lambda: self.data.memo(key, panel)

    def _show_pipeline(self, week: dt.date, team: str) -> None:
        key, _ = self._pipeline_job(week, team)
        self.pipeline.value = self.data.get(key, _PIPELINE_WAIT)

    def _compute_ahead(self, changed: str = "") -> None:
        """While nobody clicks: the review most likely picked next, the pipeline panel shown, then more reviews.

        The likely picks come from :func:`~coordkit.analysis.checkin.likely_picks`
        (each with its trend charts and drill-down); a later click on one of them is a look-up.
        """
        week, team, model, channel = self.selected_week, self.team.value, self.model.value, self.channel.value
        jobs = []
        for w, t in likely_picks(self.weeks, self.teams, week, team, changed) if self.prefetch else []:
            jobs.append((("review", w, t, model), lambda w=w, t=t: self.review_for(w, t, model)))
            jobs.append((("trends-spec", w, t), lambda w=w, t=t: self.trends_spec(w, t)))
            jobs.append((("drill-ahead", w, t, model, channel),
                         lambda w=w, t=t: self.data.drill_ahead(w, t, model, channel, self.campaign.value)))
        jobs.insert(min(3, len(jobs)), self._pipeline_job(week, team))
        self.data.prefetch(jobs)

    def wait(self, timeout: float = 120.0) -> None:
        """Wait until the background work is done (tests and scripts)."""
        self.data.wait(timeout)

    # --- warming -------------------------------------------------------------------

    def warm_models(self, models=None, background: bool = True, idle_seconds: float = 3.0) -> threading.Thread | None:
        """Compute the credit of every model ahead of use (see :meth:`CheckinData.warm_models`)."""
        self._warm_thread = self.data.warm_models(models or self.models, background, idle_seconds)
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
