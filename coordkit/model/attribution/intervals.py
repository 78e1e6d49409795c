"""How sure is a channel's credit? Bootstrap intervals over journeys.

Each replicate draws as many journeys as the data holds, with replacement
(a path row standing for ``c`` converting and ``n`` non-converting journeys
counts as ``c + n`` journeys), and recomputes the model on them: rule and
milestone models re-weight the journeys' fixed shares; Markov re-solves the
chain and Shapley re-computes its coalition rates, so their intervals carry
the uncertainty of the fitted model too. The interval is the percentile
interval of the replicates (``level`` = 0.9 gives the 5th and 95th
percentiles). ``benchmarks/attribution_coverage.py`` measures how often such
intervals contain planted true shares (docs/attribution.md, Intervals).

Google recommends about 200 conversions before trusting data-driven
attribution; :func:`low_volume_warning` says so when a Markov or Shapley run
has fewer.
"""

from __future__ import annotations

import numpy as np

from coordkit.errors import ParameterError
from coordkit.model.attribution.array_models import (
    MarkovPlan,
    channel_credit,
    journey_channel_credit,
    shapley_channel_credit,
    touch_weights_arrays,
)
from coordkit.model.attribution.arrays import TouchArrays

__all__ = [
    "DATA_DRIVEN_MODELS",
    "DEFAULT_RESAMPLES",
    "MIN_DATA_DRIVEN_CONVERSIONS",
    "bootstrap_credit",
    "low_volume_warning",
    "percentile_interval",
    "resample_counts",
]

DEFAULT_RESAMPLES = 1000
#: Google Ads: data-driven attribution needs about 200 conversions (docs/attribution.md)
MIN_DATA_DRIVEN_CONVERSIONS = 200
DATA_DRIVEN_MODELS = ("markov", "shapley")
_CHUNK = 64


def low_volume_warning(model: str, conversions: float) -> str | None:
    """A sentence when a data-driven model runs on too few conversions, else None."""
    if model in DATA_DRIVEN_MODELS and conversions < MIN_DATA_DRIVEN_CONVERSIONS:
        return (
            f"{model} is data-driven and this data has only {conversions:.6g} conversions "
            f"(fewer than {MIN_DATA_DRIVEN_CONVERSIONS}, Google's minimum for data-driven attribution): "
            "its credit can swing a lot with a few journeys; read the interval (--interval 0.9) "
            "or use a rule-based model"
        )
    return None


def check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ParameterError(f"interval level must be a number between 0 and 1, e.g. 0.9; got {level!r}")
    return float(level)


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile bounds over axis 0 of ``replicates``."""
    tail = (1.0 - check_level(level)) / 2.0
    return np.quantile(replicates, tail, axis=0), np.quantile(replicates, 1.0 - tail, axis=0)


def resample_counts(conversions: np.ndarray, non_conversions: np.ndarray, resamples: int, rng) -> tuple:
    """Yield ``(conversions, non_conversions)`` per replicate, journeys drawn with replacement.

    Rows may stand for many journeys (path files); counts must be whole.
    """
    counts = np.concatenate((conversions, non_conversions))
    if np.any(np.abs(counts - np.round(counts)) > 1e-9):
        raise ParameterError("the bootstrap needs whole journey counts; this data has fractional ones")
    total = int(round(counts.sum()))
    p = counts / counts.sum()
    rows = len(conversions)
    for start in range(0, resamples, _CHUNK):
        draws = rng.multinomial(total, p, size=min(_CHUNK, resamples - start)).astype(np.float64)
        for draw in draws:
            yield draw[:rows], draw[rows:]


def bootstrap_credit(
    arrays: TouchArrays,
    model: str,
    *,
    level: float = 0.9,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    order: int = 1,
    half_life_hours: float | None = None,
    allocation: str | None = None,
    ordered: bool = False,
) -> dict:
    """Point credit per channel with percentile intervals.

    Returns columns (lists / arrays, channels sorted): ``channel``,
    ``conversions``, ``conversions_low``, ``conversions_high``,
    ``conversion_value`` (+ ``_low`` / ``_high``), ``share`` (of all
    conversions credited) and ``share_low`` / ``share_high``.
    """
    check_level(level)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 20:
        raise ParameterError(f"resamples must be a whole number of at least 20; got {resamples!r}")
    options = {} if half_life_hours is None else {"half_life_hours": half_life_hours}
    rng = np.random.default_rng(seed)
    conv, null, value = arrays.conversions, arrays.non_conversions, arrays.conversion_value
    value_per_conversion = np.divide(value, conv, out=np.zeros_like(value), where=conv > 0)
    k = len(arrays.channels)
    reps_conv = np.empty((resamples, k))
    reps_value = np.empty((resamples, k))
    if model == "shapley":
        point = shapley_channel_credit(arrays, ordered=ordered, allocation=allocation or "journey")
        for i, (c, n) in enumerate(resample_counts(conv, null, resamples, rng)):
            redrawn = _with_counts(arrays, c, n, value_per_conversion)
            credit = shapley_channel_credit(redrawn, ordered=ordered, allocation=allocation or "journey")
            reps_conv[i], reps_value[i] = credit["conversions"], credit["conversion_value"]
    elif model == "markov":
        allocation = allocation or "global"
        point = channel_credit(arrays, model, order=order, allocation=allocation)
        plan = MarkovPlan(arrays, order)
        for i, (c, n) in enumerate(resample_counts(conv, null, resamples, rng)):
            _, effects = plan.effects(c, n)
            if allocation == "global":
                total = effects.sum()
                share = effects / total if total > 0 else np.zeros(k)
                reps_conv[i] = share * c.sum()
                reps_value[i] = share * (c * value_per_conversion).sum()
            else:
                shares = journey_channel_credit(arrays, touch_weights_arrays(arrays, model, effects=effects))
                reps_conv[i], reps_value[i] = c @ shares, (c * value_per_conversion) @ shares
    else:
        point = channel_credit(arrays, model, **options)
        shares = journey_channel_credit(arrays, touch_weights_arrays(arrays, model, **options))
        for i, (c, _n) in enumerate(resample_counts(conv, null, resamples, rng)):
            reps_conv[i], reps_value[i] = c @ shares, (c * value_per_conversion) @ shares
    totals = reps_conv.sum(axis=1, keepdims=True)
    reps_share = np.divide(reps_conv, totals, out=np.zeros_like(reps_conv), where=totals > 0)
    point_total = float(np.sum(point["conversions"]))
    result = {"channel": list(point["channel"])}
    for name, reps, estimate in (
        ("conversions", reps_conv, np.asarray(point["conversions"])),
        ("conversion_value", reps_value, np.asarray(point["conversion_value"])),
        ("share", reps_share, np.asarray(point["conversions"]) / point_total if point_total > 0 else np.zeros(k)),
    ):
        low, high = percentile_interval(reps, level)
        result[name], result[f"{name}_low"], result[f"{name}_high"] = estimate, low, high
    return result


def _with_counts(arrays: TouchArrays, conversions, non_conversions, value_per_conversion) -> TouchArrays:
    from dataclasses import replace

    return replace(
        arrays,
        conversions=conversions,
        non_conversions=non_conversions,
        conversion_value=conversions * value_per_conversion,
    )

