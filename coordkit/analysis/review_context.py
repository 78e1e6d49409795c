"""What every team's review of one workspace shares, read once per store state.

:func:`review_context` reads the workspace (outcome and output facts,
targets, spend plan, ingest log, rejected rows, linking summary) and returns a
:class:`ReviewContext`. Its methods give the attribution credit per model
(computed once per model and store state), one team's slice, and the range of
weeks the data covers. Both are cached as data in ``.coordkit/cache`` (see
:mod:`coordkit.analysis.review_cache`), so a batch over all teams pays once,
and every kernel of a batch can load the very same snapshot (``snapshot=``)
even when an ingest lands in the middle of the batch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from coordkit.analysis import review_cache
from coordkit.analysis.metrics import (
    UNASSIGNED,
    outcome_facts,
    output_facts,
    workspace_latest_week,
    workspace_teams,
)
from coordkit.analysis.privacy import redact_text
from coordkit.errors import CoordkitError, ParameterError, WorkspaceError
from coordkit.model.calendar import iso_week_label, parse_week

if TYPE_CHECKING:  # pragma: no cover
    from coordkit.ingest.workspace import Workspace

__all__ = ["ReviewContext", "prefetch", "review_context", "review_pipeline_data"]

ALL_TEAMS = "all"
_MISSING = object()
_FRAMES = ("facts", "outputs", "targets", "spend", "ingest_log", "rejected", "touch_counts", "deliverables")
#: outcome columns a review needs; contact and account ids stay in the store (they can be e-mail addresses)
_FACT_DROP = ("contact_id", "account_id")


@dataclasses.dataclass
class ReviewContext:
    """Workspace data that every team's review shares.

    The frames are read-only by convention: every review and the check-in
    take slices of them. Use :meth:`credit` for attribution credit,
    :meth:`for_team` for one team's slice and :meth:`check_week` to turn a
    week parameter into a week the data covers.
    """

    path: Path
    config: object
    facts: pd.DataFrame
    outputs: pd.DataFrame
    teams: list[str]
    first_week: dt.date
    latest_week: dt.date
    targets: pd.DataFrame
    spend: pd.DataFrame
    ingest_log: pd.DataFrame
    rejected: pd.DataFrame
    touch_counts: pd.DataFrame
    linking: dict
    #: the store state this context was read from (the cache key); None when it cannot be told
    snapshot: str | None = None
    #: the week of the newest dated row (may be a week still in progress: it can be reviewed, it is not the default)
    last_data_week: dt.date | None = None
    team: str = ALL_TEAMS
    #: tasks and cards from project tools (the ``deliverables`` table; empty when none were ingested)
    deliverables: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame, repr=False)
    _credits: dict = dataclasses.field(default_factory=dict, repr=False)
    _workspace: object = dataclasses.field(default=None, repr=False)
    #: the pipeline's stage history (load_pipeline), read at most once per context; False: the workspace has none
    _pipeline: object = dataclasses.field(default=None, repr=False)
    #: week-independent frames derived from the ones above (see :meth:`derived`), by key
    _derived: dict = dataclasses.field(default_factory=dict, repr=False)

    # --- attribution credit -------------------------------------------------------------

    def has_credit(self, model: str) -> bool:
        """Whether the credit under ``model`` is already in memory (no store read needed)."""
        return model in self._credits

    def credit(self, model: str) -> pd.DataFrame:
        """Per-outcome credit under ``model`` (computed once per model and store state, cached as Parquet)."""
        found = self._credits.get(model)
        if found is not None:
            return found
        if self.team != ALL_TEAMS:
            raise WorkspaceError(f"the credit under {model!r} was not handed to team {self.team!r}'s context",
                                 hint="call for_team() after computing the credit on the full context")
        credit = review_cache.read_credit_cache(self.path, model, self.snapshot) if self.snapshot else None
        if credit is None:
            credit = self._attribute(model)
            if self.snapshot:
                review_cache.write_credit_cache(self.path, model, self.snapshot, credit)
        self._credits[model] = credit
        return credit

    def _attribute(self, model: str) -> pd.DataFrame:
        from coordkit.ingest.workspace import open_workspace
        from coordkit.model.calendar import week_of

        # through the deals' contacts (outcome_contacts), campaigns canonical (docs/campaigns.md)
        from coordkit.model.campaigns_attribution import attribute_workspace

        def run(ws) -> pd.DataFrame:
            custom = {"custom_weights": ws.config.attribution_custom} if model == "custom" else {}
            return attribute_workspace(ws, model, lookback_days=ws.config.lookback_days,
                                       week_of=lambda s: week_of(s, ws.config), **custom)

        if self._workspace is not None:
            return run(self._workspace)
        self._check_unchanged()
        with open_workspace(self.path, read_only=True) as ws:
            return run(ws)

    def _check_unchanged(self) -> None:
        """Refuse to mix store states: credit read from a newer store than the facts would not add up."""
        if self.snapshot and review_cache.cache_key(self.path) != self.snapshot:
            raise WorkspaceError(
                "the workspace changed (an ingest finished) while this review was being computed",
                hint="run the review again: it then reads the new data throughout",
            )

    def derived(self, key, compute):
        """The value ``compute()`` returns, computed once per context and ``key``.

        For what every week's review of a team derives from the context's
        frames in the same way (a team's rows, parsed weeks, target series):
        the check-in computes reviews of many weeks from one context, and each
        would otherwise derive them again. ``key`` must name everything the
        value depends on besides the context's frames (team, model). The
        values are shared read-only, like the frames themselves.
        """
        found = self._derived.get(key, _MISSING)
        if found is _MISSING:
            found = self._derived[key] = compute()
        return found

    # --- slices --------------------------------------------------------------------------

    def for_team(self, team: str, models=()) -> ReviewContext:
        """This context cut down to one team's rows (plus rows with no team), with the credit of ``models``."""
        if team == ALL_TEAMS:
            return self
        keep = (team, UNASSIGNED)
        credits = {m: (c := self.credit(m))[c["team"] == team] for m in models}
        return dataclasses.replace(
            self, facts=self.facts[self.facts["team"].isin(keep)], outputs=self.outputs[self.outputs["team"].isin(keep)],
            team=team, _credits=credits, _workspace=None, _pipeline=None, _derived={},
        )

    def with_credit(self, model: str, credit: pd.DataFrame) -> ReviewContext:
        """Hand a team's context the credit it needs (rows of other teams are dropped)."""
        self._credits[model] = credit if self.team == ALL_TEAMS else credit[credit["team"] == self.team]
        return self

    # --- pipeline ------------------------------------------------------------------------

    def pipeline_data(self):
        """All teams' stage history for the pipeline-movement section (read once per context), or None when there is none.

        Every team's review slices the same data, so a kernel that renders
        several teams in a row reads and prepares it once instead of once per team.
        """
        if self._pipeline is None:
            from coordkit.analysis.pipeline_data import NoStageHistoryError, load_pipeline

            try:
                self._pipeline = load_pipeline(self.path)
            except NoStageHistoryError:
                self._pipeline = False
        return self._pipeline or None

    # --- weeks ---------------------------------------------------------------------------

    @property
    def weeks(self) -> list[dt.date]:
        """Every week from the first to the latest complete week of the data."""
        count = (self.latest_week - self.first_week).days // 7
        return [self.first_week + dt.timedelta(days=7 * i) for i in range(count + 1)]

    def check_week(self, week) -> dt.date:
        """The start of ``week`` (any date in it or ISO ``2026-W47``; empty means the latest complete week).

        A week outside the data is refused with the range the data covers:
        a review of it would show zeros, and zeros judged against limits read
        as four red signals.
        """
        if week in (None, "", "latest"):
            return self.latest_week
        start = parse_week(week, self.config.week_start)
        last = max(self.latest_week, self.last_data_week or self.latest_week)
        if not self.first_week <= start <= last:
            raise ParameterError(
                f"week {week!s} ({iso_week_label(start)}) is outside the workspace's data, which covers "
                f"{iso_week_label(self.first_week)} ({self.first_week.isoformat()}) to "
                f"{iso_week_label(last)} ({last.isoformat()})",
                hint="pick a week in that range, or ingest the exports that cover the week first",
            )
        return start


def review_context(workspace: str | Path | Workspace, use_cache: bool = True, snapshot: str | None = None) -> ReviewContext:
    """Read what every review of this workspace needs (from the cache when the store has not changed).

    ``snapshot`` (a :attr:`ReviewContext.snapshot` of an earlier call) loads
    exactly that store state from the cache: the kernels of a batch all see
    the state the batch started from. When that state is no longer cached and
    the store has moved on, it is an error rather than a silent mix.
    """
    if not isinstance(workspace, (str, Path)):
        return _read_context(workspace)
    path = Path(workspace)
    key = review_cache.cache_key(path) if use_cache else None
    if snapshot:
        key = snapshot
    if snapshot and (loaded := _LOADED.get((str(path.resolve()), snapshot))) is not None:
        return loaded
    if key is not None:
        cached = review_cache.read_context_cache(path, key)
        if cached is not None:
            frames, values = cached
            from coordkit.config import WorkspaceConfig

            values["config"] = WorkspaceConfig(**values["config"])
            context = ReviewContext(path=path, snapshot=key, **frames, **values)
            return _remember(context) if snapshot else context
    if snapshot and review_cache.cache_key(path) != snapshot:
        raise WorkspaceError(
            "the workspace changed (an ingest finished) after this batch of reviews started, and the batch's "
            "snapshot is no longer cached",
            hint="render the reviews again: they then all read the new data",
        )
    from coordkit.ingest.workspace import open_workspace

    # hold no connection after reading: DuckDB lets one process write, so a notebook that kept the
    # store open would lock out `coordkit ingest` and the check-in's own saves
    with open_workspace(path, read_only=True) as ws:
        context = _read_context(ws)
    context._workspace = None
    context.snapshot = key
    if key is not None:
        review_cache.write_context_cache(
            path, key, {name: getattr(context, name) for name in _FRAMES},
            {"config": context.config, "teams": context.teams, "first_week": context.first_week,
             "latest_week": context.latest_week, "last_data_week": context.last_data_week, "linking": context.linking},
        )
        if snapshot:
            _remember(context)
    return context


#: the context of a pinned store state (``snapshot=``) last read in this process, by (folder, state).
#: A kernel that renders several teams of a batch in a row (one kernel per worker, each team pinned
#: to the batch's snapshot) reads the cache once, not once per team. A snapshot names data that can
#: no longer change, so the copy in memory stays right; without a snapshot every call checks the
#: store state and the cache again. One entry only: another state replaces it. The frames are shared
#: read-only: every review and the check-in take slices of them and never write to them.
_LOADED: dict[tuple[str, str], ReviewContext] = {}


def _remember(context: ReviewContext) -> ReviewContext:
    _LOADED.clear()
    _LOADED[(str(Path(context.path).resolve()), context.snapshot)] = context
    return context


def review_pipeline_data(workspace: str | Path, snapshot: str | None = None):
    """The stage history the review's pipeline-movement section slices per team (None when the workspace has none).

    With a ``snapshot`` (as a batch's kernels get) it is read once per process, however many teams
    the kernel renders: ``compute_pipeline_movement(..., data=review_pipeline_data(ws, snapshot))``.
    """
    return review_context(workspace, snapshot=snapshot or None).pipeline_data()


def prefetch(workspace: str | Path) -> str | None:
    """Load the current store state's cached frames and stage history into this process; return that state.

    A review kernel calls it while it waits for its notebook (``coordkit.report.kernels``): the
    notebook, pinned to the same state, then finds them in memory. Only an existing cache entry is
    read (the command computes a missing one itself, and the two must not do that work twice);
    when the store changes in between, the notebook's own state differs and it reads afresh.
    """
    path = Path(workspace)
    key = review_cache.cache_key(path)
    if key is None or not review_cache.has_context_cache(path, key):
        return None
    try:
        review_context(path, snapshot=key).pipeline_data()
    except CoordkitError:  # only a head start: the notebook reads (and reports) for itself
        return None
    return key


def _read_context(ws: Workspace) -> ReviewContext:
    from coordkit.analysis.review_quality import failed_ingest_teams, late_flags

    facts = outcome_facts(ws).drop(columns=list(_FACT_DROP), errors="ignore")
    outputs = output_facts(ws)
    log = ws.ingest_log()
    facts["late"] = late_flags(facts, ws.config, log)
    latest = workspace_latest_week(facts, outputs, ws.config)
    weeks = [s.dropna().min() for s in (facts.get("week"), outputs.get("week")) if s is not None and s.notna().any()]
    lasts = [s.dropna().max() for s in (facts.get("week"), outputs.get("week")) if s is not None and s.notna().any()]
    return ReviewContext(
        path=ws.path,
        config=ws.config,
        facts=facts,
        outputs=outputs,
        teams=workspace_teams(facts, outputs),
        first_week=min([*weeks, latest]),
        latest_week=latest,
        last_data_week=max([*lasts, latest]),
        targets=ws.table("targets").execute(),
        spend=ws.table("spend").execute(),
        ingest_log=failed_ingest_teams(ws, _ingest_log(log)),
        rejected=_rejected(ws.rejected_rows()),
        touch_counts=_touch_counts(ws),
        linking=_linking_summary(ws),
        deliverables=ws.con.table("deliverables").to_pandas() if "deliverables" in ws.con.list_tables() else pd.DataFrame(),
        _workspace=ws,
    )


def _ingest_log(log: pd.DataFrame) -> pd.DataFrame:
    """The ingest log without its free-text columns (messages can quote raw values)."""
    keep = [c for c in log.columns if c not in ("message", "warnings")]
    return log[keep].reset_index(drop=True)


def _rejected(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows as the review shows them: file, table, row, column, the team the row named, a redacted reason.

    The raw row and the raw value stay in the store: they are what a client
    sent, and may hold another client's contacts.
    """
    columns = ["ingest_id", "file", "table_name", "row", "column", "team", "reason"]
    if rejected.empty:
        return pd.DataFrame(columns=columns)

    def team_of(raw) -> str:
        try:
            value = json.loads(raw).get("team") if isinstance(raw, str) else None
        except (ValueError, AttributeError):
            value = None
        return str(value).strip() if isinstance(value, str) and value.strip() else UNASSIGNED

    out = rejected.assign(team=rejected["raw"].map(team_of), reason=rejected["reason"].map(redact_text))
    return out[columns].reset_index(drop=True)


def _touch_counts(ws: Workspace) -> pd.DataFrame:
    """Touches per linked campaign (for "activity without outcome")."""
    from coordkit.model.link import link_touchpoints

    linked = link_touchpoints(ws.table("touchpoints"), ws.table("outputs"))
    grouped = linked.group_by(campaign=linked.linked_campaign).aggregate(touches=linked.count())
    return grouped.to_pandas()


def _linking_summary(ws: Workspace) -> dict:
    from coordkit.ingest.currency import amounts_kept_apart
    from coordkit.model.campaigns_coverage import campaign_coverage
    from coordkit.model.link import link_touchpoints, linking_report

    linked = link_touchpoints(ws.table("touchpoints"), ws.table("outputs"))
    report = linking_report(linked, ws.table("outputs"), top=5)
    return {
        "share_linked": float(report.linked_share),
        "touchpoints": int(report.touchpoints),
        "unlinked": round(report.touchpoints * (1 - report.linked_share)),
        # workspace-wide campaign coverage (shown in the all-teams review's data quality); redacted like every note
        "campaign_notes": [redact_text(line) for line in campaign_coverage(ws).lines()],
        # amounts in a currency with no ingested rate: left out of every total, so the page must say so
        "currency_notes": [redact_text(line) for line in amounts_kept_apart(ws)],
    }
