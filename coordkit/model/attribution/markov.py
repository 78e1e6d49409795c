"""Markov-chain removal effects of order 1..4, solved exactly.

A journey is a walk ``(start) -> s1 -> s2 -> ... -> (conversion) | (null)``.
For order ``k`` the state after a touch is the tuple of the last ``k``
channels (shorter while the journey is younger than ``k`` touches), so order 1
is the classic channel-to-channel chain. Transition counts are aggregated in
the engine (Ibis, one pass over the touch table with ``lag`` / ``lead``
windows); the chain is small and is solved here with scipy's sparse LU:

* conversion probability ``P = x[start]`` where ``(I - Q) x = r``, ``Q`` the
  transient-to-transient transition probabilities and ``r`` the
  probabilities of stepping into ``(conversion)``;
* removing a channel turns every state that contains it into a dead end (its
  walks go to ``(null)``), and ``removal_effect = 1 - P_without / P``.

Non-converting journeys are part of the chain (they are the ``(null)``
transitions). Self-transitions (the same channel twice in a row) are kept;
for order 1 they cannot change any absorption probability, so coordkit
agrees with peers that drop them.

Two allocations turn removal effects into credit (docs/attribution.md):

``global``  (default, as ChannelAttribution) channel credit =
            ``removal_effect / sum(removal_effects) * total``;
``journey`` each converting journey splits its own conversion over its
            touches in proportion to the removal effect of each touch's
            channel (a channel touched twice counts twice, as
            marketing-attribution-models does).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from coordkit.errors import AttributionError, ParameterError, allowed_values_message
from coordkit.model.attribution.chain import removal_effect_arrays
from coordkit.model.attribution.journeys import TOUCH_COLUMNS, require_columns

__all__ = [
    "ALLOCATIONS",
    "MAX_ORDER",
    "MarkovChain",
    "markov_journey_weights",
    "markov_transitions",
    "removal_effects",
    "transitions_from_paths",
]

MAX_ORDER = 4
ALLOCATIONS = ("global", "journey")
START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"
# separates channels inside an order-k state string; a control character no
# channel label contains
_SEP = "\x1f"


def check_order(order) -> int:
    """Return ``order`` as an int in 1..MAX_ORDER or raise ParameterError."""
    allowed = tuple(range(1, MAX_ORDER + 1))
    if isinstance(order, bool) or order not in allowed:
        raise ParameterError(allowed_values_message("Markov order", order, allowed))
    return int(order)


def markov_transitions(touches: ir.Table, order: int = 1) -> pd.DataFrame:
    """Aggregate a touch table into weighted Markov transitions (pandas).

    Returns ``from_state``, ``to_state`` (tuples of channels, or the
    ``(start)`` / ``(conversion)`` / ``(null)`` markers) and ``count`` (the
    journey mass that made the step), one row per distinct transition.
    """
    order = check_order(order)
    require_columns(touches, TOUCH_COLUMNS, "touch table")
    t = touches
    mass = t.conversions + t.non_conversions
    if order == 1 and "next_channel" in t.columns:
        # the touch table already knows each touch's successor (journeys_from_events
        # computes it in its one ordered pass): no window needed
        steps = t.group_by(
            from_state=t.channel, next_state=t.next_channel, is_first=t.position == 0
        ).aggregate(
            mass=mass.sum(), conversions=t.conversions.sum(), non_conversions=t.non_conversions.sum()
        )
        return _transitions_from_steps(steps.to_pandas())
    walk = ibis.window(group_by=t.journey_id, order_by=t.position)
    state = t.channel
    for back in range(1, order):
        # prepend the channel `back` touches earlier, while the journey has one
        earlier = t.channel.lag(back).over(walk)
        state = ibis.ifelse(t.position >= back, earlier.concat(ibis.literal(_SEP)), ibis.literal("")).concat(state)
    with_state = t.mutate(state=state)
    with_next = with_state.mutate(next_state=with_state.state.lead(1).over(
        ibis.window(group_by=with_state.journey_id, order_by=with_state.position)
    ))
    mass = with_next.conversions + with_next.non_conversions
    grouped = with_next.group_by(
        from_state=with_next.state,
        next_state=with_next.next_state,
        is_first=with_next.position == 0,
    ).aggregate(
        mass=mass.sum(),
        conversions=with_next.conversions.sum(),
        non_conversions=with_next.non_conversions.sum(),
    )
    steps = grouped.to_pandas()
    return _transitions_from_steps(steps)


def _to_state(text: str) -> tuple:
    return tuple(text.split(_SEP))


def _transitions_from_steps(steps: pd.DataFrame) -> pd.DataFrame:
    start = steps[steps["is_first"]].groupby("from_state", sort=True)["mass"].sum()
    middle = steps[steps["next_state"].notna()].groupby(["from_state", "next_state"], sort=True)["mass"].sum()
    ends = steps[steps["next_state"].isna()].groupby("from_state", sort=True)[
        ["conversions", "non_conversions"]
    ].sum()
    rows = [(START, _to_state(s), m) for s, m in start.items()]
    rows += [(_to_state(a), _to_state(b), m) for (a, b), m in middle.items()]
    rows += [(_to_state(s), CONVERSION, m) for s, m in ends["conversions"].items()]
    rows += [(_to_state(s), NULL, m) for s, m in ends["non_conversions"].items()]
    frame = pd.DataFrame(rows, columns=["from_state", "to_state", "count"])
    return frame[frame["count"] > 0].reset_index(drop=True)


def transitions_from_paths(paths: pd.DataFrame, order: int = 1) -> pd.DataFrame:
    """Weighted transitions of a distinct-paths frame, computed in Python.

    Same output as :func:`markov_transitions`; convenient for small inputs
    already aggregated to paths.
    """
    order = check_order(order)
    counts: dict = {}

    def add(a, b, m):
        if m:
            counts[(a, b)] = counts.get((a, b), 0.0) + float(m)

    for path, conv, null in zip(paths["path"], paths["conversions"], paths["non_conversions"]):
        states = [tuple(path[max(0, i + 1 - order) : i + 1]) for i in range(len(path))]
        add(START, states[0], conv + null)
        for a, b in zip(states, states[1:]):
            add(a, b, conv + null)
        add(states[-1], CONVERSION, conv)
        add(states[-1], NULL, null)
    rows = [(a, b, m) for (a, b), m in counts.items()]
    return pd.DataFrame(rows, columns=["from_state", "to_state", "count"])


@dataclass(frozen=True)
class MarkovChain:
    """The solved chain: conversion probability and removal effect per channel."""

    order: int
    conversion_probability: float
    #: channel, removal_effect, conversion_probability_without, share
    effects: pd.DataFrame
    n_states: int


def removal_effects(transitions: pd.DataFrame, order: int = 1) -> MarkovChain:
    """Solve the absorbing chain exactly and return every channel's removal effect."""
    states = sorted({s for s in transitions["from_state"] if s != START})
    if not states:
        raise AttributionError("no journeys to build a Markov chain from")
    index = {s: i + 1 for i, s in enumerate(states)}  # 0 is (start)
    index[START] = 0
    size = len(states) + 1
    frm = np.array([index[s] for s in transitions["from_state"]], dtype=np.int64)
    to_conversion = (transitions["to_state"] == CONVERSION).to_numpy()
    to_null = (transitions["to_state"] == NULL).to_numpy()
    transient = ~(to_conversion | to_null)
    to = np.array([index[s] if t else 0 for s, t in zip(transitions["to_state"], transient)], dtype=np.int64)
    count = transitions["count"].to_numpy(dtype="float64")
    channels = sorted({c for s in states for c in s})
    dead_sets = []
    for channel in channels:
        dead = np.zeros(size, dtype=bool)
        for s in states:
            if channel in s:
                dead[index[s]] = True
        dead_sets.append(dead)
    base, without, effect = removal_effect_arrays(size, frm, to, count, to_conversion, to_null, dead_sets)
    rows = list(zip(channels, effect.tolist(), without.tolist()))
    effects = pd.DataFrame(rows, columns=["channel", "removal_effect", "conversion_probability_without"])
    total = effects["removal_effect"].sum()
    effects["share"] = effects["removal_effect"] / total if total > 0 else 0.0
    return MarkovChain(order=order, conversion_probability=base, effects=effects, n_states=len(states))


def markov_journey_weights(touches: ir.Table, effects: pd.DataFrame) -> ir.Table:
    """Return ``touches`` with ``weight`` = removal effect share within its journey."""
    lookup = ibis.memtable(
        effects[["channel", "removal_effect"]].astype({"channel": "object", "removal_effect": "float64"})
    )
    joined = touches.left_join(lookup, touches.channel == lookup.channel).drop("channel_right")
    effect = joined.removal_effect.fill_null(0.0)
    journey = ibis.window(group_by=joined.journey_id)
    total = effect.sum().over(journey)
    # a journey whose channels all have zero effect (only possible when it
    # does not convert) falls back to equal shares so weights still sum to 1
    weight = ibis.ifelse(total > 0, effect / total, ibis.literal(1.0, type="float64") / joined.n_touches.cast("float64"))
    return joined.mutate(weight=weight).drop("removal_effect")
