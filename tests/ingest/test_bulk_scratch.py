"""Bulk ingests keep their spill and hand-over files in the workspace and leave none behind, even when killed."""

from __future__ import annotations

import os
import subprocess
import sys

from coordkit.ingest.scratch import PREFIX, make_scratch, remove_stale_scratch
from coordkit.ingest.workspace import open_workspace

HEADER = "outcome_id,kind,created_at,contact_id,amount,stage\n"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_folders_of_ended_processes_are_removed(tmp_path):
    dead = tmp_path / f"{PREFIX}{_dead_pid()}-abc"
    alive = tmp_path / f"{PREFIX}{os.getppid()}-def"
    mine = tmp_path / f"{PREFIX}{os.getpid()}-ghi"
    other = tmp_path / "coordkit-bulk-notapid"
    for folder in (dead, alive, mine, other):
        (folder / "spill").mkdir(parents=True)
        (folder / "spill" / "x.tmp").write_bytes(b"x" * 10)
    assert remove_stale_scratch(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and mine.exists() and other.exists()
    fresh = make_scratch(tmp_path)
    assert fresh.parent == tmp_path and fresh.name.startswith(f"{PREFIX}{os.getpid()}-")


def test_a_bulk_ingest_uses_the_workspace_scratch_and_cleans_up(tmp_path, monkeypatch):
    monkeypatch.setenv("COORDKIT_BULK_MIN_BYTES", "0")
    rows = "".join(f"{i},lead,2026-11-02,c{i},{i}.5,open\n" for i in range(1, 400))
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    scratch = tmp_path / "ws" / ".coordkit" / "scratch"
    with open_workspace(tmp_path / "ws") as ws:
        stale = scratch / f"{PREFIX}{_dead_pid()}-left-by-a-kill"
        (stale / "spill").mkdir(parents=True)
        (stale / "accepted.parquet").write_bytes(b"PAR1")
        seen = []
        import coordkit.ingest.bulk_path as bulk_path

        original = bulk_path.make_scratch
        monkeypatch.setattr(bulk_path, "make_scratch", lambda parent=None: seen.append(original(parent)) or seen[-1])
        report = ws.ingest(path, "outcomes")
        assert report.result.staged is not None, bulk_path.LAST_FALLBACK  # the bulk path read it
        assert report.accepted == 399
    assert seen and seen[0].parent == scratch
    assert list(scratch.iterdir()) == []  # neither the stale folder nor this ingest's is left
