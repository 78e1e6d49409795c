"""Conversion paths as GA4 reports them, and every model side by side.

All functions take :class:`.arrays.TouchArrays` and return plain column
dicts (no pandas, so the CLI stays fast); ``pandas.DataFrame(result)`` turns
any of them into a frame.

* :func:`top_paths`: converting paths by conversions, with value, touches
  and mean days to convert (GA4: "days from the first touchpoint to the
  conversion").
* :func:`path_length_table` / :func:`days_to_convert_table`: conversions per
  path length and per whole day from first touch to conversion.
* :func:`stage_credit`: a model's credit per channel split into GA4's early,
  mid and late touchpoints: late = the last ``ceil(n / 4)`` touches, early =
  the first ``round(n / 4)`` (halves rounded up; none when ``n == 1``), mid =
  the rest (none when ``n < 3``).
* :func:`compare_models`: every model's credit per channel with the change
  against last touch.
"""

from __future__ import annotations

import math

import numpy as np

from coordkit.model.attribution.array_models import (
    channel_credit,
    shapley_channel_credit,
    touch_weights_arrays,
)
from coordkit.model.attribution.arrays import TouchArrays

__all__ = [
    "COMPARE_MODELS",
    "STAGES",
    "compare_models",
    "days_to_convert_table",
    "path_length_table",
    "stage_credit",
    "stage_of_touches",
    "top_paths",
]

STAGES = ("early", "mid", "late")
#: what ``--compare-models`` runs on a journey file (full_path / custom need a workspace)
COMPARE_MODELS = ("last", "first", "linear", "time_decay", "position", "u_shaped", "w_shaped", "markov", "shapley")
SEPARATOR = " > "


def _converting(arrays: TouchArrays) -> TouchArrays:
    return arrays.subset(arrays.conversions > 0)


def _days(arrays: TouchArrays) -> np.ndarray | None:
    """Days from each journey's first touch to its end (conversion), or None without times."""
    if arrays.age_seconds is None:
        return None
    return arrays.age_seconds[arrays.starts] / 86400.0 if arrays.n_journeys else np.zeros(0)


def top_paths(arrays: TouchArrays, limit: int = 20) -> dict:
    """The ``limit`` converting paths with most conversions (ties: path text)."""
    conv = _converting(arrays)
    days = _days(conv)
    totals: dict = {}
    for i, path in enumerate(conv.paths()):
        row = totals.setdefault(path, [0.0, 0.0, 0.0])
        row[0] += conv.conversions[i]
        row[1] += conv.conversion_value[i]
        row[2] += conv.conversions[i] * (days[i] if days is not None else 0.0)
    order = sorted(totals, key=lambda p: (-totals[p][0], SEPARATOR.join(p)))[:limit]
    all_conversions = float(conv.conversions.sum())
    return {
        "path": [SEPARATOR.join(p) for p in order],
        "touches": [len(p) for p in order],
        "conversions": [totals[p][0] for p in order],
        "conversion_value": [totals[p][1] for p in order],
        "share": [totals[p][0] / all_conversions if all_conversions else 0.0 for p in order],
        "mean_days_to_convert": [
            (totals[p][2] / totals[p][0] if days is not None and totals[p][0] else None) for p in order
        ],
    }


def path_length_table(arrays: TouchArrays) -> dict:
    """Conversions and value per number of touches in the converting path."""
    conv = _converting(arrays)
    lengths = np.unique(conv.n_touches)
    index = np.searchsorted(lengths, conv.n_touches)
    return {
        "touches": lengths.tolist(),
        "conversions": np.bincount(index, weights=conv.conversions, minlength=len(lengths)).tolist(),
        "conversion_value": np.bincount(index, weights=conv.conversion_value, minlength=len(lengths)).tolist(),
    }


def days_to_convert_table(arrays: TouchArrays) -> dict:
    """Conversions per whole day from first touch to conversion (0 = same day); empty without times."""
    conv = _converting(arrays)
    days = _days(conv)
    if days is None:
        return {"days": [], "conversions": [], "conversion_value": []}
    whole = np.floor(days).astype(np.int64)
    values = np.unique(whole)
    index = np.searchsorted(values, whole)
    return {
        "days": values.tolist(),
        "conversions": np.bincount(index, weights=conv.conversions, minlength=len(values)).tolist(),
        "conversion_value": np.bincount(index, weights=conv.conversion_value, minlength=len(values)).tolist(),
    }


def stage_of_touches(position: np.ndarray, n: np.ndarray) -> np.ndarray:
    """GA4 stage of every touch: 0 early, 1 mid, 2 late (module docstring)."""
    late = np.ceil(n / 4.0).astype(np.int64)
    early = np.where(n == 1, 0, np.floor(n / 4.0 + 0.5).astype(np.int64))
    return np.where(position >= n - late, 2, np.where(position < early, 0, 1))


def stage_credit(arrays: TouchArrays, model: str, **options) -> dict:
    """Credit (conversions and value) per channel and GA4 stage under a touch-level model."""
    weight = touch_weights_arrays(arrays, model, **options)
    n = np.repeat(arrays.n_touches, arrays.n_touches)
    stage = stage_of_touches(arrays.position, n)
    conv = np.repeat(arrays.conversions, arrays.n_touches) * weight
    value = np.repeat(arrays.conversion_value, arrays.n_touches) * weight
    k = len(arrays.channels)
    cell = arrays.channel.astype(np.int64) * 3 + stage
    conv_cells = np.bincount(cell, weights=conv, minlength=3 * k)
    value_cells = np.bincount(cell, weights=value, minlength=3 * k)
    return {
        "channel": [c for c in arrays.channels for _ in STAGES],
        "stage": [s for _ in arrays.channels for s in STAGES],
        "conversions": conv_cells.tolist(),
        "conversion_value": value_cells.tolist(),
    }


def compare_models(arrays: TouchArrays, models=COMPARE_MODELS, **options) -> dict:
    """Long table: channel, model, conversions, conversion_value, share and change against last touch.

    ``change_vs_last`` is the difference in credited conversions;
    ``change_vs_last_pct`` divides it by last touch's credit (None when last
    touch credits the channel nothing).
    """
    credits = {}
    for model in models:
        if model == "shapley":
            credits[model] = shapley_channel_credit(arrays)
        else:
            extra = {k: v for k, v in options.items() if (k == "order" and model == "markov")
                     or (k == "half_life_hours" and model == "time_decay")}
            credits[model] = channel_credit(arrays, model, **extra)
    last = credits["last"]["conversions"] if "last" in credits else channel_credit(arrays, "last")["conversions"]
    result = {k: [] for k in ("channel", "model", "conversions", "conversion_value", "share",
                              "change_vs_last", "change_vs_last_pct")}
    for i, channel in enumerate(arrays.channels):
        for model in models:
            c = float(credits[model]["conversions"][i])
            total = float(np.sum(credits[model]["conversions"]))
            result["channel"].append(channel)
            result["model"].append(model)
            result["conversions"].append(c)
            result["conversion_value"].append(float(credits[model]["conversion_value"][i]))
            result["share"].append(c / total if total else 0.0)
            result["change_vs_last"].append(c - float(last[i]))
            result["change_vs_last_pct"].append(
                100.0 * (c - float(last[i])) / float(last[i]) if last[i] and not math.isclose(last[i], 0.0) else None
            )
    return result
