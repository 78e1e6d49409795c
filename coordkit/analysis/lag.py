"""Lag: relate an outcome's week-on-week change to output changes 0..k weeks earlier, per channel.

Pipeline this week often follows webinars two weeks ago.  For each channel
(or any grouping of outputs) and each lag 0..``max_lag`` this module reports
the output change at that lag before the week being explained and how the two
series of week-on-week changes have moved together over the whole history
(Pearson correlation of first differences).  This is **association, not
proof**: a channel that always ramps up before the quarter end correlates with
pipeline without causing it.

Conventions: the weeks are the outcome's weeks, in sorted order, taken as
consecutive (give a week with nothing a 0, do not leave it out); a channel with
no outputs in one of those weeks counts 0 that week, and outputs in other weeks
are not used.  First differences are used so shared trends and seasonality do
not show up as association.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.analysis.segment_inputs import check_columns
from coordkit.errors import AnalysisError, ParameterError

__all__ = ["compute_lagged_changes", "strongest_lag"]


def compute_lagged_changes(
    outcome: pd.DataFrame,
    outputs: pd.DataFrame,
    week,
    max_lag: int = 4,
    *,
    week_column: str = "week",
    value_column: str = "value",
    by: str = "channel",
    output_column: str = "outputs",
) -> pd.DataFrame:
    """Return, per channel and lag, the output change before ``week`` and its historical association.

    ``outcome``: one row per week (``week_column``, ``value_column``), e.g.
    weekly pipeline.  ``outputs``: one row per week and channel (``by``) with a
    count or cost (``output_column``).  ``week`` is the week whose change (vs
    the week before) is being explained.

    Columns: channel (named after ``by``), lag, output_week, output_change
    (``output_column`` at output_week minus the week before), outcome_change
    (the explained week's change, the same on every row), correlation (of the
    week-on-week changes over the history, outcome at t vs outputs at t - lag),
    weeks (pairs of changes the correlation uses).

    >>> outcome = pd.DataFrame({"week": [1, 2, 3, 4, 5, 6], "value": [10, 10, 30, 10, 10, 30]})
    >>> outputs = pd.DataFrame({"week": [1, 2, 3, 4, 5, 6], "channel": "webinar", "outputs": [1, 0, 0, 1, 0, 0]})
    >>> table = compute_lagged_changes(outcome, outputs, week=6, max_lag=2)
    >>> table.loc[table["correlation"].idxmax(), "lag"]
    np.int64(2)
    """
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise ParameterError(f"max_lag must be a whole number of weeks, 0 or more; got {max_lag!r}")
    check_columns(list(outcome.columns), [week_column, value_column], "outcome")
    check_columns(list(outputs.columns), [week_column, by, output_column], "outputs")
    if outcome[week_column].duplicated().any():
        duplicate = outcome.loc[outcome[week_column].duplicated(), week_column].iloc[0]
        raise AnalysisError(f"outcome: more than one row for week {duplicate!r}; give one row per week")

    weeks = sorted(outcome[week_column])
    position = {value: index for index, value in enumerate(weeks)}
    if week not in position:
        raise AnalysisError(f"outcome: no week {week!r}", hint=f"weeks run from {weeks[0]!r} to {weeks[-1]!r}")
    target = position[week]
    if target < 1:
        raise AnalysisError(f"week {week!r} is the first week; there is no week before it to compare with")

    outcome_series = outcome.set_index(week_column)[value_column].astype(float).reindex(weeks)
    if outcome_series.isna().any():
        gap = outcome_series.index[outcome_series.isna()][0]
        raise AnalysisError(f"outcome: no value for week {gap!r}", hint="give every week a number, 0 when nothing happened")
    outcome_change = np.diff(outcome_series.to_numpy())  # change at week t is index t - 1
    output_table = (
        outputs.groupby([week_column, by])[output_column].sum().unstack(by).reindex(weeks).fillna(0.0)
    )

    rows = []
    for channel in output_table.columns:
        output_change = np.diff(output_table[channel].to_numpy(dtype=float))
        for lag in range(max_lag + 1):
            source = target - lag
            # pair outcome change at t with output change at t - lag, over every t both exist
            paired_outcome = outcome_change[lag:]
            paired_output = output_change[: len(output_change) - lag] if lag else output_change
            rows.append(
                {
                    by: channel,
                    "lag": lag,
                    "output_week": weeks[source] if source >= 0 else None,
                    "output_change": float(output_change[source - 1]) if source >= 1 else np.nan,
                    "outcome_change": float(outcome_change[target - 1]),
                    "correlation": _correlation(paired_outcome, paired_output),
                    "weeks": len(paired_outcome),
                }
            )
    return pd.DataFrame(rows, columns=[by, "lag", "output_week", "output_change", "outcome_change", "correlation", "weeks"])


def strongest_lag(table: pd.DataFrame, min_weeks: int = 8) -> pd.DataFrame:
    """Return, per channel, the lag with the strongest positive association (at least ``min_weeks`` pairs)."""
    usable = table[(table["weeks"] >= min_weeks) & table["correlation"].notna()]
    if usable.empty:
        return usable.copy()
    channel = table.columns[0]
    best = usable.sort_values("correlation", ascending=False, kind="stable").groupby(channel, sort=False).head(1)
    return best.reset_index(drop=True)


def _correlation(first: np.ndarray, second: np.ndarray) -> float:
    if len(first) < 3 or np.std(first) == 0 or np.std(second) == 0:
        return np.nan
    return float(np.corrcoef(first, second)[0, 1])
