"""Narrative: two to five plain-English sentences about what moved a number, ready for Markdown.

Every user-supplied string (metric, segment and channel names) is escaped for
Markdown and HTML, so a campaign called ``<script>`` or ``*launch*`` prints as
text.  Money is written compactly in the workspace currency (``$1.2M``,
``€548k``); pass ``currency=None`` for counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from coordkit.analysis.drivers import REMAINDER_LABEL
from coordkit.errors import ParameterError

__all__ = ["WhatMoved", "describe_change", "escape_markdown", "format_amount", "format_change", "what_moved"]

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}
# characters that change Markdown anywhere in a line; "-", "+" and "." matter only at its start
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~])")
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LAG_WORDS = {0: "the same week", 1: "one week earlier", 2: "two weeks earlier", 3: "three weeks earlier", 4: "four weeks earlier"}


def escape_markdown(text: object) -> str:
    """Return text that Markdown and HTML show literally.

    >>> escape_markdown("<b>*launch*</b>")
    '&lt;b&gt;\\\\*launch\\\\*&lt;/b&gt;'
    """
    # "&" only matters when it would start an entity such as "&lt;"; " & " in labels stays readable
    html_safe = _ENTITY_START.sub("&amp;", str(text)).replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html_safe)
    return "\\" + escaped if escaped[:1] in ("-", "+") else escaped


def format_amount(value: float, currency: str | None = "USD") -> str:
    """Return a compact amount: ``$1.2M``, ``€548k``, ``SEK 1.2k``; plain ``1,234`` when currency is None.

    >>> format_amount(1_234_567, "USD"), format_amount(-548_200, "EUR"), format_amount(63, None)
    ('$1.2M', '-€548k', '63')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "-" if value < 0 else ""
    size = abs(float(value))
    if currency is None:
        number = f"{size:,.0f}" if size >= 100 or size == int(size) else f"{size:,.1f}"
        return sign + number
    if size >= 1e9:
        number = _trim(f"{size / 1e9:.1f}") + "B"
    elif size >= 1e6:
        number = _trim(f"{size / 1e6:.1f}") + "M"
    elif size >= 1e4:
        number = f"{size / 1e3:.0f}k"
    elif size >= 1e3:
        number = _trim(f"{size / 1e3:.1f}") + "k"
    else:
        number = f"{size:.0f}"
    code = str(currency).upper()
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}"


def _trim(number: str) -> str:
    return number.removesuffix(".0")


def format_change(value: float, currency: str | None = "USD") -> str:
    """Return a signed amount: ``+$12k`` or ``-$3.4M``."""
    text = format_amount(value, currency)
    return text if text.startswith("-") or text == "n/a" else "+" + text


def describe_change(
    explanation: pd.DataFrame,
    metric: str,
    before_total: float,
    after_total: float,
    currency: str | None = "USD",
    signal: pd.DataFrame | None = None,
    bridge_summary: pd.DataFrame | None = None,
    lag: pd.DataFrame | None = None,
    max_segments: int = 3,
) -> str:
    """Return 2-5 Markdown sentences: the move, signal or noise, the segments, the drivers, the lag.

    ``explanation`` is the frame of :func:`~coordkit.analysis.drivers.explain_change`;
    ``signal`` an XmR frame whose last point is the week described;
    ``bridge_summary`` the frame of :func:`~coordkit.analysis.bridge.summarise_bridge`;
    ``lag`` the frame of :func:`~coordkit.analysis.lag.strongest_lag`.

    >>> explanation = pd.DataFrame({"segment": ["channel=events", "remainder"], "contribution": [-40_000.0, -5_000.0]})
    >>> describe_change(explanation, "Pipeline", 250_000, 205_000)
    'Pipeline fell from $250k to $205k (-$45k, -18.0 %). Most of the change came from channel=events (-$40k); the rest (-$5k) is spread over other segments.'
    """
    if not isinstance(max_segments, int) or max_segments < 1:
        raise ParameterError(f"max_segments must be a whole number of at least 1; got {max_segments!r}")
    for name in ("segment", "contribution"):
        if name not in explanation.columns:
            raise ParameterError(f"explanation needs the columns of explain_change; missing {name!r}")
    sentences = [_headline(metric, before_total, after_total, currency)]
    if signal is not None and not signal.empty:
        sentences.append(_signal_sentence(signal, currency))
    segments = _segments_sentence(explanation, currency, max_segments)
    if segments:
        sentences.append(segments)
    if bridge_summary is not None and not bridge_summary.empty:
        sentences.append(_bridge_sentence(bridge_summary, currency))
    if lag is not None and not lag.empty:
        sentences.append(_lag_sentence(lag))
    if len(sentences) < 2:
        sentences.append("No single segment stands out: the change is spread across the data.")
    return " ".join(sentences[:5])


def _headline(metric: str, before_total: float, after_total: float, currency) -> str:
    change = after_total - before_total
    name = escape_markdown(metric)
    if change == 0:
        return f"{name} held at {format_amount(after_total, currency)}."
    verb = "rose" if change > 0 else "fell"
    percent = f", {change / before_total * 100:+.1f} %" if before_total else ""
    return (
        f"{name} {verb} from {format_amount(before_total, currency)} to {format_amount(after_total, currency)} "
        f"({format_change(change, currency)}{percent})."
    )


def _signal_sentence(signal: pd.DataFrame, currency) -> str:
    last = signal.iloc[-1]
    limits = f"{format_amount(last['lower_limit'], currency)} to {format_amount(last['upper_limit'], currency)}"
    if last["rule"]:
        rules = {"outside_limits": "outside the natural process limits", "three_of_four": "3 of 4 points near a limit",
                 "run_of_eight": "a run of 8 on one side of the centre"}
        reason = " and ".join(rules.get(rule, rule) for rule in str(last["rule"]).split(";"))
        return f"This is a signal, not noise ({reason}; limits {limits}): worth finding the cause."
    return f"This is routine variation (inside the natural process limits of {limits}): no root-cause hunt needed."


def _segments_sentence(explanation: pd.DataFrame, currency, max_segments: int) -> str:
    listed = explanation[explanation["segment"] != REMAINDER_LABEL].head(max_segments)
    remainder = explanation.loc[explanation["segment"] == REMAINDER_LABEL, "contribution"]
    if listed.empty:
        return ""
    parts = [f"{escape_markdown(segment)} ({format_change(amount, currency)})" for segment, amount in zip(listed["segment"], listed["contribution"])]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    sentence = f"Most of the change came from {joined}"
    if len(remainder) and remainder.iloc[0] != 0:
        sentence += f"; the rest ({format_change(remainder.iloc[0], currency)}) is spread over other segments"
    return sentence + "."


def _bridge_sentence(summary: pd.DataFrame, currency) -> str:
    parts = [f"{escape_markdown(effect)} {format_change(amount, currency)}" for effect, amount in zip(summary["effect"], summary["contribution"])]
    return "By driver: " + ", ".join(parts) + "."


def _lag_sentence(lag: pd.DataFrame) -> str:
    best = lag.sort_values("correlation", ascending=False, kind="stable").iloc[0]
    channel = escape_markdown(best.iloc[0])
    when = _LAG_WORDS.get(int(best["lag"]), f"{int(best['lag'])} weeks earlier")
    direction = "rose" if best["output_change"] > 0 else ("fell" if best["output_change"] < 0 else "held steady")
    return (
        f"{when.capitalize()}, {channel} outputs {direction} ({best['output_change']:+,.0f}); over the history this "
        f"lag moves with the outcome most closely (r = {best['correlation']:.2f}), an association, not proof."
    )


# --- the whole story for one workspace (what the what_moved notebook calls) ---------------
# It composes metrics, signals, drivers, bridge and lag; it lives here because the narrative
# is the one place that needs all of them.  A module of its own would be the better home.


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

    # summed over teams: weekly_metrics(facts, by=()) returns zeros at the time of writing (reported)
    weekly = weekly_metrics(facts, by=("team",))
    series = weekly[weekly["metric"] == metric].groupby("week")["value"].sum().sort_index()
    weeks = list(series.index)
    after_week = _week_in(after, weeks, "after") if after is not None else weeks[-1]
    before_week = _week_in(before, weeks, "before") if before is not None else weeks[max(weeks.index(after_week) - 1, 0)]
    rows = _metric_rows_per_fact(facts, metric)

    explanation = explain_change(rows, "value", dimensions, "week", before_week, after_week, max_segments=max_segments)
    ranking = rank_segments(rows, "value", dimensions, "week", before_week, after_week)
    history = series.loc[:after_week].iloc[-14:]
    signal = compute_xmr(history, baseline=len(history) - 1) if len(history) >= 3 else compute_xmr(history)

    before_total, after_total = float(series.loc[before_week]), float(series.loc[after_week])
    bridge = None
    steps = segment_steps(explanation, before_total, after_total, str(before_week), str(after_week))
    if metric == "pipeline_created":
        opportunities = _metric_rows_per_fact(facts, "opportunities")
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


def _metric_rows_per_fact(facts: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per outcome that counts towards ``metric``, with its ``value`` and the ``week`` it counts in.

    Mirrors the definitions of :func:`coordkit.analysis.metrics.weekly_metrics`.
    """
    from coordkit.analysis.metrics import LEAD_KINDS, OPPORTUNITY_KINDS

    if metric in ("pipeline_created", "opportunities"):
        rows = facts[facts["kind"].isin(OPPORTUNITY_KINDS)]
        value = rows["amount"].fillna(0.0) if metric == "pipeline_created" else 1.0
        return rows.assign(value=value)
    if metric == "leads":
        return facts[facts["kind"].isin(LEAD_KINDS)].assign(value=1.0)
    won = facts[(facts["won"] == True) & facts["close_week"].notna()]
    return won.assign(value=won["amount"].fillna(0.0), week=won["close_week"])
