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

import math
from collections.abc import Mapping, Sequence

import numpy as np

from coordkit.analysis.segment_cells import (
    Candidates,
    Cells,
    build_cells,
    find_candidates,
    segment_label,
)
from coordkit.analysis.segment_inputs import (
    BLANK_VALUE,
    SegmentInputs,
    check_columns,
    check_count,
    check_different_periods,
    check_roles,
    dimension_list,
    inputs_from_frame,
    parse_number_texts,
    unknown_period,
)
from coordkit.errors import ParameterError

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

    dims = dimension_list(by)
    data = inputs_from_frame(frame, metric, dims, period_column, before, after, size_column, source)
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
    dims = dimension_list(by)
    check_different_periods(before, after)
    check_roles(metric, dims, period_column)
    check_columns(list(columns), [period_column, metric, *dims, *([size_column] if size_column else [])], source)
    period = np.asarray(columns[period_column], dtype=object)
    is_before = period == str(before)
    is_after = period == str(after)
    for value, mask in ((before, is_before), (after, is_after)):
        if not mask.any():
            raise unknown_period(source, period_column, value, set(period.tolist()))
    keep = is_before | is_after
    values = parse_number_texts(columns[metric], keep, metric, source)
    sizes = parse_number_texts(columns[size_column], keep, size_column, source) if size_column else np.ones(int(keep.sum()))
    dimension_values = [
        np.asarray([value if value != "" else BLANK_VALUE for value in np.asarray(columns[dim], dtype=object)[keep]], dtype=object)
        for dim in dims
    ]
    data = SegmentInputs(dimension_values, values, sizes, is_after[keep])
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

    dims = dimension_list(by)
    data = inputs_from_frame(frame, metric, dims, period_column, before, after, size_column, source)
    cells = build_cells(data, len(dims))
    candidates = find_candidates(cells, dims, max_depth, noise_z)
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


# --- sparse selection ---------------------------------------------------------------------


def _explain(data: SegmentInputs, dims, max_segments, max_depth, min_segment_size, noise_z, prefer_specific) -> dict[str, list]:
    check_count("max_segments", max_segments, minimum=1)
    cells = build_cells(data, len(dims))
    candidates = find_candidates(cells, dims, max_depth, noise_z)
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


def _narrowest_carrier(candidates: Candidates, score, unexplained, best: int, share: float | None) -> int:
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


def _greedy_selection(cells: Cells, candidates: Candidates, eligible: np.ndarray, max_segments: int,
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
