"""XmR chart: limits and rules against hand computations and a brute-force rule definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordkit.analysis.signals import compute_xmr, xmr_verdict
from coordkit.errors import AnalysisError, ParameterError

LOCKED = {"centre": 0.0, "lower_limit": -3.0, "upper_limit": 3.0}


def test_mean_limits_by_hand():
    chart = compute_xmr([10, 12, 11, 11, 12])
    # mean 56/5 = 11.2; moving ranges 2,1,0,1 -> average 1.0
    assert chart["centre"].tolist() == pytest.approx([11.2] * 5)
    assert chart["lower_limit"].iloc[0] == pytest.approx(11.2 - 2.66)
    assert chart["upper_limit"].iloc[0] == pytest.approx(11.2 + 2.66)
    assert chart["upper_range_limit"].iloc[0] == pytest.approx(3.268)
    assert chart["moving_range"].tolist()[1:] == [2, 1, 0, 1]
    assert np.isnan(chart["moving_range"].iloc[0])
    assert chart["rule"].tolist() == [""] * 5


def test_baseline_limits_judge_later_points():
    chart = compute_xmr([1, 3, 2, 2, 100], baseline=4)
    # baseline mean 2, moving ranges 2,1,0 -> average 1
    assert chart["upper_limit"].iloc[-1] == pytest.approx(4.66)
    assert chart["lower_limit"].iloc[-1] == pytest.approx(-0.66)
    assert chart["rule"].tolist() == ["", "", "", "", "outside_limits"]
    assert chart["in_baseline"].tolist() == [True, True, True, True, False]


def test_median_variant_uses_wheeler_constants():
    chart = compute_xmr([10, 14, 11, 12, 13], method="median")
    # median 12; moving ranges 4,3,1,1 -> median 2
    assert chart["centre"].iloc[0] == 12
    assert chart["upper_limit"].iloc[0] == pytest.approx(12 + 3.145 * 2)
    assert chart["lower_limit"].iloc[0] == pytest.approx(12 - 3.145 * 2)
    assert chart["upper_range_limit"].iloc[0] == pytest.approx(3.865 * 2)


def test_locked_limits_are_used_as_given():
    chart = compute_xmr([0, 3, 3.01, -3.5], locked_limits=LOCKED)
    assert chart["rule"].tolist()[2:] == ["outside_limits", "outside_limits"]
    assert chart["rule"].iloc[1] == ""  # on the limit is not beyond it
    assert np.isnan(chart["upper_range_limit"].iloc[0])


def test_three_of_four_marks_the_points_beyond_the_midway():
    # midway to the upper limit is 1.5: window 0..3 holds 2, 0, 2, 2
    chart = compute_xmr([2, 0, 2, 2, 0, 0], locked_limits=LOCKED)
    assert chart["rule"].tolist() == ["three_of_four", "", "three_of_four", "three_of_four", "", ""]


def test_three_of_four_below_and_outside_together():
    chart = compute_xmr([-2, -2, -4, 1], locked_limits=LOCKED)
    assert chart["rule"].tolist() == ["three_of_four", "three_of_four", "outside_limits;three_of_four", ""]


def test_run_of_eight_needs_eight():
    locked = {"centre": 0.0, "lower_limit": -10.0, "upper_limit": 10.0}
    assert compute_xmr([1] * 7 + [-1], locked_limits=locked)["rule"].tolist() == [""] * 8
    rules = compute_xmr([1] * 8 + [-1], locked_limits=locked)["rule"].tolist()
    assert rules == ["run_of_eight"] * 8 + [""]
    # a point on the centre line breaks the run
    rules = compute_xmr([1] * 4 + [0] + [1] * 4, locked_limits=locked)["rule"].tolist()
    assert rules == [""] * 9


def test_series_index_becomes_the_period_column_and_input_is_untouched():
    series = pd.Series([5.0, 6.0, 5.0], index=pd.Index(["a", "b", "c"], name="week"))
    before = series.copy()
    chart = compute_xmr(series)
    assert chart["week"].tolist() == ["a", "b", "c"]
    pd.testing.assert_series_equal(series, before)


def test_verdicts():
    assert xmr_verdict(compute_xmr([10, 12, 11, 11, 12])).startswith("Routine variation")
    verdict = xmr_verdict(compute_xmr([1, 3, 2, 2, 100], baseline=4), value_name="pipeline")
    assert verdict.startswith("Signal: pipeline (100) is above the centre line")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "mode"}, ParameterError, r"method must be one of 'mean', 'median'; got 'mode'"),
        ({"baseline": 1}, ParameterError, r"baseline must be at least 2 points"),
        ({"baseline": 9}, ParameterError, r"baseline of 9 points is longer than the series \(3 points\)"),
        ({"baseline": 2, "locked_limits": LOCKED}, ParameterError, r"either baseline or locked_limits"),
        ({"locked_limits": {"centre": 0}}, ParameterError, r"missing 'lower_limit', 'upper_limit'"),
    ],
)
def test_bad_parameters_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        compute_xmr([1.0, 2.0, 3.0], **kwargs)


def test_missing_value_is_located():
    series = pd.Series([1.0, np.nan, 2.0], index=pd.Index(["w1", "w2", "w3"], name="week"))
    with pytest.raises(AnalysisError, match=r"missing value at week 'w2'"):
        compute_xmr(series)


def _brute_force_rules(values, centre, lower, upper):
    """Each rule straight from its definition, point by point."""
    count = len(values)
    upper_mid, lower_mid = centre + (upper - centre) / 2, centre - (centre - lower) / 2
    out = []
    for i in range(count):
        fired = []
        if values[i] > upper or values[i] < lower:
            fired.append("outside_limits")
        hit = False
        for beyond in (lambda v: v > upper_mid, lambda v: v < lower_mid):
            if not beyond(values[i]):
                continue
            for start in range(max(0, i - 3), i + 1):
                window = values[start : start + 4]
                if len(window) == 4 and sum(beyond(v) for v in window) >= 3:
                    hit = True
        if hit:
            fired.append("three_of_four")
        run = False
        for same in (lambda v: v > centre, lambda v: v < centre):
            if not same(values[i]):
                continue
            left = i
            while left > 0 and same(values[left - 1]):
                left -= 1
            right = i
            while right < count - 1 and same(values[right + 1]):
                right += 1
            run = run or right - left + 1 >= 8
        if run:
            fired.append("run_of_eight")
        out.append(";".join(fired))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-6, max_value=6), min_size=2, max_size=30))
def test_rules_match_their_brute_force_definition(values):
    chart = compute_xmr([float(v) for v in values], locked_limits=LOCKED)
    assert chart["rule"].tolist() == _brute_force_rules(values, 0.0, -3.0, 3.0)
