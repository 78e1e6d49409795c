"""Issue 14: rejected rows are kept for a while (``rejected_rows.keep_days``), with values only when asked.

Every count is taken straight from the store with plain SQL (duckdb), and the
store file's bytes are searched for the address, independently of the
retention code.
"""

from __future__ import annotations

import duckdb
import pytest

from coordkit.cli import main
from coordkit.config import load_config
from coordkit.errors import ParameterError
from coordkit.ingest.retention import without_values
from coordkit.ingest.workspace import open_workspace

HEADER = "outcome_id,kind,created_at,amount,team\n"
ADDRESS = "jane.doe@client-b.example"


def _export(path, version: int):
    # 10 rows, 2 of them rejected (an address in the amount column, a bad date); a version differs in content
    rows = [f"o{i},lead,2026-09-0{1 + i % 8}T10:00:00Z,{10 * i + version},emea" for i in range(8)]
    rows += [f"bad{version},lead,2026-09-01T10:00:00Z,{ADDRESS},apac", f"late{version},lead,not-a-date,5,emea"]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _sql(folder, query, *parameters):
    with duckdb.connect(str(folder / ".coordkit" / "workspace.duckdb"), read_only=True) as con:
        return con.execute(query, list(parameters)).fetchall()


def _age_ingest(folder, ingest_id: int, days: int):
    with duckdb.connect(str(folder / ".coordkit" / "workspace.duckdb")) as con:
        con.execute("UPDATE ingest_log SET finished_at = finished_at - to_days(?) WHERE ingest_id = ?", [days, ingest_id])


def test_rejections_older_than_keep_days_are_pruned_by_the_next_ingest(tmp_path):
    folder = tmp_path / "ws"
    with open_workspace(folder) as ws:
        ws.ingest(_export(tmp_path / "deals.csv", 1), "outcomes")
        ws.ingest(_export(tmp_path / "deals.csv", 2), "outcomes")  # a new version: its own set
    assert _sql(folder, "SELECT count(*) FROM rejected_rows")[0][0] == 4
    _age_ingest(folder, 1, 91)  # the first version's ingest is past the default 90 days
    with open_workspace(folder) as ws:
        ws.ingest(_export(tmp_path / "other.csv", 3), "outcomes")
    kept = _sql(folder, "SELECT ingest_id, count(*) FROM rejected_rows GROUP BY ingest_id ORDER BY ingest_id")
    assert kept == [(2, 2), (3, 2)]
    # the ingest log keeps every ingest's counts, so totals still add up
    assert _sql(folder, "SELECT sum(rejected) FROM ingest_log")[0][0] == 6


def test_keep_days_from_coordkit_yaml_and_zero_keeps_none(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "coordkit.yaml").write_text("rejected_rows:\n  keep_days: 7\n", encoding="utf-8")
    with open_workspace(folder) as ws:
        ws.ingest(_export(tmp_path / "a.csv", 1), "outcomes")
    _age_ingest(folder, 1, 8)
    with open_workspace(folder) as ws:
        ws.ingest(_export(tmp_path / "b.csv", 2), "outcomes")
    assert _sql(folder, "SELECT DISTINCT ingest_id FROM rejected_rows") == [(2,)]
    (folder / "coordkit.yaml").write_text("rejected_rows:\n  keep_days: 0\n", encoding="utf-8")
    with open_workspace(folder) as ws:
        report = ws.ingest(_export(tmp_path / "c.csv", 3), "outcomes")
    assert report.rejected == 2 and len(report.rejections) == 2  # still printed by the ingest
    assert _sql(folder, "SELECT count(*) FROM rejected_rows")[0][0] == 0


@pytest.mark.hostile
def test_keep_values_false_keeps_where_and_why_but_no_value(tmp_path, capsys):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "coordkit.yaml").write_text("rejected_rows:\n  keep_values: false\n", encoding="utf-8")
    with open_workspace(folder) as ws:
        ws.ingest(_export(tmp_path / "deals.csv", 1), "outcomes")
    rows = _sql(folder, 'SELECT "row", "column", value, raw, reason FROM rejected_rows ORDER BY "row"')
    assert [(r[0], r[1]) for r in rows] == [(10, "amount"), (11, "created_at")]
    assert [r[2] for r in rows] == [None, None]
    assert [r[3] for r in rows] == ['{"team": "apac"}', '{"team": "emea"}']  # each team still counts its own
    assert all("deals.csv row" in r[4] and "(value not kept)" in r[4] for r in rows)
    assert not _sql(folder, "SELECT count(*) FROM rejected_rows WHERE contains(lower(reason), ?)", ADDRESS)[0][0]
    assert main(["prune", "--workspace", str(folder)]) == 0  # rewrites the store file
    assert ADDRESS.encode() not in (folder / ".coordkit" / "workspace.duckdb").read_bytes()


@pytest.mark.hostile
def test_turning_keep_values_off_strips_rows_already_kept_and_status_says_how_much_is_kept(tmp_path, capsys):
    folder = tmp_path / "ws"
    with open_workspace(folder) as ws:
        ws.ingest(_export(tmp_path / "deals.csv", 1), "outcomes")
    assert main(["status", "--workspace", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "rejected rows stored: 2 (all ingests, oldest from " in out and "2 with their raw values" in out
    assert "kept 90 days, values kept" in out
    (folder / "coordkit.yaml").write_text("rejected_rows:\n  keep_values: false\n", encoding="utf-8")
    assert main(["prune", "--workspace", str(folder)]) == 0
    assert "0 older than 90 days deleted, 2 stripped of their values" in capsys.readouterr().out
    assert _sql(folder, "SELECT count(*) FROM rejected_rows WHERE value IS NOT NULL")[0][0] == 0
    assert ADDRESS.encode() not in (folder / ".coordkit" / "workspace.duckdb").read_bytes()
    assert main(["status", "--workspace", str(folder)]) == 0
    assert "0 with their raw values; kept 90 days, values not kept" in capsys.readouterr().out


@pytest.mark.parametrize(("yaml_text", "line", "expected"), [
    ("rejected_rows:\n  keep_days: ninety\n", 2, r"rejected_rows.keep_days must be a whole number of days from 0 to 36500"),
    ("timezone: UTC\nrejected_rows:\n  keep_values: maybe\n", 3, r"rejected_rows.keep_values must be one of true, false; got 'maybe'"),
    ("rejected_rows:\n  keep: 3\n", 1, r"rejected_rows setting must be one of 'keep_days', 'keep_values'; got 'keep'"),
    ("rejected_rows:\n  keep_days: -1\n", 2, r"rejected_rows.keep_days must be .* from 0 to 36500 .*got -1"),
    ("rejected_rows: true\n", 1, r"rejected_rows must be a mapping with keep_days and/or keep_values"),
])
def test_a_bad_retention_setting_is_a_located_error_listing_what_is_allowed(tmp_path, yaml_text, line, expected):
    (tmp_path / "coordkit.yaml").write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ParameterError, match=rf"coordkit.yaml, line {line}: {expected}"):
        load_config(tmp_path)


def test_defaults_and_the_cli_exit_code_for_a_bad_setting(tmp_path, capsys):
    assert load_config(tmp_path).rejected_rows == {"keep_days": 90, "keep_values": True}
    folder = tmp_path / "ws"
    with open_workspace(folder) as ws:
        ws.ingest(_export(tmp_path / "deals.csv", 1), "outcomes")
    (folder / "coordkit.yaml").write_text("rejected_rows:\n  keep_days: 1.5\n", encoding="utf-8")
    assert main(["status", "--workspace", str(folder)]) == 2
    assert "coordkit.yaml, line 2: rejected_rows.keep_days" in capsys.readouterr().err


def test_without_values_blanks_quoted_values_only():
    reason = "f.csv row 12, column amount: 'a@b.example' is not a number; write plain numbers such as 1250.50"
    raw = '{"outcome_id": "12", "amount": "a@b.example"}'
    # "12" appears bare in "row 12" and stays; the quoted address goes
    assert without_values(reason, "a@b.example", raw) == (
        "f.csv row 12, column amount: (value not kept) is not a number; write plain numbers such as 1250.50")
