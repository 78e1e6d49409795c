"""The array engine (DuckDB read + numpy) equals the Ibis engine to 1e-9, model by model."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from coordkit.model.attribution import credit_by_channel, event_journeys, path_journeys, read_events, read_paths
from coordkit.model.attribution.array_models import channel_credit, shapley_channel_credit
from coordkit.model.attribution.duck import connect, event_arrays_from_sql, read_event_arrays, read_path_arrays

RULES = ["first", "last", "linear", "time_decay", "position", "u_shaped", "w_shaped"]


def _frame(credit: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {"channel": credit["channel"], "conversions": credit["conversions"], "conversion_value": credit["conversion_value"]}
    ).sort_values("channel").reset_index(drop=True)


def _same(ours: dict, ibis_credit: pd.DataFrame) -> None:
    ours = _frame(ours)
    assert list(ours["channel"]) == list(ibis_credit["channel"])
    np.testing.assert_allclose(ours["conversions"], ibis_credit["conversions"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["conversion_value"], ibis_credit["conversion_value"], rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def event_engines(shared_data):
    path = shared_data / "attribution" / "events_si05.csv"
    # materialised as an in-memory table, not with .cache(): with this Ibis 12 / sqlglot pair,
    # Ibis's DuckDB DDL (the cached table's DROP) fails when the garbage collector finalises it
    return read_event_arrays(path), ibis.memtable(event_journeys(read_events(path)).to_pyarrow())


@pytest.fixture(scope="module")
def path_engines(shared_data):
    path = shared_data / "attribution" / "paths_channelattribution.csv"
    return read_path_arrays(path), path_journeys(read_paths(path))


def test_event_file_journeys_as_sources_md_counts(event_engines):
    arrays, _ = event_engines
    assert arrays.n_journeys == 9506
    assert arrays.conversions.sum() == 1838
    assert arrays.conversion_value.sum() == pytest.approx(11423.5, abs=1e-9)
    assert len(arrays.channel) == 62483


def test_path_file_summed_as_sources_md_counts(path_engines):
    arrays, _ = path_engines
    assert arrays.n_journeys == 5408
    assert arrays.conversions.sum() == pytest.approx(19785)
    assert arrays.non_conversions.sum() == pytest.approx(68602)


@pytest.mark.slow
@pytest.mark.parametrize("model", RULES)
def test_rules_equal_on_event_file(event_engines, model):
    arrays, touches = event_engines
    _same(channel_credit(arrays, model), credit_by_channel(touches, model))


@pytest.mark.slow
@pytest.mark.parametrize(("order", "allocation"), [(1, "global"), (2, "global"), (3, "global"), (1, "journey")])
def test_markov_equal_on_event_file(event_engines, order, allocation):
    arrays, touches = event_engines
    _same(
        channel_credit(arrays, "markov", order=order, allocation=allocation),
        credit_by_channel(touches, "markov", order=order, allocation=allocation),
    )


@pytest.mark.slow
@pytest.mark.parametrize(("ordered", "allocation"), [(False, "journey"), (False, "global"), (True, "journey")])
def test_shapley_equal_on_event_file(event_engines, ordered, allocation):
    arrays, touches = event_engines
    _same(
        shapley_channel_credit(arrays, ordered=ordered, allocation=allocation),
        credit_by_channel(touches, "shapley", ordered=ordered, allocation=allocation),
    )


@pytest.mark.slow
@pytest.mark.parametrize("model", ["first", "last", "linear", "position", "w_shaped", "markov"])
def test_models_equal_on_path_file(path_engines, model):
    arrays, touches = path_engines
    _same(channel_credit(arrays, model), credit_by_channel(touches, model))


def test_markov_order_two_equal_on_path_file(path_engines):
    arrays, touches = path_engines
    _same(channel_credit(arrays, "markov", order=2), credit_by_channel(touches, "markov", order=2))


def _random_events(seed: int, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # coarse times force ties: equal instants, conversions at the same second as touches
    times = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 40, rows) * 3600, unit="s")
    action = np.where(rng.random(rows) < 0.15, "conversion", "impression")
    return pd.DataFrame(
        {
            "contact_id": [f"c{i}" for i in rng.integers(0, 40, rows)],
            "touched_at": times,
            "channel": rng.choice(["email", "paid_search", "social", "display"], rows),
            "action": action,
            "conversion_value": np.where(action == "conversion", rng.integers(1, 50, rows), 0).astype(float),
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("model", [*RULES, "markov"])
def test_engines_agree_on_random_events_with_ties(seed, model):
    events = _random_events(seed)
    con = connect()
    con.register("events", events)
    arrays = event_arrays_from_sql(con, "SELECT * FROM events")
    _same(channel_credit(arrays, model), credit_by_channel(event_journeys(events), model))


def test_u_shaped_on_a_file_is_position(event_engines):
    # with no lead dates the conversion's own touch creates the lead: 40/40/20 on first and last
    arrays, _ = event_engines
    u, p = channel_credit(arrays, "u_shaped"), channel_credit(arrays, "position")
    np.testing.assert_allclose(u["conversions"], p["conversions"], atol=1e-9)


def test_bad_row_is_located(tmp_path):
    from coordkit.errors import ValidationError

    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id,time,interaction,conversion,conversion_value,channel\n"
        "a,2018-07-01T10:00:00Z,impression,0,0,Facebook\n"
        "a,2018-07-01 99:00,conversion,1,5,Facebook\n"
    )
    with pytest.raises(ValidationError, match=r"events.csv row 3, column time: '2018-07-01 99:00' is not a date-time"):
        read_event_arrays(path)


def test_negative_value_is_located(tmp_path):
    from coordkit.errors import ValidationError

    path = tmp_path / "events.csv"
    path.write_text("customer_id,time,interaction,conversion_value,channel\na,2018-07-01T10:00:00Z,conversion,-4,Email\n")
    with pytest.raises(ValidationError, match=r"row 2, column conversion_value: '-4' is not a non-negative number"):
        read_event_arrays(path)


def test_missing_column_is_named(tmp_path):
    from coordkit.errors import SchemaError

    path = tmp_path / "events.csv"
    path.write_text("customer_id,time,channel\na,2018-07-01T10:00:00Z,Email\n")
    with pytest.raises(SchemaError, match="missing column"):
        read_event_arrays(path)


def test_cli_start_up_loads_neither_pandas_nor_ibis(shared_data, tmp_path):
    import subprocess
    import sys

    script = (
        "import sys; from coordkit.cli import main; "
        f"main(['attribute', {str(shared_data / 'attribution' / 'events_si05.csv')!r}, '--preset', 'journey-events', "
        f"'--model', 'markov', '--out', {str(tmp_path / 'm.csv')!r}]); "
        "print(sorted(m for m in ('pandas', 'ibis', 'scipy', 'pyarrow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("allocation", ["journey", "global"])
def test_numpy_shapley_equals_the_pandas_closed_form_on_the_path_file(path_engines, allocation):
    from coordkit.model.attribution import shapley
    from coordkit.model.attribution.array_models import channel_sets_frame

    arrays, _ = path_engines
    sets = channel_sets_frame(arrays)
    shares = shapley.shapley_shares(sets, allocation=allocation)
    expected = {}
    total = sets["conversions"].sum()
    conv_by_key = dict(zip(sets["key"], sets["conversions"]))
    for key, channel, share in zip(shares["key"], shares["channel"], shares["share"]):
        expected[channel] = expected.get(channel, 0.0) + share * (total if allocation == "global" else conv_by_key[key])
    got = shapley_channel_credit(arrays, allocation=allocation)
    for channel, value in zip(got["channel"], got["conversions"]):
        assert value == pytest.approx(expected.get(channel, 0.0), abs=1e-9)


def _journey_rows(arrays) -> list:
    """Each journey as (channel names, conversions, value): comparable whatever order contacts come in."""
    names = arrays.paths()
    return sorted(zip(names, arrays.conversions.tolist(), arrays.conversion_value.tolist()))


def test_a_contact_hash_collision_falls_back_to_the_exact_sort(monkeypatch):
    """Force every contact into three hash buckets: the check hash sees it and the journeys stay per contact."""
    import coordkit.model.attribution.duck as duck

    events = _random_events(4)
    con = connect()
    con.register("events", events)
    expected = event_arrays_from_sql(con, "SELECT * FROM events")
    exact = []
    monkeypatch.setattr(duck, "CONTACT_KEY", "hash({}) % 3")
    real = duck._exact_sorted
    monkeypatch.setattr(duck, "_exact_sorted", lambda *a: exact.append(1) or real(*a))
    collided = event_arrays_from_sql(con, "SELECT * FROM events")
    assert exact == [1]
    assert _journey_rows(collided) == _journey_rows(expected)
    # and both equal the Ibis engine, which groups by the contact's text
    _same(channel_credit(collided, "w_shaped"), credit_by_channel(event_journeys(events), "w_shaped"))


def test_conversions_tied_in_time_and_channel_take_values_in_value_order():
    """Two conversions of one contact at one instant on one channel: the first journey gets the smaller value."""
    events = pd.DataFrame({
        "contact_id": ["a", "a", "a", "a", "b"],
        "touched_at": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 10:00", "2026-01-01 10:00", "2026-01-01 10:00",
                                      "2026-01-01 10:00"], utc=True),
        "channel": ["email", "social", "social", "social", "social"],
        "action": ["impression", "conversion", "conversion", "conversion", "conversion"],
        "conversion_value": [0.0, 7.0, 2.0, None, 4.0],
    })
    con = connect()
    con.register("events", events)
    arrays = event_arrays_from_sql(con, "SELECT * FROM events")
    # by hand: a missing value is worth 0, so a's journeys are (email, social) ending at 0, then (social) 2,
    # then (social) 7; b's one 4 (the order of the rows in the data does not matter)
    assert _journey_rows(arrays) == sorted([(("email", "social"), 1.0, 0.0), (("social",), 1.0, 2.0),
                                            (("social",), 1.0, 7.0), (("social",), 1.0, 4.0)])
    shuffled = events.iloc[[3, 1, 4, 2, 0]]
    con.register("shuffled", shuffled)
    assert _journey_rows(event_arrays_from_sql(con, "SELECT * FROM shuffled")) == _journey_rows(arrays)
    for model in ("first", "linear", "position", "markov"):
        _same(channel_credit(arrays, model), credit_by_channel(event_journeys(events), model))
