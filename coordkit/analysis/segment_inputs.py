"""The checked inputs of the segment drivers (:mod:`coordkit.analysis.drivers`): one place for every message.

A driver reads a metric, its dimensions and a period column from a frame or from plain
columns; every problem (a missing column, an unknown period, a value that is not a number)
is an :class:`~coordkit.errors.AnalysisError` naming the source, row, column and value.
Numpy only: ``coordkit explain`` must start without pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coordkit.errors import AnalysisError, ParameterError

__all__ = [
    "BLANK_VALUE",
    "SegmentInputs",
    "check_columns",
    "check_count",
    "check_different_periods",
    "check_roles",
    "dimension_list",
    "frame_numbers",
    "frame_period_mask",
    "inputs_from_frame",
    "not_a_number",
    "parse_number_texts",
    "unknown_period",
]

#: a blank dimension value, as segments name it
BLANK_VALUE = "(blank)"


def dimension_list(by) -> list[str]:
    dims = [part.strip() for part in by.split(",")] if isinstance(by, str) else list(by)
    if not dims or any(not dim for dim in dims):
        raise ParameterError(f"by needs one or more dimension columns, e.g. 'channel,campaign'; got {by!r}")
    duplicated = sorted({dim for dim in dims if dims.count(dim) > 1})
    if duplicated:
        raise ParameterError(f"by names {duplicated[0]!r} more than once")
    return dims


def check_count(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be a whole number of at least {minimum}; got {value!r}")


def check_different_periods(before, after) -> None:
    if str(before) == str(after):
        raise ParameterError(f"before and after must be different periods; both are {str(before)!r}")


def check_roles(metric: str, dims: list[str], period_column: str) -> None:
    if metric in dims or period_column in dims:
        raise ParameterError(f"by must not include the metric or the period column; got {', '.join(dims)}")


def check_columns(present: list, needed: Sequence[str], source: str) -> None:
    for column in needed:
        if column not in present:
            raise AnalysisError(
                f"{source}: missing column {column!r}",
                hint=f"columns present: {', '.join(map(str, present))}",
            )


def unknown_period(source: str, period_column: str, value, present) -> AnalysisError:
    shown = sorted(str(p) for p in present if p is not None and not (isinstance(p, float) and math.isnan(p)))
    listed = ", ".join(repr(p) for p in shown[:12]) + (", ..." if len(shown) > 12 else "")
    return AnalysisError(
        f"{source}: column {period_column!r} has no rows for period {str(value)!r}",
        hint=f"periods present: {listed}",
    )


def not_a_number(source: str, column: str, row: int, value) -> AnalysisError:
    return AnalysisError(
        f"{source}: column {column!r}, row {row + 1}: {value!r} is not a number",
        hint="remove thousands separators, currency signs and suffixes such as 'k'",
    )


def parse_number_texts(texts: Sequence[str], keep: np.ndarray, column: str, source: str) -> np.ndarray:
    numbers = np.zeros(int(keep.sum()))
    for position, row in enumerate(np.flatnonzero(keep)):
        text = texts[row]
        if text is None or text.strip() == "":
            continue
        try:
            numbers[position] = float(text)
        except ValueError:
            raise not_a_number(source, column, int(row), text) from None
    return numbers


def frame_numbers(frame, column: str, source: str) -> np.ndarray:
    import pandas as pd

    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna() & values.notna() & (values.astype("string").str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise not_a_number(source, column, row, values.iloc[row])
        values = converted
    return values.fillna(0).to_numpy(dtype=float)


def frame_period_mask(column, value, period_column: str, source: str) -> np.ndarray:
    import pandas as pd

    mask = (column == value).fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        mask = (column.astype("string") == str(value)).fillna(False).to_numpy(dtype=bool)
    if not mask.any() and pd.api.types.is_datetime64_any_dtype(column):
        try:
            mask = (column == pd.Timestamp(value)).fillna(False).to_numpy(dtype=bool)
        except (ValueError, TypeError):
            pass
    if not mask.any():
        raise unknown_period(source, period_column, value, set(column.dropna().astype(str).tolist()))
    return mask


@dataclass(frozen=True)
class SegmentInputs:
    """The rows of the two periods, as arrays: dimension values (text), metric, size, period."""

    dimension_values: list[np.ndarray]
    values: np.ndarray
    sizes: np.ndarray
    in_after: np.ndarray


def inputs_from_frame(frame, metric, dims, period_column, before, after, size_column, source) -> SegmentInputs:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"expected a pandas DataFrame; got {type(frame).__name__}")
    check_different_periods(before, after)
    check_roles(metric, dims, period_column)
    check_columns(list(frame.columns), [period_column, metric, *dims, *([size_column] if size_column else [])], source)
    is_before = frame_period_mask(frame[period_column], before, period_column, source)
    is_after = frame_period_mask(frame[period_column], after, period_column, source)
    keep = is_before | is_after
    values = frame_numbers(frame, metric, source)[keep]
    sizes = frame_numbers(frame, size_column, source)[keep] if size_column else np.ones(int(keep.sum()))
    # dimensions become text so labels, CSV columns and comparisons behave the same everywhere
    dimension_values = [
        frame[dim].astype("string").fillna(BLANK_VALUE).replace("", BLANK_VALUE).to_numpy(dtype=object)[keep]
        for dim in dims
    ]
    return SegmentInputs(dimension_values, values, sizes, is_after[keep])
