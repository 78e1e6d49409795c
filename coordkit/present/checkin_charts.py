"""The check-in's trend charts: the report's ``chart_trends`` spec, rebuilt for a new week without Altair.

Building the Altair chart and its Vega-Lite dict costs about half a second
per (week, team) on the demo, for a spec whose only change from week to week
is its data. :func:`trends_spec` builds the spec with
:func:`coordkit.present.charts.chart_trends` once per chart layout (which
metrics, which of them have a target and last year's values, the currency)
and for any other week with that layout puts the new rows in its place, named
as Altair names them. The result equals the spec ``chart_trends`` gives for
that week (``tests/present/test_checkin_view.py`` compares them), so
JupyterLab draws exactly the report's charts.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from coordkit.present import charts

__all__ = ["trends_spec"]

#: the columns chart_trend keeps for each metric's panel, in its order
_PANEL_COLUMNS = ("week", "value", "centre", "lower_limit", "upper_limit", "rule", "signal", "target", "last_year")


def _panel(trends: pd.DataFrame, metric: str) -> tuple[tuple, list[dict]]:
    """One metric's panel: its layout (which optional lines it draws) and its rows."""
    data = trends[trends["metric"] == metric].copy()
    data["week"] = [str(w)[:10] for w in data["week"]]
    data["signal"] = data["rule"].fillna("").ne("")
    layout = (metric, "target" in data and bool(data["target"].notna().any()),
              "last_year" in data and bool(data["last_year"].notna().any()))
    return layout, charts.inline_records(data[[c for c in _PANEL_COLUMNS if c in data]])


def _dataset_name(values: list[dict]) -> str:
    # Altair's own naming of inline data sets (altair.vegalite.v6.api._dataset_name)
    if values == [{}]:
        return "empty"
    text = json.dumps(values, sort_keys=True, default=str)
    return "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def trends_spec(trends: pd.DataFrame, currency: str | None, cache) -> dict:
    """The Vega-Lite spec of ``chart_trends(trends, currency)``, from a kept template when the layout was seen.

    ``cache`` is the caller's cache owner (an object with ``memo(key,
    compute)``, e.g. :class:`coordkit.analysis.checkin.CheckinData`): it
    keeps one template per layout.
    """
    metrics = list(dict.fromkeys(trends["metric"]))
    panels = [_panel(trends, m) for m in metrics]
    layout = ("trends-template", currency, tuple(trends.columns), tuple(layout for layout, _ in panels))
    fresh = []
    template = cache.memo(layout, lambda: fresh.append(1) or charts.chart_spec(charts.chart_trends(trends, currency)))
    if fresh:
        return template
    old_names = {panel["data"]["name"] for panel in template["concat"]}
    datasets = {name: values for name, values in template["datasets"].items() if name not in old_names}
    concat = []
    for panel, (_, values) in zip(template["concat"], panels):
        name = _dataset_name(values)
        datasets[name] = values
        concat.append({**panel, "data": {"name": name}})
    return {**template, "concat": concat, "datasets": datasets}
