"""Everything the weekly outcome review shows, computed as tidy frames.

:func:`compute_weekly_review` is the one call behind the review notebook, the
``coordkit review`` command and the check-in. It returns a
:class:`WeeklyReview` of small frames; presentation (charts, tables, HTML)
lives in :mod:`coordkit.present` and never loads data itself.

Each section keeps to one attribution lens and names it:

* headline and "what moved": *sourced*, each outcome's own campaign / UTM;
* outputs -> outcomes: the chosen *touch-based* model, with a row for the
  opportunities no output touched, so shares add up to the whole.

Work that is the same for every team (reading the workspace, attribution) is
done once per store state in :class:`~coordkit.analysis.review_context.ReviewContext`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.analysis.attributed_intervals import volume_note
from coordkit.analysis.judgement import target_series
from coordkit.analysis.metrics import (
    OPPORTUNITY_KINDS,
    OUTCOME_METRICS,
    metric_totals,
    weekly_metrics,
)
from coordkit.analysis.privacy import redact_text
from coordkit.analysis.review_attributed import (
    NOT_CREDITED,
    TREND_WEEKS,
    attributed_table,
    window_rows,
)
from coordkit.analysis.review_context import ALL_TEAMS, ReviewContext, review_context
from coordkit.analysis.review_quality import data_quality
from coordkit.analysis.review_sections import (
    activity_without_outcome,
    headline_rows,
    metric_series,
    outputs_by,
    trend_rows,
)
from coordkit.analysis.signals import compute_xmr
from coordkit.analysis.what_moved import (
    COMPARE_LABELS,
    Movement,
    check_compare,
    explain_week,
    movement_rows,
)
from coordkit.errors import ParameterError, allowed_values_message
from coordkit.model.calendar import iso_week_label, trailing_weeks
from coordkit.numbers import format_metric

__all__ = [
    "ALL_TEAMS",
    "NOT_CREDITED",
    "TREND_WEEKS",
    "ReviewContext",
    "WeeklyReview",
    "attributed_table",
    "compute_weekly_review",
    "format_metric",
    "review_context",
]

#: name -> hook(context, review, facts, outputs) returning what an extra section shows (a frame or a small object);
#: other features add theirs here (e.g. pipeline movement) and a present function shows review.extra_sections[name]
SECTION_HOOKS: dict = {}
MODEL_LENSES = {
    "first": "first touch: all credit to the first output that touched the opportunity",
    "last": "last touch: all credit to the last output before the opportunity",
    "linear": "linear: credit split evenly over the outputs that touched it",
    "time_decay": "time decay: more credit to recent touches (half-life 7 days)",
    "position": "position-based: 40 % to the first touch, 40 % to the last, 20 % spread over the rest",
    "u_shaped": "U-shaped: 40 % to the first touch, 40 % to the lead-creation touch, 20 % over the rest",
    "w_shaped": "W-shaped: 30 % each to first touch, lead creation and opportunity creation, 10 % over the rest",
    "full_path": "full path: 22.5 % each to first touch, lead creation, opportunity creation and closed won, 10 % over the rest",
    "custom": "custom: stage weights from coordkit.yaml (attribution_custom)",
    "markov": "Markov removal effect: credit by how many conversions would be lost without each channel",
    "shapley": "Shapley value: credit by each channel's average marginal contribution",
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
    #: one row per headline metric: value, target, percent and gap, quarter to date, comparisons, signal
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
    #: the comparison "what moved" used (``auto`` resolved: ``baseline`` when pipeline is a signal)
    what_moved_compare: str = "previous"
    #: the same week against last week, when the main story used another comparison
    what_moved_also: Movement | None = None
    data_range: tuple[dt.date, dt.date] | None = None
    late_this_week: int = 0
    #: spend and efficiency: plan against actual, pacing, cost per opportunity, ROAS (see coordkit.analysis.spend)
    spend: object = None
    #: deliverables due, done and overdue this week (see coordkit.analysis.review_deliverables)
    deliverables: object = None
    #: the all-teams review only: one row per team (pipeline created against target, signal, report file)
    team_table: pd.DataFrame | None = None
    extra_sections: dict = field(default_factory=dict)
    #: warnings about the attributed tables (a data-driven model on few opportunities)
    attribution_notes: list[str] = field(default_factory=list)

    @property
    def week_label(self) -> str:
        return iso_week_label(self.week)

    @property
    def model_lens(self) -> str:
        return MODEL_LENSES.get(self.model, self.model)

    def signals(self) -> dict[str, dict]:
        """metric -> value, target, percent of target, signal, rule, verdict: the facts a test or chat summary needs."""
        out = {}
        for row in self.headline.itertuples():
            out[row.metric] = {
                "value": float(row.value), "target": _finite(row.target), "pct_of_target": _finite(row.pct_of_target),
                "gap": _finite(row.gap), "target_status": row.target_status, "qtd_value": _finite(row.qtd_value),
                "qtd_target": _finite(row.qtd_target), "run_rate_needed": _finite(row.run_rate_needed),
                "signal": bool(row.signal), "rule": row.rule, "position": row.position, "verdict": row.verdict,
            }
        return out

    def biggest_caveat(self) -> str | None:
        """The data caveat a reader most needs to know, in one sentence.

        In order: late rows in this very week (its numbers may still grow),
        rejected rows, touchpoints that link to no output, late rows of earlier
        weeks.
        """
        late = self.data_quality["late"].sum() if "late" in self.data_quality else 0
        late_here = self.late_this_week
        rejected = int(self.rejection_reasons["rows"].sum()) if not self.rejection_reasons.empty else 0
        if late_here:
            return f"{late_here:,} of this week's outcome rows arrived late; this week's numbers may still grow."
        if rejected:
            return f"{rejected:,} input row(s) were rejected and are not counted (see the review's data-quality section)."
        for note in self.quality_notes:
            if "touchpoints link" in note:
                return note
        if late:
            return f"{int(late):,} row(s) of earlier weeks arrived late; earlier reviews did not count them."
        return None

    def to_json(self) -> str:
        """Key figures as strict JSON (the review's sidecar file): no NaN or Infinity, missing is null."""
        payload = {
            "week": self.week.isoformat(),
            "iso_week": self.week_label,
            "team": self.team,
            "model": self.model,
            "compare": self.compare,
            "what_moved_compare": self.what_moved_compare,
            "headline": self.signals(),
            "what_moved": self.what_moved[["segment", "contribution"]].to_dict("records") if not self.what_moved.empty else [],
            "narrative": self.what_moved_narrative,
            "bridge": self.what_moved_bridge.to_dict("records"),
            "activity_without_outcome": self.activity_without_outcome["campaign"].tolist(),
            "attributed_by_channel": self.attributed_by_channel.to_dict("records"),
            "data_quality_notes": self.quality_notes,
            "attribution_notes": self.attribution_notes,
            "deliverables": self.deliverables.to_dict() if self.deliverables is not None else None,
        }
        return json.dumps(_strict(payload), indent=2, allow_nan=False, ensure_ascii=False)


def _finite(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _strict(value):
    """Plain JSON types only: NaN/Infinity/NA become null, dates ISO text, numpy scalars Python numbers."""
    if isinstance(value, dict):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _team_rows(frame: pd.DataFrame, team: str) -> pd.DataFrame:
    return frame if team == ALL_TEAMS else frame[frame["team"] == team]


def compute_weekly_review(
    workspace: str | Path | ReviewContext,
    week=None,
    team: str = ALL_TEAMS,
    model: str | None = None,
    compare: str = "auto",
    title: str | None = None,
    snapshot: str | None = None,
) -> WeeklyReview:
    """Compute the weekly outcome review for one team (or ``all``).

    ``week`` is any date in the week or an ISO week (``2026-W47``); by default
    the latest complete week in the workspace; a week outside the data is an
    error that gives the range. ``compare`` picks what "what moved" compares
    with: ``auto`` (the default: the baseline the signal was judged against
    when pipeline is a signal, else last week), ``baseline``, ``previous``,
    ``trailing4``, ``trailing13`` or ``last_year``. ``snapshot`` pins the store
    state (a batch passes its own). Empty strings mean "the default" (as
    papermill parameters arrive).

    >>> review = compute_weekly_review("demo", week="2026-W47", team="emea")   # doctest: +SKIP
    >>> review.headline[["metric", "value", "pct_of_target", "signal"]]        # doctest: +SKIP
    """
    context = workspace if isinstance(workspace, ReviewContext) else review_context(workspace, snapshot=snapshot or None)
    config = context.config
    compare = check_compare(compare)
    model = model or config.default_model
    if team != ALL_TEAMS and team not in context.teams:
        raise ParameterError(allowed_values_message("team", team, [ALL_TEAMS, *context.teams]))
    week = context.check_week(week)
    # 52 weeks for the comparisons, 13 more so the trend chart can show the same weeks a year earlier
    history = trailing_weeks(week, 52 + TREND_WEEKS) + [week]
    # what does not depend on the week is derived once per context (the check-in reviews many weeks of one)
    facts = context.derived(("facts", team), lambda: _team_rows(context.facts, team))
    outputs = context.derived(("outputs", team), lambda: _team_rows(context.outputs, team))
    scoped = context.derived(("scoped facts", team), lambda: facts.assign(scope=team))
    totals = context.derived(("metric totals", team), lambda: metric_totals(scoped, ("scope",)))
    series = metric_series(totals, history, team, empty=scoped.empty)
    goals = context.derived(("goals", team), lambda: {m: target_series(context.targets, team, m) for m in OUTCOME_METRICS})
    trends = trend_rows(series, week, context.targets, team, context.first_week, goals)
    headline = headline_rows(series, context.targets, week, team, trends, config.currency, context.first_week, goals)
    credit = context.derived(("credit", team, model), lambda: _team_rows(context.credit(model), team))
    opportunities = context.derived(("opportunities", team), lambda: facts[facts["kind"].isin(OPPORTUNITY_KINDS)])
    from coordkit.analysis.spend import compute_spend, spend_inputs

    spending = context.derived(("spend", team, model), lambda: spend_inputs(outputs, context.spend, credit, team))
    plan = spending["plan"] if context.spend is not None and not context.spend.empty else None
    credited = context.derived(("credited", team, model), lambda: _credited(credit))
    window = window_rows(credited, outputs, week, opportunities)
    by_channel = attributed_table(credited, outputs, week, "channel", opportunities, rows=window)
    by_campaign = attributed_table(credited, outputs, week, "campaign", opportunities, rows=window)
    pipeline_signal = bool(headline.set_index("metric").loc["pipeline_created", "signal"])
    used = ("baseline" if pipeline_signal else "previous") if compare == "auto" else compare
    chart = trends[trends["metric"] == "pipeline_created"]
    moved = context.derived(("movement rows", team), lambda: movement_rows(facts, "pipeline_created"))
    movement = explain_week(facts, week, used, "pipeline_created", team=team, currency=config.currency, signal=chart,
                            rows=moved)
    also = None
    if used != "previous":
        also = explain_week(facts, week, "previous", "pipeline_created", team=team, currency=config.currency, rows=moved)
    quality, reasons, notes = data_quality(context, team, week)
    previous = week - dt.timedelta(days=7)
    shipped = (outputs[outputs["week"] == week], outputs[outputs["week"] == previous])
    scope = "all teams" if team == ALL_TEAMS else team
    review = WeeklyReview(
        week=week,
        team=team,
        model=model,
        compare=compare,
        title=title or f"Weekly outcome review: {scope}, week of {week.isoformat()} ({iso_week_label(week)})",
        currency=config.currency,
        headline=headline,
        trends=trends,
        outputs_by_channel=outputs_by(shipped, plan, week, "channel"),
        outputs_by_kind=outputs_by(shipped, None, week, "kind"),
        outputs_by_owner=outputs_by(shipped, None, week, "owner"),
        attributed_by_channel=by_channel,
        attributed_by_campaign=by_campaign,
        activity_without_outcome=activity_without_outcome(outputs, credit, context.touch_counts, week),
        what_moved=movement.explanation,
        what_moved_bridge=movement.bridge,
        what_moved_narrative=movement.narrative,
        data_quality=quality,
        rejection_reasons=reasons,
        quality_notes=notes,
        teams=context.teams,
        what_moved_compare=used,
        what_moved_also=also,
        data_range=(context.first_week, context.latest_week),
        late_this_week=int((facts["week"] == week).where(facts["late"], False).sum()) if "late" in facts else 0,
        attribution_notes=[n for n in [volume_note(model, float(by_channel.loc[by_channel["channel"] != NOT_CREDITED,
                                                                              "opportunities_13w"].sum()))] if n],
    )
    from coordkit.analysis.review_deliverables import deliverables_section

    review.spend = compute_spend(outputs, context.spend, credit, week, team, inputs=spending)
    review.deliverables = deliverables_section(context.deliverables, week, team, config)
    for name, hook in SECTION_HOOKS.items():
        review.extra_sections[name] = hook(context, review, facts, outputs)
    if team == ALL_TEAMS:
        review.team_table = _team_table(context, week, history)
    return _without_personal_data(review)


def _credited(credit: pd.DataFrame) -> pd.DataFrame:
    """The opportunity credit, with only the columns the attributed tables read (cutting it per week is then cheaper)."""
    columns = ["outcome_id", "kind", "week", "channel", "campaign", "credit", "amount"]
    return credit.loc[credit["kind"].isin(OPPORTUNITY_KINDS), columns]


def _team_table(context: ReviewContext, week: dt.date, history: list[dt.date]) -> pd.DataFrame:
    """Per team: pipeline created this week against target, quarter to date, signal or noise, the report's file name."""
    from coordkit.analysis.judgement import target_series, target_status
    from coordkit.filenames import report_stem

    totals = context.derived(("metric totals", "by team"), lambda: metric_totals(context.facts, ("team",)))
    weekly = weekly_metrics(context.facts, history, by=("team",), totals=totals)
    pipeline = weekly[weekly["metric"] == "pipeline_created"]
    window = trailing_weeks(week, TREND_WEEKS) + [week]
    rows = []
    for team in context.teams:
        series = pipeline[pipeline["team"] == team].set_index("week")["value"]
        chart = compute_xmr(series.reindex(window, fill_value=0.0), baseline=TREND_WEEKS)
        goal = context.derived(("goals", team), lambda t=team: {m: target_series(context.targets, t, m)
                                                                 for m in OUTCOME_METRICS})["pipeline_created"]
        value = float(series.get(week, 0.0))
        target = float(goal[week]) if week in goal.index else np.nan
        share = value / target if target and math.isfinite(target) else np.nan
        rule = str(chart["rule"].iloc[-1])
        rows.append({"team": team, "value": value, "target": target, "pct_of_target": share, "gap": value - target,
                     "target_status": target_status(share), "signal": bool(rule), "rule": rule,
                     "file": f"{report_stem(team)}.html"})
    frame = pd.DataFrame(rows, columns=["team", "value", "target", "pct_of_target", "gap", "target_status", "signal",
                                        "rule", "file"])
    return frame.sort_values(["pct_of_target", "team"], kind="stable", na_position="last").reset_index(drop=True)


def _without_personal_data(review: WeeklyReview) -> WeeklyReview:
    """Every text cell and sentence with e-mail addresses and phone numbers masked.

    Campaign names, titles, owners and rejection reasons come from clients'
    exports, and an owner is often an e-mail address; the review, its
    summary, its JSON and its notebook never show one.
    """
    def clean(holder) -> None:
        for name, value in list(vars(holder).items()):
            if isinstance(value, pd.DataFrame) and not value.empty:
                text = [c for c in value.columns if (value[c].dtype == object or pd.api.types.is_string_dtype(value[c]))
                        and not _clean_already(value[c])]
                if text:
                    setattr(holder, name, value.assign(**{c: value[c].map(_redacted) for c in text}))
            elif isinstance(value, str):
                setattr(holder, name, redact_text(value))
            elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
                clean(value)

    clean(review)
    review.quality_notes = [redact_text(note) for note in review.quality_notes]
    if review.what_moved_also is not None:
        review.what_moved_also.narrative = redact_text(review.what_moved_also.narrative)
    return review


@functools.lru_cache(maxsize=1 << 16)
def _redacted_text(text: str) -> str:
    return redact_text(text)


def _clean_already(values: pd.Series) -> bool:
    """Whether ``values`` are all texts that redaction leaves as they are (most columns: names, channels).

    Such a column of pandas' text dtype is kept as it is: mapping it gives the
    same column. Object columns and columns with missing values are mapped
    (mapping can change their dtype, and the review's frames keep that dtype).
    """
    return (isinstance(values.dtype, pd.StringDtype) and bool(values.notna().all())
            and all(_redacted_text(v) == v for v in values.unique()))


def _redacted(value):
    """:func:`redact_text`, remembered per text: the same campaign names, titles and owners recur in every review."""
    return _redacted_text(value) if isinstance(value, str) else value


def compare_label(compare: str) -> str:
    return COMPARE_LABELS.get(compare, compare)
