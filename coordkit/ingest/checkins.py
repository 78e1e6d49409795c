"""Check-in notes: what a manager and a coordinator decided in their weekly check-in.

Notes live in the workspace store, in a ``checkins`` table next to the
canonical tables. History is kept: every save appends a new row with a new
``id``; nothing is updated or deleted, so last week's decisions can be read
next to this week's.

The store lets one process write at a time, and a notebook kernel must not
keep it open (it would lock out ``coordkit ingest``). So :func:`save_checkin`
opens the store read-write only for the insert, under the workspace's write
lock, and closes it again; :func:`list_checkins` opens it read-only and closes
it. Neither leaves a connection behind.

>>> save_checkin("demo", team="emea", week="2026-W47",
...              decisions="Pause display", next_actions="Move budget to events",
...              owner="Amelie", due_date="2026-11-27")            # doctest: +SKIP
>>> list_checkins("demo", team="emea")                           # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from coordkit.config import load_config
from coordkit.errors import ParameterError, WorkspaceError, allowed_values_message
from coordkit.ingest.workspace import Workspace, open_workspace
from coordkit.weeks import iso_week_label, parse_week

__all__ = ["ALL_TEAMS", "CHECKIN_COLUMNS", "MAX_NAME", "MAX_TEXT", "Checkin", "list_checkins", "save_checkin"]

TABLE = "checkins"
#: the team value that means "every team" (same spelling as the review's)
ALL_TEAMS = "all"
#: longest decisions / next actions text accepted, in characters
MAX_TEXT = 10_000
#: longest owner / author / model / channel accepted, in characters
MAX_NAME = 200

CHECKIN_COLUMNS = (
    "id", "team", "week", "created_at", "author", "decisions", "next_actions", "owner", "due_date", "model", "channel",
)
_DDL = """
CREATE TABLE IF NOT EXISTS checkins (
    id BIGINT PRIMARY KEY,
    team VARCHAR NOT NULL,
    week DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    author VARCHAR,
    decisions VARCHAR,
    next_actions VARCHAR,
    owner VARCHAR,
    due_date DATE,
    model VARCHAR,
    channel VARCHAR
)"""


@dataclass(frozen=True)
class Checkin:
    """One saved check-in note."""

    id: int
    team: str
    week: dt.date
    created_at: dt.datetime
    author: str
    decisions: str
    next_actions: str
    owner: str
    due_date: dt.date | None
    model: str
    channel: str

    @property
    def week_label(self) -> str:
        return iso_week_label(self.week)

    def as_dict(self) -> dict:
        return asdict(self)


# --- validation ---------------------------------------------------------------


def _text(name: str, value, limit: int, single_line: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be text; got {type(value).__name__} {value!r}")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if single_line and "\n" in text:
        raise ParameterError(f"{name} must be one line; got {len(text.splitlines())} lines",
                             hint=f"put only a name in {name}; details belong in decisions or next actions")
    if len(text) > limit:
        raise ParameterError(f"{name} is {len(text):,} characters long; at most {limit:,} are kept",
                             hint="shorten it, or link to a longer document")
    return text


def _due_date(value) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ParameterError(f"due_date must be a date like 2026-11-30 (or empty); got {value!r}")


def _workspace_folder(workspace) -> Path:
    if isinstance(workspace, Workspace):
        return workspace.path
    if isinstance(workspace, (str, Path)) and str(workspace).strip():
        return Path(workspace).expanduser()
    raise ParameterError(f"workspace must be a workspace folder (a path); got {workspace!r}")


def _store_teams(ws: Workspace) -> list[str]:
    """Teams that appear in the store's outputs or outcomes (for checking a team name)."""
    tables = set(ws.con.list_tables())
    parts = [f'SELECT DISTINCT team FROM "{name}"' for name in ("outputs", "outcomes") if name in tables]
    if not parts:
        return []
    rows = ws.duckdb.execute(" UNION ".join(parts)).fetchall()
    return sorted({row[0] for row in rows if row[0] is not None and str(row[0]).strip()})


def _check_team(team, allowed: Iterable[str]) -> str:
    if not isinstance(team, str) or not team.strip():
        raise ParameterError(f"team must be a team or client name, or {ALL_TEAMS!r}; got {team!r}")
    allowed = [ALL_TEAMS, *[t for t in allowed if t != ALL_TEAMS]]
    if team not in allowed:
        raise ParameterError(allowed_values_message("team", team, allowed))
    return team


# --- writing and reading ------------------------------------------------------------


def save_checkin(
    workspace,
    team: str,
    week,
    decisions: str = "",
    next_actions: str = "",
    owner: str = "",
    due_date=None,
    author: str = "",
    model: str = "",
    channel: str = "",
    teams: Iterable[str] | None = None,
) -> Checkin:
    """Append one check-in note to the workspace and return it as saved.

    ``week`` is any date in the week or an ISO week (``2026-W47``).
    ``teams`` lists the allowed team names (``all`` is always allowed); by
    default the teams found in the store's outputs and outcomes. A note needs
    decisions or next actions; a due date needs next actions and an owner.
    Earlier notes are never changed (only `coordkit forget` edits them, replacing a
    forgotten person's ids and addresses by `[erased]`): saving again adds a new note.
    """
    folder = _workspace_folder(workspace)
    decisions = _text("decisions", decisions, MAX_TEXT, single_line=False)
    next_actions = _text("next_actions", next_actions, MAX_TEXT, single_line=False)
    owner = _text("owner", owner, MAX_NAME, single_line=True)
    author = _text("author", author, MAX_NAME, single_line=True)
    model = _text("model", model, MAX_NAME, single_line=True)
    channel = _text("channel", channel, MAX_NAME, single_line=True)
    due = _due_date(due_date)
    if not decisions and not next_actions:
        raise ParameterError("a check-in needs decisions or next actions; both are empty",
                             hint="write what you decided, or what happens next and who does it")
    if due is not None and not next_actions:
        raise ParameterError(f"due date {due.isoformat()} is set but there are no next actions to be due",
                             hint="write the next actions, or clear the due date")
    if due is not None and not owner:
        raise ParameterError(f"next actions due {due.isoformat()} need an owner; owner is empty",
                             hint="name who does them, or clear the due date")
    from coordkit.ingest.workspace import is_workspace

    if not is_workspace(folder):
        raise WorkspaceError(f"{folder} is not a coordkit workspace (no .coordkit/workspace.duckdb)",
                             hint="pass the folder you ingested into, e.g. the one `coordkit demo` built")
    week_start = parse_week(week, load_config(folder).week_start)
    if teams is not None:
        team = _check_team(team, list(teams))
    created = dt.datetime.now(dt.UTC)
    ws = open_workspace(folder, read_only=False, create=False)
    try:
        if teams is None:
            team = _check_team(team, _store_teams(ws))
        with ws.write_lock():
            db = ws.duckdb
            db.execute(_DDL)
            new_id = int(db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {TABLE}").fetchall()[0][0])
            db.execute(
                f"INSERT INTO {TABLE} ({', '.join(CHECKIN_COLUMNS)}) VALUES ({', '.join('?' * len(CHECKIN_COLUMNS))})",
                [new_id, team, week_start, created, author, decisions, next_actions, owner, due, model, channel],
            )
    finally:
        ws.close()
    return Checkin(new_id, team, week_start, created, author, decisions, next_actions, owner, due, model, channel)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in CHECKIN_COLUMNS})
    frame["id"] = frame["id"].astype("int64")
    return frame


def list_checkins(workspace, team: str | None = None, week=None) -> pd.DataFrame:
    """Every saved check-in note (optionally of one team and/or week), newest first.

    Columns: ``id, team, week, created_at, author, decisions, next_actions,
    owner, due_date, model, channel``; ``week`` and ``due_date`` are dates.
    A workspace with no notes yet gives an empty frame with those columns.
    """
    folder = _workspace_folder(workspace)
    if team is not None and (not isinstance(team, str) or not team.strip()):
        raise ParameterError(f"team must be a team or client name, or {ALL_TEAMS!r}; got {team!r}")
    week_start = parse_week(week, load_config(folder).week_start) if week not in (None, "") else None
    with open_workspace(folder, read_only=True) as ws:
        if TABLE not in ws.con.list_tables():
            return _empty()
        table = ws.table(TABLE)
        if team is not None:
            table = table.filter(table.team == team)
        if week_start is not None:
            table = table.filter(table.week == week_start)
        frame = table.order_by([table.created_at.desc(), table.id.desc()]).execute()
    frame = frame[list(CHECKIN_COLUMNS)].reset_index(drop=True)
    for column in ("week", "due_date"):
        frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
    for column in ("author", "decisions", "next_actions", "owner", "model", "channel"):
        frame[column] = frame[column].fillna("").astype(object)
    return frame
