"""Shapley attribution against hand computation and brute-force enumeration."""

from __future__ import annotations

from itertools import combinations, permutations

import numpy as np
import pandas as pd
import pytest

from coordkit.errors import AttributionError, ParameterError
from coordkit.model.attribution import credit_by_channel
from coordkit.model.attribution.shapley import channel_sets, shapley_shares


def brute_force_shapley(players, value):
    """Average marginal contribution over every ordering of the players."""
    phi = dict.fromkeys(players, 0.0)
    orderings = list(permutations(players))
    for ordering in orderings:
        coalition = []
        for p in ordering:
            before = value(tuple(coalition))
            coalition.append(p)
            phi[p] += value(tuple(coalition)) - before
    return {p: v / len(orderings) for p, v in phi.items()}


def rates_of(sets):
    return {k: c / (c + n) for k, c, n in zip(sets["key"], sets["conversions"], sets["non_conversions"]) if c + n}


def unordered_value(rates):
    # v(S) = sum of rate(T) over observed sets T contained in S
    return lambda s: sum(r for t, r in rates.items() if set(t) <= set(s))


def ordered_value(rates, order):
    def value(s):
        seq = tuple(c for c in order if c in s)  # the coalition in the journey's order
        subs = {sub for k in range(1, len(seq) + 1) for sub in combinations(seq, k)}
        return sum(r for t, r in rates.items() if t in subs)

    return value


def test_hand_computed_case(path_touches):
    # {A}: 1 of 2 convert (rate 1/2), {A,B}: 2 of 2 (rate 1), {B}: 0 of 1
    touches = path_touches([(("A",), 1, 1, 1), (("A", "B"), 2, 2, 0), (("B",), 0, 0, 1)])
    # per journey: {A} -> A; {A,B}: phi_A = 1/2 + 1/2, phi_B = 1/2 -> 2/3, 1/3 of 2
    credit = credit_by_channel(touches, "shapley").set_index("channel")["conversions"]
    assert credit.to_dict() == pytest.approx({"A": 1 + 4 / 3, "B": 2 / 3}, abs=1e-12)
    # global: phi_A = 1, phi_B = 1/2 of 3 conversions
    credit = credit_by_channel(touches, "shapley", allocation="global").set_index("channel")["conversions"]
    assert credit.to_dict() == pytest.approx({"A": 2.0, "B": 1.0}, abs=1e-12)


def random_touches(seed, channels="abcde", n=80, max_len=5):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        path = tuple(rng.choice(list(channels), size=int(rng.integers(1, max_len + 1))))
        conv, null = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        if conv + null:
            rows.append((path, conv, float(conv) * 2, null))
    return rows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_journey_shares_equal_brute_force(path_touches, seed):
    touches = path_touches(random_touches(seed))
    sets = channel_sets(touches)
    value = unordered_value(rates_of(sets))
    shares = shapley_shares(sets)
    for key, group in shares.groupby("key"):
        phi = brute_force_shapley(key, value)
        total = sum(phi.values())
        assert dict(zip(group["channel"], group["share"])) == pytest.approx(
            {c: v / total for c, v in phi.items()}, abs=1e-12
        )


@pytest.mark.parametrize("seed", [3, 4])
def test_global_shares_equal_brute_force(path_touches, seed):
    touches = path_touches(random_touches(seed))
    sets = channel_sets(touches)
    players = tuple(sorted({c for k in sets["key"] for c in k}))
    phi = brute_force_shapley(players, unordered_value(rates_of(sets)))
    total = sum(phi.values())
    shares = shapley_shares(sets, allocation="global")
    assert dict(zip(shares["channel"], shares["share"])) == pytest.approx(
        {c: v / total for c, v in phi.items()}, abs=1e-12
    )


@pytest.mark.parametrize("seed", [5, 6])
def test_ordered_shares_equal_brute_force(path_touches, seed):
    touches = path_touches(random_touches(seed, channels="abcd"))
    sets = channel_sets(touches, ordered=True)
    rates = rates_of(sets)
    shares = shapley_shares(sets, ordered=True)
    assert not shares.empty
    for key, group in shares.groupby("key"):
        phi = brute_force_shapley(key, ordered_value(rates, key))
        total = sum(phi.values())
        assert dict(zip(group["channel"], group["share"])) == pytest.approx(
            {c: v / total for c, v in phi.items()}, abs=1e-12
        )


def test_ordered_keys_follow_first_appearance(path_touches):
    sets = channel_sets(path_touches([(("b", "a", "b", "c"), 1, 1, 0)]), ordered=True)
    assert list(sets["key"]) == [("b", "a", "c")]


def test_too_many_channels_is_a_clear_error(paths_of):
    channels = [f"ch{i}" for i in range(64)]
    sets = pd.DataFrame({"key": [tuple(channels)], "conversions": [1.0], "conversion_value": [1.0], "non_conversions": [0.0]})
    with pytest.raises(AttributionError, match="at most 63 distinct channels; this input has 64"):
        shapley_shares(sets)
    with pytest.raises(AttributionError, match="more than the limit of 20"):
        shapley_shares(sets.assign(key=[tuple(channels[:21])]), ordered=True)


def test_bad_allocation_and_ordered_global_are_refused(paths_of):
    sets = pd.DataFrame({"key": [("a",)], "conversions": [1.0], "conversion_value": [1.0], "non_conversions": [0.0]})
    with pytest.raises(ParameterError, match=r"allocation must be one of 'journey', 'global'; got 'both'"):
        shapley_shares(sets, allocation="both")
    with pytest.raises(ParameterError, match="ordered Shapley variant is allocated per journey only"):
        shapley_shares(sets, ordered=True, allocation="global")


def test_shapley_on_shared_paths_conserves_credit(paths_file):
    from coordkit.model.attribution import path_journeys, read_paths

    touches = path_journeys(read_paths(paths_file))
    for ordered in (False, True):
        credit = credit_by_channel(touches, "shapley", ordered=ordered)
        assert credit["conversions"].sum() == pytest.approx(19785, abs=1e-6)
        assert credit["conversion_value"].sum() == pytest.approx(74802.9716, abs=1e-3)
        assert (credit["conversions"] >= 0).all()
