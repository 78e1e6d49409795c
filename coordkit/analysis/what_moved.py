"""What moved the number, for one workspace: the whole story behind the ``what_moved`` notebook.

Composes metrics, signals, drivers, the volume/rate/mix bridge, lags and the
narrative for one headline metric and two weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from coordkit.analysis.narrative import describe_change
from coordkit.errors import ParameterError

__all__ = ["WhatMoved", "what_moved"]


@dataclass
class WhatMoved:
    """Everything "what moved the number?" shows for one metric and two weeks, as tidy frames."""

    metric: str
    before: object
    after: object
    before_total: float
    after_total: float
    currency: str | None
    explanation: pd.DataFrame  # explain_change: segments + remainder
    ranking: pd.DataFrame  # rank_segments: every single value and pair
    signal: pd.DataFrame  # compute_xmr over the 13 weeks before `after` and `after` itself
    bridge: pd.DataFrame | None  # compute_bridge (pipeline only): volume, mix, deal size per segment
    steps: pd.DataFrame  # waterfall steps: the bridge's effects for pipeline, else the segments
    lag: pd.DataFrame  # compute_lagged_changes by channel
    narrative: str


def what_moved(
    workspace,
    metric: str = "pipeline_created",
    before=None,
    after=None,
    dimensions: Sequence[str] | str = ("team", "channel", "campaign"),
    max_segments: int = 5,
    max_lag: int = 4,
    currency: str | None = None,
) -> WhatMoved:
    """Explain the change of a headline metric between two weeks of a workspace.

    ``metric`` is one of ``pipeline_created``, ``opportunities``, ``leads``,
    ``won_revenue``; ``before`` / ``after`` are week starts (``"2026-11-02"``;
    default: the latest week in the data and the week before it);
    ``dimensions`` are columns of :func:`coordkit.analysis.metrics.outcome_facts`.

    >>> story = what_moved("demo", "pipeline_created", "2026-11-02", "2026-11-09")   # doctest: +SKIP
    >>> print(story.narrative)                                                           # doctest: +SKIP
    """
    from coordkit.analysis.bridge import bridge_steps, compute_bridge, summarise_bridge
    from coordkit.analysis.drivers import explain_change, rank_segments, segment_steps
    from coordkit.analysis.lag import compute_lagged_changes, strongest_lag
    from coordkit.analysis.metrics import (
        METRIC_LABELS,
        MONEY_METRICS,
        check_metric,
        metric_rows,
        outcome_facts,
        output_facts,
        weekly_metrics,
        weekly_outputs,
    )
    from coordkit.analysis.signals import compute_xmr
    from coordkit.ingest.workspace import Workspace, open_workspace

    check_metric(metric)
    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace, read_only=True, create=False)
    facts = outcome_facts(ws)
    money = metric in MONEY_METRICS
    currency = (currency or ws.config.currency) if money else None

    weekly = weekly_metrics(facts, by=())
    series = weekly[weekly["metric"] == metric].set_index("week")["value"].sort_index()
    weeks = list(series.index)
    after_week = _week_in(after, weeks, "after") if after is not None else weeks[-1]
    before_week = _week_in(before, weeks, "before") if before is not None else weeks[max(weeks.index(after_week) - 1, 0)]
    rows = metric_rows(facts, metric)

    explanation = explain_change(rows, "value", dimensions, "week", before_week, after_week, max_segments=max_segments)
    ranking = rank_segments(rows, "value", dimensions, "week", before_week, after_week)
    history = series.loc[:after_week].iloc[-14:]
    signal = compute_xmr(history, baseline=len(history) - 1) if len(history) >= 3 else compute_xmr(history)

    before_total, after_total = float(series.loc[before_week]), float(series.loc[after_week])
    bridge = None
    steps = segment_steps(explanation, before_total, after_total, str(before_week), str(after_week))
    if metric == "pipeline_created":
        opportunities = metric_rows(facts, "opportunities")
        funnel = opportunities.assign(opportunities=1.0, pipeline=rows["value"].reindex(opportunities.index).fillna(0.0))
        first_dimension = (dimensions.split(",") if isinstance(dimensions, str) else list(dimensions))[0].strip()
        bridge = compute_bridge(funnel, ["opportunities", "pipeline"], first_dimension, "week", before_week, after_week,
                                rate_names=["deal size"])
        steps = bridge_steps(bridge, before_label=str(before_week), after_label=str(after_week))

    outputs = weekly_outputs(output_facts(ws), weeks, by=("channel",))
    lag = compute_lagged_changes(series.rename("value").reset_index(), outputs, week=after_week, max_lag=max_lag)
    narrative = describe_change(
        explanation, METRIC_LABELS[metric], before_total, after_total, currency=currency, signal=signal,
        bridge_summary=summarise_bridge(bridge) if bridge is not None else None, lag=strongest_lag(lag),
    )
    return WhatMoved(metric, before_week, after_week, before_total, after_total, currency, explanation, ranking,
                     signal, bridge, steps, lag, narrative)


def _week_in(value, weeks: list, name: str):
    import datetime as dt

    try:
        week = pd.Timestamp(str(value)).date()
    except ValueError:
        raise ParameterError(f"{name} must be a week start such as '2026-11-02'; got {value!r}") from None
    if week not in weeks:
        known = [w for w in weeks if isinstance(w, dt.date)]
        raise ParameterError(
            f"{name} week {week.isoformat()} is not a week of the data",
            hint=f"weeks run from {known[0].isoformat()} to {known[-1].isoformat()}, each starting on the workspace's first weekday",
        )
    return week
