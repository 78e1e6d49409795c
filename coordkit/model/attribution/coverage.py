"""Do the bootstrap intervals cover the truth as often as they claim? A simulation.

A population of journeys with planted effects: path lengths ``1 + Poisson(1.5)``
(at most 8 touches), channels drawn with fixed probabilities, and a
conversion probability that rises with each distinct channel touched (each
channel its own lift), so models disagree and no share equals a channel's
draw probability. The *true* share of each channel under a model is that
model's share on a very large sample (``truth_journeys``, the estimator's
limit). Each replication draws ``journeys`` journeys, computes the
``level`` interval of every channel's share with :func:`.intervals.bootstrap_credit`,
and records whether it contains the true share; coverage is the fraction
of (replication, channel) intervals that do.

``benchmarks/attribution_coverage.py`` prints the table; a slow test checks
it stays within 3 points of nominal.
"""

from __future__ import annotations

import numpy as np

from coordkit.model.attribution.array_models import channel_credit, shapley_channel_credit
from coordkit.model.attribution.arrays import TouchArrays
from coordkit.model.attribution.intervals import bootstrap_credit

__all__ = ["CHANNEL_PROBABILITIES", "LIFTS", "interval_coverage", "simulate_journeys"]

CHANNELS = ("display", "email", "paid_search", "social")
CHANNEL_PROBABILITIES = np.array([0.4, 0.25, 0.2, 0.15])
BASE_RATE = 0.05
#: added conversion probability per distinct channel touched
LIFTS = np.array([0.02, 0.12, 0.20, 0.06])


def simulate_journeys(n: int, rng) -> TouchArrays:
    """``n`` journeys from the planted population (one journey per row)."""
    lengths = np.minimum(1 + rng.poisson(1.5, n), 8).astype(np.int64)
    channel = rng.choice(len(CHANNELS), size=int(lengths.sum()), p=CHANNEL_PROBABILITIES).astype(np.int32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    journey = np.repeat(np.arange(n), lengths)
    touched = np.zeros((n, len(CHANNELS)), dtype=bool)
    touched[journey, channel] = True
    rate = np.minimum(BASE_RATE + touched @ LIFTS, 0.95)
    converted = rng.random(n) < rate
    value = np.where(converted, rng.gamma(2.0, 50.0, n), 0.0)
    return TouchArrays(
        channels=CHANNELS, channel=channel, starts=starts, n_touches=lengths, age_seconds=None,
        conversions=converted.astype(np.float64), conversion_value=value,
        non_conversions=(~converted).astype(np.float64),
    )


def _shares(arrays: TouchArrays, model: str) -> np.ndarray:
    credit = shapley_channel_credit(arrays) if model == "shapley" else channel_credit(arrays, model)
    conversions = np.asarray(credit["conversions"], dtype=np.float64)
    return conversions / conversions.sum()


def interval_coverage(
    model: str,
    *,
    level: float = 0.9,
    replications: int = 400,
    journeys: int = 3000,
    resamples: int = 400,
    truth_journeys: int = 2_000_000,
    seed: int = 0,
) -> dict:
    """Coverage of the ``level`` share intervals of ``model`` over ``replications`` samples.

    Returns ``{"model", "level", "coverage", "per_channel" (dict), "mean_width",
    "intervals", "true_shares" (dict)}``.
    """
    rng = np.random.default_rng(seed)
    truth = _shares(simulate_journeys(truth_journeys, rng), model)
    hits = np.zeros(len(CHANNELS))
    widths = []
    for i in range(replications):
        sample = simulate_journeys(journeys, rng)
        result = bootstrap_credit(sample, model, level=level, resamples=resamples, seed=seed * 100_003 + i)
        low, high = np.asarray(result["share_low"]), np.asarray(result["share_high"])
        hits += (low <= truth) & (truth <= high)
        widths.append(high - low)
    per_channel = hits / replications
    return {
        "model": model,
        "level": level,
        "coverage": float(hits.sum() / (replications * len(CHANNELS))),
        "per_channel": dict(zip(CHANNELS, per_channel.tolist())),
        "mean_width": float(np.mean(widths)),
        "intervals": replications * len(CHANNELS),
        "true_shares": dict(zip(CHANNELS, truth.tolist())),
    }
