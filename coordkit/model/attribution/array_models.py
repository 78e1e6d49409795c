"""Every rule model and Markov on :class:`.arrays.TouchArrays`, vectorised with numpy.

The conventions are those of :mod:`.rules`, :mod:`.milestones` and
:mod:`.markov` (docs/attribution.md); tests check both engines agree to 1e-9.
``journey_channel_credit`` gives the (journey x channel) credit matrix the
bootstrap resamples.
"""

from __future__ import annotations

import math

import numpy as np

from coordkit.errors import AttributionError, ParameterError, allowed_values_message
from coordkit.model.attribution.arrays import TouchArrays
from coordkit.model.attribution.chain import removal_effect_arrays
from coordkit.model.attribution.milestones import milestone_weights_numpy, milestone_model_roles

__all__ = [
    "ARRAY_MODELS",
    "MarkovPlan",
    "channel_credit",
    "channel_sets_frame",
    "shapley_channel_credit",
    "journey_channel_credit",
    "markov_chain_arrays",
    "touch_weights_arrays",
]

RULE_MODELS = ("first", "last", "linear", "time_decay", "position", "w_shaped", "u_shaped")
ARRAY_MODELS = (*RULE_MODELS, "markov")
DEFAULT_HALF_LIFE_HOURS = 7 * 24.0
MAX_ORDER = 4


def _segment_sum(values: np.ndarray, arrays: TouchArrays) -> np.ndarray:
    if not len(values):
        return np.zeros(arrays.n_journeys)
    return np.add.reduceat(values, arrays.starts)


def _rule(arrays: TouchArrays, model: str, half_life_hours: float) -> np.ndarray:
    n = arrays.touch_n
    pos = arrays.position
    if model == "first":
        return (pos == 0).astype(np.float64)
    if model == "last":
        return (pos == n - 1).astype(np.float64)
    if model == "linear":
        return 1.0 / n.astype(np.float64)
    if model == "position":
        with np.errstate(divide="ignore"):
            middle = 0.2 / (n - 2).astype(np.float64)
        weight = np.where((pos == 0) | (pos == n - 1), 0.4, middle)
        return np.where(n == 1, 1.0, np.where(n == 2, 0.5, weight))
    if model == "time_decay":
        if arrays.age_seconds is None:
            if (arrays.conversions > 0).any():
                raise AttributionError(
                    "time_decay needs touch times; path files carry none",
                    hint="use an event-level file, or another model",
                )
            return 1.0 / n.astype(np.float64)
        age = arrays.age_seconds
        youngest = np.minimum.reduceat(age, arrays.starts) if len(age) else age
        relative = age - np.repeat(youngest, arrays.n_touches)
        raw = np.exp(relative * -math.log(2.0) / (float(half_life_hours) * 3600.0))
        return raw / np.repeat(_segment_sum(raw, arrays), arrays.n_touches)
    # w_shaped / u_shaped: milestone roles, with the event-file fallbacks of docs/attribution.md
    positions, weights, rest, equal_small = milestone_model_roles(model, arrays.n_touches, arrays.milestones)
    weight = milestone_weights_numpy(pos, arrays.n_touches, positions, weights, rest)
    if equal_small is not None:
        small = np.repeat(equal_small, arrays.n_touches)
        weight = np.where(small, 1.0 / n.astype(np.float64), weight)
    return weight


def check_order(order) -> int:
    allowed = tuple(range(1, MAX_ORDER + 1))
    if isinstance(order, bool) or order not in allowed:
        raise ParameterError(allowed_values_message("Markov order", order, allowed))
    return int(order)


def _state_codes(arrays: TouchArrays, order: int) -> np.ndarray:
    """Integer code of each touch's state: its last ``order`` channels (base K+1 digits, 0 = none)."""
    base = len(arrays.channels) + 1
    code = arrays.channel.astype(np.int64) + 1
    pos = arrays.position if order > 1 else None
    for back in range(1, order):
        earlier = np.zeros_like(code)
        earlier[back:] = arrays.channel[:-back].astype(np.int64) + 1
        earlier = np.where(pos >= back, earlier, 0)
        code = code + earlier * base**back
    return code


class MarkovPlan:
    """The chain's structure for one journey set: which step each journey makes.

    Transition masses are then a weighted count over the journeys, so the
    bootstrap re-solves a resampled chain without rebuilding the states.
    """

    def __init__(self, arrays: TouchArrays, order: int = 1):
        order = check_order(order)
        if arrays.n_journeys == 0:
            raise AttributionError("no journeys to build a Markov chain from")
        code = _state_codes(arrays, order)
        space = (len(arrays.channels) + 1) ** order
        if space <= 4_000_000:  # small state space: a presence table instead of sorting every touch
            present = np.bincount(code, minlength=space) > 0
            states = np.flatnonzero(present)
            state = (np.cumsum(present) - 1)[code] + 1  # 0 is (start)
        else:
            states, state = np.unique(code, return_inverse=True)
            state = state.astype(np.int64) + 1
        k = len(states) + 1
        last = arrays.starts + arrays.n_touches - 1
        # Every step between touches, as adjacent pairs of the touch array: the pair from a
        # journey's last touch into the next journey's first gets no mass (effects), which
        # is cheaper at 10M touches than picking the inner pairs out. Then (start) -> first touch.
        steps = state[:-1] * k + state[1:]
        first = state[arrays.starts]  # (start) is state 0, so its pair code is the state itself
        if k * k <= 4_000_000:  # small chains: count straight into the (from, to) grid
            self.pairs, self.step_index, self.first_index = np.arange(k * k), steps, first
        else:  # big higher-order chains: only the observed pairs
            self.pairs, index = np.unique(np.concatenate((steps, first)), return_inverse=True)
            self.step_index, self.first_index = index[: len(steps)], index[len(steps) :]
        self.crossing = last[:-1]  # the step out of each journey's last touch (none after the final one)
        self.n_touches = arrays.n_touches
        self.last_state = state[last]
        self.size = k
        base_k = len(arrays.channels) + 1
        digits = np.stack([(states // base_k**d) % base_k for d in range(order)], axis=1) - 1
        self.dead_sets = []
        for c in range(len(arrays.channels)):
            dead = np.zeros(k, dtype=bool)
            dead[1:] = (digits == c).any(axis=1)
            self.dead_sets.append(dead)

    def effects(self, conversions: np.ndarray, non_conversions: np.ndarray) -> tuple[float, np.ndarray]:
        """Base conversion probability and removal effect per channel for these journey masses."""
        k = self.size
        journey_mass = conversions + non_conversions
        step_mass = np.repeat(journey_mass, self.n_touches)[:-1]
        step_mass[self.crossing] = 0.0
        pair_mass = np.bincount(self.step_index, weights=step_mass, minlength=len(self.pairs))
        pair_mass += np.bincount(self.first_index, weights=journey_mass, minlength=len(self.pairs))
        to_conv = np.bincount(self.last_state, weights=conversions, minlength=k)
        to_null = np.bincount(self.last_state, weights=non_conversions, minlength=k)
        keep = pair_mass > 0
        nz, nz_mass = self.pairs[keep], pair_mass[keep]
        c_nz, n_nz = np.flatnonzero(to_conv > 0), np.flatnonzero(to_null > 0)
        frm = np.concatenate((nz // k, c_nz, n_nz))
        to = np.concatenate((nz % k, np.zeros(len(c_nz) + len(n_nz), dtype=np.int64)))
        count = np.concatenate((nz_mass, to_conv[c_nz], to_null[n_nz]))
        is_conv = np.zeros(len(frm), dtype=bool)
        is_conv[len(nz) : len(nz) + len(c_nz)] = True
        is_null = np.zeros(len(frm), dtype=bool)
        is_null[len(nz) + len(c_nz) :] = True
        base, _, effect = removal_effect_arrays(k, frm, to, count, is_conv, is_null, self.dead_sets)
        return base, effect


def markov_chain_arrays(arrays: TouchArrays, order: int = 1) -> tuple[float, np.ndarray]:
    """Base conversion probability and removal effect per channel code."""
    return MarkovPlan(arrays, order).effects(arrays.conversions, arrays.non_conversions)


def touch_weights_arrays(
    arrays: TouchArrays,
    model: str,
    *,
    order: int = 1,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    effects: np.ndarray | None = None,
) -> np.ndarray:
    """Weight of every touch (per journey they sum to 1); Markov per-journey allocation."""
    if model not in ARRAY_MODELS:
        raise ParameterError(allowed_values_message("model", model, ARRAY_MODELS))
    if model != "markov":
        return _rule(arrays, model, half_life_hours)
    if effects is None:
        _, effects = markov_chain_arrays(arrays, order)
    effect = effects[arrays.channel]
    total = np.repeat(_segment_sum(effect, arrays), arrays.n_touches)
    n = np.repeat(arrays.n_touches, arrays.n_touches).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, effect / total, 1.0 / n)


def channel_credit(
    arrays: TouchArrays,
    model: str,
    *,
    order: int = 1,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    allocation: str = "global",
) -> dict:
    """``{"channel": [...], "conversions": array, "conversion_value": array}``, channels sorted."""
    k = len(arrays.channels)
    if model == "markov" and allocation == "global":
        _, effects = markov_chain_arrays(arrays, order)
        total = effects.sum()
        share = effects / total if total > 0 else np.zeros(k)
        return {
            "channel": list(arrays.channels),
            "conversions": share * float(arrays.conversions.sum()),
            "conversion_value": share * float(arrays.conversion_value.sum()),
        }
    effects = markov_chain_arrays(arrays, order)[1] if model == "markov" else None
    arrays = arrays.credited  # journeys without credit add weight x 0 to every channel
    weight = touch_weights_arrays(arrays, model, order=order, half_life_hours=half_life_hours, effects=effects)
    conv = np.repeat(arrays.conversions, arrays.n_touches) * weight
    value = np.repeat(arrays.conversion_value, arrays.n_touches) * weight
    return {
        "channel": list(arrays.channels),
        "conversions": np.bincount(arrays.channel, weights=conv, minlength=k),
        "conversion_value": np.bincount(arrays.channel, weights=value, minlength=k),
    }


def journey_channel_credit(arrays: TouchArrays, weight: np.ndarray) -> np.ndarray:
    """(journey x channel) share of each journey's credit, from touch weights."""
    k = len(arrays.channels)
    flat = np.bincount(arrays.journey * k + arrays.channel, weights=weight, minlength=arrays.n_journeys * k)
    return flat.reshape(arrays.n_journeys, k)


def channel_sets_frame(arrays: TouchArrays, ordered: bool = False):
    """The coalitions frame of :func:`.shapley.channel_sets` (pandas), built from arrays."""
    import pandas as pd

    totals: dict = {}
    for path, conv, value, null in zip(
        arrays.paths(), arrays.conversions.tolist(), arrays.conversion_value.tolist(), arrays.non_conversions.tolist()
    ):
        key = tuple(dict.fromkeys(path)) if ordered else tuple(sorted(set(path)))
        row = totals.setdefault(key, [0.0, 0.0, 0.0])
        row[0] += conv
        row[1] += value
        row[2] += null
    keys = sorted(totals)
    frame = pd.DataFrame(
        {
            "key": keys,
            "conversions": [totals[k][0] for k in keys],
            "conversion_value": [totals[k][1] for k in keys],
            "non_conversions": [totals[k][2] for k in keys],
        }
    )
    return frame


def _unordered_shapley_numpy(arrays: TouchArrays, allocation: str) -> dict:
    """The closed form of :mod:`.shapley` on bit masks, without pandas (<= 63 channels)."""
    k = len(arrays.channels)
    bits = np.left_shift(np.uint64(1), arrays.channel.astype(np.uint64))
    masks = np.bitwise_or.reduceat(bits, arrays.starts)
    keys, inverse = np.unique(masks, return_inverse=True)
    conv = np.bincount(inverse, weights=arrays.conversions, minlength=len(keys))
    value = np.bincount(inverse, weights=arrays.conversion_value, minlength=len(keys))
    null = np.bincount(inverse, weights=arrays.non_conversions, minlength=len(keys))
    if conv.sum() <= 0:
        raise AttributionError("Shapley attribution needs at least one converting journey")
    members = ((keys[:, None] >> np.arange(k, dtype=np.uint64)) & np.uint64(1)).astype(np.float64)
    journeys = conv + null
    rate = np.divide(conv, journeys, out=np.zeros_like(conv), where=journeys > 0)
    dividend = rate / members.sum(axis=1)  # rate(T) / |T|
    if allocation == "global":
        phi = dividend @ members
        share = phi / phi.sum()
        return {"channel": list(arrays.channels), "conversions": share * conv.sum(),
                "conversion_value": share * value.sum()}
    credit_conv, credit_value = np.zeros(k), np.zeros(k)
    converting = np.flatnonzero(conv > 0)
    for start in range(0, len(converting), 512):  # chunks bound the (J x T) subset matrix
        chunk = converting[start : start + 512]
        within = (keys[None, :] & ~keys[chunk, None]) == 0  # T subset of J
        phi = (within * dividend[None, :]) @ members
        phi = phi / phi.sum(axis=1, keepdims=True)
        credit_conv += conv[chunk] @ phi
        credit_value += value[chunk] @ phi
    return {"channel": list(arrays.channels), "conversions": credit_conv, "conversion_value": credit_value}


def shapley_channel_credit(arrays: TouchArrays, *, ordered: bool = False, allocation: str = "journey") -> dict:
    """Shapley credit per channel (same closed form as :mod:`.shapley`) from arrays.

    The unordered game runs on numpy bit masks; the ordered variant (and more
    than 63 channels, which :mod:`.shapley` refuses with a clear error) go
    through :mod:`.shapley` with pandas.
    """
    if allocation not in ("journey", "global"):
        raise ParameterError(allowed_values_message("Shapley allocation", allocation, ("journey", "global")))
    if not ordered and len(arrays.channels) <= 63:
        return _unordered_shapley_numpy(arrays, allocation)
    from coordkit.model.attribution import shapley as shapley_model

    sets = channel_sets_frame(arrays, ordered)
    shares = shapley_model.shapley_shares(sets, ordered=ordered, allocation=allocation)
    k = len(arrays.channels)
    index = {c: i for i, c in enumerate(arrays.channels)}
    conversions, value = np.zeros(k), np.zeros(k)
    if allocation == "global":
        for channel, share in zip(shares["channel"], shares["share"]):
            conversions[index[channel]] += share * float(sets["conversions"].sum())
            value[index[channel]] += share * float(sets["conversion_value"].sum())
    else:
        by_key = {key: (c, v) for key, c, v in zip(sets["key"], sets["conversions"], sets["conversion_value"])}
        for key, channel, share in zip(shares["key"], shares["channel"], shares["share"]):
            c, v = by_key[key]
            conversions[index[channel]] += share * c
            value[index[channel]] += share * v
    return {"channel": list(arrays.channels), "conversions": conversions, "conversion_value": value}
