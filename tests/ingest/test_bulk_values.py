"""The bulk path's SQL reading of ISO times equals Python's for every shape it accepts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import pytest

from coordkit.ingest.bulk_values import timestamp_expression

SHAPES = ["2026-11-16", "2026-11-16 10:07", "2026-11-16T10:07", "2026-11-16 10:07:59", "2026-11-16T23:59:59",
          "2024-02-29", "1900-01-01 00:00", "2199-12-31T23:59:59"]
NOT_READ = ["2025-02-29", "2026-04-31 10:00", "2026-11-16 24:00", "2026-11-16 10:07:60", "2026-11-16 10:07:00.5",
            "2026-11-16T10:07:00Z", " 2026-11-16", "2026-11-16 10", "16/11/2026", "1899-12-31", "2200-01-01"]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_iso_shapes_read_as_python_reads_them(zone):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    wall, value, simple = timestamp_expression("t", zone, [], "w")
    for text in SHAPES + NOT_READ:
        got_wall, got_value, got_simple = con.execute(
            f"SELECT w, {value}, {simple} FROM (SELECT t, {wall} AS w FROM (SELECT ? AS t))", [text]).fetchall()[0]
        if text in NOT_READ:
            assert (got_wall, got_value, got_simple) == (None, None, False), text
            continue
        expected = dt.datetime.fromisoformat(text)
        assert got_wall == expected, text
        assert got_value == expected.replace(tzinfo=ZoneInfo(zone)), text
        assert got_simple is True
