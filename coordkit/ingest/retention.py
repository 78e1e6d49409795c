"""How long rejected rows are kept, and whether with their values (``rejected_rows:`` in coordkit.yaml).

A rejected row is kept so that someone can fix the export and so that the
review can say why rows are missing. It is also a copy of what a client sent,
personal data included (an e-mail address in an amount column). So:

- ``keep_days`` (default 90, see :data:`coordkit.config.REJECTED_ROWS_DEFAULTS`):
  rejected rows of ingests that finished longer ago are deleted. The ingest
  log keeps each ingest's counts, so totals still add up. ``0`` keeps none
  beyond the ingest that printed them.
- ``keep_values: false``: only where and why is kept: file, row, column, the
  row's team (so each team's review still counts its own rejections) and the
  reason with every value of the row blanked out. The value and the raw row
  are dropped.

:func:`apply_retention` runs inside every ingest's write transaction (a prune
happens on ingest) and from ``coordkit prune``, which also rewrites the store
file so pruned values do not linger in free blocks. :func:`retention_summary`
is what ``coordkit status`` prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["RetentionResult", "apply_retention", "prune_rejected_rows", "retention_summary", "without_values"]

#: what a blanked value reads as in a kept reason
BLANKED = "(value not kept)"
#: rows still holding values: stripped rows have no value and a raw of just {"team": ...} (or none)
_HAS_VALUES = "(value IS NOT NULL OR (raw IS NOT NULL AND (NOT json_valid(raw) OR json_keys(raw) <> ['team'])))"


@dataclass
class RetentionResult:
    """What one application of the retention setting changed."""

    deleted: int = 0
    values_dropped: int = 0

    def summary(self, policy: dict) -> str:
        return (f"rejected rows: {self.deleted} older than {policy['keep_days']} days deleted, "
                f"{self.values_dropped} stripped of their values"
                + ("" if not policy["keep_values"] else " (keep_values is true: none to strip)"))


def _team_only(raw) -> str | None:
    try:
        team = json.loads(raw).get("team") if isinstance(raw, str) else None
    except (ValueError, AttributeError):
        team = None
    return json.dumps({"team": team}) if isinstance(team, str) and team.strip() else None


def without_values(reason: str, value, raw) -> str:
    """``reason`` with the rejected value and every value of the raw row blanked (quoted forms only).

    Reasons quote values as Python does (``'abc@x.com'``), so the quoted forms
    are replaced; a bare number in "row 12" is left alone.

    >>> without_values("f.csv row 2, column amount: 'a@b.com' is not a number", "a@b.com", '{"amount": "a@b.com"}')
    'f.csv row 2, column amount: (value not kept) is not a number'
    """
    text = str(reason or "")
    values = {str(value)} if value not in (None, "") else set()
    try:
        row = json.loads(raw) if isinstance(raw, str) else {}
        values |= {str(v) for v in (row.values() if isinstance(row, dict) else row) if v not in (None, "")}
    except ValueError:
        pass
    for item in sorted(values, key=len, reverse=True):
        for quoted in (repr(item), f"'{item}'", f'"{item}"'):
            text = text.replace(quoted, BLANKED)
    return text


def apply_retention(db, policy: dict) -> RetentionResult:
    """Delete expired rejected rows and, unless values are kept, strip values from the rest.

    ``db`` is a DuckDB connection inside the caller's write transaction;
    ``policy`` is a workspace config's ``rejected_rows`` setting.
    """
    result = RetentionResult()
    days = int(policy["keep_days"])
    expired = ("ingest_id IN (SELECT ingest_id FROM ingest_log WHERE finished_at < now() - to_days(?))"
               if days else "TRUE")
    parameters = [days] if days else []
    result.deleted = int(db.execute(f"SELECT count(*) FROM rejected_rows WHERE {expired}", parameters).fetchall()[0][0])
    if result.deleted:
        db.execute(f"DELETE FROM rejected_rows WHERE {expired}", parameters)
    if policy["keep_values"]:
        return result
    rows = db.execute(f"SELECT rowid, reason, value, raw FROM rejected_rows WHERE {_HAS_VALUES}").fetchall()
    if not rows:
        return result
    import pandas as pd

    stripped = pd.DataFrame(
        [(rowid, without_values(reason, value, raw), _team_only(raw)) for rowid, reason, value, raw in rows],
        columns=["rid", "reason", "raw"],
    )
    db.register("_retention_stripped", stripped)
    try:
        db.execute("UPDATE rejected_rows SET reason = s.reason, value = NULL, raw = s.raw "
                   "FROM _retention_stripped s WHERE rejected_rows.rowid = s.rid")
    finally:
        db.unregister("_retention_stripped")
    result.values_dropped = len(stripped)
    return result


def retention_summary(db, policy: dict) -> str:
    """One line for ``coordkit status``: how many rejected rows are kept, since when, with or without values."""
    count, with_values, oldest = db.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {_HAS_VALUES}), min(l.finished_at) "
        "FROM rejected_rows r LEFT JOIN ingest_log l USING (ingest_id)"
    ).fetchall()[0]
    rule = (f"kept {policy['keep_days']} days, values {'kept' if policy['keep_values'] else 'not kept'} "
            "(rejected_rows in coordkit.yaml)")
    if not count:
        return f"rejected rows stored: none; {rule}"
    since = oldest.date().isoformat() if oldest is not None else "?"
    return (f"rejected rows stored: {count:,} (all ingests, oldest from {since}), {with_values:,} with their raw values; "
            f"{rule}")


def prune_rejected_rows(workspace) -> RetentionResult:
    """Apply the retention setting now (what every ingest does), then rewrite the store file.

    For a workspace that stops receiving ingests, and after changing the
    setting. The store file is rewritten (as ``coordkit forget`` does) so the
    deleted values do not linger in DuckDB's free blocks.
    """
    from pathlib import Path

    from coordkit.ingest.forget import rewrite_store
    from coordkit.ingest.workspace import open_workspace

    folder = workspace.path if hasattr(workspace, "path") else Path(workspace)
    ws = open_workspace(folder, read_only=False, create=False)
    try:
        with ws.write_lock():
            result = apply_retention(ws.duckdb, ws.config.rejected_rows)
        if result.deleted or result.values_dropped:
            ws.mark_data_changed("retention")  # the reviews' data quality lists rejected rows
    finally:
        ws.close()
    if result.deleted or result.values_dropped:
        rewrite_store(folder)
    return result
