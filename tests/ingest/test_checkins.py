"""Check-in notes: appended to the workspace store, never overwritten, validated, no connection left open."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import subprocess
import sys

import pytest

from coordkit.errors import ParameterError, WorkspaceError, WorkspaceLockedError
from coordkit.ingest.checkins import MAX_NAME, MAX_TEXT, list_checkins, save_checkin
from coordkit.ingest.workspace import open_workspace

OUTPUTS = (
    "output_id,published_at,channel,kind,campaign,team,title\n"
    "o1,2026-11-16T10:00:00Z,email,email,spring,emea,Newsletter\n"
    "o2,2026-11-17T10:00:00Z,social,post,spring,apac,Post\n"
)


@pytest.fixture()
def workspace(tmp_path):
    folder = tmp_path / "ws"
    source = tmp_path / "outputs.csv"
    source.write_text(OUTPUTS, encoding="utf-8")
    with open_workspace(folder) as ws:
        ws.ingest(source, "outputs")
    return folder


def test_saved_note_reads_back_with_every_field(workspace):
    saved = save_checkin(
        workspace, team="emea", week="2026-11-18", decisions="  Pause display.\r\nKeep events. ",
        next_actions="Move budget to events", owner="Amelie Dubois", due_date="2026-11-27",
        author="Sam", model="linear", channel="display",
    )
    assert saved.id == 1 and saved.week == dt.date(2026, 11, 16) and saved.week_label == "2026-W47"
    assert saved.decisions == "Pause display.\nKeep events."  # trimmed, newlines normalised
    notes = list_checkins(workspace)
    assert len(notes) == 1
    row = notes.iloc[0]
    assert row["team"] == "emea" and row["week"] == dt.date(2026, 11, 16)
    assert row["decisions"] == "Pause display.\nKeep events."
    assert row["next_actions"] == "Move budget to events"
    assert (row["owner"], row["author"], row["model"], row["channel"]) == ("Amelie Dubois", "Sam", "linear", "display")
    assert row["due_date"] == dt.date(2026, 11, 27)
    assert row["created_at"].to_pydatetime() == saved.created_at


def test_history_is_kept_saving_again_appends(workspace):
    first = save_checkin(workspace, "emea", "2026-W47", decisions="first take")
    second = save_checkin(workspace, "emea", "2026-W47", decisions="second take", next_actions="call Priya",
                          owner="Priya", due_date=dt.date(2026, 11, 30))
    save_checkin(workspace, "apac", "2026-W46", next_actions="fix UTMs")
    emea = list_checkins(workspace, team="emea")
    assert emea["id"].tolist() == [second.id, first.id]  # newest first
    assert emea["decisions"].tolist() == ["second take", "first take"]  # the first note is untouched
    assert list_checkins(workspace, team="apac")["next_actions"].tolist() == ["fix UTMs"]
    assert len(list_checkins(workspace)) == 3
    assert list_checkins(workspace, team="emea", week="2026-W46").empty
    assert len(list_checkins(workspace, week="2026-11-20")) == 2


def test_a_workspace_without_notes_lists_none(workspace):
    notes = list_checkins(workspace, team="emea")
    assert notes.empty and list(notes.columns)[:4] == ["id", "team", "week", "created_at"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"team": "mars"}, "team must be one of 'all', 'apac', 'emea'; got 'mars'"),
        ({"team": ""}, "team must be a team or client name"),
        ({"decisions": "", "next_actions": "  "}, "needs decisions or next actions; both are empty"),
        ({"due_date": "30/11/2026", "next_actions": "x", "owner": "a"}, "due_date must be a date like 2026-11-30"),
        ({"due_date": "2026-11-30"}, "no next actions to be due"),
        ({"due_date": "2026-11-30", "next_actions": "x"}, "need an owner; owner is empty"),
        ({"owner": "Ann\nBob"}, "owner must be one line"),
        ({"decisions": "x" * (MAX_TEXT + 1)}, f"at most {MAX_TEXT:,} are kept"),
        ({"author": "y" * (MAX_NAME + 1)}, f"at most {MAX_NAME:,} are kept"),
        ({"decisions": 42}, "decisions must be text"),
        ({"week": "2026-W60"}, "does not exist"),
        ({"week": "next tuesday"}, "is not a date or an ISO week"),
    ],
)
def test_bad_input_is_a_clear_error_and_saves_nothing(workspace, changes, message):
    values = {"team": "emea", "week": "2026-W47", "decisions": "keep going"}
    values.update(changes)
    with pytest.raises(ParameterError) as caught:
        save_checkin(workspace, **values)
    assert message in caught.value.message
    assert list_checkins(workspace).empty


def test_explicit_team_list_is_checked_and_all_is_always_allowed(workspace):
    with pytest.raises(ParameterError, match="team must be one of 'all', 'x', 'y'; got 'emea'"):
        save_checkin(workspace, "emea", "2026-W47", decisions="d", teams=["x", "y"])
    assert save_checkin(workspace, "all", "2026-W47", decisions="d").team == "all"


def test_not_a_workspace_is_a_clear_error_and_creates_nothing(tmp_path):
    missing = tmp_path / "typo"
    with pytest.raises(WorkspaceError, match="is not a coordkit workspace"):
        save_checkin(missing, "emea", "2026-W47", decisions="d")
    with pytest.raises(WorkspaceError, match="is not a coordkit workspace"):
        list_checkins(missing)
    assert not missing.exists()
    with pytest.raises(ParameterError, match="workspace must be a workspace folder"):
        save_checkin(None, "emea", "2026-W47", decisions="d")


def test_no_connection_is_left_open(workspace):
    """After saving and listing, this process holds nothing: another process can open the store read-write."""
    save_checkin(workspace, "emea", "2026-W47", decisions="d")
    list_checkins(workspace)
    code = (
        "import sys; from coordkit.ingest.workspace import open_workspace\n"
        "ws = open_workspace(sys.argv[1]); ws.close(); print('opened')"
    )
    done = subprocess.run([sys.executable, "-c", code, str(workspace)], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "opened" in done.stdout, done.stderr
    # and this process can switch between read-only and read-write connections
    with open_workspace(workspace, read_only=True) as ws:
        assert ws.table("checkins").count().execute() == 1
    save_checkin(workspace, "emea", "2026-W47", decisions="again")
    assert len(list_checkins(workspace)) == 2


def _save_many(workspace, who, count):
    from coordkit.ingest.checkins import save_checkin as save

    for index in range(count):
        save(workspace, "emea", "2026-W47", decisions=f"{who}-{index}")


@pytest.mark.hostile
@pytest.mark.slow
def test_two_processes_saving_at_once_keep_every_note(workspace):
    ctx = multiprocessing.get_context("spawn")
    processes = [ctx.Process(target=_save_many, args=(workspace, who, 5)) for who in ("a", "b")]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0, 0]
    notes = list_checkins(workspace)
    assert sorted(notes["decisions"]) == sorted(f"{w}-{i}" for w in "ab" for i in range(5))
    assert notes["id"].is_unique and sorted(notes["id"]) == list(range(1, 11))


def _hold_store(workspace, ready, seconds):
    import time

    from coordkit.ingest.workspace import open_workspace as open_ws

    with open_ws(workspace):
        ready.set()
        time.sleep(seconds)


@pytest.mark.hostile
@pytest.mark.slow
def test_a_store_held_by_another_process_gives_a_clear_lock_error(workspace):
    (workspace / "coordkit.yaml").write_text("lock_timeout_seconds: 1\n", encoding="utf-8")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_store, args=(workspace, ready, 5))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(WorkspaceLockedError, match="in use by another process"):
            save_checkin(workspace, "emea", "2026-W47", decisions="d")
    finally:
        holder.join(30)
    save_checkin(workspace, "emea", "2026-W47", decisions="d")
    assert len(list_checkins(workspace)) == 1
