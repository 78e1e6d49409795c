"""Markov removal effects: a hand case and an independent dense solve."""

from __future__ import annotations


import numpy as np
import pytest

from coordkit.errors import ParameterError
from coordkit.model.attribution import credit_by_channel
from coordkit.model.attribution.markov import (
    markov_transitions,
    removal_effects,
    transitions_from_paths,
)


def dense_removal_effects(paths, order):
    """Independent reference: full transition matrix with absorbing states,
    channel removal by redirecting every transition *into* a state that
    contains the channel to (null), absorption from numpy.linalg."""
    walks = []
    for path, conv, null in paths:
        states = [tuple(path[max(0, i + 1 - order) : i + 1]) for i in range(len(path))]
        walks.append((["S"] + states, conv, null))
    names = sorted({s for w, _, _ in walks for s in w[1:]})
    idx = {"S": 0, **{s: i + 1 for i, s in enumerate(names)}}
    n = len(idx)
    conv_i, null_i = n, n + 1
    counts = np.zeros((n + 2, n + 2))
    for walk, conv, null in walks:
        for a, b in zip(walk, walk[1:]):
            counts[idx[a], idx[b]] += conv + null
        counts[idx[walk[-1]], conv_i] += conv
        counts[idx[walk[-1]], null_i] += null
    counts[conv_i, conv_i] = counts[null_i, null_i] = 1

    def p_conversion(matrix):
        p = matrix / matrix.sum(axis=1, keepdims=True)
        q, r = p[:n, :n], p[:n, conv_i]
        return np.linalg.solve(np.eye(n) - q, r)[0]

    base = p_conversion(counts)
    channels = sorted({c for path, _, _ in paths for c in path})
    effects = {}
    for c in channels:
        m = counts.copy()
        for s, i in idx.items():
            if s != "S" and c in s:
                m[:, null_i] += m[:, i]
                m[:, i] = 0
                m[i, :] = 0
                m[i, null_i] = 1  # unreachable now; keeps rows stochastic
        effects[c] = 1 - p_conversion(m) / base
    return base, effects


def test_hand_computed_order_one_chain(paths_of):
    # A->conv, A->B->null, B->conv: P = 2/3; without A 1/6, without B 1/3
    paths = paths_of([(("A",), 1, 1, 0), (("A", "B"), 0, 0, 1), (("B",), 1, 1, 0)])
    chain = removal_effects(transitions_from_paths(paths, 1), 1)
    assert chain.conversion_probability == pytest.approx(2 / 3, abs=1e-12)
    effects = dict(zip(chain.effects["channel"], chain.effects["removal_effect"]))
    assert effects == pytest.approx({"A": 0.75, "B": 0.5}, abs=1e-12)
    assert list(chain.effects["share"]) == pytest.approx([0.6, 0.4], abs=1e-12)


def test_global_credit_is_removal_share_times_total(path_touches):
    touches = path_touches([(("A",), 1, 10, 0), (("A", "B"), 0, 0, 1), (("B",), 1, 30, 0)])
    credit = credit_by_channel(touches, "markov")
    assert list(credit["conversions"]) == pytest.approx([1.2, 0.8], abs=1e-12)
    assert list(credit["conversion_value"]) == pytest.approx([24.0, 16.0], abs=1e-12)


def test_journey_allocation_splits_each_journey_by_its_touches_effects(path_touches):
    # effects A 0.75, B 0.5; journey A>B>A converts once with value 8:
    # touch weights 0.75, 0.5, 0.75 over 2.0
    touches = path_touches([(("A",), 1, 1, 0), (("A", "B"), 0, 0, 1), (("B",), 1, 1, 0), (("A", "B", "A"), 1, 8, 0)])
    # adding A>B>A changes the chain; recompute the reference from the dense solver
    _, eff = dense_removal_effects([(("A",), 1, 0), (("A", "B"), 0, 1), (("B",), 1, 0), (("A", "B", "A"), 1, 0)], 1)
    credit = credit_by_channel(touches, "markov", allocation="journey").set_index("channel")
    a, b = eff["A"], eff["B"]
    expected_a = 1 + 8 * 2 * a / (2 * a + b)
    expected_b = 1 + 8 * b / (2 * a + b)
    assert credit.loc["A", "conversion_value"] == pytest.approx(expected_a, abs=1e-12)
    assert credit.loc["B", "conversion_value"] == pytest.approx(expected_b, abs=1e-12)
    assert credit["conversions"].sum() == pytest.approx(3, abs=1e-12)


def random_paths(seed, n_paths=60, channels="abcde", max_len=6):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_paths):
        length = int(rng.integers(1, max_len + 1))
        path = tuple(rng.choice(list(channels), size=length))
        rows.append((path, int(rng.integers(0, 4)), int(rng.integers(0, 4))))
    # make sure there is conversion and every channel converts somewhere
    rows.append((tuple(channels), 1, 0))
    return [(p, c, n) for p, c, n in rows if c + n > 0]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_removal_effects_equal_dense_solve(paths_of, order, seed):
    rows = random_paths(seed)
    base, expected = dense_removal_effects(rows, order)
    paths = paths_of([(p, c, float(c), n) for p, c, n in rows])
    chain = removal_effects(transitions_from_paths(paths, order), order)
    assert chain.conversion_probability == pytest.approx(base, abs=1e-12)
    got = dict(zip(chain.effects["channel"], chain.effects["removal_effect"]))
    assert got == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("order", [1, 3])
def test_engine_transitions_equal_python_transitions(paths_of, path_touches, order):
    rows = [(p, c, float(c), n) for p, c, n in random_paths(7)]
    engine = markov_transitions(path_touches(rows), order)
    python = transitions_from_paths(paths_of(rows), order)

    def as_dict(frame):
        return {(a, b): m for a, b, m in frame.itertuples(index=False)}

    assert as_dict(engine) == pytest.approx(as_dict(python))


def test_self_loops_do_not_change_order_one_effects(paths_of):
    with_loops = paths_of([(("A", "A", "B"), 2, 2, 1), (("B", "B"), 1, 1, 3), (("A",), 0, 0, 2)])
    without = paths_of([(("A", "B"), 2, 2, 1), (("B",), 1, 1, 3), (("A",), 0, 0, 2)])
    one = removal_effects(transitions_from_paths(with_loops, 1)).effects
    two = removal_effects(transitions_from_paths(without, 1)).effects
    assert list(one["removal_effect"]) == pytest.approx(list(two["removal_effect"]), abs=1e-12)


@pytest.mark.parametrize("order", [0, 5, "2", True])
def test_order_outside_one_to_four_is_refused(paths_of, order):
    with pytest.raises(ParameterError, match=r"Markov order must be one of 1, 2, 3, 4"):
        transitions_from_paths(paths_of([(("A",), 1, 1, 0)]), order)


def test_higher_orders_on_shared_paths_conserve_credit(paths_file):
    from coordkit.model.attribution import path_journeys, read_paths

    touches = path_journeys(read_paths(paths_file))
    for order in (2, 4):
        credit = credit_by_channel(touches, "markov", order=order)
        assert credit["conversions"].sum() == pytest.approx(19785, abs=1e-6)
        assert (credit["conversions"] >= 0).all()


