"""Stage history reaches the workspace from a canonical CSV and from the Salesforce Opportunity History report."""

from __future__ import annotations

import csv
from pathlib import Path

from coordkit.ingest.workspace import open_workspace

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vendors" / "salesforce" / "opportunity-history-en-US.csv"


def test_salesforce_history_rows_become_stage_entries(tmp_path):
    # independent recount with the csv module: data rows are those with an 18-character opportunity id
    with FIXTURE.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if len(r["Opportunity ID"] or "") == 18]
    with open_workspace(tmp_path / "ws", create=True) as ws:
        report = ws.ingest(FIXTURE, "outcome_stages", preset="salesforce-opportunity-history")
        stored = ws.table("outcome_stages").execute()
    assert report.accepted == len(rows) == len(stored)
    first = rows[0]
    match = stored[(stored["outcome_id"] == first["Opportunity ID"]) & (stored["stage"] == first["To Stage"])]
    # "3/6/2026 10:00 AM" read as US month/day with a 12-hour clock, workspace zone UTC
    assert match["entered_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2026-03-06 10:00"]
    assert set(stored["pipeline"]) == {"Salesforce opportunities"}


def test_canonical_stage_csv_rejects_a_bad_date_with_its_location(tmp_path):
    path = tmp_path / "stages.csv"
    path.write_text(
        "outcome_id,stage,entered_at,stage_order,pipeline\n"
        "OPP-1,Qualification,2026-01-05T10:00:00Z,1,New business\n"
        "OPP-1,Discovery,2026-01-12T10:00:00Z,2,New business\n"
        "OPP-2,Proposal,2026-02-30T10:00:00Z,3,New business\n"
        "OPP-3,Qualification,2026-01-06T10:00:00Z,1,New business\n"
        "OPP-3,Proposal,2026-01-20T10:00:00Z,3,New business\n",
        encoding="utf-8",
    )
    with open_workspace(tmp_path / "ws", create=True) as ws:
        report = ws.ingest(path, "outcome_stages")
        rejected = ws.rejected_rows()
    assert (report.accepted, report.rejected) == (4, 1)
    assert rejected["row"].tolist() == [4] and rejected["column"].tolist() == ["entered_at"]
