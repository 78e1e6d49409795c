"""Export check-in notes to a JSON file and restore them into a workspace.

Check-in notes live only in the workspace store (everything else in it can be
rebuilt by ingesting the exports again). Before moving, rebuilding or sharing a
store, ``coordkit checkins export`` saves every note; ``coordkit checkins
import`` puts them back. Import is idempotent: a note already in the store
(same team, week, time of creation and text) is skipped, so importing twice
adds nothing. Notes keep their creation time; they get new ids in the target
store.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from coordkit.errors import ReadError
from coordkit.ingest.checkins import _DDL, CHECKIN_COLUMNS, MAX_NAME, MAX_TEXT, TABLE, _due_date, _text, list_checkins
from coordkit.ingest.workspace import open_workspace

__all__ = ["FORMAT", "export_checkins", "import_checkins"]

#: the file's format marker and version
FORMAT = "coordkit-checkins/1"
_NAMES = ("author", "owner", "model", "channel")


def _note_key(note: dict) -> tuple:
    return (note["team"], str(note["week"]), _instant(note["created_at"]).isoformat(),
            note.get("decisions") or "", note.get("next_actions") or "", note.get("owner") or "")


def _instant(value) -> dt.datetime:
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def export_checkins(workspace, path: str | Path) -> int:
    """Write every check-in note of ``workspace`` to the JSON file ``path`` (atomically); return how many."""
    frame = list_checkins(workspace)
    notes = []
    for row in frame.sort_values("id").itertuples(index=False):
        note = dict(zip(CHECKIN_COLUMNS, row, strict=True))
        note.pop("id")
        note["week"] = note["week"].isoformat()
        note["due_date"] = note["due_date"].isoformat() if note["due_date"] else None
        note["created_at"] = _instant(note["created_at"]).isoformat()
        notes.append(note)
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps({"format": FORMAT, "notes": notes}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return len(notes)


def _read_notes(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReadError(f"{path}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError(f"{path}: not a check-in export ({exc})", hint="use a file written by `coordkit checkins export`") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("notes"), list):
        raise ReadError(f"{path}: not a check-in export (format {FORMAT!r} expected)",
                        hint="use a file written by `coordkit checkins export`")
    notes = []
    for number, raw in enumerate(data["notes"], 1):
        try:
            note = {
                "team": _text("team", raw["team"], MAX_NAME, single_line=True),
                "week": dt.date.fromisoformat(raw["week"]),
                "created_at": _instant(raw["created_at"]),
                "decisions": _text("decisions", raw.get("decisions"), MAX_TEXT, single_line=False),
                "next_actions": _text("next_actions", raw.get("next_actions"), MAX_TEXT, single_line=False),
                "due_date": _due_date(raw.get("due_date")),
                **{name: _text(name, raw.get(name), MAX_NAME, single_line=True) for name in _NAMES},
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ReadError(f"{path}: note {number} is malformed ({type(exc).__name__}: {exc}); nothing was imported") from None
        if not note["team"]:
            raise ReadError(f"{path}: note {number} has no team; nothing was imported")
        notes.append(note)
    return notes


def import_checkins(workspace, path: str | Path) -> tuple[int, int]:
    """Add the notes of an export file to ``workspace``; return (added, already there). All or nothing."""
    notes = _read_notes(Path(path))
    folder = workspace.path if hasattr(workspace, "path") else Path(workspace)
    ws = open_workspace(folder, read_only=False, create=False)
    try:
        with ws.write_lock():
            db = ws.duckdb
            db.execute(_DDL)
            existing = db.execute(f"SELECT {', '.join(CHECKIN_COLUMNS)} FROM {TABLE}").fetchall()
            seen = {_note_key(dict(zip(CHECKIN_COLUMNS, row, strict=True))) for row in existing}
            next_id = max((row[0] for row in existing), default=0) + 1
            fresh = []
            for note in notes:
                key = _note_key(note)
                if key in seen:
                    continue
                seen.add(key)
                fresh.append([next_id, note["team"], note["week"], note["created_at"], note["author"], note["decisions"],
                              note["next_actions"], note["owner"], note["due_date"], note["model"], note["channel"]])
                next_id += 1
            if fresh:  # one transaction (write_lock's): all notes or none
                db.executemany(
                    f"INSERT INTO {TABLE} ({', '.join(CHECKIN_COLUMNS)}) VALUES ({', '.join('?' * len(CHECKIN_COLUMNS))})", fresh)
    finally:
        ws.close()
    return len(fresh), len(notes) - len(fresh)
