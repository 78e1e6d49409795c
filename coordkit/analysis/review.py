"""Everything the weekly outcome review shows, computed as tidy frames.

:func:`compute_weekly_review` is the one call behind the review notebook, the
``coordkit review`` command and the check-in notebook. It returns a
:class:`WeeklyReview` of small frames; presentation (charts, tables, HTML)
lives in :mod:`coordkit.present` and never loads data itself.

Work that is the same for every team (reading the workspace, attribution)
is done once per workspace state and kept in :class:`ReviewContext`, so a
batch over all teams pays for it once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coordkit.analysis.drivers import explain_change
from coordkit.analysis.metrics import (
    METRIC_LABELS,
    MONEY_METRICS,
    OPPORTUNITY_KINDS,
    OUTCOME_METRICS,
    UNASSIGNED,
    outcome_facts,
    output_facts,
    weekly_metrics,
    workspace_latest_week,
    workspace_teams,
)
from coordkit.analysis.narrative import describe_change, format_amount
from coordkit.analysis.signals import compute_xmr, xmr_verdict
from coordkit.errors import ParameterError, allowed_values_message

# The store (ibis, duckdb) and the attribution engine are imported only when the cache cannot
# answer: a review kernel with a warm cache then starts about 1.5 s faster.
if TYPE_CHECKING:  # pragma: no cover
    from coordkit.ingest.workspace import Workspace
from coordkit.model.calendar import (
    COMPARISONS,
    comparison_weeks,
    iso_week_label,
    parse_week,
    trailing_weeks,
    week_of,
)

__all__ = ["ALL_TEAMS", "TREND_WEEKS", "ReviewContext", "WeeklyReview", "compute_weekly_review", "review_context"]

ALL_TEAMS = "all"
TREND_WEEKS = 13
#: a campaign with at least this many outputs in the trailing window and no outcome is "activity without outcome"
ACTIVITY_MIN_OUTPUTS = 10


@dataclass
class ReviewContext:
    """Workspace data that every team's review shares (read once, attributed once per model)."""

    path: Path
    config: object
    facts: pd.DataFrame
    outputs: pd.DataFrame
    teams: list[str]
    latest_week: dt.date
    targets: pd.DataFrame
    spend: pd.DataFrame
    ingest_log: pd.DataFrame
    rejected: pd.DataFrame
    touch_counts: pd.DataFrame
    linking: dict
    state: str
    _credit: dict = field(default_factory=dict)
    _workspace: Workspace | None = None
    _cache_key: str | None = None

    def credit(self, model: str) -> pd.DataFrame:
        """Per-outcome credit under ``model`` (computed once per model and workspace state)."""
        if model in self._credit:
            return self._credit[model]
        import pickle

        cached = _cache_file(self.path, f"credit-{model}-{self._cache_key}.pkl") if self._cache_key else None
        if cached is not None and cached.exists():
            try:
                with cached.open("rb") as handle:
                    self._credit[model] = pickle.load(handle)
                return self._credit[model]
            except Exception:
                pass
        from coordkit.ingest.workspace import open_workspace

        if self._workspace is not None:
            ws = self._workspace
            self._credit[model] = self._attribute(ws, model)
        else:
            with open_workspace(self.path, read_only=True) as ws:
                self._credit[model] = self._attribute(ws, model)
        if cached is not None:
            for stale in cached.parent.glob(f"credit-{model}-*.pkl"):
                stale.unlink(missing_ok=True)
            _write_pickle(cached, self._credit[model])
        return self._credit[model]


    @staticmethod
    def _attribute(ws: Workspace, model: str) -> pd.DataFrame:
        # through the deals' contacts (outcome_contacts), campaigns canonical (docs/campaigns.md)
        from coordkit.model.campaigns_attribution import attribute_workspace

        return attribute_workspace(
            ws, model, lookback_days=ws.config.lookback_days, week_of=lambda s: week_of(s, ws.config),
        )


CACHE_DIR = "cache"
_CACHED_FRAMES = ("facts", "outputs", "targets", "spend", "ingest_log", "rejected", "touch_counts")


def _cache_key(path: Path) -> str | None:
    """Changes whenever an ingest changes the data (read from ``.coordkit/data-state``).

    Only ingests rewrite that file, so saving a check-in note (which also
    writes the store) keeps the cache. A workspace without it (made by an older
    coordkit) falls back to the store file's size and modification time.
    """
    import hashlib

    from coordkit._version import __version__
    from coordkit.ingest.workspace import data_state

    state = data_state(path)
    if state is None:
        return None
    return f"{__version__}-{hashlib.sha1(state.encode()).hexdigest()[:16]}"


def _cache_file(path: Path, name: str) -> Path:
    return Path(path) / ".coordkit" / CACHE_DIR / name


def review_context(workspace: str | Path | Workspace, use_cache: bool = True) -> ReviewContext:
    """Read what every review of this workspace needs (from a cache when the store has not changed).

    The cache lives in ``.coordkit/cache/`` and is keyed by the store file's
    size and modification time, so any ingest invalidates it. Rendering all
    teams reads and attributes the workspace once; each review kernel loads
    the cached frames instead of querying the store again.
    """
    import pickle

    if not isinstance(workspace, (str, Path)):
        return _read_context(workspace)
    path = Path(workspace)
    key = _cache_key(path) if use_cache else None
    cached = _cache_file(path, f"review-{key}.pkl") if key else None
    if cached is not None and cached.exists():
        try:
            with cached.open("rb") as handle:
                state = pickle.load(handle)
            context = ReviewContext(path=path, _cache_key=key, **state)
            return context
        except Exception:  # a damaged or incompatible cache is rebuilt, never trusted
            pass
    from coordkit.ingest.workspace import open_workspace

    # hold no connection after reading: DuckDB lets one process write, so a notebook that kept the
    # store open would lock out `coordkit ingest` and the check-in's own saves
    with open_workspace(path, read_only=True) as ws:
        context = _read_context(ws)
        context._cache_key = key
        context._workspace = None
    if cached is not None:
        _write_pickle(cached, {name: getattr(context, name) for name in (*_CACHED_FRAMES, "config", "teams", "latest_week", "linking", "state")})
    return context


def _write_pickle(target: Path, payload) -> None:
    import os
    import pickle

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(target.name.split("-", 1)[0] + "-*.pkl"):
            if stale.name != target.name and not stale.name.startswith("credit-"):
                stale.unlink(missing_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, target)
    except OSError:
        pass  # a read-only workspace simply goes without a cache


def _read_context(ws: Workspace) -> ReviewContext:
    facts = outcome_facts(ws)
    outputs = output_facts(ws)
    log = ws.ingest_log()
    return ReviewContext(
        path=ws.path,
        config=ws.config,
        facts=facts,
        outputs=outputs,
        teams=workspace_teams(facts, outputs),
        latest_week=workspace_latest_week(facts, outputs, ws.config),
        targets=ws.table("targets").execute(),
        spend=ws.table("spend").execute(),
        ingest_log=log,
        rejected=ws.rejected_rows(),
        touch_counts=_touch_counts(ws),
        linking=_linking_summary(ws, ws.table("touchpoints")),
        state=f"{int(log['ingest_id'].max()) if not log.empty else 0}",
        _workspace=ws,
    )


def _touch_counts(ws: Workspace) -> pd.DataFrame:
    """Touches per linked campaign (for "activity without outcome")."""
    from coordkit.model.link import link_touchpoints

    linked = link_touchpoints(ws.table("touchpoints"), ws.table("outputs"))
    grouped = linked.group_by(campaign=linked.linked_campaign).aggregate(touches=linked.count())
    return grouped.to_pandas()


def _linking_summary(ws: Workspace, touches) -> dict:
    from coordkit.model.campaigns_coverage import campaign_coverage
    from coordkit.model.link import link_touchpoints, linking_report

    linked = link_touchpoints(touches, ws.table("outputs"))
    report = linking_report(linked, ws.table("outputs"), top=5)
    return {
        "share_linked": float(report.linked_share),
        "touchpoints": int(report.touchpoints),
        "unlinked": int(round(report.touchpoints * (1 - report.linked_share))),
        "top_unlinked": report.top_unlinked.to_dict("records"),
        "suggested_aliases": report.suggested_aliases.to_dict("records"),
        "campaign_notes": campaign_coverage(ws).lines(),
    }


@dataclass
class WeeklyReview:
    """One week's review for one team (or ``all``): every section as a tidy frame."""

    week: dt.date
    team: str
    model: str
    compare: str
    title: str
    currency: str
    headline: pd.DataFrame
    trends: pd.DataFrame
    outputs_by_channel: pd.DataFrame
    outputs_by_kind: pd.DataFrame
    outputs_by_owner: pd.DataFrame
    attributed_by_channel: pd.DataFrame
    attributed_by_campaign: pd.DataFrame
    activity_without_outcome: pd.DataFrame
    what_moved: pd.DataFrame
    #: effect (volume, mix, deal size), contribution: adds up to the change in pipeline created
    what_moved_bridge: pd.DataFrame
    what_moved_narrative: str
    data_quality: pd.DataFrame
    rejection_reasons: pd.DataFrame
    quality_notes: list[str]
    teams: list[str] = field(default_factory=list)

    @property
    def week_label(self) -> str:
        return iso_week_label(self.week)

    def signals(self) -> dict[str, dict]:
        """metric -> {value, signal, rule, verdict}: the facts a test or a chat summary needs."""
        return {
            row.metric: {"value": float(row.value), "signal": bool(row.signal), "rule": row.rule, "verdict": row.verdict}
            for row in self.headline.itertuples()
        }

    def to_json(self) -> str:
        """Key figures as JSON (the review's sidecar file)."""
        payload = {
            "week": self.week.isoformat(),
            "iso_week": self.week_label,
            "team": self.team,
            "model": self.model,
            "compare": self.compare,
            "headline": self.signals(),
            "what_moved": self.what_moved[["segment", "contribution"]].to_dict("records") if not self.what_moved.empty else [],
            "narrative": self.what_moved_narrative,
            "bridge": self.what_moved_bridge.to_dict("records"),
            "activity_without_outcome": self.activity_without_outcome["campaign"].tolist(),
            "attributed_by_channel": self.attributed_by_channel.to_dict("records"),
        }
        return json.dumps(payload, default=_json_default, indent=2)


def _json_default(value):
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return str(value)


def _check_team(team: str, teams: list[str]) -> str:
    if team == ALL_TEAMS or team in teams:
        return team
    raise ParameterError(allowed_values_message("team", team, [ALL_TEAMS, *teams]))


def _team_rows(frame: pd.DataFrame, team: str) -> pd.DataFrame:
    return frame if team == ALL_TEAMS else frame[frame["team"] == team]


def compute_weekly_review(
    workspace: str | Path | Workspace | ReviewContext,
    week=None,
    team: str = ALL_TEAMS,
    model: str | None = None,
    compare: str = "previous",
    title: str | None = None,
) -> WeeklyReview:
    """Compute the weekly outcome review for one team (or ``all``).

    ``week`` is any date in the week or an ISO week (``2026-W47``); by default
    the latest complete week in the workspace. ``compare`` picks what "what
    moved" compares with: ``previous``, ``trailing4``, ``trailing13`` or
    ``last_year``. Empty strings mean "the default" (as papermill parameters
    arrive).

    >>> review = compute_weekly_review("demo", week="2026-W47", team="emea")   # doctest: +SKIP
    >>> review.headline[["metric", "value", "signal"]]                         # doctest: +SKIP
    """
    context = workspace if isinstance(workspace, ReviewContext) else review_context(workspace)
    config = context.config
    compare = compare or "previous"
    if compare not in COMPARISONS:
        raise ParameterError(allowed_values_message("compare", compare, COMPARISONS))
    model = model or config.default_model
    # the model name is checked by the attribution engine when no cached credit exists for it
    team = _check_team(team, context.teams)
    week = context.latest_week if week in (None, "", "latest") else parse_week(week, config.week_start)
    history = trailing_weeks(week, 52) + [week]
    facts = _team_rows(context.facts, team)
    outputs = _team_rows(context.outputs, team)
    metrics = weekly_metrics(facts.assign(scope=team), history, by=("scope",))
    headline = _headline(metrics, context.targets, week, team)
    trends = _trends(metrics, week)
    headline = _add_signals(headline, trends)
    credit = _team_rows(context.credit(model), team)
    by_channel, by_campaign = _attributed(credit, outputs, week)
    what_moved, bridge, narrative = _what_moved(facts, week, compare, config.currency, trends, team)
    quality, reasons, notes = _data_quality(context, facts, week)
    review = WeeklyReview(
        week=week,
        team=team,
        model=model,
        compare=compare,
        title=title or f"Weekly outcome review: {'all teams' if team == ALL_TEAMS else team}, week of {week:%d %b %Y} ({iso_week_label(week)})",
        currency=config.currency,
        headline=headline,
        trends=trends,
        outputs_by_channel=_outputs_by(outputs, context.spend, week, team, "channel"),
        outputs_by_kind=_outputs_by(outputs, None, week, team, "kind"),
        outputs_by_owner=_outputs_by(outputs, None, week, team, "owner"),
        attributed_by_channel=by_channel,
        attributed_by_campaign=by_campaign,
        activity_without_outcome=_activity_without_outcome(outputs, credit, context.touch_counts, week),
        what_moved=what_moved,
        what_moved_bridge=bridge,
        what_moved_narrative=narrative,
        data_quality=quality,
        rejection_reasons=reasons,
        quality_notes=notes,
        teams=context.teams,
    )
    return review


# --- sections ----------------------------------------------------------------


def _series(metrics: pd.DataFrame, metric: str) -> pd.Series:
    rows = metrics[metrics["metric"] == metric]
    return rows.set_index("week")["value"].sort_index()


def _target(targets: pd.DataFrame, week: dt.date, team: str, metric: str) -> float:
    if targets.empty:
        return np.nan
    rows = targets[(targets["metric"] == metric) & (pd.to_datetime(targets["week"]).dt.date == week)]
    if team == ALL_TEAMS:
        overall = rows[rows["team"] == ALL_TEAMS]
        return float(overall["value"].sum()) if not overall.empty else (float(rows["value"].sum()) if not rows.empty else np.nan)
    rows = rows[rows["team"] == team]
    return float(rows["value"].sum()) if not rows.empty else np.nan


def _headline(metrics: pd.DataFrame, targets: pd.DataFrame, week: dt.date, team: str) -> pd.DataFrame:
    records = []
    for metric in OUTCOME_METRICS:
        series = _series(metrics, metric)
        value = float(series.get(week, 0.0))
        last_year = comparison_weeks(week, "last_year")[0]
        records.append(
            {
                "metric": metric,
                "label": METRIC_LABELS[metric],
                "money": metric in MONEY_METRICS,
                "value": value,
                "target": _target(targets, week, team, metric),
                "last_week": float(series.get(comparison_weeks(week, "previous")[0], np.nan)),
                "trailing4": float(series.reindex(comparison_weeks(week, "trailing4")).mean()),
                "trailing13": float(series.reindex(comparison_weeks(week, "trailing13")).mean()),
                "last_year": float(series.get(last_year, np.nan)) if last_year >= min(series.index) else np.nan,
            }
        )
    frame = pd.DataFrame(records)
    frame["vs_target"] = frame["value"] - frame["target"]
    frame["vs_last_week"] = frame["value"] - frame["last_week"]
    return frame


def _trends(metrics: pd.DataFrame, week: dt.date) -> pd.DataFrame:
    """XmR chart per metric: limits from the 13 weeks before ``week``; ``week`` judged against them."""
    weeks = trailing_weeks(week, TREND_WEEKS) + [week]
    frames = []
    for metric in OUTCOME_METRICS:
        series = _series(metrics, metric).reindex(weeks, fill_value=0.0)
        chart = compute_xmr(series, baseline=TREND_WEEKS)
        chart = chart.rename(columns={chart.columns[0]: "week"})
        chart.insert(0, "metric", metric)
        frames.append(chart)
    return pd.concat(frames, ignore_index=True)


def _add_signals(headline: pd.DataFrame, trends: pd.DataFrame) -> pd.DataFrame:
    out = headline.copy()
    rules, verdicts, lower, upper = [], [], [], []
    for metric, label in zip(out["metric"], out["label"]):
        chart = trends[trends["metric"] == metric].reset_index(drop=True)
        last = chart.iloc[-1]
        rules.append(last["rule"])
        verdicts.append(xmr_verdict(chart[["week", "value", "centre", "lower_limit", "upper_limit", "moving_range", "upper_range_limit", "rule", "in_baseline"]], f"{label.lower()} this week"))
        lower.append(float(last["lower_limit"]))
        upper.append(float(last["upper_limit"]))
    out["rule"] = rules
    out["signal"] = [bool(r) for r in rules]
    out["lower_limit"] = lower
    out["upper_limit"] = upper
    out["verdict"] = verdicts
    return out


def _outputs_by(outputs: pd.DataFrame, spend: pd.DataFrame | None, week: dt.date, team: str, column: str) -> pd.DataFrame:
    previous = week - dt.timedelta(days=7)
    this = outputs[outputs["week"] == week].groupby(column).agg(outputs=("output_id", "count"), cost=("cost", "sum"))
    before = outputs[outputs["week"] == previous].groupby(column).agg(last_week=("output_id", "count"))
    frame = this.join(before, how="outer").fillna(0)
    if spend is not None and column == "channel" and not spend.empty:
        plan = spend[pd.to_datetime(spend["week"]).dt.date == week]
        if team != ALL_TEAMS:
            plan = plan[plan["team"].isin([team, ""])]
        planned = plan[plan["channel"] != ""].groupby("channel")["planned_cost"].sum().rename("planned_cost")
        frame = frame.join(planned, how="outer").fillna(0)
    frame = frame.reset_index().rename(columns={"index": column})
    frame["outputs"] = frame["outputs"].astype(int)
    frame["last_week"] = frame["last_week"].astype(int)
    return frame.sort_values(["outputs", "cost"], ascending=False, kind="stable").reset_index(drop=True)


def _attributed(credit: pd.DataFrame, outputs: pd.DataFrame, week: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attributed opportunities and pipeline this week and over 13 weeks, with cost per opportunity."""
    window = trailing_weeks(week, TREND_WEEKS - 1) + [week]
    opportunities = credit[credit["kind"].isin(OPPORTUNITY_KINDS)]
    this_week = opportunities[opportunities["week"] == week]
    in_window = opportunities[opportunities["week"].isin(window)]
    spent = outputs[outputs["week"].isin(window)]

    def table(column: str) -> pd.DataFrame:
        now = this_week.groupby(column).agg(opportunities=("credit", "sum"), pipeline=("amount", "sum"))
        trailing = in_window.groupby(column).agg(opportunities_13w=("credit", "sum"), pipeline_13w=("amount", "sum"))
        cost = spent.groupby(column).agg(outputs_13w=("output_id", "count"), cost_13w=("cost", "sum"))
        frame = now.join(trailing, how="outer").join(cost, how="outer").fillna(0.0)
        frame["cost_per_opportunity"] = np.where(frame["opportunities_13w"] > 0, frame["cost_13w"] / frame["opportunities_13w"].where(frame["opportunities_13w"] > 0), np.nan)
        frame["pipeline_per_output"] = np.where(frame["outputs_13w"] > 0, frame["pipeline_13w"] / frame["outputs_13w"].where(frame["outputs_13w"] > 0), np.nan)
        frame["outputs_13w"] = frame["outputs_13w"].astype(int)
        frame = frame.reset_index().rename(columns={"index": column})
        return frame.sort_values(["pipeline", "pipeline_13w"], ascending=False, kind="stable").reset_index(drop=True)

    return table("channel"), table("campaign")


def _activity_without_outcome(outputs, credit, touch_counts, week) -> pd.DataFrame:
    """Campaigns with much output in the last 13 weeks and no attributed outcome in that time."""
    window = trailing_weeks(week, TREND_WEEKS - 1) + [week]
    recent = outputs[outputs["week"].isin(window)]
    per_campaign = recent.groupby("campaign").agg(outputs=("output_id", "count"), cost=("cost", "sum"), channel=("channel", "first"))
    credited = credit[credit["week"].isin(window)].groupby("campaign")["credit"].sum()
    per_campaign = per_campaign.join(credited.rename("outcomes"), how="left").fillna({"outcomes": 0.0})
    per_campaign = per_campaign.join(touch_counts.set_index("campaign")["touches"], how="left").fillna({"touches": 0})
    flagged = per_campaign[(per_campaign["outputs"] >= ACTIVITY_MIN_OUTPUTS) & (per_campaign["outcomes"] == 0)]
    flagged = flagged.reset_index().sort_values(["outputs", "cost"], ascending=False, kind="stable")
    flagged["touches"] = flagged["touches"].astype(int)
    return flagged[["campaign", "channel", "outputs", "touches", "cost"]].reset_index(drop=True)


def _what_moved(facts: pd.DataFrame, week: dt.date, compare: str, currency: str, trends: pd.DataFrame, team: str):
    """Pipeline created this week against the comparison: segments, volume/mix/deal-size bridge, narrative.

    For trailing comparisons the reference is the weekly average: each earlier
    week's opportunities count 1/n, so "before" is an average week.
    """
    from coordkit.analysis.bridge import compute_bridge, summarise_bridge

    reference = comparison_weeks(week, compare)
    scale = 1.0 / len(reference)
    opportunities = facts[facts["kind"].isin(OPPORTUNITY_KINDS)]
    after = opportunities[opportunities["week"] == week].assign(
        period="after", pipeline=lambda f: f["amount"].fillna(0.0), opportunities=1.0
    )
    before = opportunities[opportunities["week"].isin(reference)].assign(
        period="before", pipeline=lambda f: f["amount"].fillna(0.0) * scale, opportunities=scale
    )
    frame = pd.concat([before, after], ignore_index=True)
    dims = ["channel", "campaign"] if team != ALL_TEAMS else ["team", "channel", "campaign"]
    before_total, after_total = float(before["pipeline"].sum()), float(after["pipeline"].sum())
    empty_bridge = pd.DataFrame(columns=["effect", "contribution"])
    if before.empty or after.empty:
        empty = pd.DataFrame(columns=["segment", *dims, "before", "after", "contribution", "share_of_change"])
        which = "this week" if after.empty else "the comparison weeks"
        return empty, empty_bridge, f"No opportunities were created {which}, so there is no change to explain."
    explanation = explain_change(frame, "pipeline", by=dims, period_column="period", before="before", after="after", max_segments=5)
    # pipeline = opportunities x channel mix x deal size: the parts add up exactly to the change
    bridge = summarise_bridge(
        compute_bridge(frame, ["opportunities", "pipeline"], "channel", "period", "before", "after", rate_names=["deal size"])
    )
    signal = trends[trends["metric"] == "pipeline_created"]
    label = {"previous": "last week", "trailing4": "the trailing 4-week average", "trailing13": "the trailing 13-week average", "last_year": "the same week last year"}[compare]
    narrative = describe_change(
        explanation, f"Pipeline created (vs {label})", before_total, after_total, currency=currency, signal=signal,
        bridge_summary=bridge,
    )
    return explanation, bridge, narrative


def _data_quality(context: ReviewContext, facts: pd.DataFrame, week: dt.date):
    log = context.ingest_log
    if log.empty:
        return pd.DataFrame(), pd.DataFrame(columns=["file", "column", "rows", "example"]), ["Nothing has been ingested yet."]
    ok = log[log["status"] == "ok"]
    latest = ok.sort_values("ingest_id").groupby(["file", "table_name"], as_index=False).last()
    quality = latest.assign(file=latest["file"].map(lambda p: Path(p).name))[
        ["file", "table_name", "rows_read", "accepted", "rejected", "merged_duplicates", "inserted", "updated", "late", "finished_at"]
    ].rename(columns={"table_name": "table", "finished_at": "ingested_at"})
    rejected = context.rejected
    if rejected.empty:
        reasons = pd.DataFrame(columns=["file", "column", "rows", "example"])
    else:
        named = rejected.assign(file=rejected["file"].map(lambda p: Path(p).name), column=rejected["column"].replace("", "(row)"))
        reasons = named.groupby(["file", "column"], as_index=False).agg(rows=("row", "count"), example=("reason", "first"))
        reasons = reasons.sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)
    notes = []
    linking = context.linking
    notes.append(
        f"{linking['share_linked']:.1%} of {linking['touchpoints']:,} touchpoints link to a known output; "
        f"{linking['unlinked']:,} are unlinked and earn no output credit."
    )
    notes.extend(linking.get("campaign_notes", []))
    failed = log[log["status"] != "ok"]
    if not failed.empty:
        notes.append(f"{len(failed)} ingest(s) failed; see `coordkit status` for the reasons.")
    late = facts[(facts["week"] <= week) & (facts["arrived_week"] > facts["week"] + dt.timedelta(days=7))]
    this_week_late = facts[(facts["week"] == week) & (facts["arrived_week"] > week + dt.timedelta(days=7))]
    total_late = int(ok["late"].sum())
    notes.append(
        f"{total_late:,} row(s) arrived after their week had already been reported (late data); "
        f"{len(this_week_late):,} of this week's outcomes arrived more than a week late."
    )
    del late
    unassigned = int((context.facts["team"] == UNASSIGNED).sum())
    if unassigned:
        notes.append(f"{unassigned:,} outcome(s) carry no team and appear only under 'all'.")
    return quality.reset_index(drop=True), reasons, notes


def format_metric(value: float, money: bool, currency: str) -> str:
    """Format a headline value: money compactly with the currency, counts as whole numbers."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return format_amount(value, currency) if money else f"{value:,.0f}"
