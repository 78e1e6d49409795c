"""Journey files and in-process DuckDB tables straight into :class:`.arrays.TouchArrays`.

DuckDB reads and sorts; numpy does the rest. No pandas, no Ibis: this is the
start-up path of ``coordkit attribute`` (docs/attribution.md, Performance).
Every row is checked: a bad time, value, empty contact or channel stops the
run with the row, column and value (attribution would otherwise silently
lose a journey). Rows are numbered as file lines (header = line 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coordkit.errors import ReadError, SchemaError, ValidationError
from coordkit.model.attribution.arrays import TouchArrays, from_paths, from_sorted_events

__all__ = ["EVENT_FILE_COLUMNS", "connect", "event_arrays_from_sql", "read_event_arrays", "read_path_arrays"]

#: journey-events preset: canonical name -> file header (compared case-insensitively)
EVENT_FILE_COLUMNS = {
    "contact_id": "customer_id",
    "touched_at": "time",
    "action": "interaction",
    "channel": "channel",
    "conversion_value": "conversion_value",
}
PATH_FILE_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")


def connect():
    """A private in-memory DuckDB connection whose session zone is UTC."""
    import duckdb

    con = duckdb.connect()
    # naive times are read as UTC, as the pandas reader does (utc=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ReadError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise ReadError(f"{path}: the file is empty")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _load_raw(con, path: Path, delimiter: str | None = None) -> dict:
    """Load the file as text columns into temp table ``raw``; return {normalised header: name}."""
    import duckdb

    options = "all_varchar = true, header = true" + (f", delim = '{delimiter}'" if delimiter else "")
    try:
        # a literal, not a ? parameter: binding a Python value makes duckdb import pandas (~1 s)
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM read_csv({literal}, {options})")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise ReadError(f"{path.name}: cannot be read as CSV ({first})") from None
    names = [row[0] for row in con.execute("DESCRIBE raw").fetchall()]
    return {n.strip().lstrip("\ufeff").lower(): n for n in names}


def _first_bad(con, path: Path, condition: str, column: str, shown: str, what: str) -> None:
    row = con.execute(
        f"SELECT line, {shown}, count(*) OVER () FROM "
        f"(SELECT row_number() OVER () + 1 AS line, * FROM raw) WHERE {condition} ORDER BY line LIMIT 1"
    ).fetchall()
    if row:
        line, value, bad = row[0]
        raise ValidationError(
            f"{path.name} row {line}, column {column}: {value!r} {what} ({bad} bad row(s))",
            hint="fix or remove those rows: attribution would silently lose their journeys",
        )


def _check_rows(con, path: Path, checks: list) -> None:
    """One scan counts the rows failing each check; only a failing check is located."""
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {condition})" for condition, *_ in checks) + " FROM raw"
    ).fetchall()[0]
    for bad, (condition, column, shown, what) in zip(counts, checks):
        if bad:
            _first_bad(con, path, condition, column, shown, what)


def read_event_arrays(path: str | Path) -> TouchArrays:
    """Read an event-level journey file (journey-events preset) into journeys."""
    path = Path(path)
    _check_file(path)
    con = connect()
    headers = _load_raw(con, path)
    missing = [f for c, f in EVENT_FILE_COLUMNS.items() if f not in headers and c != "conversion_value"]
    if missing:
        raise SchemaError(
            f"{path.name}: missing column(s) {', '.join(repr(c) for c in missing)}; the journey-events "
            "preset needs customer_id, time, interaction, channel (and optionally conversion_value)"
        )
    col = {c: _quote(headers[f]) for c, f in EVENT_FILE_COLUMNS.items() if f in headers}
    value = f"TRY_CAST(NULLIF(trim({col['conversion_value']}), '') AS DOUBLE)" if "conversion_value" in col else None
    checks = [
        (f"TRY_CAST(trim({col['touched_at']}) AS TIMESTAMPTZ) IS NULL", "time", col["touched_at"], "is not a date-time"),
        (f"coalesce(trim({col['contact_id']}), '') = ''", "customer_id", col["contact_id"], "is an empty customer id"),
        (f"coalesce(trim({col['channel']}), '') = ''", "channel", col["channel"], "is an empty channel"),
    ]
    if value:
        checks.append(
            (f"coalesce(trim({col['conversion_value']}), '') <> '' AND coalesce({value} < 0 OR isnan({value}), true)",
             "conversion_value", col["conversion_value"], "is not a non-negative number")
        )
    _check_rows(con, path, checks)
    source = (
        f"SELECT trim({col['contact_id']}) AS contact_id, "
        f"CAST(trim({col['touched_at']}) AS TIMESTAMPTZ) AS touched_at, "
        f"trim({col['channel']}) AS channel, lower(trim(coalesce({col['action']}, ''))) AS action, "
        f"{'coalesce(' + value + ', 0.0)' if value else '1.0'} AS conversion_value FROM raw"
    )
    return event_arrays_from_sql(con, source)


def event_arrays_from_sql(con, source_sql: str, conversion_action: str = "conversion") -> TouchArrays:
    """Journeys of the event rows a DuckDB query returns.

    ``source_sql`` yields ``contact_id, touched_at, channel, action,
    conversion_value``. DuckDB numbers the channels and sorts the rows by
    contact, time, conversion flag and channel (the order of
    :func:`.journeys.journeys_from_events`); numpy splits the journeys.
    """
    channels = tuple(
        r[0] for r in con.execute(
            f"SELECT DISTINCT CAST(channel AS VARCHAR) AS c FROM ({source_sql}) ORDER BY c"
        ).fetchall()
    )
    if len(channels) >= 65536:
        from coordkit.errors import AttributionError

        raise AttributionError(f"{len(channels)} distinct channels: attribution supports at most 65,535",
                               hint="group rare channels into 'other' first")
    lookup = "[" + ", ".join("'" + c.replace("'", "''") + "'" for c in channels) + "]"
    action = "'" + conversion_action.replace("'", "''") + "'"
    columns = (
        "epoch_us(s.touched_at) AS us, "
        # conversion flag and channel packed in one key: one sort column fewer
        f"CAST(CAST(s.action = {action} AS INTEGER) * 65536 "
        f"+ list_position({lookup}, CAST(s.channel AS VARCHAR)) - 1 AS INTEGER) AS cc, "
        # a missing value is worth 0 and sorts as 0, as in the Ibis engine (fill_null before ordering)
        "coalesce(CAST(s.conversion_value AS DOUBLE), 0.0) AS value"
    )
    contact = "CAST(s.contact_id AS VARCHAR)"
    # The big sort runs on a 64-bit hash of the contact instead of its text: journeys
    # never span contacts, so any order of contacts will do, and fixed-width keys sort
    # about 3x faster than strings. A second hash, carried along, checks that every run
    # of equal keys holds one contact; if two contacts share the first hash (about once
    # in 10^7 runs at a million contacts) the exact path below sorts by the text instead.
    # The value is not a sort key (DuckDB sorts three keys much faster than four at 10M
    # rows): ties are put in value order below, as ORDER BY ..., value would.
    result = con.execute(
        f"SELECT {CONTACT_KEY.format(contact)} AS cid, {CHECK_KEY.format(contact)} AS check_key, {columns} "
        f"FROM ({source_sql}) s WHERE s.contact_id IS NOT NULL ORDER BY cid, us, cc"
    ).fetchnumpy()
    cid = np.asarray(result["cid"])
    same_key = cid[1:] == cid[:-1]
    check = np.asarray(result["check_key"])
    if np.any(same_key & (check[1:] != check[:-1])):
        result = _exact_sorted(con, source_sql, columns, contact)
        cid = np.asarray(result["cid"])
        same_key = cid[1:] == cid[:-1]
    us = np.asarray(result["us"], dtype=np.int64)
    cc = np.asarray(result["cc"], dtype=np.int64)
    value = _values_in_tie_order(np.asarray(result["value"], dtype=np.float64), same_key, us, cc)
    new_contact = np.ones(len(cid), dtype=bool)
    new_contact[1:] = ~same_key
    return from_sorted_events(
        new_contact,
        us,
        (cc >= 65536).astype(np.int8),
        (cc % 65536).astype(np.int32),
        np.nan_to_num(value, nan=0.0),
        channels,
    )


def _values_in_tie_order(value: np.ndarray, same_contact: np.ndarray, us: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """Rows equal in contact, time, conversion flag and channel put in value order.

    Such rows differ in nothing else, so reordering their values is reordering the rows.
    """
    tie = same_contact & (us[1:] == us[:-1]) & (cc[1:] == cc[:-1])
    if not tie.any():
        return value
    inside = np.zeros(len(value), dtype=bool)
    inside[1:] |= tie
    inside[:-1] |= tie
    rows = np.flatnonzero(inside)
    group = np.cumsum(~np.concatenate(([False], tie)))[rows]  # one number per run of tied rows
    part = value[rows]
    order = np.lexsort((part, group))
    value = value.copy()
    value[rows] = part[order]
    return value


#: the sort key of a contact (a DuckDB expression around ``{}``) and an independent second hash checking it
CONTACT_KEY = "hash({})"
CHECK_KEY = "hash({} || '#check')"


def _exact_sorted(con, source_sql: str, columns: str, contact: str) -> dict:
    """The same rows sorted by a dense integer id per contact text (a join: slower, no hash involved)."""
    return con.execute(
        f"""
        WITH src AS ({source_sql}),
        contacts AS (
            SELECT contact, CAST(row_number() OVER () AS BIGINT) AS cid
            FROM (SELECT DISTINCT CAST(contact_id AS VARCHAR) AS contact FROM src)
        )
        SELECT c.cid AS cid, {columns}
        FROM src s JOIN contacts c ON {contact} = c.contact
        ORDER BY cid, us, cc, value
        """
    ).fetchnumpy()


def read_path_arrays(path: str | Path, separator: str = ";", path_separator: str = " > ") -> TouchArrays:
    """Read a path-level file (repeated paths summed) into weighted journeys."""
    path = Path(path)
    _check_file(path)
    con = connect()
    headers = _load_raw(con, path, delimiter=separator)
    missing = [c for c in PATH_FILE_COLUMNS if c not in headers]
    if missing:
        raise SchemaError(
            f"{path.name}: missing column(s) {', '.join(repr(c) for c in missing)}; a path file has "
            f"{', '.join(PATH_FILE_COLUMNS)} separated by {separator!r}",
            hint="path files are ';'-separated; channels inside a path are joined by ' > '",
        )
    col = {c: _quote(headers[c]) for c in PATH_FILE_COLUMNS}
    checks = []
    for name in PATH_FILE_COLUMNS[1:]:
        number = f"TRY_CAST(NULLIF(trim({col[name]}), '') AS DOUBLE)"
        checks.append(
            (f"coalesce(trim({col[name]}), '') <> '' AND coalesce({number} < 0 OR isnan({number}), true)",
             name, col[name], "is not a non-negative number")
        )
    _check_rows(con, path, checks)
    rows = con.execute(
        f"SELECT {col['path']}, "
        + ", ".join(f"coalesce(TRY_CAST(NULLIF(trim({col[c]}), '') AS DOUBLE), 0.0)" for c in PATH_FILE_COLUMNS[1:])
        + " FROM raw"
    ).fetchall()
    summed: dict = {}
    for line, (text, conv, value, null) in enumerate(rows, start=2):
        steps = tuple(p.strip() for p in (text or "").split(path_separator))
        if any(p == "" for p in steps):
            raise ValidationError(f"{path.name} row {line}, column path: {text!r} has an empty channel")
        total = summed.setdefault(steps, [0.0, 0.0, 0.0])
        total[0] += conv
        total[1] += value
        total[2] += null
    paths = sorted(summed)
    return from_paths(paths, *zip(*(summed[p] for p in paths))) if paths else from_paths([], [], [], [])
