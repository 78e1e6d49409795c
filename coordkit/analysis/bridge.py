"""The bridge: split a product metric's change into volume, rate and mix effects that add up exactly.

A product metric is a product of factors per segment, e.g. pipeline =
leads x conversion rate x average deal size.  Three ways to split its change:

* :func:`compute_bridge` - from additive counts along a funnel (``leads``,
  ``opportunities``, ``pipeline``): per segment the factors are total volume,
  the segment's share of it (mix) and each step's rate.
* :func:`compute_factor_bridge` - from factor columns given directly.
* :func:`compute_size_average_split` - Wise Pizza's two-factor split of a total
  into segment size and segment average.

Conventions (also in ``docs/what-moved.md``):

* ``method="das_gupta"`` (default): symmetric Das Gupta (1993).  A factor's
  effect is the change in that factor times the average, over every ordering of
  the factors, of the product of the others (those before it in the ordering at
  their new values, the rest at their old values) - the Shapley value of the
  product.  Exact for any real values, including zeros and negatives.
* ``method="lmdi"``: additive LMDI-I (Ang 2005): effect = L(V1, V0) x
  ln(x1 / x0) with the logarithmic mean L(a, b) = (a - b) / (ln a - ln b) and
  L(a, a) = a.  Needs non-negative values.  **Zeros** are handled by the limit
  of Ang & Liu's (2007) small-value strategy, computed exactly instead of with
  a tiny epsilon: when a segment's product is zero in one period, the whole
  change goes to the factors that are zero in that period, shared equally; when
  it is zero in both, every effect is zero.
* **Undefined rates.** A rate whose denominator is zero (no leads, so no
  conversion rate) takes the other period's rate, or 0 when both are undefined.
  The product is zero either way, so the split stays exact, and no effect is
  credited to a rate that was never observed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from coordkit.analysis.segment_cells import segment_label
from coordkit.analysis.segment_inputs import (
    check_columns,
    check_different_periods,
    frame_numbers,
    frame_period_mask,
)
from coordkit.errors import AnalysisError, ParameterError, allowed_values_message

__all__ = [
    "BRIDGE_METHODS",
    "bridge_steps",
    "compute_bridge",
    "compute_factor_bridge",
    "compute_size_average_split",
    "product_effects",
    "summarise_bridge",
]

BRIDGE_METHODS = ("das_gupta", "lmdi")
ALL_SEGMENTS = "all"


def product_effects(before: np.ndarray, after: np.ndarray, method: str = "das_gupta") -> np.ndarray:
    """Return each factor's effect on the change of a product, row by row.

    ``before`` and ``after`` have one row per segment and one column per
    factor; the effects in each row add up to prod(after) - prod(before).

    >>> product_effects(np.array([[10.0, 2.0]]), np.array([[20.0, 3.0]])).tolist()
    [[25.0, 15.0]]
    """
    before = np.atleast_2d(np.asarray(before, dtype=float))
    after = np.atleast_2d(np.asarray(after, dtype=float))
    if before.shape != after.shape:
        raise ParameterError(f"before and after factors differ in shape: {before.shape} and {after.shape}")
    if method == "das_gupta":
        return _das_gupta(before, after)
    if method == "lmdi":
        return _lmdi(before, after)
    raise ParameterError(allowed_values_message("method", method, BRIDGE_METHODS))


def _das_gupta(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    rows, count = before.shape
    effects = np.zeros((rows, count))
    for factor in range(count):
        others = [j for j in range(count) if j != factor]
        for size in range(count):
            # every subset of the other factors taken at their new values weighs |S|!(k-1-|S|)!/k!
            weight = math.factorial(size) * math.factorial(count - 1 - size) / math.factorial(count)
            for at_after in itertools.combinations(others, size):
                term = np.ones(rows)
                for j in others:
                    term = term * (after[:, j] if j in at_after else before[:, j])
                effects[:, factor] += weight * term
        effects[:, factor] *= after[:, factor] - before[:, factor]
    return effects


def _lmdi(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    if (before < 0).any() or (after < 0).any():
        raise AnalysisError(
            "LMDI needs factors of zero or more; a factor is negative",
            hint="use method='das_gupta', which handles negative values",
        )
    value_before, value_after = before.prod(axis=1), after.prod(axis=1)
    effects = np.zeros(before.shape)
    positive = (value_before > 0) & (value_after > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(value_after / value_before)
        weight = np.where(
            np.isclose(value_after, value_before, rtol=1e-12, atol=0),
            value_before,
            (value_after - value_before) / log_ratio,
        )
        effects[positive] = weight[positive, None] * np.log(after[positive] / before[positive])
    # a zero product: the change goes to the factors that are zero, the limit of the small-value strategy
    for zero_rows, zero_factors in (
        ((value_before == 0) & (value_after > 0), before == 0),
        ((value_after == 0) & (value_before > 0), after == 0),
    ):
        shares = zero_factors[zero_rows] / zero_factors[zero_rows].sum(axis=1, keepdims=True)
        effects[zero_rows] = shares * (value_after - value_before)[zero_rows, None]
    return effects


def compute_factor_bridge(
    frame,
    factors: Sequence[str],
    by: Sequence[str] | str | None,
    period_column: str,
    before,
    after,
    method: str = "das_gupta",
):
    """Split the change of a product of factor columns into one effect per factor and segment.

    ``frame`` has one row per segment and period with the factor values
    (e.g. ``leads``, ``conversion_rate``, ``deal_size``).  Returns a long frame,
    one row per segment and factor: segment, the ``by`` columns, effect (the
    factor's name), before and after (the factor's values) and contribution.
    The contributions add up to the change of sum over segments of the product.
    """

    factors = list(factors)
    dims = _dims(by)
    check_columns(list(frame.columns), [period_column, *dims, *factors], "data")
    if not factors:
        raise ParameterError("factors needs at least one column")
    check_different_periods(before, after)
    values_before = _one_row_per_segment(frame, dims, factors, period_column, before)
    values_after = _one_row_per_segment(frame, dims, factors, period_column, after)
    both = _side_by_side(values_before, values_after)
    factor_before = both[[f"{f}_before" for f in factors]].to_numpy()
    factor_after = both[[f"{f}_after" for f in factors]].to_numpy()
    return _long_result(both.index, dims, factors, factor_before, factor_after, method)


def compute_bridge(
    frame,
    chain: Sequence[str],
    by: Sequence[str] | str | None,
    period_column: str,
    before,
    after,
    method: str = "das_gupta",
    rate_names: Sequence[str] | None = None,
):
    """Split a funnel metric's change into volume, mix and rate effects per segment.

    ``chain`` names additive columns along a funnel, e.g. ``["leads",
    "opportunities", "pipeline"]``: the metric is the last one and, per
    segment, it equals total leads (``volume``) x the segment's share of leads
    (``mix``) x opportunities per lead x pipeline per opportunity.  Rows are
    summed per segment and period first, so one row per deal works.  Effects are
    named ``volume``, ``mix`` (only with ``by``) and ``rate_names`` (default
    ``opportunities/leads``, ``pipeline/opportunities``).

    >>> import pandas as pd
    >>> data = pd.DataFrame({"week": ["w1", "w2"], "leads": [100, 120], "pipeline": [5000.0, 4800.0]})
    >>> compute_bridge(data, ["leads", "pipeline"], None, "week", "w1", "w2")[["effect", "contribution"]].round(2).to_dict("list")
    {'effect': ['volume', 'pipeline/leads'], 'contribution': [900.0, -1100.0]}
    """

    chain = list(chain)
    if len(chain) < 2:
        raise ParameterError(f"chain needs at least two columns (a volume and the metric); got {chain!r}")
    dims = _dims(by)
    names = list(rate_names) if rate_names is not None else [f"{chain[k]}/{chain[k - 1]}" for k in range(1, len(chain))]
    if len(names) != len(chain) - 1:
        raise ParameterError(f"rate_names needs {len(chain) - 1} names, one per step of the chain; got {len(names)}")
    check_columns(list(frame.columns), [period_column, *dims, *chain], "data")
    check_different_periods(before, after)

    totals = [_sums(frame, dims, chain, period_column, value) for value in (before, after)]
    both = _side_by_side(*totals)
    counts = {period: both[[f"{c}_{period}" for c in chain]].to_numpy() for period in ("before", "after")}
    for period, value in (("before", before), ("after", after)):
        _check_funnel(counts[period], chain, both.index, dims, value)

    rates = {period: _rates(counts[period]) for period in ("before", "after")}
    for step in range(rates["before"].shape[1]):
        _fill_undefined(rates["before"][:, step], rates["after"][:, step])
    columns = {}
    for period in ("before", "after"):
        volume = counts[period][:, 0].sum()
        share = counts[period][:, 0] / volume if volume != 0 else np.zeros(len(both))
        columns[period] = [np.full(len(both), volume)] + ([share] if dims else []) + list(rates[period].T)
    effect_names = ["volume"] + (["mix"] if dims else []) + names
    factor_before = np.column_stack(columns["before"])
    factor_after = np.column_stack(columns["after"])
    return _long_result(both.index, dims, effect_names, factor_before, factor_after, method)


def compute_size_average_split(frame, total: str, size: str, by, period_column: str, before, after):
    """Split each segment's change of ``total`` into a size effect and an average effect, as Wise Pizza does.

    With size w and average a = total / w: size effect = (w1 - w0) x a1 and
    average effect = w0 x (a1 - a0) (``wise_pizza.utils.diff_dataset``).  This
    split is not symmetric: the size effect is valued at the new average.  A
    segment absent in a period takes that period's overall average, as Wise
    Pizza fills it.  Returns the long frame of :func:`compute_factor_bridge`
    with effects ``size`` and ``average``.
    """
    dims = _dims(by)
    check_columns(list(frame.columns), [period_column, *dims, total, size], "data")
    check_different_periods(before, after)
    sums = [_sums(frame, dims, [total, size], period_column, value) for value in (before, after)]
    both = _side_by_side(*sums)
    factor = {}
    for period, summed, value in zip(("before", "after"), sums, (before, after)):
        sizes, totals = both[f"{size}_{period}"].to_numpy(), both[f"{total}_{period}"].to_numpy()
        overall = summed[total].sum() / summed[size].sum() if summed[size].sum() != 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            average = np.where(sizes != 0, totals / sizes, overall)
        if ((sizes == 0) & (totals != 0)).any():
            raise AnalysisError(f"data: {total!r} is not zero where {size!r} is zero, in period {str(value)!r}")
        factor[period] = np.column_stack([sizes, average])
    contribution = np.column_stack(
        [
            (factor["after"][:, 0] - factor["before"][:, 0]) * factor["after"][:, 1],
            factor["before"][:, 0] * (factor["after"][:, 1] - factor["before"][:, 1]),
        ]
    )
    return _long_frame(both.index, dims, ["size", "average"], factor["before"], factor["after"], contribution)


def summarise_bridge(bridge):
    """Return the total contribution of each effect, in the bridge's order of effects."""
    order = list(dict.fromkeys(bridge["effect"]))
    summary = bridge.groupby("effect", sort=False)["contribution"].apply(lambda s: math.fsum(s)).reindex(order)
    return summary.rename_axis("effect").reset_index()


def bridge_steps(bridge, before_label: str = "before", after_label: str = "after"):
    """Return the waterfall of a bridge: the before total, one step per effect, the after total.

    Columns: step, kind (``total`` or ``effect``), amount, start, end - a bar
    runs from start to end.  The products of the factor values give the totals,
    so this works for every bridge in this module.
    """
    import pandas as pd

    per_segment = bridge.groupby("segment", sort=False)[["before", "after"]].prod()
    total_before, total_after = math.fsum(per_segment["before"]), math.fsum(per_segment["after"])
    summary = summarise_bridge(bridge)
    rows = [{"step": before_label, "kind": "total", "amount": total_before, "start": 0.0, "end": total_before}]
    level = total_before
    for effect, amount in zip(summary["effect"], summary["contribution"]):
        rows.append({"step": effect, "kind": "effect", "amount": amount, "start": level, "end": level + amount})
        level += amount
    rows.append({"step": after_label, "kind": "total", "amount": total_after, "start": 0.0, "end": total_after})
    return pd.DataFrame(rows)


# --- helpers ------------------------------------------------------------------------------


def _dims(by) -> list[str]:
    if by is None:
        return []
    return [part.strip() for part in by.split(",")] if isinstance(by, str) else list(by)


def _sums(frame, dims, columns, period_column, value):
    import pandas as pd

    mask = frame_period_mask(frame[period_column], value, period_column, "data")
    numbers = pd.DataFrame({column: frame_numbers(frame, column, "data")[mask] for column in columns})
    if not dims:
        return numbers.sum().to_frame().T.set_axis(pd.Index([ALL_SEGMENTS], name="segment"))
    keys = [frame[dim].astype("string").fillna("(blank)").to_numpy()[mask] for dim in dims]
    return numbers.groupby(keys).sum().rename_axis(dims)


def _one_row_per_segment(frame, dims, factors, period_column, value):
    mask = frame_period_mask(frame[period_column], value, period_column, "data")
    rows = frame.loc[mask, [*dims, *factors]]
    if dims:
        duplicated = rows.duplicated(subset=dims)
        if duplicated.any():
            first = rows.loc[duplicated, dims].iloc[0].to_dict()
            raise AnalysisError(
                f"data: more than one row for {segment_label(first)} in period {str(value)!r}",
                hint="factors such as rates cannot be summed; give one row per segment and period",
            )
        index = rows[dims].astype("string").fillna("(blank)")
        result = rows[factors].astype(float).set_axis(
            index.set_index(dims).index if len(dims) > 1 else index[dims[0]].rename(dims[0])
        )
    else:
        if len(rows) != 1:
            raise AnalysisError(f"data: {len(rows)} rows in period {str(value)!r}; without by, give exactly one")
        result = rows[factors].astype(float).set_axis([ALL_SEGMENTS])
        result.index.name = "segment"
    return result


def _check_funnel(counts: np.ndarray, chain, index, dims, period) -> None:
    for step in range(1, counts.shape[1]):
        broken = (counts[:, step - 1] == 0) & (counts[:, step] != 0)
        if broken.any():
            row = int(np.flatnonzero(broken)[0])
            where = segment_label(dict(zip(dims, _as_tuple(index[row])))) if dims else "the total"
            raise AnalysisError(
                f"data: {chain[step]!r} is {counts[row, step]:g} but {chain[step - 1]!r} is 0 for {where} "
                f"in period {str(period)!r}",
                hint="each column of the chain must come from the one before it (no pipeline without opportunities)",
            )


def _rates(counts: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts[:, :-1] != 0, counts[:, 1:] / counts[:, :-1], np.nan)


def _fill_undefined(before: np.ndarray, after: np.ndarray) -> None:
    """Fill rates that were never observed in place: the other period's rate, else 0."""
    missing_before, missing_after = np.isnan(before), np.isnan(after)
    before[missing_before] = np.where(missing_after[missing_before], 0.0, after[missing_before])
    after[missing_after] = np.where(np.isnan(before[missing_after]), 0.0, before[missing_after])


def _side_by_side(before, after):
    """Segments of both periods in one frame, columns suffixed; a segment missing in a period is 0."""
    return before.add_suffix("_before").join(after.add_suffix("_after"), how="outer").fillna(0.0)


def _as_tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def _long_result(index, dims, effect_names, factor_before, factor_after, method):
    contribution = product_effects(factor_before, factor_after, method)
    return _long_frame(index, dims, effect_names, factor_before, factor_after, contribution)


def _long_frame(index, dims, effect_names, factor_before, factor_after, contribution):
    import pandas as pd

    keys = [_as_tuple(key) for key in index]
    labels = [segment_label(dict(zip(dims, key))) if dims else ALL_SEGMENTS for key in keys]
    count = len(effect_names)
    result = pd.DataFrame({"segment": np.repeat(labels, count)})
    for position, dim in enumerate(dims):
        result[dim] = pd.array(np.repeat([key[position] for key in keys], count), dtype="string")
    result["effect"] = np.tile(effect_names, len(keys))
    result["before"] = factor_before.reshape(-1)
    result["after"] = factor_after.reshape(-1)
    result["contribution"] = contribution.reshape(-1)
    return result
