"""What the live check-in shows, computed as tidy frames, and the one cache behind it.

The check-in (:mod:`coordkit.present.checkin_view`) is widgets only; every
number it shows comes from here:

* :class:`CheckinData` owns everything the check-in computes, keyed by
  (week, team, model, channel): the weekly reviews (each computed on the
  team's slice of the workspace), the channel-narrowed campaign tables and
  any derived value a view asks it to keep (:meth:`CheckinData.memo`). It
  can compute a team's reviews ahead of use (:meth:`CheckinData.prefetch`),
  so a later week or team change is a look-up.
* :func:`channel_flow`, :func:`channel_campaigns`, :func:`idle_campaigns`
  and :func:`campaign_outputs` take frames and return new frames (they never
  change their inputs).

The numbers are those of :func:`~coordkit.analysis.review.compute_weekly_review`:
the campaign table of a channel is the review's own ``attributed_table`` on
that channel's rows, so the two cannot diverge.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable, Iterable

import pandas as pd

from coordkit.analysis.metrics import OPPORTUNITY_KINDS
from coordkit.analysis.review import (
    ALL_TEAMS,
    TREND_WEEKS,
    ReviewContext,
    WeeklyReview,
    attributed_table,
    compute_weekly_review,
)
from coordkit.errors import CoordkitError
from coordkit.model.calendar import trailing_weeks

__all__ = [
    "ALL_CHANNELS",
    "DRILL_FRAME_COLUMNS",
    "STORE_LOCK",
    "TITLE_CHARS",
    "CheckinData",
    "campaign_outputs",
    "channel_campaigns",
    "channel_flow",
    "data_weeks",
    "idle_campaigns",
    "likely_picks",
    "short_title",
    "shown_campaign",
]

#: the channel value meaning "every channel"
ALL_CHANNELS = "all"
#: drill-down titles are cut to one line's worth; the full title is in the output's own tool
TITLE_CHARS = 48
DRILL_FRAME_COLUMNS = ["output_id", "title", "channel", "kind", "owner", "published", "cost", "opportunities", "pipeline",
                       "opportunities_13w", "pipeline_13w", "week"]
FLOW_FRAME_COLUMNS = ["channel", "outputs", "last_week", "cost", "opportunities", "pipeline", "pipeline_13w",
                      "pipeline_13w_share_text", "cost_per_opportunity"]

#: how many weeks back, for the same team, are computed ahead while nobody clicks
PREFETCH_WEEKS = 2
#: one lock per process around everything that opens the store: DuckDB refuses a read-only and a
#: read-write connection to the same file in one process at once (model warm-up reads, saves write)
STORE_LOCK = threading.RLock()


def short_title(title) -> str:
    """A title on one line: whitespace collapsed, cut to :data:`TITLE_CHARS` with an ellipsis."""
    text = "" if title is None or pd.isna(title) else " ".join(str(title).split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


def data_weeks(context: ReviewContext) -> list[dt.date]:
    """Every week a check-in can show: from the first week with facts or outputs to the latest complete week."""
    stamps = [s for s in (context.facts.get("week"), context.outputs.get("week")) if s is not None and len(s)]
    latest = context.latest_week
    first = min(min(s.dropna()) for s in stamps) if stamps else latest
    first = min(first, latest)
    count = (latest - first).days // 7
    return [first + dt.timedelta(days=7 * i) for i in range(count + 1)]


def likely_picks(weeks: list[dt.date], teams: list[str], week: dt.date, team: str,
                 changed: str = "") -> list[tuple[dt.date, str]]:
    """The (week, team) pairs most likely picked after ``(week, team)``, most likely first: what the check-in computes ahead.

    After a week change (``changed="week"``) the other teams of that week come
    first: a check-in meeting goes through the teams of the week it is on.
    Otherwise the week before comes first for this team, then the other teams
    of this week; then up to :data:`PREFETCH_WEEKS` weeks back for this team.
    """
    index = weeks.index(week) if week in weeks else 0
    earlier = [(w, team) for w in reversed(weeks[max(0, index - PREFETCH_WEEKS):index])]
    others = [(week, other) for other in teams if other != team]
    if changed == "week":
        return others + earlier
    return earlier[:1] + others + earlier[1:]


def shown_campaign(campaigns: pd.DataFrame, current: str | None) -> str | None:
    """The campaign the drill-down shows for a campaign table: the current one while it is listed, else the first."""
    names = [str(c) for c in campaigns["campaign"]] if not campaigns.empty else []
    return current if current in names else (names[0] if names else None)


def _team_rows(frame: pd.DataFrame, team: str) -> pd.DataFrame:
    return frame if team == ALL_TEAMS else frame[frame["team"] == team]


def channel_flow(review: WeeklyReview, channel: str = ALL_CHANNELS) -> pd.DataFrame:
    """Per channel, what was shipped this week (outputs, cost) beside what it earned (credited opportunities, pipeline).

    Channels that shipped nothing but were credited (or the reverse) get
    zeros; most pipeline first. ``channel`` keeps one channel's row.
    """
    shipped = review.outputs_by_channel[["channel", "outputs", "last_week", "cost"]]
    earned = review.attributed_by_channel[["channel", "opportunities", "pipeline", "pipeline_13w", "pipeline_13w_share_text",
                                           "cost_per_opportunity"]]
    flow = shipped.merge(earned, on="channel", how="outer")
    for column in ("outputs", "last_week", "cost", "opportunities", "pipeline", "pipeline_13w"):
        flow[column] = flow[column].fillna(0)
    flow = flow.sort_values(["pipeline", "outputs"], ascending=False, kind="stable")
    if channel != ALL_CHANNELS:
        flow = flow[flow["channel"] == channel]
    return flow[FLOW_FRAME_COLUMNS].reset_index(drop=True)


def channel_campaigns(credit: pd.DataFrame, outputs: pd.DataFrame, week: dt.date, team: str, channel: str) -> pd.DataFrame:
    """Credited opportunities, pipeline and cost per campaign for one channel's outputs (the review's own table).

    Campaigns with nothing in the 13 weeks (no output, opportunity or
    pipeline) are left out.
    """
    credit = _team_rows(credit, team)
    outputs = _team_rows(outputs, team)
    table = attributed_table(credit[credit["channel"] == channel], outputs[outputs["channel"] == channel], week, "campaign")
    table = table[(table["pipeline_13w"] > 0) | (table["outputs_13w"] > 0) | (table["opportunities_13w"] > 0)]
    return table.reset_index(drop=True)


def idle_campaigns(review: WeeklyReview, channel: str = ALL_CHANNELS) -> pd.DataFrame:
    """The review's *activity without outcome* list, for one channel when ``channel`` is not ``all``."""
    idle = review.activity_without_outcome
    if channel != ALL_CHANNELS and not idle.empty:
        idle = idle[idle["channel"] == channel]
    return idle.reset_index(drop=True)


def campaign_outputs(credit: pd.DataFrame, outputs: pd.DataFrame, campaign: str, week: dt.date, team: str = ALL_TEAMS,
                     channel: str = ALL_CHANNELS) -> pd.DataFrame:
    """The drill-down: each output of ``campaign`` shipped or credited in the 13 weeks up to ``week``.

    One row per output with its title (cut to one line), channel, kind,
    owner, publish date and cost, and the opportunities and pipeline credited
    to it this week and over the 13 weeks (the window of the campaign table,
    so the rows add up to the campaign's row). Outputs that earned nothing are
    listed too, with zeros; most credit first.
    """
    window = [*trailing_weeks(week, TREND_WEEKS - 1), week]
    credit = _team_rows(credit, team)
    credit = credit[(credit["campaign"] == campaign) & credit["kind"].isin(OPPORTUNITY_KINDS) & credit["week"].isin(window)]
    team_outputs = _team_rows(outputs, team)
    shipped = team_outputs[(team_outputs["campaign"] == campaign) & team_outputs["week"].isin(window)]
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
    meta = outputs.drop_duplicates("output_id").set_index("output_id")
    frame = pd.DataFrame(index=ids).join(meta[["title", "channel", "kind", "owner", "published_at", "week", "cost"]], how="left")
    frame = frame.join(per_output, how="left")
    for column in ("opportunities", "pipeline", "opportunities_13w", "pipeline_13w"):
        frame[column] = frame[column].fillna(0.0)
    frame["published"] = [v.strftime("%Y-%m-%d") if not pd.isna(v) else "" for v in frame["published_at"]]
    frame = frame.rename_axis("output_id").reset_index()
    frame["title"] = [short_title(t) for t in frame["title"]]
    # most credit first: the outputs that earned the campaign's opportunities lead the list
    frame = frame.sort_values(["opportunities_13w", "pipeline_13w", "opportunities", "published"],
                              ascending=[False, False, False, False], kind="stable")
    return frame[DRILL_FRAME_COLUMNS].reset_index(drop=True)


class CheckinData:
    """Everything a check-in computes for one workspace context, each piece once.

    The one cache of the check-in: reviews per (week, team, model), campaign
    tables per (week, team, model, channel), per-team slices of the context,
    and whatever a view keeps with :meth:`memo` (its chart specs). Nothing
    here holds a store connection; the store is opened (under
    :data:`STORE_LOCK`) only when a model's credit is neither in memory nor
    in the workspace cache.
    """

    def __init__(self, context: ReviewContext):
        self.context = context
        self._team_contexts: dict[str, ReviewContext] = {}
        self._memo: dict[Hashable, object] = {}
        self._running: dict[Hashable, threading.Event] = {}
        self._lock = threading.RLock()
        self._prefetch: threading.Thread | None = None
        self._wanted: list[tuple] = []
        #: monotonic time of the last foreground request: background work waits for a quiet moment
        self.last_activity = time.monotonic()

    # --- the cache --------------------------------------------------------------------

    def memo(self, key: Hashable, compute: Callable[[], object]):
        """The value kept under ``key``, computed by ``compute()`` the first time.

        When another thread is computing the same key (the background
        prefetch), this waits for its result instead of computing it twice.
        """
        while True:
            with self._lock:
                found = self._memo.get(key, _MISSING)
                if found is not _MISSING:
                    return found
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            running.wait()
            with self._lock:
                if key in self._memo:
                    return self._memo[key]
        try:
            found = compute()
            with self._lock:
                self._memo[key] = found
            return found
        finally:
            with self._lock:
                self._running.pop(key, None)
            running.set()

    def get(self, key: Hashable, default=None):
        """The value kept under ``key``, or ``default`` (never computes)."""
        with self._lock:
            return self._memo.get(key, default)

    # --- credit and slices ------------------------------------------------------------

    def credit(self, model: str) -> pd.DataFrame:
        """Per-outcome credit under ``model`` (computed once per model and store state)."""
        if self.context.has_credit(model):
            return self.context.credit(model)
        with STORE_LOCK:
            return self.context.credit(model)

    def team_context(self, team: str, model: str) -> ReviewContext:
        """The workspace context cut down to one team's rows (kept per team), with ``model``'s credit in it.

        ``compute_weekly_review`` keeps only the team's rows of the facts,
        outputs and credit anyway; a context that holds only those (plus the
        rows with no team, which the data-quality notes count) gives the same
        review about three times faster on a three-team workspace. The tests
        compare every section with a review of the full context.
        """
        credit = self.credit(model)
        if team == ALL_TEAMS:
            return self.context
        with self._lock:
            sub = self._team_contexts.get(team)
            if sub is None:
                sub = self._team_contexts[team] = self.context.for_team(team)
            if not sub.has_credit(model):
                sub.with_credit(model, credit)
        return sub

    # --- frames -----------------------------------------------------------------------

    def review(self, week: dt.date, team: str, model: str) -> WeeklyReview:
        """The weekly review for (week, team, model), computed once."""
        return self.memo(("review", week, team, model),
                         lambda: compute_weekly_review(self.team_context(team, model), week=week, team=team, model=model))

    def campaigns(self, week: dt.date, team: str, model: str, channel: str) -> pd.DataFrame:
        """Credited pipeline per campaign; for one channel's outputs when ``channel`` is not ``all``."""
        if channel == ALL_CHANNELS:
            return self.review(week, team, model).attributed_by_campaign
        return self.memo(("campaigns", week, team, model, channel),
                         lambda: channel_campaigns(self.credit(model), self.context.outputs, week, team, channel))

    def campaign_outputs(self, campaign: str, week: dt.date, team: str, model: str, channel: str) -> pd.DataFrame:
        """The drill-down frame of one campaign (see :func:`campaign_outputs`)."""
        return self.memo(("drill", campaign, week, team, model, channel),
                         lambda: campaign_outputs(self.credit(model), self.context.outputs, campaign, week, team, channel))

    # --- computing ahead ----------------------------------------------------------------

    def drill_ahead(self, week: dt.date, team: str, model: str, channel: str, current: str | None) -> None:
        """Compute the campaign table and the drill-down a change to (week, team) would show (for :meth:`prefetch`)."""
        campaign = shown_campaign(self.campaigns(week, team, model, channel), current)
        if campaign is not None:
            self.campaign_outputs(campaign, week, team, model, channel)

    def warm_models(self, models: Iterable[str], background: bool = True,
                    idle_seconds: float = 3.0) -> threading.Thread | None:
        """Compute the credit of ``models`` ahead of use, so switching model answers at once.

        In the background (the default) each model waits until nobody has
        asked for anything for ``idle_seconds``: a credit computation keeps
        both cores busy for 2-4 s on the demo, and clicks come first.
        """
        todo = [m for m in models if not self.context.has_credit(m)]

        def work():
            for model in todo:
                while background and time.monotonic() - self.last_activity < idle_seconds:
                    time.sleep(0.25)
                with STORE_LOCK:
                    if not self.context.has_credit(model):
                        try:
                            self.context.credit(model)
                        except CoordkitError:
                            continue

        if not background:
            work()
            return None
        thread = threading.Thread(target=work, name="coordkit-warm-models", daemon=True)
        thread.start()
        return thread

    def touch(self) -> None:
        """Note a foreground request: background work keeps out of its way for a moment."""
        self.last_activity = time.monotonic()

    def prefetch(self, jobs: Iterable[tuple[str, Callable[[], object]]], idle_seconds: float = 0.4) -> threading.Thread:
        """Run ``(key, compute)`` jobs in one background thread, each once the check-in is quiet.

        ``compute()`` keeps its result itself (through :meth:`memo` under
        ``key``); a job whose key is already kept is skipped. A newer call
        replaces the jobs not started yet (the selection moved on). Clicks come first: each job waits
        until nobody asked for anything for ``idle_seconds``.
        """
        with self._lock:
            self._wanted = [(key, compute) for key, compute in jobs if key not in self._memo]
            if self._prefetch is not None and self._prefetch.is_alive():
                return self._prefetch

            def work():
                while True:
                    with self._lock:
                        if not self._wanted:
                            self._prefetch = None
                            return
                    while time.monotonic() - self.last_activity < idle_seconds:
                        time.sleep(0.05)
                    with self._lock:
                        if not self._wanted:
                            self._prefetch = None
                            return
                        _key, compute = self._wanted.pop(0)
                    try:
                        compute()
                    except CoordkitError:
                        pass  # the same error shows when the selection is actually made

            self._prefetch = threading.Thread(target=work, name="coordkit-checkin-prefetch", daemon=True)
            self._prefetch.start()
            return self._prefetch

    def wait(self, timeout: float = 120.0) -> None:
        """Wait for background work (tests, scripts)."""
        thread = self._prefetch
        if thread is not None:
            thread.join(timeout)


_MISSING = object()
