"""Issue 14: check-in notes live only in the store; they can be exported and restored, without duplicates."""

from __future__ import annotations

import json

import pytest

from coordkit.cli import main
from coordkit.errors import ReadError
from coordkit.ingest.checkins import list_checkins, save_checkin
from coordkit.ingest.checkins_transfer import import_checkins

pytestmark = pytest.mark.hostile

NOTES = [
    dict(team="all", week="2026-W46", decisions="Pause display\nMove budget", next_actions="Brief events team",
         owner="Amélie", due_date="2026-11-27", author="Jo"),
    dict(team="all", week="2026-W47", decisions="=cmd|' /C calc'!A0 stays text", next_actions="", owner=""),
]


def fresh_workspace(path):
    assert main(["init", str(path)]) == 0
    return path


def comparable(frame):
    return frame.drop(columns=["id"]).sort_values("created_at").reset_index(drop=True).to_dict("records")


def test_export_then_import_into_a_new_store_restores_every_note(tmp_path, capsys):
    source = fresh_workspace(tmp_path / "old")
    for note in NOTES:
        save_checkin(source, teams=["all"], **note)
    saved = list_checkins(source)
    assert main(["checkins", "export", str(tmp_path / "notes.json"), "--workspace", str(source)]) == 0
    data = json.loads((tmp_path / "notes.json").read_text(encoding="utf-8"))
    assert len(data["notes"]) == 2 and data["notes"][0]["decisions"] == "Pause display\nMove budget"

    target = fresh_workspace(tmp_path / "new")
    assert main(["checkins", "import", str(tmp_path / "notes.json"), "--workspace", str(target)]) == 0
    assert "imported 2 check-in notes" in capsys.readouterr().out
    assert comparable(list_checkins(target)) == comparable(saved)
    # a second import adds nothing
    assert import_checkins(target, tmp_path / "notes.json") == (0, 2)
    assert len(list_checkins(target)) == 2


def test_a_damaged_export_imports_nothing(tmp_path):
    target = fresh_workspace(tmp_path / "ws")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "coordkit-checkins/1", "notes": [
        {"team": "all", "week": "2026-11-16", "created_at": "2026-11-20T10:00:00+00:00", "decisions": "ok"},
        {"team": "all", "week": "not a week", "created_at": "2026-11-20T10:00:00+00:00"},
    ]}), encoding="utf-8")
    with pytest.raises(ReadError, match="note 2 is malformed"):
        import_checkins(target, bad)
    assert list_checkins(target).empty
    other = tmp_path / "other.json"
    other.write_text("[]", encoding="utf-8")
    assert main(["checkins", "import", str(other), "--workspace", str(target)]) == ReadError.exit_code
