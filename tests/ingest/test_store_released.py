"""Issue 14: while one process reads and validates a big export, others can still save check-ins and review.

DuckDB lets one process hold a store file for writing and nobody else open
it. An ingest used to keep the store open through its whole read (90 s for
2M rows), so a colleague's check-in save failed after ``lock_timeout_seconds``.
Here the read is held open on purpose (the child waits for our signal inside
``read_table``) while this process saves a note and reads the store.
"""

from __future__ import annotations

import multiprocessing

import pytest

from coordkit.ingest.checkins import list_checkins, save_checkin
from coordkit.ingest.workspace import open_workspace

pytestmark = [pytest.mark.slow, pytest.mark.hostile]  # two processes on one shared workspace

HEADER = "outcome_id,kind,created_at,amount,team\n"


def _slow_ingest(workspace, path, reading, release, results):
    import coordkit.ingest.validate as validate

    original = validate.read_table

    def held_open(*args, **kwargs):
        reading.set()
        release.wait(120)  # a long validation
        return original(*args, **kwargs)

    validate.read_table = held_open
    from coordkit.ingest.workspace import open_workspace as open_ws

    with open_ws(workspace) as ws:
        report = ws.ingest(path, "outcomes")
    results.put((report.status, report.inserted))


def test_a_checkin_save_and_a_read_succeed_while_another_process_validates(tmp_path):
    workspace = tmp_path / "ws"
    seed = tmp_path / "seed.csv"
    seed.write_text(HEADER + "s1,lead,2026-11-16T10:00:00Z,1,emea\n", encoding="utf-8")
    with open_workspace(workspace) as ws:
        ws.ingest(seed, "outcomes")
    (workspace / "coordkit.yaml").write_text("lock_timeout_seconds: 5\n", encoding="utf-8")
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "".join(f"o{i},lead,2026-11-17T10:00:00Z,{i},emea\n" for i in range(500)), encoding="utf-8")
    ctx = multiprocessing.get_context("spawn")
    reading, release, results = ctx.Event(), ctx.Event(), ctx.Queue()
    child = ctx.Process(target=_slow_ingest, args=(workspace, big, reading, release, results))
    child.start()
    try:
        assert reading.wait(120), "the child never started reading"
        note = save_checkin(workspace, "emea", "2026-11-16", decisions="Keep events.")  # needs the store for writing
        with open_workspace(workspace, read_only=True) as ws:  # what a review does
            assert ws.table("outcomes").count().execute() == 1
    finally:
        release.set()
        child.join(120)
    assert results.get(timeout=10) == ("ok", 500)
    assert list_checkins(workspace)["id"].tolist() == [note.id]
    with open_workspace(workspace, read_only=True) as ws:
        assert ws.table("outcomes").count().execute() == 501
