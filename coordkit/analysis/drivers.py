"""Segment drivers: which slices of the data moved an additive metric between two periods.

Two views, both over single dimension values and pairs of values (depth 2):

* :func:`rank_segments` - every candidate segment with its change, Adtributor's
  explanatory power and surprise (Bhagwan et al., NSDI 2014), and a noise guard;
  :func:`adtributor_root_causes` turns that ranking into Adtributor's
  explanatory sets.
* :func:`explain_change` - a sparse selection of a few segments that explain most
  of the change, plus a ``remainder`` row so the contributions add up exactly.

Conventions (see ``docs/what-moved.md``):

* **Cells.** Rows are first summed into cells, one per combination of all the
  ``by`` dimensions; every segment is a union of cells.  A blank dimension value
  is the value ``(blank)``; a blank metric counts as zero.
* **Claiming.** Segments may overlap (``TYPE=a`` and ``TYPE=a & REGION=1``).
  The selection is greedy: each step picks the eligible segment with the largest
  absolute change over cells not yet claimed by a segment listed above it, and
  its ``contribution`` is exactly that unclaimed change.  ``before`` and
  ``after`` are the segment's full totals.  The ``remainder`` row holds the
  unclaimed cells, so the contributions sum to the total change.
* **Narrower when it carries the change.** When a segment inside the chosen one
  (one more dimension fixed, same sign) carries at least ``prefer_specific``
  (default 80 %) of its unexplained change, the narrower one is listed instead:
  ``team=na & channel=paid_social`` (-24) rather than ``team=na`` (-27).
  Exact ties therefore go to the narrower segment.
* **Noise guard.** A segment's change is compared with what a random group of as
  many cells would show if every cell simply followed the overall growth rate:
  ``noise_z`` = (change - growth x before) / its standard deviation when that
  many cells are drawn at random without replacement.  Segments with
  ``|noise_z|`` below the threshold (default 3) are marked ``noise`` and never
  selected.  With fewer than 30 cells the spread between cells says too little
  to judge, so the guard is off (``noise`` is False for every segment).
* **Minimum size.** A segment needs at least ``min_segment_size`` rows (or units
  of ``size_column``) in one of the two periods to be selected.

The core works on numpy arrays so that ``coordkit explain`` can run without
importing pandas (2+ s of start-up on our machines, against a 1 s budget);
pandas is imported only by the functions that take or return frames.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from coordkit.errors import AnalysisError, ParameterError

__all__ = [
    "REMAINDER_LABEL",
    "adtributor_root_causes",
    "explain_change",
    "explain_change_columns",
    "rank_segments",
    "segment_label",
    "segment_steps",
]

REMAINDER_LABEL = "remainder"
BLANK_VALUE = "(blank)"
#: below this many cells the noise guard is off: too few cells to estimate their spread
MIN_CELLS_FOR_NOISE_GUARD = 30


def explain_change(
    frame,
    metric: str,
    by: Sequence[str] | str,
    period_column: str,
    before,
    after,
    max_segments: int = 5,
    max_depth: int = 2,
    min_segment_size: float = 1,
    size_column: str | None = None,
    noise_z: float = 3.0,
    prefer_specific: float | None = 0.8,
    *,
    source: str = "data",
):
    """Return a few segments that explain most of a metric's change, plus a ``remainder`` row.

    One row per selected segment: ``segment`` (a readable label such as
    ``channel=webinar & region=emea``), one column per dimension in ``by``
    (empty where the segment does not fix it), ``before`` and ``after`` (the
    segment's totals), ``contribution`` (its share of the change not already
    claimed by a segment listed above it) and ``share_of_change``.  The last row,
    ``remainder``, holds the rest, so ``contribution`` sums to the total change.

    ``prefer_specific``: when a narrower segment inside the best one (one more
    dimension fixed) carries at least this share of its unexplained change, the
    narrower one is listed instead (None: always the largest).
    ``source`` names the data in error messages (the CLI passes the file name).

    >>> import pandas as pd
    >>> data = pd.DataFrame({"week": ["w1", "w1", "w2", "w2"], "channel": ["email", "events", "email", "events"],
    ...                      "pipeline": [100.0, 50.0, 100.0, 90.0]})
    >>> explain_change(data, "pipeline", by="channel", period_column="week", before="w1", after="w2",
    ...                min_segment_size=1, noise_z=0)[["segment", "contribution"]].to_dict("records")
    [{'segment': 'channel=events', 'contribution': 40.0}, {'segment': 'remainder', 'contribution': 0.0}]
    """
    import pandas as pd

    dims = _dimension_list(by)
    data = _inputs_from_frame(frame, metric, dims, period_column, before, after, size_column, source)
    columns = _explain(data, dims, max_segments, max_depth, min_segment_size, noise_z, prefer_specific)
    result = pd.DataFrame(columns)
    for dim in dims:
        result[dim] = result[dim].astype("string")
    return result


def explain_change_columns(
    columns: Mapping[str, Sequence[str]],
    metric: str,
    by: Sequence[str] | str,
    period_column: str,
    before: str,
    after: str,
    max_segments: int = 5,
    max_depth: int = 2,
    min_segment_size: float = 1,
    size_column: str | None = None,
    noise_z: float = 3.0,
    prefer_specific: float | None = 0.8,
    *,
    source: str = "data",
) -> dict[str, list]:
    """Same as :func:`explain_change` for text columns (a CSV read as text); returns columns as lists.

    Periods are matched as text.  This is what ``coordkit explain`` calls: it
    needs no pandas, which keeps the command inside its one-second budget.
    """
    dims = _dimension_list(by)
    _check_different_periods(before, after)
    _check_roles(metric, dims, period_column)
    _check_columns(list(columns), [period_column, metric, *dims, *([size_column] if size_column else [])], source)
    period = np.asarray(columns[period_column], dtype=object)
    is_before = period == str(before)
    is_after = period == str(after)
    for value, mask in ((before, is_before), (after, is_after)):
        if not mask.any():
            raise _unknown_period(source, period_column, value, set(period.tolist()))
    keep = is_before | is_after
    values = _parse_numbers(columns[metric], keep, metric, source)
    sizes = _parse_numbers(columns[size_column], keep, size_column, source) if size_column else np.ones(int(keep.sum()))
    dimension_values = [
        np.asarray([value if value != "" else BLANK_VALUE for value in np.asarray(columns[dim], dtype=object)[keep]], dtype=object)
        for dim in dims
    ]
    data = _SegmentInputs(dimension_values, values, sizes, is_after[keep])
    return _explain(data, dims, max_segments, max_depth, min_segment_size, noise_z, prefer_specific)


def rank_segments(
    frame,
    metric: str,
    by: Sequence[str] | str,
    period_column: str,
    before,
    after,
    max_depth: int = 2,
    size_column: str | None = None,
    noise_z: float = 3.0,
    *,
    source: str = "data",
):
    """Return every single-value and pair segment with its change, explanatory power and surprise.

    Columns: dimensions, depth, segment, one column per dimension, cells, size,
    before, after, change, explanatory_power (change / total change,
    Adtributor's EP), surprise (Jensen-Shannon divergence between the segment's
    share of the total before and after, Adtributor's S; empty when the metric
    has negative values), noise_z and noise.  Sorted by absolute change.
    """
    import pandas as pd

    dims = _dimension_list(by)
    data = _inputs_from_frame(frame, metric, dims, period_column, before, after, size_column, source)
    cells = _cells(data, len(dims))
    candidates = _candidates(cells, dims, max_depth, noise_z)
    ranked = pd.DataFrame({"dimensions": candidates.dimensions, "depth": candidates.depth, "segment": candidates.labels})
    for position, dim in enumerate(dims):
        ranked[dim] = pd.array(candidates.fixed_values[position], dtype="string")
    for name in ("cells", "size", "before", "after", "change", "explanatory_power", "surprise", "noise_z", "noise"):
        ranked[name] = getattr(candidates, name)
    order = np.argsort(-np.abs(candidates.change), kind="stable")
    return ranked.iloc[order].reset_index(drop=True)


def adtributor_root_causes(ranked, element_threshold: float = 0.1, set_threshold: float = 0.67):
    """Return Adtributor's explanatory sets from :func:`rank_segments`, most surprising first.

    For each dimension (or pair of dimensions), candidates are taken in order of
    surprise; one joins the set when its explanatory power is at least
    ``element_threshold`` (Adtributor's T_EEP), until the set's explanatory power
    reaches ``set_threshold`` (T_EP).  Dimensions whose set never gets there are
    left out; the rest are ranked by the set's total surprise.  Columns:
    dimensions, segments (labels joined by `` | ``), explanatory_power, surprise.
    """
    import pandas as pd

    rows = []
    for dimensions, group in ranked.groupby("dimensions", sort=False):
        group = group.sort_values("surprise", ascending=False, kind="stable")
        members, power, surprise = [], 0.0, 0.0
        for segment, candidate_power, candidate_surprise in zip(
            group["segment"], group["explanatory_power"], group["surprise"]
        ):
            if candidate_power >= element_threshold:
                members.append(segment)
                power += candidate_power
                surprise += candidate_surprise
                if power >= set_threshold:
                    rows.append(
                        {"dimensions": dimensions, "segments": " | ".join(members),
                         "explanatory_power": power, "surprise": surprise}
                    )
                    break
    result = pd.DataFrame(rows, columns=["dimensions", "segments", "explanatory_power", "surprise"])
    return result.sort_values("surprise", ascending=False, kind="stable").reset_index(drop=True)


def segment_label(values: Mapping[str, object]) -> str:
    """Return the readable label of a segment.

    >>> segment_label({"channel": "webinar", "region": "emea"})
    'channel=webinar & region=emea'
    """
    return " & ".join(f"{dim}={value}" for dim, value in values.items())


# --- input checks: one place for every message --------------------------------------------


def _dimension_list(by) -> list[str]:
    dims = [part.strip() for part in by.split(",")] if isinstance(by, str) else list(by)
    if not dims or any(not dim for dim in dims):
        raise ParameterError(f"by needs one or more dimension columns, e.g. 'channel,campaign'; got {by!r}")
    duplicated = sorted({dim for dim in dims if dims.count(dim) > 1})
    if duplicated:
        raise ParameterError(f"by names {duplicated[0]!r} more than once")
    return dims


def _check_count(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be a whole number of at least {minimum}; got {value!r}")


def _check_different_periods(before, after) -> None:
    if str(before) == str(after):
        raise ParameterError(f"before and after must be different periods; both are {str(before)!r}")


def _check_roles(metric: str, dims: list[str], period_column: str) -> None:
    if metric in dims or period_column in dims:
        raise ParameterError(f"by must not include the metric or the period column; got {', '.join(dims)}")


def _check_columns(present: list, needed: Sequence[str], source: str) -> None:
    for column in needed:
        if column not in present:
            raise AnalysisError(
                f"{source}: missing column {column!r}",
                hint=f"columns present: {', '.join(map(str, present))}",
            )


def _unknown_period(source: str, period_column: str, value, present) -> AnalysisError:
    shown = sorted(str(p) for p in present if p is not None and not (isinstance(p, float) and math.isnan(p)))
    listed = ", ".join(repr(p) for p in shown[:12]) + (", ..." if len(shown) > 12 else "")
    return AnalysisError(
        f"{source}: column {period_column!r} has no rows for period {str(value)!r}",
        hint=f"periods present: {listed}",
    )


def _not_a_number(source: str, column: str, row: int, value) -> AnalysisError:
    return AnalysisError(
        f"{source}: column {column!r}, row {row + 1}: {value!r} is not a number",
        hint="remove thousands separators, currency signs and suffixes such as 'k'",
    )


def _parse_numbers(texts: Sequence[str], keep: np.ndarray, column: str, source: str) -> np.ndarray:
    numbers = np.zeros(int(keep.sum()))
    for position, row in enumerate(np.flatnonzero(keep)):
        text = texts[row]
        if text is None or text.strip() == "":
            continue
        try:
            numbers[position] = float(text)
        except ValueError:
            raise _not_a_number(source, column, int(row), text) from None
    return numbers


def _frame_numbers(frame, column: str, source: str) -> np.ndarray:
    import pandas as pd

    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna() & values.notna() & (values.astype("string").str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise _not_a_number(source, column, row, values.iloc[row])
        values = converted
    return values.fillna(0).to_numpy(dtype=float)


def _frame_period_mask(column, value, period_column: str, source: str) -> np.ndarray:
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
        raise _unknown_period(source, period_column, value, set(column.dropna().astype(str).tolist()))
    return mask


@dataclass(frozen=True)
class _SegmentInputs:
    """The rows of the two periods, as arrays: dimension values (text), metric, size, period."""

    dimension_values: list[np.ndarray]
    values: np.ndarray
    sizes: np.ndarray
    in_after: np.ndarray


def _inputs_from_frame(frame, metric, dims, period_column, before, after, size_column, source) -> _SegmentInputs:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"expected a pandas DataFrame; got {type(frame).__name__}")
    _check_different_periods(before, after)
    _check_roles(metric, dims, period_column)
    _check_columns(list(frame.columns), [period_column, metric, *dims, *([size_column] if size_column else [])], source)
    is_before = _frame_period_mask(frame[period_column], before, period_column, source)
    is_after = _frame_period_mask(frame[period_column], after, period_column, source)
    keep = is_before | is_after
    values = _frame_numbers(frame, metric, source)[keep]
    sizes = _frame_numbers(frame, size_column, source)[keep] if size_column else np.ones(int(keep.sum()))
    # dimensions become text so labels, CSV columns and comparisons behave the same everywhere
    dimension_values = [
        frame[dim].astype("string").fillna(BLANK_VALUE).replace("", BLANK_VALUE).to_numpy(dtype=object)[keep]
        for dim in dims
    ]
    return _SegmentInputs(dimension_values, values, sizes, is_after[keep])


# --- cells and candidates -----------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    levels: list[np.ndarray]  # per dimension: its sorted distinct values
    codes: list[np.ndarray]  # per dimension: each cell's index into levels
    before: np.ndarray
    after: np.ndarray
    size_before: np.ndarray
    size_after: np.ndarray


def _combined_codes(code_arrays: list[np.ndarray], cardinalities: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Number each distinct combination of codes; return (first index of each, inverse)."""
    if math.prod(cardinalities) < 2**62:
        key = np.zeros(len(code_arrays[0]), dtype=np.int64)
        for codes, cardinality in zip(code_arrays, cardinalities):
            key = key * cardinality + codes
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:  # pragma: no cover - astronomically many combinations
        _, first, inverse = np.unique(np.stack(code_arrays, axis=1), axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _cells(data: _SegmentInputs, dimension_count: int) -> _Cells:
    levels, row_codes = [], []
    for values in data.dimension_values:
        level, inverse = np.unique(values.astype(str), return_inverse=True)
        levels.append(level)
        row_codes.append(inverse.reshape(-1))
    first, cell_of_row = _combined_codes(row_codes, [len(level) for level in levels])
    count = len(first)
    after_values = np.where(data.in_after, data.values, 0.0)
    before_values = np.where(data.in_after, 0.0, data.values)
    return _Cells(
        levels=levels,
        codes=[codes[first] for codes in row_codes],
        before=np.bincount(cell_of_row, before_values, count),
        after=np.bincount(cell_of_row, after_values, count),
        size_before=np.bincount(cell_of_row, np.where(data.in_after, 0.0, data.sizes), count),
        size_after=np.bincount(cell_of_row, np.where(data.in_after, data.sizes, 0.0), count),
    )


@dataclass
class _Candidates:
    """Every candidate segment (flat arrays) and, per dimension combination, each cell's segment."""

    dimensions: list[str]
    depth: np.ndarray
    labels: list[str]
    fixed_values: list[list]  # per dimension: the value each candidate fixes, or None
    cells: np.ndarray
    size: np.ndarray
    before: np.ndarray
    after: np.ndarray
    change: np.ndarray
    explanatory_power: np.ndarray
    surprise: np.ndarray
    noise_z: np.ndarray
    noise: np.ndarray
    cell_segment: list[np.ndarray]  # per combination: cell -> local segment index
    offsets: list[int]  # per combination: index of its first candidate
    combination_of: np.ndarray  # candidate -> its combination

    @property
    def fixed_array(self) -> list[np.ndarray]:
        """Per dimension: the value each candidate fixes (None where it does not), as an array."""
        if not hasattr(self, "_fixed_array"):
            self._fixed_array = [np.asarray(values, dtype=object) for values in self.fixed_values]
        return self._fixed_array

    def members(self, index: int) -> np.ndarray:
        combination = self.combination_of[index]
        return self.cell_segment[combination] == index - self.offsets[combination]

    def segment_count(self, combination: int) -> int:
        end = self.offsets[combination + 1] if combination + 1 < len(self.offsets) else len(self.labels)
        return end - self.offsets[combination]


def _candidates(cells: _Cells, dims: list[str], max_depth: int, noise_z: float) -> _Candidates:
    _check_count("max_depth", max_depth, minimum=1)
    change = cells.after - cells.before
    total_before, total_after = math.fsum(cells.before), math.fsum(cells.after)
    total_change = total_after - total_before
    growth = total_change / total_before if total_before != 0 else 0.0
    residual = change - growth * cells.before if total_before != 0 else change - change.mean()
    residual_variance = float(residual.var())
    cell_count = len(change)

    dimensions, depth, labels = [], [], []
    fixed_values: list[list] = [[] for _ in dims]
    parts = {name: [] for name in ("cells", "size", "before", "after", "residual")}
    cell_segment, offsets, combination_of = [], [], []
    for combination_depth in range(1, min(max_depth, len(dims)) + 1):
        for combo in itertools.combinations(range(len(dims)), combination_depth):
            first, segment_of_cell = _combined_codes(
                [cells.codes[d] for d in combo], [len(cells.levels[d]) for d in combo]
            )
            count = len(first)
            offsets.append(len(labels))
            combination_of.extend([len(cell_segment)] * count)
            cell_segment.append(segment_of_cell)
            name = " & ".join(dims[d] for d in combo)
            dimensions.extend([name] * count)
            depth.extend([combination_depth] * count)
            values_per_dim = {d: cells.levels[d][cells.codes[d][first]] for d in combo}
            labels.extend(
                segment_label({dims[d]: values_per_dim[d][i] for d in combo}) for i in range(count)
            )
            for d in range(len(dims)):
                fixed_values[d].extend(values_per_dim[d].tolist() if d in combo else [None] * count)
            parts["cells"].append(np.bincount(segment_of_cell, minlength=count))
            parts["size"].append(
                np.maximum(
                    np.bincount(segment_of_cell, cells.size_before, count),
                    np.bincount(segment_of_cell, cells.size_after, count),
                )
            )
            parts["before"].append(np.bincount(segment_of_cell, cells.before, count))
            parts["after"].append(np.bincount(segment_of_cell, cells.after, count))
            parts["residual"].append(np.bincount(segment_of_cell, residual, count))

    joined = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    segment_change = joined["after"] - joined["before"]
    z = _noise_z(joined["residual"], joined["cells"], cell_count, residual_variance)
    nonnegative = bool((cells.before >= 0).all() and (cells.after >= 0).all())
    if nonnegative and total_before > 0 and total_after > 0:
        surprise = _surprise(joined["before"] / total_before, joined["after"] / total_after)
    else:
        surprise = np.full(len(labels), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = segment_change / total_change if total_change != 0 else np.full(len(labels), np.nan)
    return _Candidates(
        dimensions=dimensions,
        depth=np.asarray(depth),
        labels=labels,
        fixed_values=fixed_values,
        cells=joined["cells"],
        size=joined["size"],
        before=joined["before"],
        after=joined["after"],
        change=segment_change,
        explanatory_power=power,
        surprise=surprise,
        noise_z=z,
        noise=~(np.abs(z) >= noise_z) if cell_count >= MIN_CELLS_FOR_NOISE_GUARD else np.zeros(len(z), dtype=bool),
        cell_segment=cell_segment,
        offsets=offsets,
        combination_of=np.asarray(combination_of),
    )


def _noise_z(residual_sum, counts, cell_count, residual_variance) -> np.ndarray:
    # variance of a sum of n cells drawn at random without replacement from all cells
    finite_population = (cell_count - counts) / max(cell_count - 1, 1)
    spread = np.sqrt(counts * residual_variance * finite_population)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = residual_sum / spread
    # the whole data, or data with no spread, shows nothing beyond the overall move
    return np.where(spread > 0, z, 0.0)


def _surprise(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Adtributor's surprise: Jensen-Shannon divergence of two shares, with 0 log 0 = 0."""
    mean = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / mean), 0.0)
        right = np.where(q > 0, q * np.log(q / mean), 0.0)
    return 0.5 * (left + right)


# --- sparse selection ---------------------------------------------------------------------


def _explain(data: _SegmentInputs, dims, max_segments, max_depth, min_segment_size, noise_z, prefer_specific) -> dict[str, list]:
    _check_count("max_segments", max_segments, minimum=1)
    cells = _cells(data, len(dims))
    candidates = _candidates(cells, dims, max_depth, noise_z)
    eligible = ~candidates.noise & (candidates.size >= min_segment_size)
    if prefer_specific is not None and not 0 < prefer_specific <= 1:
        raise ParameterError(f"prefer_specific must be a share between 0 and 1, or None; got {prefer_specific!r}")
    chosen, contributions, claimed = _greedy_selection(cells, candidates, eligible, max_segments, prefer_specific)

    total_change = math.fsum(cells.after) - math.fsum(cells.before)
    columns: dict[str, list] = {"segment": [candidates.labels[i] for i in chosen] + [REMAINDER_LABEL]}
    for position, dim in enumerate(dims):
        columns[dim] = [candidates.fixed_values[position][i] for i in chosen] + [None]
    columns["before"] = [float(candidates.before[i]) for i in chosen] + [math.fsum(cells.before[~claimed])]
    columns["after"] = [float(candidates.after[i]) for i in chosen] + [math.fsum(cells.after[~claimed])]
    # the remainder comes from the total, not from the unclaimed cells, so the column adds up exactly
    columns["contribution"] = contributions + [total_change - math.fsum(contributions)]
    columns["share_of_change"] = [
        value / total_change if total_change != 0 else math.nan for value in columns["contribution"]
    ]
    return columns


def _narrowest_carrier(candidates: _Candidates, score, unexplained, best: int, share: float | None) -> int:
    """Step down from a segment to a narrower one inside it that carries at least ``share`` of its change.

    "team=north-america" falling by 27 is true but vague when "team=north-america
    & channel=paid_social" fell by 26 of those: the narrower segment is the
    better answer.  Repeats while a narrower one qualifies.
    """
    if share is None:
        return best
    while True:
        inside = candidates.depth > candidates.depth[best]
        for values in candidates.fixed_array:
            if values[best] is not None:
                inside &= values == values[best]
        inside &= (np.sign(unexplained) == np.sign(unexplained[best])) & (score >= share * score[best])
        if not inside.any():
            return best
        best = int(np.flatnonzero(inside)[np.argmax(score[inside])])


def _greedy_selection(cells: _Cells, candidates: _Candidates, eligible: np.ndarray, max_segments: int,
                      prefer_specific: float | None = 0.8):
    change = cells.after - cells.before
    unclaimed = np.ones(len(change), dtype=bool)
    chosen: list[int] = []
    contributions: list[float] = []
    for _ in range(max_segments):
        weights = np.where(unclaimed, change, 0.0)
        unexplained = np.concatenate(
            [
                np.bincount(segment_of_cell, weights, candidates.segment_count(combination))
                for combination, segment_of_cell in enumerate(candidates.cell_segment)
            ]
        )
        score = np.where(eligible, np.abs(unexplained), -1.0)
        score[chosen] = -1.0
        best = int(np.argmax(score))
        if score[best] <= 0:
            break
        best = _narrowest_carrier(candidates, score, unexplained, best, prefer_specific)
        members = candidates.members(best)
        chosen.append(best)
        contributions.append(math.fsum(change[members & unclaimed]))
        unclaimed &= ~members
    return chosen, contributions, ~unclaimed


def segment_steps(explanation, before_total: float, after_total: float, before_label: str = "before", after_label: str = "after"):
    """Return the waterfall of an explanation: the before total, one step per segment and the remainder, the after total.

    Same columns as :func:`coordkit.analysis.bridge.bridge_steps` (step, kind,
    amount, start, end), so one chart draws both.
    """
    import pandas as pd

    rows = [{"step": before_label, "kind": "total", "amount": before_total, "start": 0.0, "end": before_total}]
    level = before_total
    for segment, amount in zip(explanation["segment"], explanation["contribution"]):
        rows.append({"step": segment, "kind": "effect", "amount": amount, "start": level, "end": level + amount})
        level += amount
    rows.append({"step": after_label, "kind": "total", "amount": after_total, "start": 0.0, "end": after_total})
    return pd.DataFrame(rows)
