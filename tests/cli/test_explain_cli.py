"""`coordkit explain` and `coordkit signals`: the CLI contract, checked as the issue writes it."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest

from coordkit.cli import main

EXPLAIN_HEADER_TAIL = ["before", "after", "contribution", "share_of_change"]
SIGNAL_COLUMNS = ["centre", "lower_limit", "upper_limit", "moving_range", "upper_range_limit", "rule"]


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


@pytest.fixture()
def deals_csv(tmp_path: Path) -> Path:
    path = tmp_path / "deals.csv"
    lines = ["week,channel,region,pipeline"]
    cells = {("events", "emea"): (10, 50), ("events", "us"): (10, 20), ("email", "emea"): (10, 35), ("email", "us"): (10, 10)}
    for (channel, region), (before, after) in cells.items():
        # split each cell over several deals, as a CRM export would have it
        lines += [f"2026-11-09,{channel},{region},{before / 2}"] * 2
        lines += [f"2026-11-16,{channel},{region},{after / 2}"] * 2
    path.write_text("\n".join(lines) + "\n")
    return path


def explain_args(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "explain", str(data), "--metric", "pipeline", "--by", "channel,region", "--period-column", "week",
        "--before", "2026-11-09", "--after", "2026-11-16", "--out", str(out), *extra,
    ]


def test_explain_writes_the_contract(deals_csv, tmp_path):
    out = tmp_path / "out.csv"
    assert main(explain_args(deals_csv, out, "--max-segments", "2")) == 0
    header, rows = read_rows(out)
    assert header == ["segment", "channel", "region", *EXPLAIN_HEADER_TAIL]
    # hand computation: region=emea +65 first (no narrower segment carries 80 % of it); then
    # channel=events has +10 left unclaimed, all of it in events & us, the narrower segment
    assert [row["segment"] for row in rows] == ["region=emea", "channel=events & region=us", "remainder"]
    assert [row["channel"] for row in rows] == ["", "events", ""]
    assert [row["region"] for row in rows] == ["emea", "us", ""]
    assert [float(row["contribution"]) for row in rows] == [65, 10, 0]
    assert [float(row["before"]) for row in rows] == [20, 10, 10]
    assert [float(row["after"]) for row in rows] == [85, 20, 10]
    assert float(rows[0]["share_of_change"]) == pytest.approx(65 / 75)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--metric": "amount"}, r"error: deals.csv: missing column 'amount'"),
        ({"--by": "channel,team"}, r"error: deals.csv: missing column 'team'"),
        ({"--before": "2026-11-02"}, r"error: deals.csv: column 'week' has no rows for period '2026-11-02'"),
    ],
)
def test_explain_bad_input_names_file_column_and_value(deals_csv, tmp_path, capsys, change, message):
    args = explain_args(deals_csv, tmp_path / "out.csv")
    for flag, value in change.items():
        args[args.index(flag) + 1] = value
    assert main(args) == 8
    err = capsys.readouterr().err
    assert err.splitlines()[0] == message.replace("\\", "").removeprefix("r")
    assert "Traceback" not in err


def test_explain_text_in_the_metric_is_located(tmp_path, capsys):
    data = tmp_path / "deals.csv"
    data.write_text("week,channel,region,pipeline\n2026-11-09,email,us,10\n2026-11-16,email,us,12k\n")
    assert main(explain_args(data, tmp_path / "out.csv")) == 8
    assert "deals.csv: column 'pipeline', row 2: '12k' is not a number" in capsys.readouterr().err


def test_explain_missing_file(tmp_path, capsys):
    assert main(explain_args(tmp_path / "nope.csv", tmp_path / "out.csv")) == 3
    assert "nope.csv: file not found" in capsys.readouterr().err


def test_explain_ragged_line_is_located(tmp_path, capsys):
    data = tmp_path / "deals.csv"
    data.write_text("week,channel,region,pipeline\n2026-11-09,email,us,10,oops\n")
    assert main(explain_args(data, tmp_path / "out.csv")) == 3
    assert "deals.csv: line 2 has 5 fields, the header has 4" in capsys.readouterr().err


@pytest.mark.hostile
def test_explain_neutralises_formulas_in_labels(tmp_path):
    data = tmp_path / "deals.csv"
    data.write_text("week,channel,region,pipeline\n2026-11-09,=HYPERLINK(1),us,10\n2026-11-16,=HYPERLINK(1),us,90\n")
    out = tmp_path / "out.csv"
    assert main(explain_args(data, out, "--max-segments", "1")) == 0
    _, rows = read_rows(out)
    assert rows[0]["channel"] == "'=HYPERLINK(1)"


def test_explain_on_the_shared_wise_pizza_data_adds_up(shared_data, tmp_path):
    data = shared_data / "whatmoved" / "segments_wisepizza_synth.csv"
    out = tmp_path / "out.csv"
    args = [
        "explain", str(data), "--metric", "VOLUME", "--by", "TYPE,REGION,FIRST_PRODUCT,CURRENCY",
        "--period-column", "COHORT_MONTH", "--before", "2021-09-01", "--after", "2021-10-01", "--out", str(out),
    ]
    assert main(args) == 0
    header, rows = read_rows(out)
    assert header == ["segment", "TYPE", "REGION", "FIRST_PRODUCT", "CURRENCY", *EXPLAIN_HEADER_TAIL]
    assert rows[-1]["segment"] == "remainder"
    totals = {"2021-09-01": [], "2021-10-01": []}
    with data.open(newline="") as handle:
        for row in csv.DictReader(handle):
            totals[row["COHORT_MONTH"]].append(float(row["VOLUME"]))
    change = math.fsum(totals["2021-10-01"]) - math.fsum(totals["2021-09-01"])
    assert math.fsum(float(row["contribution"]) for row in rows) == pytest.approx(change, rel=1e-12)
    assert math.fsum(float(row["share_of_change"]) for row in rows) == pytest.approx(1.0)


@pytest.fixture()
def series_csv(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.csv"
    # rows out of order on purpose: --date sorts them
    path.write_text("week,pipeline\n2026-01-12,2\n2026-01-05,3\n2025-12-29,1\n2026-01-19,2\n2026-01-26,100\n")
    return path


def test_signals_writes_the_contract(series_csv, tmp_path, capsys):
    out = tmp_path / "signals.csv"
    assert main(["signals", str(series_csv), "--value", "pipeline", "--date", "week", "--baseline", "4", "--out", str(out)]) == 0
    header, rows = read_rows(out)
    assert header == ["week", "pipeline", *SIGNAL_COLUMNS]
    assert [row["week"] for row in rows] == ["2025-12-29", "2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    # baseline 1,3,2,2: centre 2, moving ranges 2,1,0 -> average 1
    assert {row["centre"] for row in rows} == {"2.0"}
    assert float(rows[0]["upper_limit"]) == pytest.approx(4.66)
    assert float(rows[0]["lower_limit"]) == pytest.approx(-0.66)
    assert float(rows[0]["upper_range_limit"]) == pytest.approx(3.268)
    assert [row["moving_range"] for row in rows] == ["", "2.0", "1.0", "0.0", "98.0"]
    assert [row["rule"] for row in rows] == ["", "", "", "", "outside_limits"]
    assert capsys.readouterr().out.startswith("Signal: the latest pipeline (100)")


def test_signals_without_date_uses_all_points_as_baseline(series_csv, tmp_path):
    out = tmp_path / "signals.csv"
    assert main(["signals", str(series_csv), "--value", "pipeline", "--out", str(out)]) == 0
    header, rows = read_rows(out)
    assert header == ["pipeline", *SIGNAL_COLUMNS]
    assert float(rows[0]["centre"]) == pytest.approx(108 / 5)


def test_signals_bad_value_is_located(tmp_path, capsys):
    data = tmp_path / "series.csv"
    data.write_text("week,pipeline\n2026-01-05,1\n2026-01-12,n/a\n")
    assert main(["signals", str(data), "--value", "pipeline", "--out", str(tmp_path / "o.csv")]) == 8
    assert "series.csv: column 'pipeline', row 2: 'n/a' is not a number" in capsys.readouterr().err


def test_signals_missing_column(series_csv, tmp_path, capsys):
    assert main(["signals", str(series_csv), "--value", "leads", "--out", str(tmp_path / "o.csv")]) == 8
    assert "pipeline.csv: missing column 'leads'" in capsys.readouterr().err


@pytest.mark.slow  # two fresh processes, each importing the whole CLI
def test_installed_command_runs_as_a_subprocess(deals_csv, tmp_path, repo_root):
    executable = Path(sys.executable).with_name("coordkit")
    if not executable.exists():
        executable = repo_root / ".venv" / "bin" / "coordkit"
    out = tmp_path / "out.csv"
    done = subprocess.run([str(executable), *explain_args(deals_csv, out)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    header, rows = read_rows(out)
    assert header[0] == "segment" and rows[-1]["segment"] == "remainder"
    failed = subprocess.run(
        [str(executable), "signals", str(tmp_path / "missing.csv"), "--value", "x", "--out", str(out)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert failed.returncode == 3
    assert "missing.csv: file not found" in failed.stderr and "Traceback" not in failed.stderr
