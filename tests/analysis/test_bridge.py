"""Bridge: hand-computed splits, brute-force Shapley, exact sums, LMDI zeros, Wise Pizza's two-factor split."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordkit.analysis.bridge import (
    bridge_steps,
    compute_bridge,
    compute_factor_bridge,
    compute_size_average_split,
    product_effects,
    summarise_bridge,
)
from coordkit.errors import AnalysisError, ParameterError


def test_das_gupta_three_factors_by_hand():
    effects = product_effects(np.array([[2.0, 3.0, 4.0]]), np.array([[3.0, 5.0, 2.0]]))
    # worked by hand with weights 1/3, 1/6, 1/6, 1/3 over the subsets of the other two factors
    assert effects[0].tolist() == pytest.approx([35 / 3, 44 / 3, -61 / 3])


def test_lmdi_two_factors_by_hand():
    effects = product_effects(np.array([[10.0, 2.0]]), np.array([[20.0, 3.0]]), method="lmdi")
    weight = 40 / math.log(3)  # logarithmic mean of 60 and 20
    assert effects[0].tolist() == pytest.approx([weight * math.log(2), weight * math.log(1.5)])


def test_lmdi_zero_takes_the_limit_of_the_small_value_strategy():
    exact = product_effects(np.array([[0.0, 5.0]]), np.array([[4.0, 10.0]]), method="lmdi")[0]
    assert exact.tolist() == [40.0, 0.0]
    # the small-value strategy with a tiny stand-in for zero creeps towards the same answer
    tiny = product_effects(np.array([[1e-300, 5.0]]), np.array([[4.0, 10.0]]), method="lmdi")[0]
    assert tiny[0] == pytest.approx(40.0, rel=0.01) and tiny[1] == pytest.approx(0.0, abs=0.1)
    # two zero factors share the change equally; zero in both periods gives nothing
    shared = product_effects(np.array([[0.0, 0.0, 2.0], [0.0, 1.0, 1.0]]), np.array([[3.0, 2.0, 1.0], [0.0, 7.0, 1.0]]), "lmdi")
    assert shared.tolist() == [[3.0, 3.0, 0.0], [0.0, 0.0, 0.0]]
    # and a product that falls to zero
    assert product_effects(np.array([[2.0, 3.0]]), np.array([[0.0, 3.0]]), "lmdi")[0].tolist() == [-6.0, 0.0]


def shapley_by_permutations(before, after):
    """The effect as the average over every order of switching factors from old to new values."""
    count = len(before)
    effects = [Fraction(0)] * count
    orders = list(itertools.permutations(range(count)))
    for order in orders:
        current = [Fraction(v) for v in before]
        for factor in order:
            old = math.prod(current)
            current[factor] = Fraction(after[factor])
            effects[factor] += math.prod(current) - old
    return [float(e / len(orders)) for e in effects]


factor_values = st.integers(min_value=-50, max_value=50).map(lambda v: v / 4)


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=1, max_value=4).flatmap(lambda k: st.tuples(st.lists(factor_values, min_size=k, max_size=k), st.lists(factor_values, min_size=k, max_size=k))))
def test_das_gupta_is_the_shapley_value_and_adds_up(pair):
    before, after = pair
    effects = product_effects(np.array([before]), np.array([after]))[0]
    assert effects.tolist() == pytest.approx(shapley_by_permutations(before, after), abs=1e-9)
    assert math.fsum(effects) == pytest.approx(math.prod(after) - math.prod(before), abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 40).map(float), min_size=3, max_size=3), st.lists(st.integers(0, 40).map(float), min_size=3, max_size=3)), min_size=1, max_size=6))
def test_lmdi_adds_up_per_row_with_zeros(rows):
    before = np.array([r[0] for r in rows])
    after = np.array([r[1] for r in rows])
    effects = product_effects(before, after, "lmdi")
    assert effects.sum(axis=1) == pytest.approx(after.prod(axis=1) - before.prod(axis=1), abs=1e-7)


def funnel():
    return pd.DataFrame(
        {
            "week": ["w1", "w1", "w2", "w2"],
            "channel": ["email", "events", "email", "events"],
            "leads": [100, 100, 150, 50],
            "opportunities": [10, 20, 15, 10],
            "pipeline": [1000.0, 4000.0, 1500.0, 2000.0],
        }
    )


@pytest.mark.parametrize("method", ["das_gupta", "lmdi"])
def test_pure_mix_shift_by_hand(method):
    # leads total stays 200 and every rate stays put: the whole -1500 is mix (+500 email, -2000 events)
    bridge = compute_bridge(funnel(), ["leads", "opportunities", "pipeline"], "channel", "week", "w1", "w2", method=method)
    table = bridge.pivot(index="segment", columns="effect", values="contribution")
    assert table.loc["channel=email"].to_dict() == pytest.approx(
        {"volume": 0, "mix": 500, "opportunities/leads": 0, "pipeline/opportunities": 0}, abs=1e-9
    )
    assert table.loc["channel=events", "mix"] == pytest.approx(-2000)
    assert summarise_bridge(bridge)["effect"].tolist() == ["volume", "mix", "opportunities/leads", "pipeline/opportunities"]


def test_new_segment_credits_no_rate_it_never_had():
    frame = pd.concat(
        [funnel(), pd.DataFrame([{"week": "w2", "channel": "webinar", "leads": 20, "opportunities": 5, "pipeline": 900.0}])]
    )
    bridge = compute_bridge(frame, ["leads", "opportunities", "pipeline"], "channel", "week", "w1", "w2", rate_names=["conversion", "deal_size"])
    webinar = bridge[bridge.segment == "channel=webinar"].set_index("effect")["contribution"]
    assert webinar[["conversion", "deal_size"]].tolist() == [0.0, 0.0]
    assert math.fsum(webinar) == pytest.approx(900.0)
    assert math.fsum(bridge["contribution"]) == pytest.approx(3500 + 900 - 5000)


def test_bridge_without_segments_and_one_row_per_deal():
    deals = pd.DataFrame({"week": ["w1"] * 3 + ["w2"] * 2, "leads": [40, 30, 30, 60, 60], "pipeline": [2000.0, 2000.0, 1000.0, 2400.0, 2400.0]})
    bridge = compute_bridge(deals, ["leads", "pipeline"], None, "week", "w1", "w2")
    # leads 100 -> 120, pipeline per lead 50 -> 40: volume 20 x 45 = 900, rate -10 x 110 = -1100
    assert bridge["effect"].tolist() == ["volume", "pipeline/leads"]
    assert bridge["contribution"].tolist() == pytest.approx([900, -1100])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["w1", "w2"]), st.integers(0, 30), st.integers(0, 5), st.integers(0, 9)), min_size=1, max_size=20),
    st.sampled_from(["das_gupta", "lmdi"]),
)
def test_funnel_bridge_adds_up_exactly(rows, method):
    records = []
    for channel, week, leads, opportunities, amount in rows:
        opportunities = min(opportunities, leads)
        records.append({"week": week, "channel": channel, "leads": leads, "opportunities": opportunities, "pipeline": float(amount * opportunities)})
    records += [{"week": w, "channel": "a", "leads": 1, "opportunities": 1, "pipeline": 1.0} for w in ("w1", "w2")]
    frame = pd.DataFrame(records)
    bridge = compute_bridge(frame, ["leads", "opportunities", "pipeline"], "channel", "week", "w1", "w2", method=method)
    change = frame.loc[frame.week == "w2", "pipeline"].sum() - frame.loc[frame.week == "w1", "pipeline"].sum()
    assert math.fsum(bridge["contribution"]) == pytest.approx(change, abs=1e-6)
    per_segment = bridge.groupby("channel")["contribution"].sum()
    by_hand = frame.pivot_table(index="channel", columns="week", values="pipeline", aggfunc="sum", fill_value=0)
    for channel, value in per_segment.items():
        expected = by_hand.loc[channel].get("w2", 0) - by_hand.loc[channel].get("w1", 0)
        assert value == pytest.approx(expected, abs=1e-6)


def test_factor_bridge_and_waterfall_steps():
    rates = pd.DataFrame({"week": ["w1", "w2"], "opportunities": [10.0, 12.0], "deal_size": [1000.0, 900.0]})
    bridge = compute_factor_bridge(rates, ["opportunities", "deal_size"], None, "week", "w1", "w2")
    assert bridge["contribution"].tolist() == pytest.approx([2 * 950, -100 * 11])
    steps = bridge_steps(bridge)
    assert steps["step"].tolist() == ["before", "opportunities", "deal_size", "after"]
    assert steps["end"].tolist() == pytest.approx([10000, 11900, 10800, 10800])
    assert steps["kind"].tolist() == ["total", "effect", "effect", "total"]


def test_size_average_split_follows_wise_pizza_by_hand():
    frame = pd.DataFrame(
        {"month": ["m1", "m1", "m2", "m2", "m2"], "type": ["a", "b", "a", "b", "c"],
         "volume": [100.0, 60.0, 150.0, 40.0, 30.0], "count": [10, 6, 12, 5, 3]}
    )
    split = compute_size_average_split(frame, "volume", "count", "type", "month", "m1", "m2")
    table = split.pivot(index="segment", columns="effect", values="contribution")
    # a: w 10 -> 12, average 10 -> 12.5: size (2 x 12.5) = 25, average 10 x 2.5 = 25
    assert table.loc["type=a"].tolist() == pytest.approx([25, 25])  # columns sort: average, size
    # c is new: its old average is the overall old average 160/16 = 10; size 3 x 10 = 30, average 0
    assert table.loc["type=c", "size"] == pytest.approx(30) and table.loc["type=c", "average"] == pytest.approx(0)
    assert math.fsum(split["contribution"]) == pytest.approx(220 - 160)


@pytest.mark.peers
@pytest.mark.slow  # importing wise_pizza alone takes several seconds
def test_size_average_split_matches_wise_pizza_diff_dataset(shared_data):
    utils = pytest.importorskip("wise_pizza.utils")
    data = pd.read_csv(shared_data / "whatmoved" / "segments_wisepizza_synth.csv")
    dims = ["TYPE", "REGION"]
    before, after = (data[data.COHORT_MONTH == m] for m in ("2021-09-01", "2021-10-01"))
    size_part, average_part = utils.diff_dataset(before.copy(), after.copy(), dims, "VOLUME", "TRANSACTION_COUNT", split_deltas=True, return_multiple=True)
    peer_size = size_part.data.set_index(dims)["Change from segment size"]
    peer_average = average_part.data.set_index(dims)["Change from segment average"]
    ours = compute_size_average_split(data, "VOLUME", "TRANSACTION_COUNT", dims, "COHORT_MONTH", "2021-09-01", "2021-10-01")
    ours_size = ours[ours.effect == "size"].set_index(dims)["contribution"]
    ours_average = ours[ours.effect == "average"].set_index(dims)["contribution"]
    assert ours_size.sort_index().to_numpy() == pytest.approx(peer_size.sort_index().to_numpy(), rel=1e-9, abs=1e-6)
    assert ours_average.sort_index().to_numpy() == pytest.approx(peer_average.sort_index().to_numpy(), rel=1e-9, abs=1e-6)


def test_input_is_unchanged():
    frame = funnel()
    copy = frame.copy()
    compute_bridge(frame, ["leads", "opportunities", "pipeline"], "channel", "week", "w1", "w2", method="lmdi")
    pd.testing.assert_frame_equal(frame, copy)


def test_bad_inputs_are_named():
    with pytest.raises(ParameterError, match=r"method must be one of 'das_gupta', 'lmdi'; got 'shapley'"):
        product_effects([[1.0]], [[2.0]], method="shapley")
    with pytest.raises(AnalysisError, match=r"LMDI needs factors of zero or more"):
        product_effects([[-1.0]], [[2.0]], method="lmdi")
    broken = funnel()
    broken.loc[0, "opportunities"] = 0
    with pytest.raises(AnalysisError, match=r"'pipeline' is 1000 but 'opportunities' is 0 for channel=email in period 'w1'"):
        compute_bridge(broken, ["leads", "opportunities", "pipeline"], "channel", "week", "w1", "w2")
    twice = pd.concat([funnel(), funnel()])
    with pytest.raises(AnalysisError, match=r"more than one row for channel=email in period 'w1'"):
        compute_factor_bridge(twice, ["leads"], "channel", "week", "w1", "w2")
    with pytest.raises(AnalysisError, match=r"data: missing column 'amount'"):
        compute_bridge(funnel(), ["leads", "amount"], "channel", "week", "w1", "w2")
