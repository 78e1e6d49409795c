"""Issue 14: a failed ingest shows in the very next review, in each team's data quality, without a leak.

The workspace is written by hand: emea's and apac's deals come in their own
files. A new version of emea's file fails (a quarter of its rows are bad, one
cell holds a client's customer's address); so does a file that never got in.
The review is computed before and right after, without deleting the cache.
"""

from __future__ import annotations

import json

import pytest

import coordkit
from coordkit.cli import main

pytestmark = pytest.mark.hostile

ADDRESS = "jane.doe@client-b.example"
OUTPUTS = ("output_id,published_at,channel,kind,campaign,team\n"
           + "".join(f"p{i},2026-10-{5 + i:02d}T10:00:00Z,social,post,spring,{team}\n"
                     for i, team in enumerate(["emea", "apac"] * 4)))


def _deals(team: str, bad: int = 0) -> str:
    rows = [f"{team}-{i},opportunity,2026-10-{5 + i:02d}T10:00:00Z,{100 + i},{team}" for i in range(8)]
    rows += [f"{team}-bad{i},opportunity,2026-10-06T10:00:00Z,{ADDRESS},{team}" for i in range(bad)]
    return "outcome_id,kind,created_at,amount,team\n" + "\n".join(rows) + "\n"


def _notes(folder, team: str) -> list[str]:
    return coordkit.compute_weekly_review(folder, team=team, week="2026-10-05").quality_notes


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "ws"
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "outputs.csv").write_text(OUTPUTS, encoding="utf-8")
    for team in ("emea", "apac"):
        (exports / f"{team}-deals.csv").write_text(_deals(team), encoding="utf-8")
    assert main(["ingest", str(exports / "outputs.csv"), "--as", "outputs", "--workspace", str(folder), "--create"]) == 0
    for team in ("emea", "apac"):
        assert main(["ingest", str(exports / f"{team}-deals.csv"), "--as", "outcomes", "--workspace", str(folder)]) == 0
    return folder, exports


def test_a_failed_ingest_is_named_in_the_next_review_of_the_teams_it_concerns(workspace, capsys):
    folder, exports = workspace
    for team in ("all", "emea", "apac"):  # reviews before the failure fill the cache
        assert not [n for n in _notes(folder, team) if "failed" in n]
    assert (folder / ".coordkit" / "cache").is_dir()
    (exports / "emea-deals.csv").write_text(_deals("emea", bad=4), encoding="utf-8")  # 4 of 12 bad: over 25 %
    (exports / "mystery.csv").write_text("outcome_id,amount\nx1,5\n", encoding="utf-8")  # never got in
    assert main(["ingest", str(exports / "emea-deals.csv"), str(exports / "mystery.csv"),
                 "--as", "outcomes", "--workspace", str(folder)]) != 0
    capsys.readouterr()

    emea, apac, everyone = _notes(folder, "emea"), _notes(folder, "apac"), _notes(folder, "all")
    assert [n for n in emea if "emea-deals.csv (outcomes) failed to ingest" in n and "this team's rows" in n]
    assert not [n for n in apac if "emea-deals.csv" in n]  # not apac's file: not on apac's page
    for notes in (emea, apac):  # nobody can tell whose rows mystery.csv held: a workspace line on every page
        assert [n for n in notes if n.startswith("Workspace: mystery.csv (outcomes) failed to ingest")]
    assert [n for n in everyone if "emea-deals.csv (outcomes) failed" in n]
    assert [n for n in everyone if "mystery.csv (outcomes) failed" in n]
    for notes in (emea, apac, everyone):  # names and times only: no cell of the failed file, no reason text
        assert not [n for n in notes if ADDRESS in n or "client-b" in n]
    assert not [n for n in everyone if "apac-deals.csv" in n and "failed" in n]

    # the reason is where the workspace's owner looks: coordkit status
    assert main(["status", "--workspace", str(folder)]) == 0
    status = [line for line in capsys.readouterr().out.splitlines() if line.startswith("failed: ")]
    assert [line for line in status if line.startswith("failed: emea-deals.csv (outcomes) at ")]
    assert [line for line in status if line.startswith("failed: mystery.csv (outcomes) at ") and "missing column" in line]
    (exports / "emea-deals.csv").write_text(_deals("emea"), encoding="utf-8")
    assert main(["ingest", str(exports / "emea-deals.csv"), "--as", "outcomes", "--workspace", str(folder)]) == 0
    emea = _notes(folder, "emea")
    assert not [n for n in emea if "emea-deals.csv" in n]  # fixed by the next ingest: gone from the next review
    assert [n for n in emea if "mystery.csv" in n]


def test_the_review_json_of_a_team_carries_the_failure(workspace, tmp_path):
    folder, exports = workspace
    (exports / "apac-deals.csv").write_text("outcome_id,amount\n", encoding="utf-8")  # columns missing
    assert main(["ingest", str(exports / "apac-deals.csv"), "--as", "outcomes", "--workspace", str(folder)]) != 0
    review = coordkit.compute_weekly_review(folder, team="apac", week="2026-10-05")
    notes = json.loads(review.to_json())["data_quality_notes"]
    assert [n for n in notes if "apac-deals.csv (outcomes) failed to ingest" in n]
    assert not [n for n in _notes(folder, "emea") if "apac-deals.csv" in n]


def test_a_download_no_preset_recognises_is_named_in_the_next_review_until_it_gets_in(workspace, capsys):
    """A folder ingest where one download's headers match no preset: before, it was printed once
    ("NOT INGESTED") and then missing from every review; now it is logged and named."""
    folder, exports = workspace
    _notes(folder, "emea")  # fill the cache first: the failure must show without deleting it
    drop = exports / "drop"
    drop.mkdir()
    (drop / "q4-mystery-export.csv").write_text(f"Foo,Bar\n1,{ADDRESS}\n", encoding="utf-8")
    assert main(["ingest", str(drop), "--workspace", str(folder)]) != 0
    out = capsys.readouterr().out
    assert "q4-mystery-export.csv: NOT INGESTED" in out

    for team in ("emea", "apac", "all"):
        notes = _notes(folder, team)
        named = [n for n in notes if "q4-mystery-export.csv (not recognised as any export" in n]
        assert named, (team, notes)
        assert not [n for n in notes if ADDRESS in n]  # the name only, nothing from inside the file
    assert main(["status", "--workspace", str(folder)]) == 0
    status = [line for line in capsys.readouterr().out.splitlines() if line.startswith("failed: ")]
    assert [line for line in status if line.startswith("failed: q4-mystery-export.csv (not recognised) at ")]

    # the owner says what it is: the next ingest of the same file supersedes the failure
    (drop / "q4-mystery-export.csv").write_text(OUTPUTS.replace("\np", "\nq"), encoding="utf-8")
    assert main(["ingest", str(drop / "q4-mystery-export.csv"), "--as", "outputs", "--workspace", str(folder)]) == 0
    for team in ("emea", "all"):
        assert not [n for n in _notes(folder, team) if "q4-mystery-export.csv" in n]
    assert main(["status", "--workspace", str(folder)]) == 0
    assert "q4-mystery-export.csv" not in "\n".join(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("failed: "))
