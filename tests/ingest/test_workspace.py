"""Workspace: idempotent ingest, update by id, ingest log, kept rejections, locking."""

from __future__ import annotations

import multiprocessing
import time

import pandas as pd
import pytest

from coordkit.errors import WorkspaceError, WorkspaceLockedError
from coordkit.ingest.workspace import ingest_files, open_workspace

HEADER = "outcome_id,kind,created_at,contact_id,amount,stage\n"


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_same_file_three_times_gives_identical_counts(tmp_path, shared_data):
    source = shared_data / "crm" / "sales_pipeline.csv"
    with open_workspace(tmp_path / "ws") as ws:
        reports = [ws.ingest(source, "outcomes", "maven-crm") for _ in range(3)]
        stored = ws.table("outcomes").count().execute()
        log = ws.ingest_log()
    assert [r.accepted for r in reports] == [8300] * 3
    assert [r.rejected for r in reports] == [500] * 3
    assert [r.inserted for r in reports] == [8300, 0, 0]
    assert [r.unchanged for r in reports] == [0, 8300, 8300]
    assert stored == 8300
    assert log["content_hash"].nunique() == 1 and len(log) == 3
    assert (log["rows_read"] == log["accepted"] + log["rejected"] + log["merged_duplicates"]).all()


def test_overlapping_export_updates_by_id_and_counts_late_rows(tmp_path):
    first = write(tmp_path / "a.csv", HEADER + "1,opportunity,2026-11-02,c1,100,open\n2,opportunity,2026-11-16,c2,200,open\n")
    second = write(
        tmp_path / "b.csv",
        HEADER + "2,opportunity,2026-11-16,c2,250,won\n"  # updated
        + "1,opportunity,2026-11-02,c1,100,open\n"  # unchanged
        + "3,opportunity,2026-11-03,c3,50,open\n",  # new, dated in a week before the latest one: late
    )
    with open_workspace(tmp_path / "ws") as ws:
        ws.ingest(first, "outcomes")
        report = ws.ingest(second, "outcomes")
        rows = ws.table("outcomes").order_by("outcome_id").execute()
    assert (report.inserted, report.updated, report.unchanged, report.late) == (1, 1, 1, 1)
    assert rows["outcome_id"].tolist() == ["1", "2", "3"]
    assert rows.set_index("outcome_id").loc["2", "amount"] == 250
    assert rows.set_index("outcome_id").loc["2", "stage"] == "won"
    # the first time a row was seen is kept across updates
    assert (rows["_first_ingested_at"] <= rows["_ingested_at"]).all()


def test_rejections_are_kept_and_queryable(tmp_path):
    path = write(tmp_path / "a.csv", HEADER + "1,lead,2026-11-16,c1,100,x\n2,lead,not a date,c1,100,x\n" + "3,lead,2026-11-16,c,1,x\n" * 1)
    with open_workspace(tmp_path / "ws") as ws:
        ws.ingest(path, "outcomes", max_bad_share=0.5)
        ws.ingest(path, "outcomes", max_bad_share=0.5)
        latest = ws.rejected_rows()
        every = ws.rejected_rows(latest_only=False)
        # a new version of the file keeps its own set next to the first one
        write(path, HEADER + "1,lead,2026-11-16,c1,100,x\n2,lead,still not,c1,100,x\n4,lead,2026-11-16,c,1,x\n")
        ws.ingest(path, "outcomes", max_bad_share=0.5)
        versions = ws.rejected_rows(latest_only=False)
    # re-ingesting the same file version keeps one set of rejections, not one per ingest
    assert len(latest) == 1 and len(every) == 1
    assert sorted(versions["value"]) == ["not a date", "still not"]
    assert latest["reason"].iloc[0] == "a.csv row 3, column created_at: 'not a date' is not a valid date; expected a date such as 2026-11-16 or 2026-11-16T09:30:00Z"
    assert latest["row"].iloc[0] == 3


def test_failed_file_is_logged_and_other_files_still_ingest(tmp_path):
    good = write(tmp_path / "good.csv", HEADER + "1,lead,2026-11-16,c1,100,x\n")
    bad = write(tmp_path / "bad.csv", "id,foo\n1,2\n")
    reports = ingest_files(tmp_path / "ws", [bad, good], "outcomes")
    assert [r.status for r in reports] == ["failed", "ok"]
    assert "bad.csv: missing column 'outcome_id'" in reports[0].message
    with open_workspace(tmp_path / "ws", read_only=True) as ws:
        log = ws.ingest_log()
    assert log["status"].tolist() == ["failed", "ok"]


def test_read_only_open_of_a_missing_workspace_is_a_clear_error(tmp_path):
    with pytest.raises(WorkspaceError, match="is not a coordkit workspace"):
        open_workspace(tmp_path / "nothing", read_only=True)


def _hold_workspace(path, ready, seconds):
    ws = open_workspace(path)
    ready.set()
    time.sleep(seconds)
    ws.close()


@pytest.mark.hostile
@pytest.mark.slow
def test_a_second_writer_waits_then_gets_a_clear_lock_error(tmp_path):
    path = tmp_path / "ws"
    open_workspace(path).close()
    write(path / "coordkit.yaml", "lock_timeout_seconds: 1\n")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_workspace, args=(path, ready, 6))
    holder.start()
    try:
        assert ready.wait(30)
        started = time.monotonic()
        with pytest.raises(WorkspaceLockedError, match="is in use by another process"):
            open_workspace(path)
        assert time.monotonic() - started >= 0.9  # it waited before giving up
    finally:
        holder.join(30)
    # once the other process is gone, the workspace opens and holds what it held
    with open_workspace(path) as ws:
        assert ws.table("outcomes").count().execute() == 0


def _ingest_in_process(workspace, path, results):
    from coordkit.ingest.workspace import open_workspace as open_ws

    with open_ws(workspace) as ws:
        report = ws.ingest(path, "outcomes")
    results.put((report.inserted, report.unchanged))


@pytest.mark.hostile
@pytest.mark.slow
def test_two_processes_ingesting_at_once_do_not_corrupt_the_store(tmp_path):
    rows = "".join(f"{i},lead,2026-11-16,c{i},{i},x\n" for i in range(2000))
    path = write(tmp_path / "a.csv", HEADER + rows)
    workspace = tmp_path / "ws"
    open_workspace(workspace).close()
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    processes = [ctx.Process(target=_ingest_in_process, args=(workspace, path, results)) for _ in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
    outcomes = sorted(results.get(timeout=5) for _ in processes)
    # one inserted everything, the other found it all unchanged: never duplicated
    assert outcomes == [(0, 2000), (2000, 0)]
    with open_workspace(workspace, read_only=True) as ws:
        assert ws.table("outcomes").count().execute() == 2000
        assert pd.Series(ws.table("outcomes").execute()["outcome_id"]).is_unique


def test_backend_named_in_coordkit_yaml_is_read_in_place(tmp_path):
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE outcomes AS SELECT 'o1' AS outcome_id, 'lead' AS kind, TIMESTAMPTZ '2026-11-16 10:00:00+00' AS created_at")
    con.close()
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "coordkit.yaml").write_text(f"backend: duckdb:///{warehouse}\n", encoding="utf-8")
    ws = open_workspace(folder)
    try:
        assert ws.read_only and ws.backend is not None
        assert ws.table("outcomes").execute()["outcome_id"].tolist() == ["o1"]
        assert not (folder / ".coordkit" / "workspace.duckdb").exists(), "nothing is copied into a local store"
    finally:
        ws.close()


def test_late_rows_are_judged_per_pipeline_in_stage_history(tmp_path):
    header = "outcome_id,stage,entered_at,pipeline\n"
    deals = write(tmp_path / "deals.csv", header + "d1,Proposal,2026-11-02,Sales\nd2,Proposal,2026-11-16,Sales\n")
    # a first lead-lifecycle export: all of it older than the latest deal stage, none of it late
    leads = write(tmp_path / "leads.csv", header + "l1,Lead,2026-10-05,Lead lifecycle\nl1,MQL,2026-10-12,Lead lifecycle\n")
    # a later deal export brings one new stage dated before the latest Sales week: late
    again = write(tmp_path / "deals2.csv", header + "d2,Proposal,2026-11-16,Sales\nd3,Proposal,2026-11-04,Sales\n"
                  "d4,Proposal,2026-11-17,Sales\n")
    with open_workspace(tmp_path / "ws") as ws:
        assert ws.ingest(deals, "outcome_stages").late == 0
        assert ws.ingest(leads, "outcome_stages").late == 0
        report = ws.ingest(again, "outcome_stages")
    assert (report.inserted, report.unchanged, report.late) == (2, 1, 1)
