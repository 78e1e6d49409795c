"""The chart_* family: Altair charts an analyst can restyle, embedded as static SVG (vl-convert)."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest

from coordkit.present import charts


@pytest.fixture(scope="module")
def trends():
    weeks = pd.date_range("2026-08-17", periods=14, freq="7D").date
    values = [600.0] * 12 + [60.0, 120.0]
    return pd.DataFrame({"metric": "opportunities", "week": weeks, "value": values, "centre": 500.0,
                         "lower_limit": 0.0, "upper_limit": 900.0, "rule": [""] * 12 + ["outside_limits"] * 2,
                         "target": 550.0, "last_year": 400.0})


def test_trend_chart_has_range_target_and_last_year_and_marks_signals(trends):
    chart = charts.chart_trend(trends, "opportunities", None)
    assert isinstance(chart, alt.LayerChart)
    spec = charts.chart_spec(chart)
    layers = spec["layer"]
    encoded = [layer.get("encoding", {}).get("y", {}).get("field") for layer in layers]
    assert {"lower_limit", "centre", "target", "last_year", "value"} <= set(encoded)
    data = next(iter(spec["datasets"].values()))
    assert sum(row["signal"] for row in data) == 2
    # an analyst can restyle it like any Altair chart
    assert isinstance(chart.properties(width=600), alt.LayerChart)


def test_svg_is_static_scales_to_its_column_and_keeps_text_legible(trends):
    svg = charts.chart_svg(charts.chart_trend(trends, "opportunities", None), "trend")
    assert svg.startswith("<svg") and 'width="100%"' in svg and "viewBox=" in svg
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org", "")
    native = float(re.search(r'data-width="([\d.]+)"', svg).group(1))
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)px"', svg)] or [
        float(s) for s in re.findall(r"font-size:\s*([\d.]+)px", svg)]
    assert sizes and min(sizes) >= 11
    # on a 390 px phone the chart sits in a column of about 350 px: text stays at or above 9 px
    assert min(sizes) * min(1.0, 350 / native) >= 9


@pytest.mark.hostile
def test_labels_from_the_data_are_escaped_and_shown_whole():
    frame = pd.DataFrame({"campaign": ["<script>alert(1)</script> and a very long campaign name", "b"], "pipeline": [5.0, 3.0]})
    svg = charts.chart_svg(charts.chart_bars(frame, "campaign", "pipeline", "Pipeline", money=True, currency="EUR"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "€5" in svg


def test_waterfall_runs_from_the_comparison_to_this_week():
    explanation = pd.DataFrame({"label": ["paid_social", "everything else"], "contribution": [-352.0, -34.0]})
    chart = charts.chart_waterfall(explanation, 508.0, 122.0, None)
    rows = next(iter(charts.chart_spec(chart)["datasets"].values()))
    assert [row["step"] for row in rows] == ["Before", "paid_social", "everything else", "This week"]
    assert rows[2]["end"] == pytest.approx(122.0) and rows[-1]["end"] == pytest.approx(122.0)


def test_efficiency_chart_draws_roas():
    trend = pd.DataFrame({"week": pd.date_range("2026-08-17", periods=4, freq="7D").date, "roas": [2.0, 3.5, None, 1.0]})
    svg = charts.chart_svg(charts.chart_efficiency(trend), "ROAS")
    assert svg.startswith("<svg") and "ROAS" in svg


def _trend_frame(seed: int, target: bool = True) -> pd.DataFrame:
    weeks = pd.date_range("2026-08-17", periods=14, freq="7D").date
    values = [float((seed * 37 + 11 * n) % 900) for n in range(14)]
    frame = pd.DataFrame({"metric": "pipeline_created", "week": weeks, "value": values, "centre": 450.0 + seed,
                          "lower_limit": 0.0, "upper_limit": 900.0 + seed,
                          "rule": [""] * 13 + (["outside_limits"] if seed % 2 else [""]),
                          "target": 500.0 if target else None, "last_year": [None] * 7 + [300.0] * 7})
    return frame


def test_templated_specs_equal_what_altair_builds_for_other_data(monkeypatch):
    """The review draws charts from a template per kind and options: the spec must be Altair's own, data and all."""
    monkeypatch.setattr(charts, "_TEMPLATES", {})
    cases = [
        [charts._trend_parts(_trend_frame(seed, target), "pipeline_created", "EUR", charts.WIDTH)
         for seed in (1, 2, 3) for target in (True, False)],
        [charts._bars_parts(pd.DataFrame({"channel": names, "outputs": counts}), "channel", "outputs", "Outputs", False,
                            None, charts.WIDTH)
         for names, counts in ((["email", "paid_social"], [3, 9]), (["<b>x</b>", "events", "seo"], [1, 0, 4]))],
        [charts._waterfall_parts(pd.DataFrame({"label": labels, "contribution": moves}), 100.0, 100.0 + sum(moves),
                                 "USD", "Last week", "This week", charts.WIDTH)
         for labels, moves in ((["paid_social", "everything else"], [-352.0, -34.0]), (["a"], [12.5]))],
        [charts._efficiency_parts(pd.DataFrame({"week": pd.date_range("2026-08-17", periods=4, freq="7D").date,
                                                "roas": roas}), charts.WIDTH)
         for roas in ([2.0, 3.5, None, 1.0], [0.5, 0.5, 0.7, 9.0])],
    ]
    for parts_list in cases:
        for parts in parts_list:
            key, records, build = parts
            assert charts._templated_spec(parts) == charts._styled(build(records)), key
    # the templates were really used: a later chart of a known kind never calls Altair
    assert len(charts._TEMPLATES) >= 5

    def no_altair(records):
        raise AssertionError("Altair was called for a chart that has a template")

    key, records, _ = charts._trend_parts(_trend_frame(7), "pipeline_created", "EUR", charts.WIDTH)
    expected = charts._styled(charts.chart_trend(_trend_frame(7), "pipeline_created", "EUR"))
    assert charts._templated_spec((key, records, no_altair)) == expected
    svg = charts.trend_svg(_trend_frame(7), "pipeline_created", "EUR", "trend")
    assert svg == charts.chart_svg(charts.chart_trend(_trend_frame(7), "pipeline_created", "EUR"), "trend")
