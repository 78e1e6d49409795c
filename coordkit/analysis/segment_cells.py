"""Cells and candidate segments of the segment drivers (:mod:`coordkit.analysis.drivers`).

Rows are summed into cells (one per combination of all dimensions); every candidate
segment (one or two dimension values) is a union of cells, with its change, Adtributor's
explanatory power and surprise, and the noise guard's z score.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from coordkit.analysis.segment_inputs import SegmentInputs, check_count

__all__ = ["MIN_CELLS_FOR_NOISE_GUARD", "Candidates", "Cells", "build_cells", "find_candidates", "segment_label"]

#: below this many cells the noise guard is off: too few cells to estimate their spread
MIN_CELLS_FOR_NOISE_GUARD = 30


@dataclass(frozen=True)
class Cells:
    levels: list[np.ndarray]  # per dimension: its sorted distinct values
    codes: list[np.ndarray]  # per dimension: each cell's index into levels
    before: np.ndarray
    after: np.ndarray
    size_before: np.ndarray
    size_after: np.ndarray


def combined_codes(code_arrays: list[np.ndarray], cardinalities: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Number each distinct combination of codes; return (first index of each, inverse)."""
    if math.prod(cardinalities) < 2**62:
        key = np.zeros(len(code_arrays[0]), dtype=np.int64)
        for codes, cardinality in zip(code_arrays, cardinalities):
            key = key * cardinality + codes
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:  # pragma: no cover - astronomically many combinations
        _, first, inverse = np.unique(np.stack(code_arrays, axis=1), axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def build_cells(data: SegmentInputs, dimension_count: int) -> Cells:
    levels, row_codes = [], []
    for values in data.dimension_values:
        level, inverse = np.unique(values.astype(str), return_inverse=True)
        levels.append(level)
        row_codes.append(inverse.reshape(-1))
    first, cell_of_row = combined_codes(row_codes, [len(level) for level in levels])
    count = len(first)
    after_values = np.where(data.in_after, data.values, 0.0)
    before_values = np.where(data.in_after, 0.0, data.values)
    return Cells(
        levels=levels,
        codes=[codes[first] for codes in row_codes],
        before=np.bincount(cell_of_row, before_values, count),
        after=np.bincount(cell_of_row, after_values, count),
        size_before=np.bincount(cell_of_row, np.where(data.in_after, 0.0, data.sizes), count),
        size_after=np.bincount(cell_of_row, np.where(data.in_after, data.sizes, 0.0), count),
    )


@dataclass
class Candidates:
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


def find_candidates(cells: Cells, dims: list[str], max_depth: int, noise_z: float) -> Candidates:
    check_count("max_depth", max_depth, minimum=1)
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
            first, segment_of_cell = combined_codes(
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
    z = noise_z_scores(joined["residual"], joined["cells"], cell_count, residual_variance)
    nonnegative = bool((cells.before >= 0).all() and (cells.after >= 0).all())
    if nonnegative and total_before > 0 and total_after > 0:
        surprise = jensen_shannon_surprise(joined["before"] / total_before, joined["after"] / total_after)
    else:
        surprise = np.full(len(labels), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = segment_change / total_change if total_change != 0 else np.full(len(labels), np.nan)
    return Candidates(
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


def noise_z_scores(residual_sum, counts, cell_count, residual_variance) -> np.ndarray:
    # variance of a sum of n cells drawn at random without replacement from all cells
    finite_population = (cell_count - counts) / max(cell_count - 1, 1)
    spread = np.sqrt(counts * residual_variance * finite_population)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = residual_sum / spread
    # the whole data, or data with no spread, shows nothing beyond the overall move
    return np.where(spread > 0, z, 0.0)


def jensen_shannon_surprise(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Adtributor's surprise: Jensen-Shannon divergence of two shares, with 0 log 0 = 0."""
    mean = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / mean), 0.0)
        right = np.where(q > 0, q * np.log(q / mean), 0.0)
    return 0.5 * (left + right)


def segment_label(values: Mapping[str, object]) -> str:
    """Return the readable label of a segment.

    >>> segment_label({"channel": "webinar", "region": "emea"})
    'channel=webinar & region=emea'
    """
    return " & ".join(f"{dim}={value}" for dim, value in values.items())
