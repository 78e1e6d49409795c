"""The store's write without a PRIMARY KEY: keys stay unique, a repeat is refused, older keyed stores still work."""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd
import pytest

from coordkit.contract import table_spec
from coordkit.errors import CoordkitError
from coordkit.ingest.validate import read_table
from coordkit.ingest.workspace import _META_COLUMNS, _SQL_TYPES, open_workspace, store_path

HEADER = "outcome_id,kind,created_at,contact_id,amount,stage\n"


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _keys(ws) -> list[str]:
    return [r[0] for r in ws.duckdb.execute("SELECT outcome_id FROM outcomes ORDER BY outcome_id").fetchall()]


def test_overlapping_ingests_keep_one_row_per_key(tmp_path):
    first = _write(tmp_path / "a.csv", HEADER + "1,lead,2026-11-02,c1,100,open\n2,lead,2026-11-03,c2,200,open\n")
    second = _write(tmp_path / "b.csv", HEADER + "2,lead,2026-11-03,c2,250,won\n3,lead,2026-11-04,c3,5,open\n")
    with open_workspace(tmp_path / "ws") as ws:
        for path in (first, second, first, second):
            ws.ingest(path, "outcomes")
        assert _keys(ws) == ["1", "2", "3"]
        amount = ws.duckdb.execute("SELECT amount FROM outcomes WHERE outcome_id = '2'").fetchall()[0][0]
    assert amount == 250  # the last file written wins, as with the key


def test_a_repeated_incoming_key_is_refused_before_anything_is_written(tmp_path):
    path = _write(tmp_path / "a.csv", HEADER + "1,lead,2026-11-02,c1,100,open\n2,lead,2026-11-03,c2,200,open\n")
    with open_workspace(tmp_path / "ws") as ws:
        result = read_table(path, "outcomes", config=ws.config)
        doubled = dataclasses.replace(result, accepted=pd.concat([result.accepted, result.accepted.iloc[:1]]))
        with pytest.raises(CoordkitError, match="3 incoming rows hold 2 distinct keys"):
            with ws.write_lock():
                ws._upsert(doubled, path)
        assert _keys(ws) == []


def test_a_store_made_with_a_primary_key_still_ingests_and_updates(tmp_path):
    folder = tmp_path / "ws"
    with open_workspace(folder):
        pass
    spec = table_spec("outcomes")
    columns = [f'"{c.name}" {_SQL_TYPES[c.dtype]}' for c in spec.columns] + [f'"{n}" {t}' for n, t in _META_COLUMNS]
    con = duckdb.connect(str(store_path(folder)))
    con.execute("DROP TABLE outcomes")
    con.execute(f'CREATE TABLE outcomes ({", ".join(columns)}, PRIMARY KEY ("outcome_id"))')  # as sessions 1-4 made it
    con.close()
    first = _write(tmp_path / "a.csv", HEADER + "1,lead,2026-11-02,c1,100,open\n")
    second = _write(tmp_path / "b.csv", HEADER + "1,lead,2026-11-02,c1,150,won\n2,lead,2026-11-03,c2,5,open\n")
    with open_workspace(folder) as ws:
        reports = [ws.ingest(p, "outcomes") for p in (first, second)]
        assert _keys(ws) == ["1", "2"]
        keyed = ws.duckdb.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'outcomes' "
                                  "AND constraint_type = 'PRIMARY KEY'").fetchall()[0][0]
    assert keyed == 1
    assert [(r.inserted, r.updated) for r in reports] == [(1, 0), (1, 1)]


def test_new_stores_have_no_primary_key_on_canonical_tables(tmp_path):
    with open_workspace(tmp_path / "ws") as ws:
        keyed = ws.duckdb.execute("SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
                                  ).fetchall()
    # the ingest log and check-ins keep theirs (small tables); canonical tables are kept unique by the write
    assert {r[0] for r in keyed} <= {"ingest_log", "checkins"}


def test_id_and_extras_columns_are_stored_with_fsst_and_the_others_keep_duckdbs_choice(tmp_path):
    """Two distinct values in 300,000 rows: left to itself DuckDB stores a dictionary; the fixed columns use FSST."""
    rows = 300_000
    with open_workspace(tmp_path / "ws") as ws:
        with ws.write_lock():
            ws.duckdb.execute(
                "INSERT INTO outcomes (outcome_id, kind, contact_id, stage, extras) SELECT 'o' || i, 'lead', "
                "'c' || (i % 2), 's' || (i % 2), '{\"x\": \"' || (i % 2) || '\"}' FROM range(?) t(i)", [rows])
        ws.duckdb.execute("CHECKPOINT")
        used = dict(ws.duckdb.execute(
            "SELECT column_name, list(DISTINCT compression ORDER BY compression) FROM pragma_storage_info('outcomes') "
            "WHERE segment_type = 'VARCHAR' AND column_name IN ('outcome_id', 'contact_id', 'stage', 'extras') "
            "GROUP BY ALL").fetchall())
    assert set(used["contact_id"]) <= {"FSST", "Constant"} and "FSST" in used["contact_id"]
    assert "FSST" in used["extras"] and "FSST" in used["outcome_id"]
    assert "Dictionary" in used["stage"]  # not forced: DuckDB's own trial picks the dictionary


def test_a_change_in_any_one_column_is_an_update_and_the_rest_are_unchanged(tmp_path):
    """The write compares rows by a hash of every value: each kind of change must still be seen."""
    header = "outcome_id,kind,created_at,contact_id,amount,stage,note\n"
    base = ["1,lead,2026-11-02,c1,100,open,x", "2,lead,2026-11-03,c2,200,open,", "3,lead,2026-11-04,c3,,open,y",
            "4,lead,2026-11-05,c4,5,open,z", "5,lead,2026-11-06,c5,7,open,w", "6,lead,2026-11-07,c6,9,open,v"]
    changed = ["1,lead,2026-11-02,c1,100.5,open,x",  # a number
               "2,lead,2026-11-03,c2,200,open,new",  # an extras cell appears
               "3,lead,2026-11-04,c3,0,open,y",  # empty amount -> 0
               "4,lead,2026-11-05 00:00:01,c4,5,open,z",  # a time one second later
               "5,lead,2026-11-06,c5,7,won,w",  # a text
               "6,lead,2026-11-07,c6,9,open,v"]  # unchanged
    first = _write(tmp_path / "a.csv", header + "\n".join(base) + "\n")
    second = _write(tmp_path / "b.csv", header + "\n".join(changed) + "\n")
    with open_workspace(tmp_path / "ws") as ws:
        ws.ingest(first, "outcomes")
        report = ws.ingest(second, "outcomes")
        rows = ws.duckdb.execute("SELECT outcome_id, amount, stage, extras, created_at FROM outcomes ORDER BY outcome_id").fetchall()
    assert (report.inserted, report.updated, report.unchanged) == (0, 5, 1)
    assert [r[1] for r in rows] == [100.5, 200, 0, 5, 7, 9]
    assert rows[4][2] == "won" and "new" in rows[1][3]
    assert rows[3][4].second == 1


def test_a_failure_inside_the_attached_write_changes_nothing_and_frees_the_store(tmp_path, monkeypatch):
    """The bulk path's DuckDB writes into the attached store in one transaction: a failure rolls it all back."""
    from coordkit.ingest import workspace

    monkeypatch.setenv("COORDKIT_BULK_MIN_BYTES", "0")
    first = _write(tmp_path / "a.csv", HEADER + "".join(f"{n},lead,2026-11-02,c{n},{n},open\n" for n in range(1, 60)))
    second = _write(tmp_path / "b.csv", HEADER + "".join(f"{n},lead,2026-11-03,c{n},{n + 1},won\n" for n in range(30, 90)))
    with open_workspace(tmp_path / "ws") as ws:
        report = ws.ingest(first, "outcomes")
        assert report.result.staged.route == "attached"
        before = ws.duckdb.execute("SELECT * FROM outcomes ORDER BY outcome_id").fetchall()
        log_before = ws.duckdb.execute("SELECT count(*) FROM ingest_log").fetchall()[0][0]

        def broken(db, *args, **kwargs):
            db.execute("DELETE FROM outcomes")  # a write already made inside the transaction ...
            raise CoordkitError("planted failure")  # ... then the failure

        with monkeypatch.context() as patched:
            patched.setattr(workspace, "log_ingest", broken)
            with pytest.raises(CoordkitError, match="planted failure") as caught:
                ws.ingest(second, "outcomes")
        # the staged rows are freed at once, even while the error (and its traceback, which reaches
        # them) is still held, as a notebook holds the last one
        assert caught.tb is not None
        assert not list((tmp_path / "ws" / ".coordkit" / "scratch").glob("coordkit-bulk-*"))
        assert ws.duckdb.execute("SELECT * FROM outcomes ORDER BY outcome_id").fetchall() == before
        assert ws.duckdb.execute("SELECT count(*) FROM ingest_log").fetchall()[0][0] == log_before
        again = ws.ingest(second, "outcomes")  # the store is neither attached elsewhere nor locked
        assert (again.inserted, again.updated, again.result.staged.route) == (30, 30, "attached")
    assert not list((tmp_path / "ws" / ".coordkit" / "scratch").glob("coordkit-bulk-*"))
