"""Deliverables in the weekly review: a hand-computed week, recounts of the vendors' exports, and nothing when none exist."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from coordkit.analysis.review import compute_weekly_review, review_context
from coordkit.analysis.review_deliverables import NOT_INGESTED, deliverables_section
from coordkit.cli import main

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
WEEK = dt.date(2026, 3, 2)  # a Monday


def _ingest(workspace: Path, path: Path, table: str | None = None) -> None:
    args = ["ingest", str(path), "--workspace", str(workspace)]
    if table:
        args += ["--as", table]
    if not (workspace / ".coordkit").exists():
        args.append("--create")
    assert main(args) == 0


@pytest.fixture()
def team_workspace(tmp_path) -> Path:
    """Two teams' outcomes and outputs around WEEK, and a hand-made task list."""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "outcomes.csv").write_text(
        "outcome_id,kind,created_at,team,amount\n"
        "O1,opportunity,2026-02-23,emea,1000\nO2,opportunity,2026-03-03,emea,2000\nO3,lead,2026-03-04,apac,\n"
        "O4,lead,2026-03-09,emea,\n", encoding="utf-8")
    (exports / "outputs.csv").write_text(
        "output_id,published_at,channel,kind,campaign,team,title,cost\n"
        "P1,2026-02-24,email,email,spring,emea,Spring e-mail,100\nP2,2026-03-03,social,post,spring,apac,Spring post,50\n",
        encoding="utf-8")
    (exports / "tasks.csv").write_text(
        "deliverable_id,title,team,owner,due_at,done_at,done\n"
        "T1,late landing page,emea,Sam,2026-03-03,2026-03-05,true\n"      # done this week, two days late
        "T2,on-time post,emea,sam@example.com,2026-03-04,2026-03-04T17:00:00Z,true\n"  # done on its due day
        "T3,open from last week,emea,Sam,2026-02-27,,false\n"             # overdue
        "T4,due friday,emea,Sam,2026-03-06,2026-03-10,true\n"             # done only next week: still due this week
        "T5,apac banner <b>,apac,Ana,2026-03-05,,false\n"                 # due this week, apac
        "T6,next week,emea,Sam,2026-03-12,,false\n",                      # not this week's business
        encoding="utf-8")
    workspace = tmp_path / "ws"
    _ingest(workspace, exports / "outcomes.csv", "outcomes")
    _ingest(workspace, exports / "outputs.csv", "outputs")
    _ingest(workspace, exports / "tasks.csv", "deliverables")
    return workspace


def test_a_hand_computed_week_in_the_review(team_workspace):
    from coordkit.present.deliverables_view import show_deliverables
    from coordkit.present.review_view import summary_markdown

    emea = compute_weekly_review(team_workspace, week=WEEK, team="emea")
    items = emea.deliverables.items
    assert list(zip(items["deliverable_id"], items["state"])) == [
        ("T3", "overdue"), ("T4", "due"), ("T2", "done"), ("T1", "done late")]
    assert emea.deliverables.sentence() == (
        "1 due this week and still open, 2 done this week (1 late), 1 overdue from earlier weeks.")
    assert "sam@example.com" not in items.to_string()  # owners can be e-mail addresses: masked like every text cell
    summary = summary_markdown(emea)
    assert [line for line in summary.splitlines() if line.startswith("Deliverables")] == [
        "Deliverables: 1 due this week and still open, 2 done this week (1 late), 1 overdue from earlier weeks."]
    assert json.loads(emea.to_json())["deliverables"] == {"overdue": 1, "due": 1, "done": 1, "done late": 1}
    page = show_deliverables(emea).data
    assert 'id="deliverables"' in page and "open from last week" in page and "2026-02-27" in page

    everyone = compute_weekly_review(team_workspace, week=WEEK, team="all")
    assert sorted(everyone.deliverables.items["deliverable_id"]) == ["T1", "T2", "T3", "T4", "T5"]
    assert "apac banner &lt;b&gt;" in show_deliverables(everyone).data  # escaped
    apac = compute_weekly_review(team_workspace, week=WEEK, team="apac").deliverables
    assert apac.items["deliverable_id"].tolist() == ["T5"] and apac.count("due") == 1
    # the week after: T4 done late, T6 due, T3 still overdue
    later = compute_weekly_review(team_workspace, week=WEEK + dt.timedelta(days=7), team="emea").deliverables
    assert dict(zip(later.items["deliverable_id"], later.items["state"])) == {"T3": "overdue", "T6": "due", "T4": "done late"}


def test_no_deliverables_shows_one_quiet_line_and_no_summary_line(tmp_path):
    from coordkit.present.deliverables_view import show_deliverables
    from coordkit.present.review_view import summary_markdown

    exports = tmp_path / "o.csv"
    exports.write_text("outcome_id,kind,created_at,team,amount\nO1,opportunity,2026-02-23,emea,10\n"
                       "O2,opportunity,2026-03-03,emea,20\n", encoding="utf-8")
    _ingest(tmp_path / "ws", exports, "outcomes")
    review = compute_weekly_review(tmp_path / "ws", week=WEEK, team="emea")
    assert not review.deliverables.ingested and review.deliverables.sentence() == NOT_INGESTED
    page = show_deliverables(review).data
    assert page.count("<p") == 1 and "<table" not in page and "<h2" not in page and NOT_INGESTED in page
    assert "Deliverables" not in summary_markdown(review)
    assert json.loads(review.to_json())["deliverables"] is None


def _utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)  # Python 3.11 reads a trailing Z
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _recount(rows, week: dt.date) -> dict[str, str]:
    """rows: (id, due, done_at, done) with datetimes in UTC; the states by their definition (docs/presets.md)."""
    start = dt.datetime.combine(week, dt.time(), dt.UTC)
    end = start + dt.timedelta(days=7)
    out = {}
    for key, due, done_at, done in rows:
        open_at_end = not (done or done_at) or (done_at is not None and done_at >= end)
        if done_at is not None and start <= done_at < end:
            out[key] = "done" if due is None or done_at <= due + dt.timedelta(days=1) else "done late"
        elif due is not None and start <= due < end and open_at_end:
            out[key] = "due"
        elif due is not None and due < start and open_at_end:
            out[key] = "overdue"
    return out


def _trello_rows():
    with (VENDORS / "trello" / "q1-marketing-launches.csv").open(encoding="utf-8", newline="") as handle:
        return [(r["Card ID"], _utc(r["Due Date"]) if r["Due Date"] else None, None, r["Due Complete"] == "true")
                for r in csv.DictReader(handle)]


def _monday_rows():
    import openpyxl

    sheet = openpyxl.load_workbook(VENDORS / "monday" / "q1-marketing-launches.xlsx", read_only=True).active
    rows, header = [], None
    for values in sheet.iter_rows(values_only=True):
        if values and values[0] == "Name":
            header = list(values)
            continue
        if header is None or not values or values[1] is None:
            continue  # the board title, a group's title row or a blank row
        record = dict(zip(header, values))
        due = record["Due date"]
        due = _utc(due.isoformat() if hasattr(due, "isoformat") else str(due)) if due else None
        rows.append((str(record["Item ID"]), due, None, record["Status"] == "Done"))
    return rows


def _asana_rows():
    with (VENDORS / "asana" / "q1-marketing-launches.csv").open(encoding="utf-8", newline="") as handle:
        return [(r["Task ID"], _utc(r["Due Date"]) if r["Due Date"] else None,
                 _utc(r["Completed At"]) if r["Completed At"] else None, bool(r["Completed At"]))
                for r in csv.DictReader(handle)]


@pytest.mark.parametrize(("export", "rows"), [
    ("trello/q1-marketing-launches.csv", _trello_rows),
    ("monday/q1-marketing-launches.xlsx", _monday_rows),
    ("asana/q1-marketing-launches.csv", _asana_rows),
])
def test_the_sections_states_match_a_recount_of_each_export(tmp_path, export, rows):
    outcomes = tmp_path / "o.csv"  # a review needs dated rows; the deliverables come from the export alone
    outcomes.write_text("outcome_id,kind,created_at\nO1,lead,2026-02-20\nO2,lead,2026-04-12\n", encoding="utf-8")
    _ingest(tmp_path / "ws", outcomes, "outcomes")
    _ingest(tmp_path / "ws", VENDORS / export)
    expected_rows = rows()
    assert len(expected_rows) >= 8
    for cached in (False, True):  # read from the store, then from the review cache
        context = review_context(tmp_path / "ws")
        assert (context.snapshot is not None) or not cached
        seen = 0
        for week in [dt.date(2026, 2, 23) + dt.timedelta(days=7 * k) for k in range(7)]:
            section = deliverables_section(context.deliverables, week)
            got = dict(zip(section.items["deliverable_id"].astype(str), section.items["state"]))
            assert got == _recount(expected_rows, week), (export, week)
            assert section.counts["deliverables"].sum() == len(got)
            seen += len(got)
        assert seen > 0


def test_a_due_date_is_a_whole_day_and_no_more():
    import pandas as pd

    from coordkit.analysis.deliverables import deliverables_of_week

    frame = pd.DataFrame({
        "deliverable_id": ["on the day", "late evening", "next day (date only)"],
        "title": ["a", "b", "c"], "campaign": None, "owner": None, "team": None, "platform": None, "status": None,
        "done": True,
        "due_at": [pd.Timestamp("2026-03-04", tz="UTC")] * 3,
        "done_at": [pd.Timestamp("2026-03-04", tz="UTC"), pd.Timestamp("2026-03-04T23:59", tz="UTC"),
                    pd.Timestamp("2026-03-05", tz="UTC")],
    })
    got = deliverables_of_week(frame, WEEK)
    assert dict(zip(got["deliverable_id"], got["state"])) == {
        "on the day": "done", "late evening": "done", "next day (date only)": "done late"}
