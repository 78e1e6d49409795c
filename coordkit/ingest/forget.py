"""Erase a person from a workspace (GDPR Art. 17 / CCPA deletion requests).

``forget(workspace, contact_ids=..., emails=...)`` deletes, in one transaction
under the write lock:

- every row whose ``contact_id`` is one of the person's ids (touchpoints,
  outcomes, outcome_contacts, and any table that has that column), and the
  stage history of the outcomes deleted;
- with an e-mail address: every row of those tables whose values or ``extras``
  contain the address (case-insensitive); the contact ids found on those rows
  are erased as above too;
- every rejected row whose raw text or value contains one of the ids (as a
  whole token) or addresses;
- in check-in notes (free text the team wrote: author, decisions, next
  actions, owner), every mention of one of the ids (whole token) or addresses
  is replaced by ``[erased]``. The note itself stays: it is the team's record
  of its decisions, and the person's identifier is what is theirs. A note can
  still name the person in words coordkit cannot know; ``coordkit checkins
  export`` lets you read them.

It records that an erasure happened in the ``erasures`` table (when, how many
rows from which table, how many notes edited) **without** the ids or
addresses. Derived caches in ``.coordkit/cache`` are deleted, and the store
file is rewritten, so the deleted values do not linger in DuckDB's free
blocks. The export files the data came from are not touched: delete the
person there too, or the next ingest brings them back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from coordkit.errors import ParameterError
from coordkit.ingest.workspace import STORE_DIR, STORE_FILE, open_workspace

__all__ = ["ErasureReport", "forget", "rewrite_store"]

_ERASURES_DDL = """
CREATE TABLE IF NOT EXISTS erasures (
    erased_at TIMESTAMPTZ NOT NULL,
    rows_erased BIGINT NOT NULL,
    rows_by_table VARCHAR NOT NULL,
    identifiers_given BIGINT NOT NULL
)"""
#: tables never searched: bookkeeping without personal data, the erasure log, free-text notes
_SKIPPED = {"ingest_log", "erasures", "checkins", "rejected_rows"}


@dataclass
class ErasureReport:
    """What ``forget`` deleted, per table (no identifiers)."""

    rows_by_table: dict[str, int] = field(default_factory=dict)
    #: check-in notes in which an identifier was replaced by ``[erased]``
    notes_edited: int = 0

    @property
    def rows_erased(self) -> int:
        return sum(self.rows_by_table.values())

    def summary(self) -> str:
        notes = (f"; {self.notes_edited} check-in note(s) mentioned the person: the mention is now [erased]"
                 if self.notes_edited else "; no check-in note mentioned the person's ids or addresses")
        if not self.rows_erased:
            return "no rows matched; nothing was erased (the erasure request is still recorded)" + notes
        parts = ", ".join(f"{table} {count}" for table, count in sorted(self.rows_by_table.items()) if count)
        return f"erased {self.rows_erased} rows ({parts})" + notes


def _columns(db, table: str) -> list[str]:
    return [row[0] for row in db.execute(f'DESCRIBE "{table}"').fetchall()]


def _token_pattern(value: str) -> str:
    # a contact id as a whole token: c1 must not match c10
    return r"(^|[^A-Za-z0-9_.@-])" + re.escape(value) + r"([^A-Za-z0-9_.@-]|$)"


def forget(workspace, contact_ids=(), emails=()) -> ErasureReport:
    """Erase every row of a person (by contact id and/or e-mail address); return the counts."""
    ids = sorted({str(v).strip() for v in contact_ids if str(v).strip()})
    addresses = sorted({str(v).strip().lower() for v in emails if str(v).strip()})
    if not ids and not addresses:
        raise ParameterError("say whom to forget: --contact ID and/or --email ADDRESS")
    for address in addresses:
        if "@" not in address:
            raise ParameterError(f"--email needs an e-mail address; got {address!r}")
    folder = workspace.path if hasattr(workspace, "path") else Path(workspace)
    ws = open_workspace(folder, read_only=False, create=False)
    report = ErasureReport()
    try:
        with ws.write_lock():
            db = ws.duckdb
            tables = [t for t in ws.con.list_tables() if t not in _SKIPPED]
            found = set(ids)
            if addresses:  # rows carrying the address name the contact ids to erase as well
                for table in tables:
                    columns = _columns(db, table)
                    if "contact_id" not in columns:
                        continue
                    text = " || ' ' || ".join(f'coalesce(lower(CAST("{c}" AS VARCHAR)), \'\')' for c in columns)
                    for address in addresses:
                        rows = db.execute(f'SELECT DISTINCT contact_id FROM "{table}" WHERE contains({text}, ?)',
                                          [address]).fetchall()
                        found.update(str(r[0]) for r in rows if r[0] is not None)
            erased_outcomes: set[str] = set()
            for table in tables:
                columns = _columns(db, table)
                conditions, parameters = [], []
                if "contact_id" in columns and found:
                    conditions.append(f"CAST(contact_id AS VARCHAR) IN ({', '.join('?' * len(found))})")
                    parameters += sorted(found)
                for address in addresses:
                    text = " || ' ' || ".join(f'coalesce(lower(CAST("{c}" AS VARCHAR)), \'\')' for c in columns)
                    conditions.append(f"contains({text}, ?)")
                    parameters.append(address)
                if not conditions:
                    continue
                where = " OR ".join(conditions)
                if table == "outcomes":
                    erased_outcomes.update(str(r[0]) for r in db.execute(
                        f'SELECT outcome_id FROM "{table}" WHERE {where}', parameters).fetchall())
                count = db.execute(f'SELECT count(*) FROM "{table}" WHERE {where}', parameters).fetchall()[0][0]
                if count:
                    db.execute(f'DELETE FROM "{table}" WHERE {where}', parameters)
                    report.rows_by_table[table] = report.rows_by_table.get(table, 0) + int(count)
            for table in tables:  # what hangs off the erased outcomes (stage history, contact links)
                if erased_outcomes and "outcome_id" in _columns(db, table) and table != "outcomes":
                    marks = ", ".join("?" * len(erased_outcomes))
                    count = db.execute(f'SELECT count(*) FROM "{table}" WHERE CAST(outcome_id AS VARCHAR) IN ({marks})',
                                       sorted(erased_outcomes)).fetchall()[0][0]
                    if count:
                        db.execute(f'DELETE FROM "{table}" WHERE CAST(outcome_id AS VARCHAR) IN ({marks})', sorted(erased_outcomes))
                        report.rows_by_table[table] = report.rows_by_table.get(table, 0) + int(count)
            if "rejected_rows" in ws.con.list_tables():
                conditions, parameters = [], []
                for value in sorted(found):
                    conditions.append("regexp_matches(coalesce(raw, '') || ' ' || coalesce(value, ''), ?)")
                    parameters.append(_token_pattern(value))
                for address in addresses:
                    conditions.append("contains(lower(coalesce(raw, '') || ' ' || coalesce(value, '')), ?)")
                    parameters.append(address)
                where = " OR ".join(conditions)
                count = db.execute(f"SELECT count(*) FROM rejected_rows WHERE {where}", parameters).fetchall()[0][0]
                if count:
                    db.execute(f"DELETE FROM rejected_rows WHERE {where}", parameters)
                    report.rows_by_table["rejected_rows"] = int(count)
            if "checkins" in ws.con.list_tables():
                report.notes_edited = _erase_from_notes(db, sorted(found), addresses)
            db.execute(_ERASURES_DDL)
            counts = {**report.rows_by_table, **({"checkins_notes_edited": report.notes_edited} if report.notes_edited else {})}
            db.execute("INSERT INTO erasures VALUES (?, ?, ?, ?)", [
                dt.datetime.now(dt.UTC), report.rows_erased, json.dumps(counts, sort_keys=True),
                len(ids) + len(addresses)])
        ws.mark_data_changed("erasure")
    finally:
        ws.close()
    shutil.rmtree(folder / STORE_DIR / "cache", ignore_errors=True)
    rewrite_store(folder)
    return report


#: the free-text columns of a check-in note that can mention a person
_NOTE_COLUMNS = ("author", "decisions", "next_actions", "owner")
ERASED = "[erased]"


def _erase_from_notes(db, ids: list[str], addresses: list[str]) -> int:
    """Replace every mention of the ids (whole tokens) and addresses (any case) in check-in notes; return notes edited."""
    patterns = [re.compile(r"(?<![A-Za-z0-9_.@-])" + re.escape(i) + r"(?![A-Za-z0-9_.@-])") for i in ids]
    patterns += [re.compile(re.escape(a), re.IGNORECASE) for a in addresses]
    columns = ", ".join(_NOTE_COLUMNS)
    edited = 0
    for row in db.execute(f"SELECT id, {columns} FROM checkins").fetchall():
        texts = list(row[1:])
        new = []
        for text in texts:
            for pattern in patterns:
                text = pattern.sub(ERASED, text) if isinstance(text, str) else text
            new.append(text)
        if new != texts:
            assignments = ", ".join(f"{c} = ?" for c in _NOTE_COLUMNS)
            db.execute(f"UPDATE checkins SET {assignments} WHERE id = ?", [*new, row[0]])
            edited += 1
    return edited


def rewrite_store(folder: Path) -> None:
    """Copy the store into a fresh file and swap it in: deleted values leave no trace in free blocks."""
    import duckdb
    from filelock import FileLock

    store = folder / STORE_DIR / STORE_FILE
    fresh = store.with_name(f".{STORE_FILE}.{os.getpid()}.rewrite")
    fresh.unlink(missing_ok=True)
    with FileLock(str(folder / STORE_DIR / "write.lock")):
        con = duckdb.connect(str(fresh))
        try:
            con.execute(f"ATTACH '{store.as_posix()}' AS old (READ_ONLY)")
            current = con.execute("SELECT current_database()").fetchall()[0][0]
            con.execute(f'COPY FROM DATABASE old TO "{current}"')
            con.execute("DETACH old")
        finally:
            con.close()
        os.replace(fresh, store)
