"""Hand-drawn SVG charts: valid SVG, values in the right places, every label escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from coordkit.present.svg_charts import bars_svg, waterfall_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_are_proportional_and_largest_first():
    frame = pd.DataFrame({"channel": ["email", "events", "pr", "idle"], "outputs": [10, 40, 20, 0]})
    root = ET.fromstring(bars_svg(frame, "channel", "outputs", "Outputs"))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert len(widths) == 3  # zero bars are left out
    assert widths[0] > widths[1] > widths[2]
    assert widths[0] / widths[2] == pytest.approx(40 / 10, rel=1e-3)


def test_waterfall_steps_run_from_before_to_after():
    moved = pd.DataFrame({"segment": ["a", "b", "remainder"], "before": [100.0, 50.0, 10.0],
                          "after": [40.0, 80.0, 10.0], "contribution": [-60.0, 30.0, 0.0]})
    root = ET.fromstring(waterfall_svg(moved, "Change"))
    rects = list(root.iter(f"{SVG}rect"))
    titles = [r.find(f"{SVG}title").text for r in rects]
    assert titles == ["before: $160", "a: -$60", "b: +$30", "remainder: +$0", "after: $130"]
    # the last step ends where 'after' ends: running total 160 - 60 + 30 = 130
    before_bar, after_bar = rects[0], rects[-1]
    scale = float(before_bar.get("width")) / 160
    assert float(after_bar.get("width")) / scale == pytest.approx(130, rel=1e-3)  # drawn to 0.1 px


def test_labels_from_the_data_are_escaped():
    frame = pd.DataFrame({"campaign": ["<script>alert(1)</script>"], "pipeline": [5.0]})
    svg = bars_svg(frame, "campaign", "pipeline", "<b>title</b>", money=True)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    ET.fromstring(svg)  # still well-formed
