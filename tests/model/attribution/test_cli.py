"""The `coordkit attribute` contract, exactly as issue 3 writes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from coordkit.cli import main

CLI_MODELS = ["first", "last", "linear", "time_decay", "position", "w_shaped", "markov", "shapley"]


@pytest.mark.slow
@pytest.mark.parametrize("model", CLI_MODELS)
def test_events_file_one_row_per_channel(events_file, tmp_path, model):
    out = tmp_path / "out.csv"
    code = main(["attribute", str(events_file), "--preset", "journey-events", "--model", model, "--out", str(out)])
    assert code == 0
    credit = pd.read_csv(out)
    assert list(credit.columns) == ["channel", "conversions", "conversion_value"]
    assert sorted(credit["channel"]) == ["Facebook", "Instagram", "Online Display", "Online Video", "Paid Search"]
    assert credit["conversions"].sum() == pytest.approx(1838, abs=1e-6)
    assert credit["conversion_value"].sum() == pytest.approx(11423.5, abs=1e-6)


@pytest.mark.slow
def test_first_touch_on_events_counts_first_channels(events_file, tmp_path):
    # independent reference: pandas, journeys built as SOURCES.md describes
    raw = pd.read_csv(events_file).sort_values(["customer_id", "time"])
    conv = (raw["interaction"] == "conversion").astype(int)
    raw["journey"] = conv.groupby(raw["customer_id"]).cumsum() - conv
    journeys = raw.groupby(["customer_id", "journey"])
    firsts = journeys.agg(first=("channel", "first"), conversions=("conversion", "sum"), value=("conversion_value", "sum"))
    expected = firsts.groupby("first")["value"].sum()
    out = tmp_path / "first.csv"
    main(["attribute", str(events_file), "--preset", "journey-events", "--model", "first", "--out", str(out)])
    got = pd.read_csv(out).set_index("channel")["conversion_value"]
    assert got.to_dict() == pytest.approx(expected.to_dict(), abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("extra", [["--order", "3"], []])
def test_markov_order_option(events_file, tmp_path, extra):
    out = tmp_path / "m.csv"
    assert main(["attribute", str(events_file), "--preset", "journey-events", "--model", "markov", *extra, "--out", str(out)]) == 0
    assert pd.read_csv(out)["conversions"].sum() == pytest.approx(1838)


@pytest.mark.slow
def test_half_life_option_changes_time_decay(events_file, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    base = ["attribute", str(events_file), "--preset", "journey-events", "--model", "time_decay"]
    assert main([*base, "--out", str(a)]) == 0
    assert main([*base, "--half-life-hours", "1", "--out", str(b)]) == 0
    # a 1-hour half-life is almost last touch
    last = tmp_path / "last.csv"
    main(["attribute", str(events_file), "--preset", "journey-events", "--model", "last", "--out", str(last)])
    short, week, last_touch = (pd.read_csv(p).set_index("channel")["conversions"] for p in (b, a, last))
    assert (short - last_touch).abs().max() < (week - last_touch).abs().max()


@pytest.mark.parametrize("model", [m for m in CLI_MODELS if m != "time_decay"])
def test_paths_file(paths_file, tmp_path, model):
    out = tmp_path / "p.csv"
    assert main(["attribute", str(paths_file), "--preset", "paths", "--model", model, "--out", str(out)]) == 0
    credit = pd.read_csv(out)
    assert list(credit.columns) == ["channel", "conversions", "conversion_value"]
    assert len(credit) == 12
    assert credit["conversions"].sum() == pytest.approx(19785, abs=1e-6)
    assert credit["conversion_value"].sum() == pytest.approx(74802.97, abs=0.01)


def test_unknown_model_lists_the_allowed_ones(events_file, tmp_path, capsys):
    code = main(["attribute", str(events_file), "--preset", "journey-events", "--model", "lienar", "--out", str(tmp_path / "x.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--model must be one of 'first', 'last', 'linear', 'time_decay', 'position', 'u_shaped', 'w_shaped', 'markov', 'shapley'; got 'lienar'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "paths", "--model", "time_decay"], "time_decay needs touch times"),
        (["--preset", "paths", "--model", "markov", "--order", "7"], "Markov order must be one of 1, 2, 3, 4; got 7"),
        (["--preset", "hubspot", "--model", "first"], "--preset must be one of 'journey-events', 'paths'; got 'hubspot'"),
        (["--preset", "paths", "--model", "first", "--order", "2"], "--order applies to --model markov only"),
    ],
)
def test_bad_options_are_one_line_errors(paths_file, tmp_path, capsys, args, message):
    code = main(["attribute", str(paths_file), *args, "--out", str(tmp_path / "x.csv")])
    assert code != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_file_is_a_read_error(tmp_path, capsys):
    code = main(["attribute", str(tmp_path / "nope.csv"), "--preset", "paths", "--model", "first", "--out", str(tmp_path / "x.csv")])
    assert code == 3
    assert "nope.csv: file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_installed_command_runs(paths_file, tmp_path):
    exe = Path(sys.executable).with_name("coordkit")
    out = tmp_path / "sub.csv"
    done = subprocess.run(
        [str(exe), "attribute", str(paths_file), "--preset", "paths", "--model", "markov", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out)["conversions"].sum() == pytest.approx(19785)
