"""Due, done and overdue deliverables of a week, checked against a recount of the Asana export with csv."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from coordkit.analysis.deliverables import compute_deliverables
from coordkit.cli import main
from coordkit.ingest.workspace import open_workspace

ASANA = Path(__file__).resolve().parents[1] / "fixtures" / "vendors" / "asana" / "q1-marketing-launches.csv"


def _expected(week: dt.date) -> dict[str, str]:
    start, end = week, week + dt.timedelta(days=7)
    out = {}
    with ASANA.open(encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            due = dt.date.fromisoformat(r["Due Date"]) if r["Due Date"] else None
            done = dt.date.fromisoformat(r["Completed At"]) if r["Completed At"] else None
            open_at_end = done is None or done >= end
            if done is not None and start <= done < end:
                out[r["Task ID"]] = "done" if due is None or done <= due else "done late"
            elif due is not None and start <= due < end and open_at_end:
                out[r["Task ID"]] = "due"
            elif due is not None and due < start and open_at_end:
                out[r["Task ID"]] = "overdue"
    return out


@pytest.mark.parametrize("week", [dt.date(2026, 2, 23), dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 30)])
def test_states_match_a_recount_of_the_export(tmp_path, week):
    assert main(["ingest", str(ASANA), "--workspace", str(tmp_path / "ws"), "--create"]) == 0
    with open_workspace(tmp_path / "ws", read_only=True) as ws:
        got = compute_deliverables(ws, week)
    assert dict(zip(got["deliverable_id"], got["state"])) == _expected(week)
    assert list(got["state"]) == sorted(got["state"], key=["overdue", "due", "done", "done late"].index)


def test_a_workspace_without_deliverables_gives_an_empty_frame(tmp_path):
    export = tmp_path / "o.csv"
    export.write_text("outcome_id,kind,created_at\nD1,lead,2026-03-02\n", encoding="utf-8")
    assert main(["ingest", str(export), "--as", "outcomes", "--workspace", str(tmp_path / "ws"), "--create"]) == 0
    with open_workspace(tmp_path / "ws", read_only=True) as ws:
        assert compute_deliverables(ws, dt.date(2026, 3, 2)).empty


def test_hand_made_week_with_every_state(tmp_path):
    export = tmp_path / "tasks.csv"
    export.write_text(
        "deliverable_id,title,due_at,done_at,done\n"
        "T1,late landing page,2026-03-03,2026-03-05,true\n"    # done this week, two days late
        "T2,on-time post,2026-03-04,2026-03-04T17:00:00Z,true\n"  # done on its due day
        "T3,open from last week,2026-02-27,,false\n"          # overdue
        "T4,due friday,2026-03-06,2026-03-10,true\n"          # done only next week: still due this week
        "T5,done without a date,2026-02-20,,true\n"           # done at an unknown time: never overdue
        "T6,next week,2026-03-12,,false\n",                   # not this week's business
        encoding="utf-8",
    )
    assert main(["ingest", str(export), "--as", "deliverables", "--workspace", str(tmp_path / "ws"), "--create"]) == 0
    with open_workspace(tmp_path / "ws", read_only=True) as ws:
        got = compute_deliverables(ws, dt.date(2026, 3, 2))
    assert list(zip(got["deliverable_id"], got["state"])) == [
        ("T3", "overdue"), ("T4", "due"), ("T2", "done"), ("T1", "done late"),
    ]
