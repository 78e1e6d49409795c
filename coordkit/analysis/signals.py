"""Signal or noise: the XmR process behaviour chart (Wheeler) for any weekly series.

Conventions (documented in ``docs/what-moved.md``):

* Limits come from a baseline (the first ``baseline`` points, default all) and
  every point, inside or after the baseline, is judged against them.
* ``method="mean"``: centre = mean of the baseline, natural process limits =
  centre +/- 2.66 x average moving range, upper range limit = 3.268 x average
  moving range.  ``method="median"``: centre = median, limits = centre +/-
  3.145 x median moving range, upper range limit = 3.865 x median moving range.
* Rules, in the order they are reported in the ``rule`` column:
  ``outside_limits`` (a point beyond a natural process limit),
  ``three_of_four`` (the point is beyond the midway to a limit and belongs to a
  window of 4 successive points of which at least 3 are beyond that midway on
  the same side), ``run_of_eight`` (the point belongs to a run of 8 or more
  successive points strictly on one side of the centre line).  Several rules
  firing on one point are joined with ``;``.  A point exactly on the centre line
  breaks a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from coordkit.analysis.xmr_rules import XMR_RULES, rules_fired
from coordkit.errors import AnalysisError, ParameterError, allowed_values_message

__all__ = ["XMR_METHODS", "XMR_RULES", "compute_xmr", "xmr_verdict"]

XMR_METHODS = ("mean", "median")

# Wheeler's scaling constants: limits = centre +/- LIMIT x (typical moving range),
# upper range limit = RANGE x (typical moving range).
_CONSTANTS = {
    "mean": {"limit": 2.66, "range": 3.268},
    "median": {"limit": 3.145, "range": 3.865},
}


def compute_xmr(
    series,
    baseline: int | None = None,
    locked_limits: Mapping[str, float] | None = None,
    method: str = "mean",
) -> pd.DataFrame:
    """Return the XmR chart of a series: one row per point with its limits and the rule that fires.

    ``series`` is a pandas Series (its index becomes the ``period`` column, or
    keeps its own name) or any sequence of numbers.  ``baseline`` is the number
    of leading points the limits are computed from (default: all points).
    ``locked_limits`` reuses limits computed earlier: a mapping with ``centre``,
    ``lower_limit``, ``upper_limit`` and optionally ``upper_range_limit``
    (e.g. the first row of an earlier result).

    Columns: period, value, centre, lower_limit, upper_limit, moving_range,
    upper_range_limit, rule (empty string where no rule fires), in_baseline.

    >>> chart = compute_xmr(pd.Series([10, 12, 11, 30], index=["w1", "w2", "w3", "w4"]), baseline=3)
    >>> chart["rule"].tolist()
    ['', '', '', 'outside_limits']
    """
    if method not in XMR_METHODS:
        raise ParameterError(allowed_values_message("method", method, XMR_METHODS))
    values, periods, period_name = _as_values(series)
    count = len(values)
    if baseline is not None and locked_limits is not None:
        raise ParameterError(
            "give either baseline or locked_limits, not both: locked limits are not recomputed from a baseline"
        )

    moving_range = np.full(count, np.nan)
    if count > 1:
        moving_range[1:] = np.abs(np.diff(values))

    if locked_limits is not None:
        centre, lower, upper, range_limit = _read_locked_limits(locked_limits)
        baseline_size = 0
    else:
        baseline_size = count if baseline is None else _check_baseline(baseline, count)
        centre, lower, upper, range_limit = _limits_from_baseline(
            values[:baseline_size], moving_range[1:baseline_size], method
        )

    rules = rules_fired(values, centre, lower, upper)
    return pd.DataFrame(
        {
            period_name: periods,
            "value": values,
            "centre": centre,
            "lower_limit": lower,
            "upper_limit": upper,
            "moving_range": moving_range,
            "upper_range_limit": range_limit,
            "rule": rules,
            "in_baseline": np.arange(count) < baseline_size,
        }
    )


def xmr_verdict(chart: pd.DataFrame, value_name: str = "the latest value") -> str:
    """Return one plain sentence judging the latest point of an XmR chart.

    >>> xmr_verdict(compute_xmr([10, 12, 11, 11, 12]))
    'Routine variation: the latest value (12) is inside the natural process limits (8.5 to 13.9) and no rule fires; no root-cause hunt needed.'
    """
    if chart.empty:
        raise AnalysisError("the XmR chart has no points to judge")
    last = chart.iloc[-1]
    earlier_signals = int((chart["rule"].iloc[:-1] != "").sum())
    limits = f"{_number(last['lower_limit'])} to {_number(last['upper_limit'])}"
    if last["rule"]:
        side = "above" if last["value"] > last["centre"] else "below"
        sentence = (
            f"Signal: {value_name} ({_number(last['value'])}) is {side} the centre line and fires "
            f"{_rule_words(last['rule'])}; something changed, worth finding the cause."
        )
    else:
        sentence = (
            f"Routine variation: {value_name} ({_number(last['value'])}) is inside the natural process "
            f"limits ({limits}) and no rule fires; no root-cause hunt needed."
        )
    if earlier_signals:
        plural = "s" if earlier_signals > 1 else ""
        sentence += f" {earlier_signals} earlier point{plural} also signal{'' if plural else 's'}."
    return sentence


def _as_values(series) -> tuple[np.ndarray, list, str]:
    if isinstance(series, pd.DataFrame):
        raise ParameterError("compute_xmr takes one series (a column), not a whole table; pick a column, e.g. frame['pipeline']")
    if isinstance(series, pd.Series):
        period_name = series.index.name or "period"
        periods = list(series.index)
        raw = series.to_numpy()
    elif isinstance(series, (Sequence, np.ndarray)):
        period_name = "period"
        periods = list(range(1, len(series) + 1))
        raw = np.asarray(series)
    else:
        raise ParameterError(f"compute_xmr needs a pandas Series or a list of numbers; got {type(series).__name__}")
    try:
        values = np.asarray(pd.to_numeric(pd.Series(raw), errors="raise"), dtype=float)
    except (ValueError, TypeError) as exc:
        raise AnalysisError(f"the series must hold numbers: {exc}") from None
    missing = np.flatnonzero(np.isnan(values))
    if missing.size:
        raise AnalysisError(
            f"the series has a missing value at {period_name} {periods[missing[0]]!r}",
            hint="fill or drop missing weeks before charting; a gap would make a false moving range",
        )
    return values, periods, period_name


def _check_baseline(baseline, count: int) -> int:
    if isinstance(baseline, bool) or not isinstance(baseline, (int, np.integer)):
        raise ParameterError(f"baseline must be a whole number of points; got {baseline!r}")
    if baseline < 2:
        raise ParameterError(f"baseline must be at least 2 points (one moving range); got {baseline}")
    if baseline > count:
        raise ParameterError(f"baseline of {baseline} points is longer than the series ({count} points)")
    return int(baseline)


def _limits_from_baseline(values: np.ndarray, moving_ranges: np.ndarray, method: str):
    if len(values) < 2:
        raise AnalysisError(f"an XmR chart needs at least 2 points for a moving range; got {len(values)}")
    constants = _CONSTANTS[method]
    if method == "mean":
        centre, typical_range = float(np.mean(values)), float(np.mean(moving_ranges))
    else:
        centre, typical_range = float(np.median(values)), float(np.median(moving_ranges))
    half_width = constants["limit"] * typical_range
    return centre, centre - half_width, centre + half_width, constants["range"] * typical_range


def _read_locked_limits(limits: Mapping[str, float]):
    missing = [key for key in ("centre", "lower_limit", "upper_limit") if key not in limits]
    if missing:
        raise ParameterError(
            f"locked_limits is missing {', '.join(repr(k) for k in missing)}; "
            "give centre, lower_limit, upper_limit and optionally upper_range_limit"
        )
    centre, lower, upper = (float(limits[k]) for k in ("centre", "lower_limit", "upper_limit"))
    if not lower <= centre <= upper:
        raise ParameterError(f"locked_limits must satisfy lower_limit <= centre <= upper_limit; got {lower}, {centre}, {upper}")
    range_limit = float(limits.get("upper_range_limit", np.nan))
    return centre, lower, upper, range_limit


def _rule_words(rule: str) -> str:
    words = {
        "outside_limits": "outside the natural process limits",
        "three_of_four": "3 of 4 successive points beyond the midway to a limit",
        "run_of_eight": "8 or more successive points on one side of the centre",
    }
    return " and ".join(words[name] for name in rule.split(";"))


def _number(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".") if np.isfinite(value) else "n/a"
