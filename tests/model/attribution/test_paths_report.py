"""Conversion paths, path length, days to convert, GA4 stages and the model comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coordkit.cli import main
from coordkit.model.attribution.array_models import channel_credit
from coordkit.model.attribution.duck import read_event_arrays
from coordkit.model.attribution.paths_report import (
    compare_models,
    days_to_convert_table,
    path_length_table,
    stage_credit,
    stage_of_touches,
    top_paths,
)


@pytest.fixture(scope="module")
def events(shared_data):
    return read_event_arrays(shared_data / "attribution" / "events_si05.csv")


@pytest.fixture(scope="module")
def pandas_journeys(shared_data):
    """Converting journeys rebuilt with plain pandas, as SOURCES.md describes."""
    raw = pd.read_csv(shared_data / "attribution" / "events_si05.csv")
    raw["time"] = pd.to_datetime(raw["time"], utc=True)
    raw["conv"] = (raw["interaction"] == "conversion").astype(int)
    raw = raw.sort_values(["customer_id", "time", "conv", "channel", "conversion_value"], kind="stable")
    raw["journey"] = raw.groupby("customer_id")["conv"].cumsum() - raw["conv"]
    per = raw.groupby(["customer_id", "journey"]).agg(
        path=("channel", lambda s: " > ".join(s)), converted=("conv", "max"), value=("conversion_value", "sum"),
        touches=("channel", "size"), first=("time", "min"), last=("time", "max"),
    )
    return per[per["converted"] == 1]


def test_top_paths_match_a_pandas_recount(events, pandas_journeys):
    expected = pandas_journeys.groupby("path").agg(conversions=("converted", "sum"), value=("value", "sum"))
    expected = expected.sort_values("conversions", ascending=False, kind="stable")
    got = top_paths(events, limit=10)
    for path, conversions, value in zip(got["path"], got["conversions"], got["conversion_value"]):
        assert expected.loc[path, "conversions"] == conversions
        assert expected.loc[path, "value"] == pytest.approx(value)
    assert sorted(got["conversions"], reverse=True) == got["conversions"]
    assert got["conversions"][0] == expected["conversions"].max()


def test_path_length_and_days_to_convert(events, pandas_journeys):
    lengths = path_length_table(events)
    expected = pandas_journeys.groupby("touches")["converted"].sum()
    assert dict(zip(lengths["touches"], lengths["conversions"])) == expected.to_dict()
    days = days_to_convert_table(events)
    whole = np.floor((pandas_journeys["last"] - pandas_journeys["first"]).dt.total_seconds() / 86400).astype(int)
    assert dict(zip(days["days"], days["conversions"])) == whole.value_counts().sort_index().to_dict()


@pytest.mark.parametrize(
    ("n", "expected"),
    # GA4: late = last ceil(n/4) touches; early = first round(n/4), none for one touch; mid = the rest
    [(1, "L"), (2, "EL"), (3, "EML"), (4, "EMML"), (5, "EMMLL"), (6, "EEMMLL"), (8, "EEMMMMLL")],
)
def test_ga4_stages_by_hand(n, expected):
    stage = stage_of_touches(np.arange(n), np.full(n, n))
    assert "".join("EML"[s] for s in stage) == expected


def test_stage_credit_adds_up_to_the_model(events):
    stages = pd.DataFrame(stage_credit(events, "linear"))
    per_channel = stages.groupby("channel")["conversions"].sum()
    np.testing.assert_allclose(per_channel.to_numpy(), channel_credit(events, "linear")["conversions"], atol=1e-9)
    # last touch credits late touches only
    last = pd.DataFrame(stage_credit(events, "last"))
    assert last.loc[last["stage"] != "late", "conversions"].abs().max() == 0


def test_compare_models_change_against_last(events, pandas_journeys):
    table = pd.DataFrame(compare_models(events, ["last", "first", "linear"]))
    assert (table.loc[table["model"] == "last", "change_vs_last"] == 0).all()
    firsts = pandas_journeys["path"].str.split(" > ").str[0].value_counts()
    lasts = pandas_journeys["path"].str.split(" > ").str[-1].value_counts()
    first_rows = table[table["model"] == "first"].set_index("channel")
    for channel in firsts.index:
        assert first_rows.loc[channel, "conversions"] == firsts[channel]
        assert first_rows.loc[channel, "change_vs_last"] == firsts[channel] - lasts[channel]
    assert table.groupby("model")["share"].sum().to_numpy() == pytest.approx([1, 1, 1])


def test_cli_compare_models(events_file, tmp_path, capsys):
    out = tmp_path / "compare.csv"
    assert main(["attribute", str(events_file), "--preset", "journey-events", "--compare-models", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["channel", "model", "conversions", "conversion_value", "share", "change_vs_last",
                                   "change_vs_last_pct"]
    assert set(frame["model"]) == {"last", "first", "linear", "time_decay", "position", "u_shaped", "w_shaped",
                                   "markov", "shapley"}
    assert frame.groupby("model")["conversions"].sum().to_numpy() == pytest.approx([1838] * 9)
    assert "Paid Search" in capsys.readouterr().out


def test_cli_compare_models_refuses_a_model(events_file, tmp_path, capsys):
    code = main(["attribute", str(events_file), "--preset", "journey-events", "--compare-models", "--model", "last",
                 "--out", str(tmp_path / "x.csv")])
    assert code == 2
    assert "leave out --model" in capsys.readouterr().err


def test_cli_paths_option_prints_the_reports(events_file, tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["attribute", str(events_file), "--preset", "journey-events", "--model", "last", "--paths",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "top conversion paths" in printed and "conversions by path length: 1 touch " in printed
    assert "last credit by stage" in printed
    assert list(pd.read_csv(out).columns) == ["channel", "conversions", "conversion_value"]
