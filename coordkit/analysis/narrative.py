"""Narrative: two to five plain-English sentences about what moved a number, ready for Markdown.

Every user-supplied string (metric, segment and channel names) is escaped for
Markdown and HTML, so a campaign called ``<script>`` or ``*launch*`` prints as
text.  Money is written compactly in the workspace currency (``$1.2M``,
``€548k``); pass ``currency=None`` for counts.
"""

from __future__ import annotations

import re

import pandas as pd

from coordkit.analysis.drivers import REMAINDER_LABEL
from coordkit.errors import ParameterError
from coordkit.numbers import format_amount, format_change
from coordkit.safe_text import plain_name

__all__ = ["describe_change", "escape_markdown", "format_amount", "format_change"]

# characters that change Markdown anywhere in a line; "-", "+" and "." matter only at its start
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~])")
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LAG_WORDS = {0: "the same week", 1: "one week earlier", 2: "two weeks earlier", 3: "three weeks earlier", 4: "four weeks earlier"}


def escape_markdown(text: object) -> str:
    """Return text that Markdown and HTML show literally.

    >>> escape_markdown("<b>*launch*</b>")
    '&lt;b&gt;\\\\*launch\\\\*&lt;/b&gt;'
    """
    # one line, no bidi controls, no clickable link (coordkit.safe_text): names go to chat summaries
    # "&" only matters when it would start an entity such as "&lt;"; " & " in labels stays readable
    html_safe = _ENTITY_START.sub("&amp;", plain_name(text)).replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html_safe)
    return "\\" + escaped if escaped[:1] in ("-", "+") else escaped


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
