"""Charts drawn directly as inline SVG: no JavaScript, no network, milliseconds to draw.

The weekly review and the check-in show a handful of simple charts (XmR
trends, bars, a waterfall). Drawing them here takes milliseconds, where
Altair + vl-convert cost 1-1.5 s of import and a V8 warm-up per kernel and
0.5-1 s per redraw. Every label from the data is escaped; each mark carries a
``<title>`` tooltip. (The what-moved notebook keeps Altair charts for
interactive exploration: ``coordkit.present.charts_whatmoved``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.analysis.metrics import METRIC_LABELS, MONEY_METRICS, OUTCOME_METRICS
from coordkit.analysis.narrative import format_amount
from coordkit.analysis.review import format_metric
from coordkit.model.calendar import iso_week_label
from coordkit.present.html import escape

__all__ = ["bars_svg", "trends_svg", "waterfall_svg"]

_INK, _MUTED, _LINE, _BAR, _UP, _DOWN = "#2e3440", "#5c6577", "#d8dee9", "#5e81ac", "#2e7d32", "#c62828"


def _fmt_axis(value: float, money: bool, currency: str) -> str:
    return format_amount(value, currency) if money else f"{value:,.0f}"


def trends_svg(trends: pd.DataFrame, currency: str = "USD", width: int = 330, height: int = 140) -> str:
    """Small multiples of the XmR charts as one inline SVG, drawn directly (no JavaScript, no network).

    Per headline metric: the weekly value (grey line), the centre line (green
    dashes), the natural process limits (red dashes) and points that fire a
    rule in red; each point's tooltip gives its week, value and rule. Drawn
    by hand rather than through Altair + vl-convert because that takes
    0.5-1 s per chart and the check-in redraws on every click.
    """
    gap, columns = 18, 2
    panels = [m for m in OUTCOME_METRICS if (trends["metric"] == m).any()]
    rows = (len(panels) + columns - 1) // columns
    total_w, total_h = columns * (width + gap), max(rows, 1) * (height + gap)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="ck-trends-svg" width="{total_w}" height="{total_h}" '
              f'viewBox="0 0 {total_w} {total_h}" font-family="sans-serif" font-size="10">')]
    for index, metric in enumerate(panels):
        data = trends[trends["metric"] == metric].reset_index(drop=True)
        origin = ((index % columns) * (width + gap), (index // columns) * (height + gap))
        parts += _trend_panel(data, metric, origin, (width, height), currency)
    parts.append("</svg>")
    return "".join(parts)


def _trend_panel(data: pd.DataFrame, metric: str, origin: tuple[int, int], size: tuple[int, int], currency: str) -> list[str]:
    pad_left, pad_right, pad_top, pad_bottom = 58, 8, 22, 20
    (x0, y0), (width, height) = origin, size
    money = metric in MONEY_METRICS
    plot_w, plot_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    values = data["value"].astype(float).to_numpy()
    bounds = pd.concat([data["value"], data["lower_limit"], data["upper_limit"], data["centre"]]).astype(float)
    bounds = bounds[np.isfinite(bounds)]
    low, high = (float(bounds.min()), float(bounds.max())) if len(bounds) else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    count = len(data)
    xs = [x0 + pad_left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2) for i in range(count)]

    def py(v: float) -> float:
        return y0 + pad_top + plot_h * (1 - (v - low) / (high - low))

    label = METRIC_LABELS.get(metric, metric)
    latest = format_metric(values[-1], money, currency) if count else "–"
    parts = [
        f'<text x="{x0 + 4}" y="{y0 + 13}" font-weight="bold" font-size="11">{escape(label)}: {escape(latest)}</text>',
        f'<rect x="{x0 + pad_left}" y="{y0 + pad_top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#d8dee9"/>',
    ]
    for value, anchor in ((high, y0 + pad_top + 8), (low, y0 + pad_top + plot_h)):
        parts.append(f'<text x="{x0 + pad_left - 4}" y="{anchor:.1f}" text-anchor="end" fill="#5c6577">'
                     f"{escape(_fmt_axis(value, money, currency))}</text>")
    if not count:
        return parts
    for column, colour, dash in (("centre", "#2e7d32", "2,2"), ("upper_limit", "#c62828", "6,3"), ("lower_limit", "#c62828", "6,3")):
        series = data[column].astype(float).to_numpy()
        points = " ".join(f"{xs[i]:.1f},{py(v):.1f}" for i, v in enumerate(series) if np.isfinite(v))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-dasharray="{dash}" opacity="0.8"/>')
    line = " ".join(f"{xs[i]:.1f},{py(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#4c566a" stroke-width="1.5"/>')
    for i, row in data.iterrows():
        rule = str(row["rule"] or "")
        colour = "#c62828" if rule else "#4c566a"
        tip = f"{iso_week_label(row['week'])}: {format_metric(float(row['value']), money, currency)}" + (f" ({rule})" if rule else "")
        parts.append(f'<circle cx="{xs[i]:.1f}" cy="{py(float(row["value"])):.1f}" r="3" fill="{colour}" data-rule="{escape(rule)}">'
                     f"<title>{escape(tip)}</title></circle>")
    parts.append(f'<text x="{xs[0]:.1f}" y="{y0 + height - 6}" fill="#5c6577">{escape(iso_week_label(data["week"].iloc[0]))}</text>')
    parts.append(f'<text x="{xs[-1]:.1f}" y="{y0 + height - 6}" text-anchor="end" fill="#5c6577">'
                 f'{escape(iso_week_label(data["week"].iloc[-1]))}</text>')
    return parts


def _svg_open(width: float, height: float, css_class: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="11" role="img" aria-label="{escape(label)}">'
    )


def bars_svg(frame: pd.DataFrame, category: str, value: str, title: str, money: bool = False,
             currency: str = "USD", width: int = 460, max_bars: int = 12) -> str:
    """Horizontal bars of ``value`` per ``category``, largest first, labelled with their values."""
    data = frame[[category, value]].copy()
    data = data[data[value] > 0].sort_values(value, ascending=False, kind="stable").head(max_bars)
    label_w, value_w, bar_h, gap, top = 150, 70, 16, 6, 24
    height = top + len(data) * (bar_h + gap) + 4
    plot_w = width - label_w - value_w
    largest = float(data[value].max()) if len(data) else 1.0
    parts = [_svg_open(width, height, "ck-bars-svg", title),
             f'<text x="0" y="14" font-weight="bold" fill="{_INK}">{escape(title)}</text>']
    for index, (name, amount) in enumerate(zip(data[category], data[value])):
        y = top + index * (bar_h + gap)
        length = plot_w * float(amount) / largest if largest > 0 else 0
        shown = format_amount(float(amount), currency) if money else f"{float(amount):,.0f}"
        text = str(name) if len(str(name)) <= 24 else str(name)[:23] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end" fill="{_INK}">{escape(text)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_h}" fill="{_BAR}">'
                     f"<title>{escape(name)}: {escape(shown)}</title></rect>")
        parts.append(f'<text x="{label_w + length + 4:.1f}" y="{y + bar_h - 4}" fill="{_MUTED}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def waterfall_svg(segments: pd.DataFrame, title: str, currency: str = "USD", width: int = 640) -> str:
    """A vertical-step waterfall drawn as horizontal bars: before, one bar per segment, after.

    ``segments`` has ``segment``, ``before``, ``after`` and ``contribution`` (the frame of
    :func:`coordkit.analysis.drivers.explain_change`); bars run from the running total
    before the segment to the total after it.
    """
    before = float(segments["before"].sum())
    after = float(segments["after"].sum())
    steps = [("before", 0.0, before, "total")]
    level = before
    for name, change in zip(segments["segment"], segments["contribution"]):
        steps.append((str(name), level, level + float(change), "up" if change >= 0 else "down"))
        level += float(change)
    steps.append(("after", 0.0, after, "total"))
    label_w, value_w, bar_h, gap, top = 230, 80, 16, 6, 24
    height = top + len(steps) * (bar_h + gap) + 4
    plot_w = width - label_w - value_w
    low = min(0.0, *(min(a, b) for _, a, b, _ in steps))
    high = max(1.0, *(max(a, b) for _, a, b, _ in steps))

    def x(v: float) -> float:
        return label_w + plot_w * (v - low) / (high - low)

    colours = {"total": _MUTED, "up": _UP, "down": _DOWN}
    parts = [_svg_open(width, height, "ck-waterfall-svg", title),
             f'<text x="0" y="14" font-weight="bold" fill="{_INK}">{escape(title)}</text>']
    for index, (name, start, end, kind) in enumerate(steps):
        y = top + index * (bar_h + gap)
        left, right = sorted((x(start), x(end)))
        amount = end - start if kind != "total" else end
        shown = format_amount(amount, currency)
        if kind == "up":
            shown = "+" + shown
        text = name if len(name) <= 36 else name[:35] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end" fill="{_INK}">{escape(text)}</text>')
        parts.append(f'<rect x="{left:.1f}" y="{y}" width="{max(right - left, 1):.1f}" height="{bar_h}" fill="{colours[kind]}">'
                     f"<title>{escape(name)}: {escape(shown)}</title></rect>")
        parts.append(f'<text x="{right + 4:.1f}" y="{y + bar_h - 4}" fill="{_MUTED}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)
