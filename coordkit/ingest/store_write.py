"""The store's SQL: its tables' definitions, and one ingest's write (incoming rows, key guard, upsert, late rows, log, rejections).

The workspace (:mod:`coordkit.ingest.workspace`) owns the store, its lock and
the transaction; these functions run inside that transaction, on the
connection it gives them (its own, or the bulk path's DuckDB with the store
attached). Writes are DuckDB SQL because Ibis has no upsert: an anti-joined
``INSERT`` for new keys and an ``UPDATE ... FROM`` for changed rows.
"""

from __future__ import annotations

import datetime as dt
import json

from coordkit.contract import Table
from coordkit.errors import CoordkitError

__all__ = [
    "LOG_DDL",
    "META_COLUMNS",
    "REJECTED_DDL",
    "SQL_TYPES",
    "check_keys",
    "column_ddl",
    "count_late",
    "log_ingest",
    "next_ingest_id",
    "store_rejections",
    "table_ddl",
    "upsert_rows",
]

SQL_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "float": "DOUBLE",
    "int": "BIGINT",
    "bool": "BOOLEAN",
    "week": "DATE",
    "month": "DATE",
}
#: bookkeeping columns every canonical table carries
META_COLUMNS = (
    ("extras", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_ingest_id", "BIGINT"),
    ("_first_ingested_at", "TIMESTAMPTZ"),
    ("_ingested_at", "TIMESTAMPTZ"),
)


#: text columns whose values are mostly distinct (ids, titles, links, the extras JSON): stored with FSST.
#: Left to itself DuckDB tries dictionary, FSST and no compression on every row group and keeps
#: the smallest; for these FSST always wins, and skipping the trials cut the store's INSERT of a
#: 1M-row deals export from 1.55 s to 1.20 s (2.7 to 2.0 s CPU) at the same file size
#: (docs/ingest.md, session 6). Low-cardinality columns (stage, owner, currency) keep the trials:
#: forcing a dictionary there saved little and would bloat a column that turns out to be free text.
DISTINCT_TEXT_SUFFIXES = ("_id",)
DISTINCT_TEXT_COLUMNS = ("extras", "title", "url")


def column_ddl(name: str, sql_type: str) -> str:
    """One column of a canonical table's CREATE TABLE, with its compression when it is fixed.

    >>> column_ddl("outcome_id", "VARCHAR")
    '"outcome_id" VARCHAR USING COMPRESSION fsst'
    >>> column_ddl("stage", "VARCHAR")
    '"stage" VARCHAR'
    """
    distinct = name in DISTINCT_TEXT_COLUMNS or name.endswith(DISTINCT_TEXT_SUFFIXES)
    return f'"{name}" {sql_type}' + (" USING COMPRESSION fsst" if sql_type == "VARCHAR" and distinct else "")


LOG_DDL = """
CREATE TABLE IF NOT EXISTS ingest_log (
    ingest_id BIGINT PRIMARY KEY,
    started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    file VARCHAR, table_name VARCHAR, preset VARCHAR, content_hash VARCHAR, size_bytes BIGINT,
    encoding VARCHAR, delimiter VARCHAR,
    rows_read BIGINT, accepted BIGINT, rejected BIGINT, merged_duplicates BIGINT,
    inserted BIGINT, updated BIGINT, unchanged BIGINT, late BIGINT,
    status VARCHAR, message VARCHAR, warnings VARCHAR
)"""
REJECTED_DDL = """
CREATE TABLE IF NOT EXISTS rejected_rows (
    ingest_id BIGINT, file VARCHAR, table_name VARCHAR, "row" BIGINT, "column" VARCHAR,
    value VARCHAR, reason VARCHAR, raw VARCHAR
)"""


def table_ddl(spec: Table) -> str:
    """A canonical table, without a PRIMARY KEY (:func:`upsert_rows` keeps keys unique, see :func:`check_keys`)."""
    columns = [column_ddl(c.name, SQL_TYPES[c.dtype]) for c in spec.columns]
    columns += [column_ddl(name, sql_type) for name, sql_type in META_COLUMNS]
    return f'CREATE TABLE IF NOT EXISTS "{spec.name}" ({", ".join(columns)})'


def next_ingest_id(db) -> int:
    return int(db.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchall()[0][0])


def upsert_rows(db, spec: Table, result, path, ingest_id: int, *, timezone: str, week_start) -> tuple[int, int, int, int]:
    """Write a validated file's accepted rows: (inserted, updated, unchanged, late)."""
    staged = result.staged
    # rows the bulk path staged in this DuckDB are read where they are (a view), never through pandas
    source, kind = (staged.attach(db, path.name), staged.kind) if staged is not None else ("_incoming_raw", "TABLE")
    if staged is None:
        db.register("_incoming_raw", result.accepted.assign(_source_file=path.name))
    try:
        casts = ", ".join(f'CAST("{c.name}" AS {SQL_TYPES[c.dtype]}) AS "{c.name}"' for c in spec.columns)
        db.execute(
            f'CREATE OR REPLACE TEMP {kind} _incoming AS SELECT {casts}, CAST(extras AS VARCHAR) AS extras, '
            f'CAST(_source_file AS VARCHAR) AS _source_file, CAST(_source_row AS BIGINT) AS _source_row FROM {source}'
        )
    finally:
        if staged is None:
            db.unregister("_incoming_raw")
    check_keys(db, spec)
    key_join = " AND ".join(f'i."{k}" = t."{k}"' for k in spec.key)
    keys = ", ".join(f'"{k}"' for k in spec.key)

    def row_hash(alias: str) -> str:
        return "hash(" + ", ".join(f'{alias}."{c}"' for c in (*spec.column_names, "extras")) + ")"

    # A row is unchanged when its values hash the same as the stored row's. Joining the keys and one
    # 64-bit hash a row, instead of every column, keeps the join small: comparing all columns of
    # 10M rows spilled about 3 GB under the write's memory cap and cost 1.09 GB peak. A changed row
    # is taken for unchanged only if its hash collides with the old one (about 1 in 1.8e19).
    incoming_hash, stored_hash = row_hash("i"), row_hash("t")
    same = f"{incoming_hash} = {stored_hash}"
    existing = db.execute(
        f"SELECT count(*), count(*) FILTER (WHERE i._row_hash = t._row_hash) "
        f"FROM (SELECT {keys}, {incoming_hash} AS _row_hash FROM _incoming i) i "
        f'JOIN (SELECT {keys}, {stored_hash} AS _row_hash FROM "{spec.name}" t) t ON {key_join}'
    ).fetchall()[0]
    matched, unchanged = int(existing[0]), int(existing[1])
    inserted, updated, late = result.accepted_count - matched, matched - unchanged, 0
    if spec.time_column and inserted:  # late rows are new rows: none, no anti-join over the table
        late = count_late(db, spec, timezone=timezone, week_start=week_start)
    columns = [*spec.column_names, "extras", "_source_file", "_source_row"]
    column_list = ", ".join(f'"{c}"' for c in columns)
    # Incoming keys are unique (validation merged or rejected repeats), so new rows are a plain
    # insert and changed rows a plain update: DuckDB's INSERT ... ON CONFLICT is several times
    # slower on a million rows, and a re-ingest of the same file writes nothing at all.
    selected = ", ".join('i."' + c + '"' for c in columns)
    if inserted:
        anti = "" if not matched else f'WHERE NOT EXISTS (SELECT 1 FROM "{spec.name}" t WHERE {key_join})'
        db.execute(
            f'INSERT INTO "{spec.name}" ({column_list}, "_ingest_id", "_first_ingested_at", "_ingested_at") '
            f"SELECT {selected}, ?, now(), now() FROM _incoming i {anti}",
            [ingest_id],
        )
    if updated:
        assignments = ", ".join(f'"{c}" = i."{c}"' for c in columns if c not in spec.key)
        db.execute(
            f'UPDATE "{spec.name}" AS t SET {assignments}, "_ingest_id" = ?, "_ingested_at" = now() '
            f"FROM _incoming i WHERE {key_join} AND NOT ({same})",
            [ingest_id],
        )
    db.execute(f"DROP {kind} _incoming")
    return inserted, updated, unchanged, late


def count_late(db, spec: Table, *, timezone: str, week_start) -> int:
    """New rows dated before the latest week already in the table (they arrived after it was reported).

    With ``spec.late_series`` the latest week is taken per feed (e.g. per pipeline): a row of
    a feed the table has never held is not late.
    """
    from zoneinfo import ZoneInfo

    from coordkit.weeks import week_start_of

    series = spec.late_series
    series_sql = f'"{series}"' if series else "NULL"
    latest = db.execute(
        f'SELECT {series_sql}, max("{spec.time_column}") FROM "{spec.name}" GROUP BY 1'
    ).fetchall()
    latest = [(name, when) for name, when in latest if when is not None]
    if not latest:
        return 0
    zone = ZoneInfo(timezone)
    cutoffs = []
    for name, when in latest:
        cutoff_day = week_start_of(when.astimezone(zone).date(), week_start)
        cutoffs += [name, dt.datetime.combine(cutoff_day, dt.time(), tzinfo=zone)]
    values = ", ".join("(CAST(? AS VARCHAR), CAST(? AS TIMESTAMPTZ))" for _ in latest)
    series_match = f'i."{series}" IS NOT DISTINCT FROM c.series' if series else "TRUE"
    key_join = " AND ".join(f'i."{k}" = t."{k}"' for k in spec.key)
    return int(
        db.execute(
            f"SELECT count(*) FROM _incoming i JOIN (VALUES {values}) AS c(series, cutoff) ON {series_match} "
            f'WHERE i."{spec.time_column}" < c.cutoff '
            f'AND NOT EXISTS (SELECT 1 FROM "{spec.name}" t WHERE {key_join})',
            cutoffs,
        ).fetchall()[0][0]
    )


def log_ingest(db, ingest_id: int, report, started, content_hash, size, result) -> None:
    """One row of ``ingest_log``: the file, its hash and size, how it was read and what it did."""
    db.execute(
        "INSERT INTO ingest_log VALUES (?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ingest_id, started, str(report.file.resolve()), report.table, report.preset, content_hash, size,
            result.encoding if result else None, result.delimiter if result else None,
            report.rows_read, report.accepted, report.rejected, report.merged_duplicates,
            report.inserted, report.updated, report.unchanged, report.late,
            report.status, report.message, json.dumps(report.warnings),
        ],
    )


def store_rejections(db, ingest_id: int, result, content_hash: str | None) -> None:
    """Keep the file's rejected rows: one set per file version (the same content again replaces its set)."""
    if content_hash is not None:
        db.execute(
            "DELETE FROM rejected_rows WHERE table_name = ? AND ingest_id IN "
            "(SELECT ingest_id FROM ingest_log WHERE content_hash = ? AND table_name = ? AND ingest_id <> ?)",
            [result.table, content_hash, result.table, ingest_id],
        )
    if result.rejected.empty:
        return
    frame = result.rejected[["row", "column", "value", "reason", "raw"]].copy()
    frame.insert(0, "table_name", result.table)
    frame.insert(0, "file", str(result.path.resolve()))
    frame.insert(0, "ingest_id", ingest_id)
    db.register("_rejected_new", frame)
    try:
        db.execute(
            'INSERT INTO rejected_rows SELECT ingest_id, file, table_name, "row", "column", value, reason, raw FROM _rejected_new'
        )
    finally:
        db.unregister("_rejected_new")


def check_keys(db, spec: Table) -> None:
    """Refuse to write when the incoming keys repeat or are empty (the tables have no PRIMARY KEY to do it).

    Validation merges or rejects repeated keys and rejects empty ones, so this
    is a guard against a bug, checked in SQL before anything is written.
    """
    key = ", ".join(f'"{k}"' for k in spec.key)
    empty = " OR ".join(f'"{k}" IS NULL' for k in spec.key)
    rows, distinct, missing = db.execute(
        f"SELECT count(*), count(DISTINCT ({key})), count(*) FILTER (WHERE {empty}) FROM _incoming").fetchall()[0]
    if distinct != rows or missing:
        raise CoordkitError(
            f"{spec.name}: {rows} incoming rows hold {distinct} distinct keys ({key}), {missing} of them empty; "
            "nothing was written", hint="this is a bug in coordkit's validation: report it with the file")
