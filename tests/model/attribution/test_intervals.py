"""Bootstrap intervals: a replicate equals the model recomputed on the resampled journeys; CLI output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coordkit.cli import main
from coordkit.model.attribution.array_models import MarkovPlan, channel_credit, journey_channel_credit, touch_weights_arrays
from coordkit.model.attribution.coverage import interval_coverage, simulate_journeys
from coordkit.model.attribution.duck import read_event_arrays
from coordkit.model.attribution.intervals import bootstrap_credit, low_volume_warning, resample_counts


@pytest.fixture(scope="module")
def events(shared_data):
    return read_event_arrays(shared_data / "attribution" / "events_si05.csv")


def _expanded(arrays, counts):
    """The journeys actually drawn: journey j repeated counts[j] times (a brute-force resample)."""
    index = np.repeat(np.arange(arrays.n_journeys), counts.astype(int))
    return arrays.subset(index)


def test_a_rule_replicate_is_the_model_on_the_drawn_journeys():
    rng = np.random.default_rng(5)
    sample = simulate_journeys(500, rng)
    c, n = next(resample_counts(sample.conversions, sample.non_conversions, 1, np.random.default_rng(1)))
    drawn = _expanded(sample, c + n)
    shares = journey_channel_credit(sample, touch_weights_arrays(sample, "position"))
    np.testing.assert_allclose(c @ shares, channel_credit(drawn, "position")["conversions"], atol=1e-9)


def test_a_markov_replicate_is_the_chain_of_the_drawn_journeys():
    rng = np.random.default_rng(6)
    sample = simulate_journeys(400, rng)
    c, n = next(resample_counts(sample.conversions, sample.non_conversions, 1, np.random.default_rng(2)))
    _, effects = MarkovPlan(sample, 2).effects(c, n)
    drawn = _expanded(sample, c + n)
    _, expected = MarkovPlan(drawn, 2).effects(drawn.conversions, drawn.non_conversions)
    np.testing.assert_allclose(effects, expected, atol=1e-12)


def test_resampling_keeps_the_number_of_journeys():
    conv, null = np.array([2.0, 0.0, 1.0]), np.array([1.0, 3.0, 0.0])
    for c, n in resample_counts(conv, null, 50, np.random.default_rng(0)):
        assert c.sum() + n.sum() == 7


@pytest.mark.parametrize("model", ["linear", "markov", "shapley"])
def test_point_inside_interval_and_reproducible(events, model):
    a = bootstrap_credit(events, model, resamples=60, seed=3)
    b = bootstrap_credit(events, model, resamples=60, seed=3)
    for key in ("conversions_low", "share_high"):
        np.testing.assert_array_equal(a[key], b[key])
    assert np.all(a["conversions_low"] <= a["conversions"] + 1e-9)
    assert np.all(a["conversions"] <= a["conversions_high"] + 1e-9)
    assert np.all(a["share_low"] < a["share_high"])
    if model != "shapley":
        np.testing.assert_allclose(a["conversions"], channel_credit(events, model)["conversions"], atol=1e-9)


def test_low_volume_warning_names_the_threshold():
    assert low_volume_warning("linear", 10) is None
    assert low_volume_warning("markov", 250) is None
    assert "fewer than 200" in low_volume_warning("shapley", 60)


def test_cli_interval_columns(events_file, tmp_path):
    out = tmp_path / "i.csv"
    code = main(["attribute", str(events_file), "--preset", "journey-events", "--model", "last", "--interval", "0.9",
                 "--resamples", "100", "--out", str(out)])
    assert code == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == [
        "channel", "conversions", "conversion_value", "conversions_low", "conversions_high",
        "conversion_value_low", "conversion_value_high", "share", "share_low", "share_high",
    ]
    assert frame["share"].sum() == pytest.approx(1.0)


def test_cli_warns_on_few_conversions(tmp_path, capsys):
    path = tmp_path / "few.csv"
    rows = ["customer_id,time,interaction,conversion_value,channel"]
    for i in range(30):
        rows.append(f"c{i},2024-01-0{1 + i % 9}T10:00:00Z,impression,0,{'email' if i % 2 else 'social'}")
        rows.append(f"c{i},2024-01-0{1 + i % 9}T11:00:00Z,conversion,5,{'email' if i % 3 else 'social'}")
    path.write_text("\n".join(rows) + "\n")
    assert main(["attribute", str(path), "--preset", "journey-events", "--model", "markov", "--out", str(tmp_path / "m.csv")]) == 0
    err = capsys.readouterr().err
    assert "warning: markov is data-driven" in err and "30 conversions" in err


@pytest.mark.slow
@pytest.mark.parametrize("model", ["linear", "markov"])
def test_interval_coverage_within_three_points(model):
    # 300 samples x 4 channels; binomial s.e. of the pooled coverage is about 1 point
    result = interval_coverage(model, replications=300, resamples=300, truth_journeys=1_000_000, seed=11)
    assert abs(result["coverage"] - 0.9) <= 0.03, result


def test_workspace_intervals_by_channel_and_roas_brute_force():
    from coordkit.model.attribution.workspace_intervals import credit_intervals

    rows = pd.DataFrame(
        {
            "outcome_id": ["A", "A", "B", "C", "C"],
            "channel": ["email", "social", "email", "social", None],
            "credit": [0.5, 0.5, 1.0, 0.25, 0.75],
            "amount": [50.0, 50.0, 200.0, 10.0, 30.0],
        }
    )
    cost = pd.DataFrame({"channel": ["email", "social"], "cost": [100.0, 0.0]})
    result = credit_intervals(rows, "channel", resamples=400, seed=1, cost=cost).set_index("channel")
    assert result.loc["email", "amount"] == 250.0 and result.loc["(none)", "amount"] == 30.0
    assert result.loc["email", "roas"] == 2.5 and pd.isna(result.loc["social", "roas"])
    # brute force: every equally likely resample of 3 outcomes (27 of them) gives email's
    # amount distribution: the bounds lie inside its range, around the observed 250
    per_outcome = {"A": 50.0, "B": 200.0, "C": 0.0}
    import itertools

    possible = sorted({sum(per_outcome[o] for o in draw) for draw in itertools.product("ABC", repeat=3)})
    assert possible[0] <= result.loc["email", "amount_low"] < 250.0 < result.loc["email", "amount_high"] <= possible[-1]
    assert result.loc["email", "roas_high"] == result.loc["email", "amount_high"] / 100.0


def test_resample_counts_are_bootstrap_draws():
    import numpy as np

    from coordkit.model.attribution.workspace_intervals import _resample_counts

    counts = _resample_counts(np.random.default_rng(3), 50, 4000)
    assert counts.shape == (4000, 50) and (counts.sum(axis=1) == 50).all() and (counts >= 0).all()
    # Multinomial(n, 1/n): each count has mean 1 and variance 1 - 1/n; two counts covary by -1/n
    assert abs(counts.mean() - 1) < 1e-12
    assert abs(counts.var(axis=0).mean() - (1 - 1 / 50)) < 0.03
    assert abs(np.cov(counts[:, 0], counts[:, 1])[0, 1] + 1 / 50) < 0.05
    assert _resample_counts(np.random.default_rng(3), 0, 7).shape == (7, 0)
