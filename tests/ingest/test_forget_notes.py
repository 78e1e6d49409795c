"""Issue 14: `coordkit forget` also finds the person in check-in notes and erases the mention, not the note.

Hand-written notes; the expected texts are written out by hand.
"""

from __future__ import annotations

import duckdb
import pytest

from coordkit.cli import main
from coordkit.ingest.checkins import list_checkins, save_checkin
from coordkit.ingest.forget import forget

pytestmark = pytest.mark.hostile


@pytest.fixture
def folder(tmp_path):
    deals = tmp_path / "deals.csv"
    deals.write_text("outcome_id,kind,created_at,contact_id,amount,team\n"
                     "o1,lead,2026-10-05T10:00:00Z,c1,0,emea\n"
                     "o2,lead,2026-10-05T10:00:00Z,c10,0,emea\n", encoding="utf-8")
    ws = tmp_path / "ws"
    assert main(["ingest", str(deals), "--as", "outcomes", "--workspace", str(ws), "--create"]) == 0
    save_checkin(ws, "emea", "2026-10-05", decisions="Call Jane (JANE.Doe@Client-B.example, contact c1) back.",
                 next_actions="c1: send the deck; c10 and xc1 are other people", owner="c1", author="sam")
    save_checkin(ws, "emea", "2026-10-05", decisions="Nothing about her here.", author="sam")
    return ws


def test_forget_replaces_the_person_in_notes_and_keeps_everything_else(folder, capsys):
    assert main(["forget", "--workspace", str(folder), "--contact", "c1", "--email", "jane.doe@client-b.example"]) == 0
    out = capsys.readouterr().out
    assert "1 check-in note(s) mentioned the person" in out
    notes = list_checkins(folder).sort_values("id")
    assert notes["decisions"].tolist() == ["Call Jane ([erased], contact [erased]) back.", "Nothing about her here."]
    assert notes["next_actions"].tolist()[0] == "[erased]: send the deck; c10 and xc1 are other people"
    assert notes["owner"].tolist()[0] == "[erased]" and notes["author"].tolist() == ["sam", "sam"]
    with duckdb.connect(str(folder / ".coordkit" / "workspace.duckdb"), read_only=True) as con:
        erasures = con.execute("SELECT rows_by_table FROM erasures").fetchall()
        assert con.execute("SELECT count(*) FROM outcomes").fetchall()[0][0] == 1  # c10's lead stays
    assert '"checkins_notes_edited": 1' in erasures[0][0]
    assert "c1" not in erasures[0][0].replace("checkins", "")  # records that it erased, never who
    data = (folder / ".coordkit" / "workspace.duckdb").read_bytes()
    assert b"Client-B.example" not in data and b"JANE.Doe" not in data  # the store file was rewritten


def test_a_note_that_does_not_mention_the_person_is_reported_as_such(folder):
    report = forget(folder, contact_ids=["c999"])
    assert report.notes_edited == 0 and "no check-in note mentioned" in report.summary()
    assert len(list_checkins(folder)) == 2
