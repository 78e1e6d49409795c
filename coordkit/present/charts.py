"""Charts for reviews and the check-in, rendered to static SVG.

Each ``chart_*`` takes one tidy frame and returns an Altair chart; ``to_svg``
turns a chart into an SVG string with vl-convert, so reports and notebooks
show charts with no JavaScript and no network (Altair's default renderer loads
Vega from a CDN and shows nothing offline).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from coordkit.analysis.metrics import METRIC_LABELS, MONEY_METRICS, OUTCOME_METRICS

__all__ = ["chart_bars", "chart_trends", "to_svg"]

_SIGNAL_COLOURS = alt.Scale(domain=[False, True], range=["#4c566a", "#c62828"])


def chart_trends(trends: pd.DataFrame, currency: str = "USD", width: int = 260, height: int = 130) -> alt.ConcatChart:
    """Small multiples: each headline metric over 14 weeks with centre line and natural process limits."""
    panels = []
    for metric in OUTCOME_METRICS:
        rows = trends[trends["metric"] == metric]
        if rows.empty:
            continue
        data = rows.assign(week=rows["week"].astype(str), signal=rows["rule"].ne(""))
        axis_format = "~s" if metric in MONEY_METRICS else ",.0f"
        base = alt.Chart(data, title=METRIC_LABELS[metric]).encode(
            x=alt.X("week:O", title=None, axis=alt.Axis(labelAngle=-45, labelFontSize=9)),
        )
        line = base.mark_line(color="#4c566a").encode(y=alt.Y("value:Q", title=None, axis=alt.Axis(format=axis_format)))
        centre = base.mark_line(strokeDash=[2, 2], color="#2e7d32").encode(y="centre:Q")
        upper = base.mark_line(strokeDash=[6, 3], color="#c62828", opacity=0.7).encode(y="upper_limit:Q")
        lower = base.mark_line(strokeDash=[6, 3], color="#c62828", opacity=0.7).encode(y="lower_limit:Q")
        points = base.mark_point(filled=True, size=40).encode(
            y="value:Q", color=alt.Color("signal:N", scale=_SIGNAL_COLOURS, legend=None),
        )
        panels.append(alt.layer(line, centre, upper, lower, points).properties(width=width, height=height))
    return alt.concat(*panels, columns=2)


def chart_bars(frame: pd.DataFrame, category: str, value: str, title: str, money: bool = False,
               width: int = 420, max_bars: int = 12) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category``, largest first."""
    data = frame[[category, value]].copy()
    data[category] = data[category].astype(str)
    data = data.sort_values(value, ascending=False).head(max_bars)
    return (
        alt.Chart(data, title=title)
        .mark_bar(color="#5e81ac")
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format="~s" if money else ",.0f")),
        )
        .properties(width=width, height=alt.Step(18))
    )


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to a standalone SVG string (no scripts, no network)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict())
