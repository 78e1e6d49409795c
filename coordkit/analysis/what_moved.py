"""What moved the number: ONE engine behind the weekly review, the check-in and ``what_moved.ipynb``.

:func:`explain_week` explains one headline metric of one week against a
comparison (the week before, a trailing average, the same week last year, or
*the baseline the signal was judged against*) for the outcome facts it is
given, so the review, the check-in and the notebook agree to the cent for the
same team, week and comparison. :func:`what_moved` is the notebook's call: it
reads the workspace, picks the team and weeks, and adds the signal chart, the
full segment ranking and the lagged output changes.

The lens is *sourced*: each outcome counts for the campaign and channel it
names itself (its campaign / UTM fields); outcomes that name none are the
segment ``(not sourced)``.

For trailing comparisons the reference is an average week: each earlier
week's rows count ``1/n``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from coordkit.analysis.metrics import (
    METRIC_LABELS,
    MONEY_METRICS,
    UNATTRIBUTED,
    check_metric,
    metric_rows,
)
from coordkit.errors import ParameterError, allowed_values_message
from coordkit.model.calendar import COMPARISONS, comparison_weeks

__all__ = ["COMPARE_CHOICES", "COMPARE_LABELS", "Movement", "WhatMoved", "explain_week", "movement_rows", "what_moved"]

ALL_TEAMS = "all"
#: compare choices: the calendar's, plus ``baseline`` (the weeks the XmR limits came from) and
#: ``auto`` (the baseline when the week is a signal, else the week before)
COMPARE_CHOICES = ("auto", "baseline", *COMPARISONS)
BASELINE_WEEKS = 13
COMPARE_LABELS = {
    "previous": "last week",
    "trailing4": "the trailing 4-week average",
    "trailing13": "the trailing 13-week average",
    "last_year": "the same week last year",
    "baseline": "the 13-week normal level the signal was judged against",
}
NOT_SOURCED = "(not sourced)"
BRIDGE_DIMENSION = "channel"


@dataclass
class Movement:
    """One metric, one week, one comparison: segments (adding up to the change), bridge and narrative."""

    metric: str
    week: dt.date
    compare: str
    reference_weeks: list[dt.date]
    before_total: float
    after_total: float
    currency: str | None
    #: explain_change: segment, dimension columns, before, after, contribution, share_of_change; a remainder row
    explanation: pd.DataFrame
    #: effect (volume, mix, deal size) and contribution; pipeline created only, else empty
    bridge: pd.DataFrame
    narrative: str
    dimensions: list[str] = field(default_factory=list)

    @property
    def change(self) -> float:
        return self.after_total - self.before_total

    @property
    def label(self) -> str:
        return COMPARE_LABELS.get(self.compare, self.compare)

    def steps(self) -> pd.DataFrame:
        """Waterfall steps: the comparison's total, one step per segment and the remainder, this week's total."""
        from coordkit.analysis.drivers import segment_steps

        return segment_steps(self.explanation, self.before_total, self.after_total, "before", "this week")


def check_compare(compare: str) -> str:
    compare = compare or "auto"
    if compare not in COMPARE_CHOICES:
        raise ParameterError(allowed_values_message("compare", compare, COMPARE_CHOICES))
    return compare


def reference_weeks(week: dt.date, compare: str) -> list[dt.date]:
    """The weeks ``week`` is compared with (``baseline``: the 13 weeks its XmR limits came from)."""
    if compare == "baseline":
        return comparison_weeks(week, "trailing13")
    return comparison_weeks(week, compare)


def default_dimensions(team: str) -> list[str]:
    return ["channel", "campaign"] if team != ALL_TEAMS else ["team", "channel", "campaign"]


def explain_week(
    facts: pd.DataFrame,
    week: dt.date,
    compare: str = "previous",
    metric: str = "pipeline_created",
    dimensions: Sequence[str] | None = None,
    team: str = ALL_TEAMS,
    currency: str | None = "USD",
    signal: pd.DataFrame | None = None,
    max_segments: int = 5,
    reference: list[dt.date] | None = None,
    rows: pd.DataFrame | None = None,
) -> Movement:
    """Explain ``metric`` in ``week`` against ``compare`` for the outcome ``facts`` given (already one team's).

    ``compare`` is one of :data:`COMPARE_CHOICES` except ``auto`` (resolve it
    first); ``reference`` overrides the comparison weeks (the notebook's
    explicit ``before`` week). ``signal`` (an XmR frame whose last point is
    ``week``) adds the signal sentence to the narrative. ``rows`` is
    :func:`movement_rows` of the same facts and metric, when the caller keeps
    it (the check-in explains many weeks of one team).
    """
    from coordkit.analysis.bridge import compute_bridge, summarise_bridge
    from coordkit.analysis.drivers import explain_change
    from coordkit.analysis.narrative import describe_change

    check_metric(metric)
    weeks = list(reference) if reference is not None else reference_weeks(week, compare)
    dims = list(dimensions) if dimensions else default_dimensions(team)
    money = metric in MONEY_METRICS
    currency = currency if money else None
    scale = 1.0 / len(weeks)
    rows = movement_rows(facts, metric) if rows is None else rows
    after = rows[rows["week"] == week].assign(period="after", value=lambda f: f["value"].astype(float), volume=1.0)
    before = rows[rows["week"].isin(weeks)].assign(period="before", value=lambda f: f["value"].astype(float) * scale,
                                                   volume=scale)
    before_total, after_total = float(before["value"].sum()), float(after["value"].sum())
    empty_bridge = pd.DataFrame(columns=["effect", "contribution"])
    label = f"{METRIC_LABELS[metric]} (vs {COMPARE_LABELS.get(compare, compare)})"
    if before.empty or after.empty:
        empty = pd.DataFrame(columns=["segment", *dims, "before", "after", "contribution", "share_of_change"])
        which = "this week" if after.empty else "in the comparison weeks"
        narrative = f"No rows count towards {METRIC_LABELS[metric].lower()} {which}, so there is no change to explain."
        return Movement(metric, week, compare, weeks, before_total, after_total, currency, empty, empty_bridge, narrative, dims)
    frame = pd.concat([before, after], ignore_index=True)
    explanation = explain_change(frame, "value", by=dims, period_column="period", before="before", after="after",
                                 max_segments=max_segments)
    bridge = empty_bridge
    if metric == "pipeline_created" and BRIDGE_DIMENSION in frame.columns:
        # pipeline = opportunities x channel mix x deal size: the parts add up exactly to the change
        detail = compute_bridge(frame.rename(columns={"volume": "opportunities", "value": "pipeline"}),
                                ["opportunities", "pipeline"], BRIDGE_DIMENSION, "period", "before", "after",
                                rate_names=["deal size"])
        bridge = summarise_bridge(detail)
    explanation.insert(1, "label", [segment_words(row, dims) for _, row in explanation.iterrows()])
    narrative = describe_change(explanation.assign(segment=explanation["label"]), label, before_total, after_total,
                                currency=currency, signal=signal, bridge_summary=bridge if not bridge.empty else None)
    return Movement(metric, week, compare, weeks, before_total, after_total, currency, explanation, bridge, narrative, dims)


def movement_rows(facts: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The outcome rows that count towards ``metric`` (:func:`metric_rows`), unsourced ones named as such."""
    rows = metric_rows(facts, metric)
    return rows.assign(**{d: rows[d].replace(UNATTRIBUTED, NOT_SOURCED) for d in ("channel", "campaign") if d in rows})


def segment_words(row, dims) -> str:
    """A segment as people say it: ``paid_social``, ``paid_search · na-search-always-on``, ``everything else``."""
    from coordkit.analysis.drivers import REMAINDER_LABEL

    if row["segment"] == REMAINDER_LABEL:
        return "everything else"
    values = [str(row[d]) for d in dims if d in row and isinstance(row[d], str) and row[d] != ""]
    values = list(dict.fromkeys(values))  # "(not sourced) · (not sourced)" says it once
    return " · ".join(values) if values else str(row["segment"])


@dataclass
class WhatMoved:
    """Everything "what moved the number?" shows for one metric, team and week, as tidy frames."""

    metric: str
    team: str
    before: object
    after: object
    before_total: float
    after_total: float
    currency: str | None
    explanation: pd.DataFrame  # the segments + remainder (same engine as the review)
    ranking: pd.DataFrame  # rank_segments: every single value and pair
    signal: pd.DataFrame  # compute_xmr over the 13 weeks before `after` and `after` itself
    bridge: pd.DataFrame | None  # volume, mix, deal size (pipeline only)
    steps: pd.DataFrame  # waterfall steps
    lag: pd.DataFrame  # compute_lagged_changes by channel
    narrative: str
    movement: Movement | None = None


def what_moved(
    workspace,
    metric: str = "pipeline_created",
    before=None,
    after=None,
    dimensions: Sequence[str] | str | None = None,
    max_segments: int = 5,
    max_lag: int = 4,
    currency: str | None = None,
    team: str = ALL_TEAMS,
    compare: str | None = None,
) -> WhatMoved:
    """Explain the change of a headline metric for one team (or ``all``) of a workspace.

    ``metric`` is one of ``pipeline_created``, ``opportunities``, ``leads``,
    ``won_revenue``. ``after`` is the week to explain (default: the latest
    complete week); compare it with the ``before`` week, or with ``compare``
    (``previous``, ``trailing4``, ``trailing13``, ``last_year``, ``baseline``;
    default ``previous``). ``dimensions`` are columns of the outcome facts
    (default: channel and campaign, plus team for ``all``). The segments and
    the bridge come from the review's own engine, so both agree to the cent.

    >>> story = what_moved("demo", "pipeline_created", after="2026-W47", team="north-america", compare="baseline")  # doctest: +SKIP
    >>> print(story.narrative)                                                                                    # doctest: +SKIP
    """
    from coordkit.analysis.drivers import rank_segments
    from coordkit.analysis.lag import compute_lagged_changes
    from coordkit.analysis.metrics import weekly_metrics, weekly_outputs
    from coordkit.analysis.review_context import ReviewContext, review_context
    from coordkit.analysis.signals import compute_xmr

    check_metric(metric)
    context = workspace if isinstance(workspace, ReviewContext) else review_context(workspace)
    if team != ALL_TEAMS and team not in context.teams:
        raise ParameterError(allowed_values_message("team", team, [ALL_TEAMS, *context.teams]))
    money = metric in MONEY_METRICS
    currency = (currency or context.config.currency) if money else None
    facts = context.facts if team == ALL_TEAMS else context.facts[context.facts["team"] == team]
    outputs = context.outputs if team == ALL_TEAMS else context.outputs[context.outputs["team"] == team]
    after_week = context.check_week(after or None)
    if before not in (None, ""):
        if compare:
            raise ParameterError("give either a before week or a comparison, not both")
        before_week = context.check_week(before)
        if before_week == after_week:
            raise ParameterError(f"before and after are the same week ({before_week.isoformat()}); pick two different weeks")
        compare, reference = "week", [before_week]
    else:
        compare = check_compare(compare or "previous")
        if compare == "auto":
            raise ParameterError("compare='auto' is for the review; pick previous, trailing4, trailing13, last_year or baseline")
        reference = reference_weeks(after_week, compare)
    if isinstance(dimensions, str):
        dimensions = [d.strip() for d in dimensions.split(",") if d.strip()]
    dims = list(dimensions) if dimensions else default_dimensions(team)
    if team != ALL_TEAMS and "team" in dims:
        dims.remove("team")

    weeks = context.weeks
    weekly = weekly_metrics(facts.assign(scope=team), weeks, by=("scope",))
    series = weekly[weekly["metric"] == metric].set_index("week")["value"].sort_index()
    history = series.loc[:after_week].iloc[-(BASELINE_WEEKS + 1):]
    signal = compute_xmr(history, baseline=len(history) - 1) if len(history) >= 3 else compute_xmr(history)
    movement = explain_week(facts, after_week, compare, metric, dims, team, currency, signal, max_segments, reference)
    if compare == "week":
        movement.narrative = movement.narrative.replace("(vs week)", f"(vs the week of {reference[0].isoformat()})", 1)
    rows = metric_rows(facts, metric)
    ranking = rank_segments(rows, "value", dims, "week", reference[0], after_week) if len(reference) == 1 else pd.DataFrame()
    lag = compute_lagged_changes(series.rename("value").reset_index(), weekly_outputs(outputs, weeks, by=("channel",)),
                                 week=after_week, max_lag=max_lag)
    steps = movement.steps()
    return WhatMoved(metric, team, reference[0] if len(reference) == 1 else reference, after_week, movement.before_total,
                     movement.after_total, currency, movement.explanation, ranking, signal,
                     movement.bridge if not movement.bridge.empty else None, steps, lag, movement.narrative, movement)
