"""Issue 14: `coordkit forget` erases a person from every table and records that it did, not who.

Checked against the demo exports read with the csv module: the person's rows
are counted there, then gone from the store (every column of every table, the
rejected rows and the store file's bytes searched for the address), while
everyone else's rows stay.
"""

from __future__ import annotations

import csv
import shutil

import duckdb
import pytest

from coordkit.cli import main
from coordkit.errors import ParameterError
from coordkit.ingest.forget import forget

pytestmark = [pytest.mark.slow, pytest.mark.hostile]  # copies the session demo workspace


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def workspace(demo_workspace, tmp_path):
    copy = tmp_path / "ws"
    shutil.copytree(demo_workspace / ".coordkit", copy / ".coordkit", ignore=shutil.ignore_patterns("cache"))
    return copy


def store_rows_mentioning(folder, needle: str) -> dict[str, int]:
    found = {}
    with duckdb.connect(str(folder / ".coordkit" / "workspace.duckdb"), read_only=True) as con:
        for (table,) in con.execute("SHOW TABLES").fetchall():
            columns = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
            text = " || ' ' || ".join(f'coalesce(lower(CAST("{c}" AS VARCHAR)), \'\')' for c in columns)
            count = con.execute(f'SELECT count(*) FROM "{table}" WHERE contains({text}, ?)', [needle.lower()]).fetchall()[0][0]
            if count:
                found[table] = count
    return found


def count(folder, sql: str, *parameters) -> int:
    with duckdb.connect(str(folder / ".coordkit" / "workspace.duckdb"), read_only=True) as con:
        return con.execute(sql, list(parameters)).fetchall()[0][0]


def test_forget_by_email_erases_every_row_of_the_person(workspace, demo_workspace):
    exports = demo_workspace / "exports"
    outcomes = read_csv(exports / "outcomes.csv")
    touches = read_csv(exports / "touchpoints.csv")
    by_contact: dict[str, int] = {}
    for row in touches:
        by_contact[row["contact_id"]] = by_contact.get(row["contact_id"], 0) + 1
    # a person with a lead and several touches, as the demo exports have them
    person = next(r for r in outcomes if r["contact_email"] and by_contact.get(r["contact_id"], 0) >= 3)
    contact, email = person["contact_id"], person["contact_email"]
    their_outcomes = sum(r["contact_id"] == contact for r in outcomes)
    assert count(workspace, "SELECT count(*) FROM touchpoints WHERE contact_id = ?", contact) == by_contact[contact]
    assert count(workspace, "SELECT count(*) FROM outcomes WHERE contact_id = ?", contact) == their_outcomes
    touches_before = count(workspace, "SELECT count(*) FROM touchpoints")
    outcomes_before = count(workspace, "SELECT count(*) FROM outcomes")
    assert store_rows_mentioning(workspace, email), "the address should be in the store before"

    report = forget(workspace, emails=[email.upper()])

    assert store_rows_mentioning(workspace, email) == {}
    assert store_rows_mentioning(workspace, contact) == {}
    assert count(workspace, "SELECT count(*) FROM touchpoints") == touches_before - by_contact[contact]
    assert count(workspace, "SELECT count(*) FROM outcomes") == outcomes_before - their_outcomes
    assert report.rows_by_table["touchpoints"] == by_contact[contact]
    assert report.rows_by_table["outcomes"] == their_outcomes
    # the erasure is recorded, without who
    with duckdb.connect(str(workspace / ".coordkit" / "workspace.duckdb"), read_only=True) as con:
        log = con.execute("SELECT * FROM erasures").fetchall()
    assert len(log) == 1 and log[0][1] == report.rows_erased
    assert contact not in repr(log) and email.lower() not in repr(log).lower()
    # the store file was rewritten: the address is not left in free blocks
    data = (workspace / ".coordkit" / "workspace.duckdb").read_bytes()
    assert email.encode() not in data and contact.encode() not in data


def test_forget_by_contact_id_from_the_cli(workspace, demo_workspace, capsys):
    touches = read_csv(demo_workspace / "exports" / "touchpoints.csv")
    contact = touches[0]["contact_id"]
    other = next(r["contact_id"] for r in touches if r["contact_id"] != contact and r["contact_id"])
    others_before = count(workspace, "SELECT count(*) FROM touchpoints WHERE contact_id = ?", other)
    assert main(["forget", "--workspace", str(workspace), "--contact", contact]) == 0
    out = capsys.readouterr().out
    assert out.startswith("erased ") and contact not in out
    assert count(workspace, "SELECT count(*) FROM touchpoints WHERE contact_id = ?", contact) == 0
    assert count(workspace, "SELECT count(*) FROM touchpoints WHERE contact_id = ?", other) == others_before
    assert main(["status", "--workspace", str(workspace)]) == 0


def test_forget_needs_someone_and_a_workspace(tmp_path, workspace):
    with pytest.raises(ParameterError):
        forget(workspace)
    with pytest.raises(ParameterError):
        forget(workspace, emails=["not-an-address"])
    assert main(["forget", "--workspace", str(tmp_path / "none"), "--contact", "C-1"]) == 5
