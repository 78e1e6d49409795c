"""Charts for "what moved the number": the bridge waterfall and the XmR process behaviour chart.

Each function takes one tidy frame from :mod:`coordkit.analysis` and returns
one Altair chart.  Data is embedded in the chart (no URLs), so it renders
offline with whatever renderer the caller picks.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from coordkit.errors import ParameterError

__all__ = ["chart_waterfall", "chart_xmr", "chart_xmr_ranges", "use_static_charts"]

_COLOURS = {"total": "#4c566a", "increase": "#2e7d32", "decrease": "#c62828"}


def use_static_charts() -> None:
    """Show Altair charts in this notebook as static SVG (vl-convert): they render with no JavaScript and no network."""
    alt.renderers.enable("svg")


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ParameterError(
            f"{what} needs columns {', '.join(columns)}; missing {', '.join(missing)}",
            hint="pass the frame returned by the matching coordkit.analysis function",
        )


def chart_waterfall(steps: pd.DataFrame, title: str = "What moved the number", value_title: str = "amount") -> alt.Chart:
    """Return a waterfall of a bridge: the before total, one bar per effect, the after total.

    ``steps`` is the frame of :func:`coordkit.analysis.bridge.bridge_steps`
    (step, kind, amount, start, end).
    """
    _require(steps, ["step", "kind", "amount", "start", "end"], "chart_waterfall")
    data = steps.assign(
        colour=[
            "total" if kind == "total" else ("increase" if amount >= 0 else "decrease")
            for kind, amount in zip(steps["kind"], steps["amount"])
        ],
        order=range(len(steps)),
    )
    colour = alt.Color(
        "colour:N",
        scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values())),
        legend=alt.Legend(title=None),
    )
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X("step:N", sort=alt.SortField("order"), title=None),
            y=alt.Y("start:Q", title=value_title),
            y2="end:Q",
            color=colour,
            tooltip=[alt.Tooltip("step:N"), alt.Tooltip("amount:Q", format=",.0f")],
        )
        .properties(width=alt.Step(60))
    )


def chart_xmr(chart_frame: pd.DataFrame, period: str = "period", title: str = "Signal or noise") -> alt.LayerChart:
    """Return the X chart of an XmR frame: values, centre line, natural process limits, signals marked.

    ``chart_frame`` is the frame of :func:`coordkit.analysis.signals.compute_xmr`;
    ``period`` names its period column.
    """
    _require(chart_frame, [period, "value", "centre", "lower_limit", "upper_limit", "rule"], "chart_xmr")
    # periods are ordinal labels here; dates as text keep the axis readable and the spec JSON-safe
    data = chart_frame.assign(signal=chart_frame["rule"].ne(""), **{period: chart_frame[period].astype(str)})
    base = alt.Chart(data, title=title).encode(x=alt.X(f"{period}:O", title=None))
    line = base.mark_line(color="#4c566a").encode(y=alt.Y("value:Q", title=None))
    points = base.mark_point(filled=True, size=60).encode(
        y="value:Q",
        color=alt.Color("signal:N", scale=alt.Scale(domain=[False, True], range=["#4c566a", "#c62828"]), legend=None),
        tooltip=[alt.Tooltip(f"{period}:O"), alt.Tooltip("value:Q", format=",.1f"), alt.Tooltip("rule:N")],
    )
    centre = base.mark_line(strokeDash=[2, 2], color="#2e7d32").encode(y="centre:Q")
    upper = base.mark_line(strokeDash=[6, 3], color="#c62828").encode(y="upper_limit:Q")
    lower = base.mark_line(strokeDash=[6, 3], color="#c62828").encode(y="lower_limit:Q")
    return alt.layer(line, centre, upper, lower, points)


def chart_xmr_ranges(chart_frame: pd.DataFrame, period: str = "period", title: str = "Moving ranges") -> alt.LayerChart:
    """Return the mR chart of an XmR frame: moving ranges and the upper range limit."""
    _require(chart_frame, [period, "moving_range", "upper_range_limit"], "chart_xmr_ranges")
    data = chart_frame.assign(**{period: chart_frame[period].astype(str)})
    base = alt.Chart(data, title=title).encode(x=alt.X(f"{period}:O", title=None))
    ranges = base.mark_line(point=True, color="#4c566a").encode(y=alt.Y("moving_range:Q", title=None))
    limit = base.mark_line(strokeDash=[6, 3], color="#c62828").encode(y="upper_range_limit:Q")
    return alt.layer(ranges, limit)
