"""Shapley-value attribution, exact, on the channel sets of journeys.

The players are channels. Journeys are aggregated (in the engine) to the set
of distinct channels they touched (or, for the *ordered* variant, the
distinct channels in order of first appearance). For a set ``T`` let
``rate(T) = conversions(T) / journeys(T)``: non-converting journeys lower it.

The coalition game is ``v(S) = sum of rate(T) over observed sets T within S``
(what the channels of ``S`` achieve on their own: every journey that used only
channels of ``S``). Its Shapley value has an exact closed form, because ``v``
is a sum of unanimity games with dividends ``rate(T)``::

    phi_c(S) = sum over observed T within S that contain c of rate(T) / |T|

which equals the brute-force average of marginal contributions over all
orderings of the players (tests check this by enumeration). The closed form
needs no truncation at any number of channels; set masks are 64-bit, so at
most 63 distinct channels are accepted (a clear error beyond).

Allocation (docs/attribution.md):

``journey`` (default) each converting set ``J`` splits its own conversions
            and value by ``phi_c(J) / v(J)``, the Shapley value of the game
            restricted to ``J``'s channels: shares are non-negative and sum
            to 1 per journey;
``global``  ``phi_c(all channels) / v(all channels) * total``.

The ordered variant uses ordered first-appearance sequences as coalitions:
sub-coalitions of ``J`` are its subsequences, and only a subsequence that
was itself observed in that order contributes. It is allocated per journey
only (one global order of all channels does not exist) and enumerates the
``2 ** |J|`` subsequences of each converting sequence, so sequences of more
than :data:`MAX_ORDERED_CHANNELS` distinct channels are refused.
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coordkit.errors import AttributionError, ParameterError, allowed_values_message

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

# Ibis is imported inside the functions that build expressions: the array engine
# (coordkit attribute) uses only shapley_shares, and Ibis costs about a second to import

__all__ = [
    "ALLOCATIONS",
    "MAX_CHANNELS",
    "MAX_ORDERED_CHANNELS",
    "channel_sets",
    "journey_keys",
    "shapley_journey_weights",
    "shapley_shares",
]

ALLOCATIONS = ("journey", "global")
MAX_CHANNELS = 63
MAX_ORDERED_CHANNELS = 20
_SEP = "\x1f"


def journey_keys(touches: "ir.Table", ordered: bool = False) -> "ir.Table":
    """One row per journey with its coalition ``key`` (channels joined by a separator)."""
    import ibis

    from coordkit.model.attribution.journeys import TOUCH_COLUMNS, require_columns

    require_columns(touches, TOUCH_COLUMNS, "touch table")
    if ordered:
        firsts = touches.group_by(["journey_id", "channel"]).aggregate(first=touches.position.min())
        keys = firsts.group_by("journey_id").aggregate(
            steps=ibis.struct({"first": firsts.first, "channel": firsts.channel}).collect()
        )
        return keys.select("journey_id", key=keys.steps.sort().map(lambda s: s.channel).join(_SEP))
    keys = touches.group_by("journey_id").aggregate(members=touches.channel.collect(distinct=True))
    return keys.select("journey_id", key=keys.members.sort().join(_SEP))


def channel_sets(touches: "ir.Table", ordered: bool = False) -> pd.DataFrame:
    """Aggregate journeys to coalitions: ``key`` (tuple), conversions, value, non-conversions."""
    per_journey = touches.group_by("journey_id").aggregate(
        conversions=touches.conversions.max(),
        conversion_value=touches.conversion_value.max(),
        non_conversions=touches.non_conversions.max(),
    )
    keyed = per_journey.join(journey_keys(touches, ordered), "journey_id")
    sets = keyed.group_by("key").aggregate(
        conversions=keyed.conversions.sum(),
        conversion_value=keyed.conversion_value.sum(),
        non_conversions=keyed.non_conversions.sum(),
    ).to_pandas()
    sets["key"] = [tuple(k.split(_SEP)) for k in sets["key"]]
    return sets.sort_values("key", kind="stable").reset_index(drop=True)


def _rates(sets: pd.DataFrame) -> np.ndarray:
    journeys = (sets["conversions"] + sets["non_conversions"]).to_numpy(dtype="float64")
    conversions = sets["conversions"].to_numpy(dtype="float64")
    return np.divide(conversions, journeys, out=np.zeros_like(conversions), where=journeys > 0)


def _unordered_shares(sets: pd.DataFrame, allocation: str) -> pd.DataFrame:
    channels = sorted({c for key in sets["key"] for c in key})
    if len(channels) > MAX_CHANNELS:
        raise AttributionError(
            f"Shapley attribution supports at most {MAX_CHANNELS} distinct channels; "
            f"this input has {len(channels)}",
            hint="group rare channels into 'other' first",
        )
    bit = {c: 1 << i for i, c in enumerate(channels)}
    masks = np.array([sum(bit[c] for c in set(key)) for key in sets["key"]], dtype=np.uint64)
    members = np.array([[c in key for c in channels] for key in sets["key"]], dtype="float64")
    members = members.reshape(len(sets), len(channels))
    dividend = _rates(sets) / members.sum(axis=1)  # rate(T) / |T|
    if allocation == "global":
        phi = dividend @ members
        total = phi.sum()
        return pd.DataFrame({"key": [tuple(channels)] * len(channels), "channel": channels, "share": phi / total})
    rows = []
    converting = np.flatnonzero(sets["conversions"].to_numpy() > 0)
    for start in range(0, len(converting), 512):  # chunks bound the (J x T) mask matrix
        chunk = converting[start : start + 512]
        within = (masks[None, :] & ~masks[chunk, None]) == 0  # T subset of J
        phi = (within * dividend[None, :]) @ members  # (J, channels)
        phi = phi / phi.sum(axis=1, keepdims=True)
        for row, j in enumerate(chunk):
            key = sets["key"].iloc[j]
            for c in key:
                rows.append((key, c, phi[row, channels.index(c)]))
    return pd.DataFrame(rows, columns=["key", "channel", "share"])


def _ordered_shares(sets: pd.DataFrame) -> pd.DataFrame:
    rate = dict(zip(sets["key"], _rates(sets)))
    rows = []
    for key, conversions in zip(sets["key"], sets["conversions"]):
        if conversions <= 0:
            continue
        if len(key) > MAX_ORDERED_CHANNELS:
            raise AttributionError(
                f"ordered Shapley enumerates every subsequence of a journey; a journey touches "
                f"{len(key)} distinct channels, more than the limit of {MAX_ORDERED_CHANNELS}",
                hint="use the unordered Shapley model, which has no such limit",
            )
        phi = dict.fromkeys(key, 0.0)
        for size in range(1, len(key) + 1):
            for sub in combinations(key, size):  # combinations keep key's order
                value = rate.get(sub, 0.0)
                if value:
                    for c in sub:
                        phi[c] += value / size
        total = sum(phi.values())
        rows.extend((key, c, phi[c] / total) for c in key)
    return pd.DataFrame(rows, columns=["key", "channel", "share"])


def shapley_shares(sets: pd.DataFrame, ordered: bool = False, allocation: str = "journey") -> pd.DataFrame:
    """Return ``key, channel, share``: each converting coalition's split of its credit.

    With ``allocation="global"`` there is one key (all channels) whose shares
    apply to the total.
    """
    if allocation not in ALLOCATIONS:
        raise ParameterError(allowed_values_message("Shapley allocation", allocation, ALLOCATIONS))
    if sets.empty or sets["conversions"].sum() <= 0:
        raise AttributionError("Shapley attribution needs at least one converting journey")
    if ordered:
        if allocation == "global":
            raise ParameterError(
                "the ordered Shapley variant is allocated per journey only; use allocation='journey'"
            )
        return _ordered_shares(sets)
    return _unordered_shares(sets, allocation)


def shapley_journey_weights(touches: "ir.Table", shares: pd.DataFrame, ordered: bool = False) -> "ir.Table":
    """Return ``touches`` with ``weight``: the journey's Shapley share of the touch's
    channel, split equally over that channel's touches in the journey."""
    import ibis

    lookup = ibis.memtable(
        pd.DataFrame(
            {
                "key": [_SEP.join(k) for k in shares["key"]],
                "channel": shares["channel"].astype(object),
                "share": shares["share"].astype("float64"),
            }
        )
    )
    keyed = touches.join(journey_keys(touches, ordered), "journey_id")
    joined = keyed.left_join(lookup, [keyed.key == lookup.key, keyed.channel == lookup.channel])
    joined = joined.drop(*[c for c in joined.columns if c.endswith("_right")])
    same_channel = ibis.window(group_by=[joined.journey_id, joined.channel])
    weight = joined.share / joined.channel.count().over(same_channel).cast("float64")
    # non-converting coalitions have no shares; their weight is irrelevant
    # (conversions are 0) but linear shares keep every journey summing to 1
    fallback = ibis.literal(1.0, type="float64") / joined.n_touches.cast("float64")
    return joined.mutate(weight=weight.fill_null(fallback)).drop("share", "key")
