"""`coordkit funnel` without pandas writes the very same CSV as the pandas path, and the hand-counted funnel.

The command reads the store with DuckDB and computes the funnel in plain
Python (``coordkit.analysis.funnel_store``) so that it starts in well under a
second; ``compute_funnel(load_pipeline(...))`` written through
``write_safe_csv`` is the independent pandas computation it must equal byte
for byte. The hand case is the three deals of ``tests/analysis/test_pipeline_hand.py``
(all created in the week of Monday 2025-12-29).
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coordkit.analysis.funnel import compute_funnel
from coordkit.analysis.funnel_store import _pairwise_sum, weekly_funnel_rows
from coordkit.analysis.pipeline_data import load_pipeline
from coordkit.cli import main
from coordkit.present.safe_export import write_safe_csv

REPO = Path(__file__).resolve().parents[2]
VENDORS = REPO / "tests" / "fixtures" / "vendors"

HAND_OUTCOMES = """outcome_id,kind,created_at,amount,stage,closed_at,won,team,campaign
A,opportunity,2026-01-01T00:00:00Z,1000,Closed Won,2026-01-25T00:00:00Z,true,t1,c1
B,opportunity,2026-01-02T00:00:00Z,500,Closed Lost,2026-01-20T00:00:00Z,false,t1,
C,opportunity,2026-01-03T00:00:00Z,2000,Qualification,,,t2,c1
"""
HAND_STAGES = """outcome_id,stage,entered_at,stage_order,pipeline
A,Qualification,2026-01-01T00:00:00Z,,coordkit demo
A,Discovery,2026-01-05T00:00:00Z,,coordkit demo
A,Proposal,2026-01-10T00:00:00Z,,coordkit demo
A,Discovery,2026-01-12T00:00:00Z,,coordkit demo
A,Proposal,2026-01-15T00:00:00Z,,coordkit demo
A,Negotiation,2026-01-20T00:00:00Z,,coordkit demo
A,Closed Won,2026-01-25T00:00:00Z,,coordkit demo
B,Qualification,2026-01-02T00:00:00Z,,coordkit demo
B,Proposal,2026-01-08T00:00:00Z,,coordkit demo
B,Closed Lost,2026-01-20T00:00:00Z,,coordkit demo
C,Qualification,2026-01-03T00:00:00Z,,coordkit demo
"""


@pytest.fixture(scope="module")
def hand_workspace(tmp_path_factory) -> Path:
    from coordkit.ingest.workspace import open_workspace

    folder = tmp_path_factory.mktemp("hand")
    (folder / "outcomes.csv").write_text(HAND_OUTCOMES, encoding="utf-8")
    (folder / "stages.csv").write_text(HAND_STAGES, encoding="utf-8")
    with open_workspace(folder / "ws", create=True) as ws:
        ws.ingest(folder / "outcomes.csv", "outcomes")
        ws.ingest(folder / "stages.csv", "outcome_stages")
    return folder / "ws"


def _pandas_csv(workspace, path, team=None, by=None) -> bytes:
    write_safe_csv(compute_funnel(load_pipeline(workspace, team=team), grain="week", by=by), path)
    return path.read_bytes()


def _command_csv(workspace, path, *options) -> bytes:
    assert main(["funnel", "--workspace", str(workspace), *options, "--out", str(path)]) == 0
    return path.read_bytes()


def test_hand_case_by_the_command_matches_the_hand_count(hand_workspace, tmp_path):
    assert weekly_funnel_rows(hand_workspace) is not None  # the pandas-free path answers
    _command_csv(hand_workspace, tmp_path / "f.csv")
    with (tmp_path / "f.csv").open(encoding="utf-8", newline="") as handle:
        rows = {r["stage"]: r for r in csv.DictReader(handle)}
    assert {r["cohort"] for r in rows.values()} == {"2025-12-29"}
    assert [int(rows[s]["reached"]) for s in ("Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won")] == [3, 2, 2, 1, 1]
    assert float(rows["Qualification"]["next_step_conversion"]) == pytest.approx(2 / 3)
    assert float(rows["Proposal"]["next_step_conversion"]) == 0.5
    assert float(rows["Proposal"]["won_conversion"]) == 0.5
    assert float(rows["Proposal"]["median_days_to_reach"]) == 7.5  # A 9 days, B 6 days
    assert rows["Qualification"]["still_open"] == "1" and rows["Proposal"]["lost_here"] == "1"
    assert rows["Closed Won"]["next_step_conversion"] == "" and rows["Qualification"]["provisional"] == "True"


@pytest.mark.parametrize("options", [(), ("--by", "campaign"), ("--team", "t1")])
def test_hand_case_both_paths_write_the_same_bytes(hand_workspace, tmp_path, options):
    team = options[1] if options[:1] == ("--team",) else None
    by = options[1] if options[:1] == ("--by",) else None
    assert _command_csv(hand_workspace, tmp_path / "a.csv", *options) == _pandas_csv(hand_workspace, tmp_path / "b.csv", team, by)


@pytest.mark.parametrize(
    "options", [(), ("--by", "campaign"), ("--by", "channel"), ("--team", "north-america", "--by", "campaign"), ("--team", "emea")]
)
def test_demo_both_paths_write_the_same_bytes(demo_workspace, tmp_path, options):
    assert weekly_funnel_rows(demo_workspace) is not None
    team = options[options.index("--team") + 1] if "--team" in options else None
    by = options[options.index("--by") + 1] if "--by" in options else None
    assert _command_csv(demo_workspace, tmp_path / "a.csv", *options) == _pandas_csv(demo_workspace, tmp_path / "b.csv", team, by)


def test_command_on_the_demo_never_imports_pandas(demo_workspace, tmp_path):
    code = (
        "import sys; from coordkit.cli import main; "
        f"assert main(['funnel', '--workspace', {str(demo_workspace)!r}, '--out', {str(tmp_path / 'f.csv')!r}]) == 0; "
        "assert 'pandas' not in sys.modules and 'numpy' not in sys.modules, 'pandas or numpy imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr


def test_hubspot_dates_in_extras_take_the_pandas_path(tmp_path):
    from coordkit.ingest.workspace import open_workspace

    with open_workspace(tmp_path / "ws", create=True) as ws:
        ws.ingest(VENDORS / "hubspot" / "deals-export.csv", "outcomes", preset="hubspot-deals")
    assert weekly_funnel_rows(tmp_path / "ws") is None
    assert _command_csv(tmp_path / "ws", tmp_path / "a.csv") == _pandas_csv(tmp_path / "ws", tmp_path / "b.csv")


def test_unknown_team_is_refused_with_the_known_ones(hand_workspace, tmp_path, capsys):
    assert main(["funnel", "--workspace", str(hand_workspace), "--team", "nope", "--out", str(tmp_path / "f.csv")]) != 0
    err = capsys.readouterr().err
    assert "nope" in err and "t1" in err and "t2" in err and "Traceback" not in err


def test_store_path_is_the_workspace_modules():
    from coordkit.analysis.funnel_store import STORE_PATH
    from coordkit.ingest.workspace import STORE_DIR, STORE_FILE

    assert STORE_PATH == (STORE_DIR, STORE_FILE)


def test_pairwise_sum_adds_in_numpys_order():
    rng = random.Random(7)
    for n in list(range(1, 140)) + [255, 256, 300, 1000]:
        values = [rng.uniform(-1, 1) * 10 ** rng.randint(-8, 8) for _ in range(n)]
        assert _pairwise_sum(values) == float(np.add.reduce(np.array(values))), n
