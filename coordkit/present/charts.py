"""The review's charts, built with Altair and embedded as static SVG through vl-convert.

Each ``chart_*`` takes one tidy frame from :mod:`coordkit.analysis` and
returns an Altair chart an analyst can restyle (``.properties(...)``,
``.configure_*``); :func:`chart_svg` turns any of them into inline SVG for the
HTML report (no JavaScript, no network). Text is at least 11 px at the
chart's own size and charts are drawn about 330 px wide (plus axes), so a phone (390 px)
shrinks them little and no label ends up under 9 px; on a wide page they
scale up to the column they sit in.

vl-convert starts a JavaScript engine on its first conversion (about a
second); :func:`warm_up` does that in a background thread (the review kernel
calls it as it starts, see ``coordkit.report.kernels``), so it overlaps with
computing the review, once per kernel (a batch reuses one kernel per worker).
The review itself draws through ``trend_svg`` / ``bars_svg`` /
``waterfall_svg`` / ``efficiency_svg``: the same charts, built with Altair
once per kind and options and then reused as a template with each team's
data (the same spec, so the same SVG, at a fraction of the cost).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading

import altair as alt
import pandas as pd

from coordkit.analysis.metrics import METRIC_LABELS, MONEY_METRICS
from coordkit.errors import ParameterError
from coordkit.money import currency_symbol

__all__ = ["bars_svg", "chart_bars", "chart_efficiency", "chart_spec", "chart_svg", "chart_trend", "chart_trends",
           "chart_waterfall", "efficiency_svg", "trend_svg", "warm_up", "waterfall_svg"]

INK, MUTED, LINE, BAR, UP, DOWN, TARGET, LAST_YEAR = (
    "#2e3440", "#5c6577", "#d8dee9", "#5e81ac", "#2e7d32", "#c62828", "#b7791f", "#8f9bb3")
WIDTH = 330
FONT = "Helvetica, Arial, sans-serif"
_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


#: coordkit's chart style, set on the spec (Altair's configure_* calls deep-copy the whole chart each time)
CONFIG = {
    "font": FONT,
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": MUTED, "titleColor": MUTED, "gridColor": "#eceff4"},
    "title": {"fontSize": 14, "anchor": "start", "color": INK},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
    "view": {"stroke": None},
}


def _styled(chart) -> dict:
    spec = chart.to_dict(validate=False)
    config = {**CONFIG, **spec.get("config", {})}
    return {**spec, "config": config}


def _money_format(currency: str | None) -> str:
    return "~s" if currency else ",.0f"


def _axis(money: bool, currency: str | None, title: str) -> alt.Axis:
    prefix = currency_symbol(currency).strip() if money and currency else ""
    # round ticks in compact form ($200k); Vega's "~s" prints G for billions, fixed to B below
    label = f"'{prefix}' + replace(format(datum.value, '~s'), 'G', 'B')" if money else "format(datum.value, ',~r')"
    return alt.Axis(title=title, tickCount=4, labelExpr=label, format="~s" if money else ",~r")


def _values(frame: pd.DataFrame) -> alt.InlineData:
    """The frame as inline JSON records: dates as ISO text, NaN as null.

    Altair's own DataFrame handling (sanitising, hashing each layer's copy)
    costs about ten times the conversion itself for these small frames.
    """
    return alt.InlineData(values=inline_records(frame))


def inline_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as inline JSON records for a chart: dates ISO, NaN null, numpy scalars plain."""
    records = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            elif isinstance(value, float) and value != value:  # noqa: PLR0124 - NaN
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            clean[str(key)] = value
        records.append(clean)
    return records


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"{what} needs columns {', '.join(columns)}; missing {', '.join(missing)}",
                             hint="pass the frame the matching coordkit.analysis function returns")


def chart_trend(trends: pd.DataFrame, metric: str, currency: str | None = "USD", width: int = WIDTH) -> alt.LayerChart:
    """One metric's 14 weeks: value, normal range (XmR limits, floored at 0), centre, target and last year.

    ``trends`` is :attr:`WeeklyReview.trends` (``week``, ``metric``,
    ``value``, ``centre``, ``lower_limit``, ``upper_limit``, ``rule``, and
    ``target`` / ``last_year`` when known).
    """
    _, records, build = _trend_parts(trends, metric, currency, width)
    return build(records)


def _trend_parts(trends: pd.DataFrame, metric: str, currency: str | None, width: int):
    _require(trends, ["week", "metric", "value", "centre", "lower_limit", "upper_limit", "rule"], "chart_trend")
    data = trends[trends["metric"] == metric].copy()
    data["week"] = [str(w)[:10] for w in data["week"]]
    data["signal"] = data["rule"].fillna("").ne("")
    has_target = "target" in data and data["target"].notna().any()
    has_last_year = "last_year" in data and data["last_year"].notna().any()
    keep = [c for c in ("week", "value", "centre", "lower_limit", "upper_limit", "rule", "signal", "target", "last_year")
            if c in data]
    key = ("trend", metric, currency, width, bool(has_target), bool(has_last_year))
    return key, inline_records(data[keep]), lambda records: _trend_chart(records, metric, currency, width, has_target,
                                                                   has_last_year)


def _trend_chart(records: list[dict], metric: str, currency: str | None, width: int, has_target: bool,
                 has_last_year: bool) -> alt.LayerChart:
    money = metric in MONEY_METRICS
    label = METRIC_LABELS.get(metric, metric)
    y_title = f"{label} ({currency})" if money and currency else label
    x = alt.X("week:T", title="Week starting", axis=alt.Axis(format="%d %b", labelAngle=0, tickCount=5, labelOverlap=True))
    base = alt.Chart().encode(x=x)
    band = base.mark_area(color=LINE, opacity=0.55).encode(
        y=alt.Y("lower_limit:Q", axis=_axis(money, currency, y_title), scale=alt.Scale(zero=True, nice=True)),
        y2="upper_limit:Q")
    centre = base.mark_line(color=MUTED, strokeDash=[2, 3], strokeWidth=1).encode(y="centre:Q")
    layers = [band, centre]
    series = [("Normal range", LINE), ("This year", INK)]
    if has_target:
        layers.append(base.mark_line(color=TARGET, strokeDash=[6, 3], strokeWidth=2).encode(y="target:Q"))
        series.append(("Target", TARGET))
    if has_last_year:
        layers.append(base.mark_line(color=LAST_YEAR, strokeWidth=1.5).encode(y="last_year:Q"))
        series.append(("Same week last year", LAST_YEAR))
    line = base.mark_line(color=INK, strokeWidth=2).encode(y="value:Q")
    points = base.mark_point(filled=True, size=46).encode(
        y="value:Q",
        color=alt.Color("signal:N", scale=alt.Scale(domain=[False, True], range=[INK, DOWN]), legend=None),
        tooltip=[alt.Tooltip("week:T", format="%Y-%m-%d"), alt.Tooltip("value:Q", format=",.0f"), alt.Tooltip("rule:N")],
    )
    # a legend of the lines, drawn from a tiny data set of its own so it does not depend on the data's columns
    legend = alt.Chart(alt.InlineData(values=[{"series": name} for name, _ in series])).mark_point(opacity=0).encode(
        color=alt.Color("series:N", scale=alt.Scale(domain=[s for s, _ in series], range=[c for _, c in series]),
                        legend=alt.Legend(title=None, orient="bottom", columns=2, symbolType="stroke", symbolStrokeWidth=3)))
    chart = alt.layer(*layers, line, points, legend, data=alt.InlineData(values=records), title=label)
    chart = chart.resolve_scale(color="independent")
    return chart.properties(width=width, height=170)


def chart_efficiency(trend: pd.DataFrame, width: int = WIDTH) -> alt.Chart:
    """ROAS (credited pipeline / spend) week by week."""
    _, records, build = _efficiency_parts(trend, width)
    return build(records)


def _efficiency_parts(trend: pd.DataFrame, width: int):
    _require(trend, ["week", "roas"], "chart_efficiency")
    records = inline_records(trend[["week", "roas"]].assign(week=[str(w)[:10] for w in trend["week"]]))
    return ("efficiency", width), records, lambda records: _efficiency_chart(records, width)


def _efficiency_chart(records: list[dict], width: int) -> alt.Chart:
    x = alt.X("week:T", title="Week starting", axis=alt.Axis(format="%d %b", labelAngle=0, tickCount=5, labelOverlap=True))
    line = alt.Chart(alt.InlineData(values=records), title="ROAS: credited pipeline per 1 spent").mark_line(
        color=INK, point=True, strokeWidth=2).encode(
        x=x, y=alt.Y("roas:Q", title="Pipeline per 1 spent", axis=alt.Axis(tickCount=4, format=",~r")),
        tooltip=[alt.Tooltip("week:T", format="%Y-%m-%d"), alt.Tooltip("roas:Q", format=",.1f")])
    return line.properties(width=width, height=150)


def chart_trends(trends: pd.DataFrame, currency: str | None = "USD", width: int = 300, columns: int = 2) -> alt.ConcatChart:
    """Every headline metric's trend (see :func:`chart_trend`) as one chart of small multiples."""
    metrics = list(dict.fromkeys(trends["metric"]))
    return alt.concat(*(chart_trend(trends, m, currency, width=width) for m in metrics), columns=columns)


def chart_spec(chart) -> dict:
    """The Vega-Lite spec of a chart with coordkit's styling (for JupyterLab's built-in renderer: no conversion)."""
    return _styled(chart)


def chart_bars(frame: pd.DataFrame, category: str, value: str, title: str, money: bool = False,
               currency: str | None = "USD", width: int = WIDTH) -> alt.Chart:
    """Horizontal bars, largest first, with full category labels (no truncation) and the value at each bar's end."""
    _, records, build = _bars_parts(frame, category, value, title, money, currency, width)
    return build(records)


def _bars_parts(frame: pd.DataFrame, category: str, value: str, title: str, money: bool, currency: str | None, width: int):
    _require(frame, [category, value], "chart_bars")
    data = frame[[category, value]].copy()
    data = data[data[value] > 0].sort_values(value, ascending=False, kind="stable")
    data[category] = data[category].astype(str)
    symbol = currency_symbol(currency).strip() if money and currency else ""
    data["text"] = [f"{symbol}{_compact(v)}" if money else f"{v:,.0f}" for v in data[value]]
    key = ("bars", category, value, title, money, currency, width)
    return key, inline_records(data), lambda records: _bars_chart(records, category, value, title, width)


def _bars_chart(records: list[dict], category: str, value: str, title: str, width: int) -> alt.Chart:
    base = alt.Chart(alt.InlineData(values=records), title=title).encode(
        y=alt.Y(f"{category}:N", sort=None, title=None, axis=alt.Axis(labelLimit=170)),
        x=alt.X(f"{value}:Q", title=None, axis=None, scale=alt.Scale(nice=True)),
    )
    bars = base.mark_bar(color=BAR, height=16)
    text = base.mark_text(align="left", dx=4, fontSize=12, color=INK).encode(text="text:N")
    return (bars + text).properties(width=max(150, width - 150), height=alt.Step(24))


def chart_waterfall(explanation: pd.DataFrame, before_total: float, after_total: float, currency: str | None = "USD",
                    before_label: str = "Before", after_label: str = "This week", width: int = WIDTH) -> alt.Chart:
    """A horizontal waterfall of what moved: the comparison's total, one bar per segment and the rest, this week's total.

    ``explanation`` is the segments frame of the what-moved engine (``label``
    or ``segment``, ``contribution``); bars run top to bottom, so long
    segment names are shown whole.
    """
    _, records, build = _waterfall_parts(explanation, before_total, after_total, currency, before_label, after_label, width)
    return build(records)


def _waterfall_parts(explanation: pd.DataFrame, before_total: float, after_total: float, currency: str | None,
                     before_label: str, after_label: str, width: int):
    _require(explanation, ["contribution"], "chart_waterfall")
    names = explanation["label"] if "label" in explanation else explanation["segment"]
    rows = [{"step": before_label, "kind": "total", "start": 0.0, "end": before_total, "amount": before_total}]
    level = before_total
    for name, amount in zip(names, explanation["contribution"]):
        rows.append({"step": str(name), "kind": "increase" if amount >= 0 else "decrease", "start": level,
                     "end": level + amount, "amount": amount})
        level += amount
    rows.append({"step": after_label, "kind": "total", "start": 0.0, "end": after_total, "amount": after_total})
    data = pd.DataFrame(rows).assign(order=range(len(rows)))
    symbol = currency_symbol(currency).strip() if currency else ""
    data["text"] = [(f"{symbol}{_compact(a)}" if k == "total" else ("+" if a >= 0 else "-") + f"{symbol}{_compact(abs(a))}")
                    for k, a in zip(data["kind"], data["amount"])]
    data["tip"] = data[["start", "end"]].max(axis=1)
    return ("waterfall", currency, width), inline_records(data), lambda records: _waterfall_chart(records, currency, width)


def _waterfall_chart(records: list[dict], currency: str | None, width: int) -> alt.Chart:
    colour = alt.Color("kind:N", legend=None,
                       scale=alt.Scale(domain=["total", "increase", "decrease"], range=[MUTED, UP, DOWN]))
    base = alt.Chart(alt.InlineData(values=records), title="What moved pipeline created").encode(
        y=alt.Y("step:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=170)))
    bars = base.mark_bar(height=16).encode(x=alt.X("start:Q", title=None, axis=_axis(bool(currency), currency, None)),
                                           x2="end:Q", color=colour)
    text = base.mark_text(align="left", dx=4, fontSize=12, color=INK).encode(x="tip:Q", text="text:N")
    return (bars + text).properties(width=max(150, width - 150), height=alt.Step(26))


# --- the review's charts from templates -----------------------------------------------------------
# A review draws the same few charts for every team and week; only their data differ. Building an
# Altair chart (encodings, validation, deep copies) costs more than converting it, so each chart's
# spec is built with Altair once per kind and options, and later specs are that spec with the new
# data: the very dict Altair would give (same data set name), hence the very same SVG.

_TEMPLATES: dict[tuple, tuple[str, str]] = {}


def _dataset_name(records: list[dict]) -> str:
    """The name Altair gives inline data (a hash of its JSON), so a templated spec equals Altair's own."""
    if records == [{}]:
        return "empty"
    text = json.dumps(records, sort_keys=True, default=str)
    return "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _same(left, right) -> bool:
    try:
        return bool(left == right)
    except (TypeError, ValueError):  # e.g. pd.NA in a record: no template, Altair builds every time
        return False


def _templated_spec(parts) -> dict:
    """The styled spec of a chart from its ``(key, records, build)`` parts, through the template of its key."""
    key, records, build = parts
    found = _TEMPLATES.get(key)
    if found is None:
        spec = _styled(build(records))
        name = _dataset_name(records)
        datasets = spec.get("datasets", {})
        if records and _same(datasets.get(name), records):
            _TEMPLATES[key] = (json.dumps({**spec, "datasets": {k: (None if k == name else v) for k, v in datasets.items()}}),
                               json.dumps(name))
        return spec
    text, name = found
    new = _dataset_name(records)
    spec = json.loads(text.replace(name, json.dumps(new)))
    spec["datasets"][new] = records
    return spec


def trend_svg(trends: pd.DataFrame, metric: str, currency: str | None = "USD", label: str = "chart",
              width: int = WIDTH) -> str:
    """``chart_svg(chart_trend(...))``, drawn from the template of its options."""
    return chart_svg(_templated_spec(_trend_parts(trends, metric, currency, width)), label)


def bars_svg(frame: pd.DataFrame, category: str, value: str, title: str, money: bool = False, currency: str | None = "USD",
             label: str = "chart", grow: float = 1.6, width: int = WIDTH) -> str:
    """``chart_svg(chart_bars(...))``, drawn from the template of its options."""
    return chart_svg(_templated_spec(_bars_parts(frame, category, value, title, money, currency, width)), label, grow)


def waterfall_svg(explanation: pd.DataFrame, before_total: float, after_total: float, currency: str | None = "USD",
                  before_label: str = "Before", after_label: str = "This week", label: str = "chart", grow: float = 1.6,
                  width: int = WIDTH) -> str:
    """``chart_svg(chart_waterfall(...))``, drawn from the template of its options."""
    parts = _waterfall_parts(explanation, before_total, after_total, currency, before_label, after_label, width)
    return chart_svg(_templated_spec(parts), label, grow)


def efficiency_svg(trend: pd.DataFrame, label: str = "chart", grow: float = 1.6, width: int = WIDTH) -> str:
    """``chart_svg(chart_efficiency(...))``, drawn from the template of its options."""
    return chart_svg(_templated_spec(_efficiency_parts(trend, width)), label, grow)


def _compact(value: float) -> str:
    from coordkit.numbers import format_amount

    return format_amount(value, "XXX").replace("XXX ", "").lstrip("-")


def warm_up() -> threading.Thread:
    """Start vl-convert's JavaScript engine in the background (once per process)."""
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            def convert():
                import vl_convert

                vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {}})

            _warm_thread = threading.Thread(target=convert, name="coordkit-vl-convert-warm-up", daemon=True)
            _warm_thread.start()
        return _warm_thread


_SIZE = re.compile(r'^<svg([^>]*?) width="([\d.]+)" height="([\d.]+)"')


def chart_svg(chart, label: str = "chart", grow: float = 1.6) -> str:
    """Inline SVG of an Altair chart (static: no JavaScript, no network), scaling to its container's width.

    The chart shrinks to fit a narrow column and grows up to ``grow`` times its own size on a wide one.
    ``chart`` may also be a styled Vega-Lite spec (:func:`chart_spec`).
    """
    import vl_convert

    warm_up().join()
    spec = chart if isinstance(chart, dict) else _styled(chart)
    svg = vl_convert.vegalite_to_svg(spec)
    # drop the fixed size for a viewBox-scaled width, so the chart fills its column and shrinks on a phone
    match = _SIZE.match(svg)
    if match:
        attrs, width, height = match.groups()
        rest = re.sub(r'^ viewBox="[^"]*"', "", svg[match.end():])
        svg = (f'<svg{attrs} viewBox="0 0 {width} {height}" width="100%" style="max-width:{float(width) * grow:.0f}px" '
               f'role="img" aria-label="{_attr(label)}" data-width="{width}"' + rest)
    return svg


def _attr(text: str) -> str:
    import html

    return html.escape(text, quote=True)
