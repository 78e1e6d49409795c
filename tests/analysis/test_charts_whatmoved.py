"""Waterfall and XmR charts: one chart per tidy frame, data inline, renders offline."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coordkit.analysis.bridge import bridge_steps, compute_bridge
from coordkit.analysis.signals import compute_xmr
from coordkit.errors import ParameterError
from coordkit.present.charts_whatmoved import chart_waterfall, chart_xmr, chart_xmr_ranges


def steps():
    frame = pd.DataFrame({"week": ["w1", "w1", "w2", "w2"], "channel": ["a", "b", "a", "b"],
                          "leads": [100, 100, 150, 50], "pipeline": [1000.0, 4000.0, 1500.0, 2000.0]})
    return bridge_steps(compute_bridge(frame, ["leads", "pipeline"], "channel", "week", "w1", "w2"))


def inline_rows(chart) -> list[dict]:
    spec = chart.to_dict()
    (rows,) = spec["datasets"].values()
    text = json.dumps(spec).replace(spec["$schema"], "")
    assert "http" not in text and '"url"' not in text  # nothing fetched from a network
    return rows


def test_waterfall_bars_run_from_start_to_end_and_render_offline():
    frame = steps()
    chart = chart_waterfall(frame)
    rows = inline_rows(chart)
    assert [row["step"] for row in rows] == ["before", "volume", "mix", "pipeline/leads", "after"]
    assert rows[0]["colour"] == "total"
    assert rows[-1]["end"] == pytest.approx(3500) and rows[0]["end"] == pytest.approx(5000)
    vl_convert = pytest.importorskip("vl_convert")
    assert "<svg" in vl_convert.vegalite_to_svg(chart.to_json())


def test_xmr_charts_mark_signals_and_render_offline():
    frame = compute_xmr(pd.Series([1.0, 3, 2, 2, 100], index=pd.Index(list("abcde"), name="period")), baseline=4)
    chart = chart_xmr(frame)
    rows = inline_rows(chart)
    assert [row["signal"] for row in rows] == [False, False, False, False, True]
    vl_convert = pytest.importorskip("vl_convert")
    assert "<svg" in vl_convert.vegalite_to_svg(chart.to_json())
    assert "<svg" in vl_convert.vegalite_to_svg(chart_xmr_ranges(frame).to_json())


def test_wrong_frame_is_named():
    with pytest.raises(ParameterError, match=r"chart_waterfall needs columns step, kind, amount, start, end; missing kind"):
        chart_waterfall(pd.DataFrame({"step": [], "amount": [], "start": [], "end": []}))
