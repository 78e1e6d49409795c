"""The CLI prints a message and a hint, never a traceback, and exits with the documented code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coordkit.cli import main
from coordkit.errors import ReadError, SchemaError


def test_malformed_file_names_file_row_column_and_value_without_traceback(tmp_path, capsys):
    path = tmp_path / "deals.csv"
    path.write_text("outcome_id,kind,created_at,contact_id,amount\n1,lead,2026-11-16,c,100\n2,lead,2026-11-16,c,12k\n"
                    + "3,lead,2026-11-16,c,1\n" * 3, encoding="utf-8")
    code = main(["ingest", str(path), "--as", "outcomes", "--workspace", str(tmp_path / "ws"), "--create"])
    out = capsys.readouterr()
    assert code == 0
    assert "deals.csv row 3, column amount: '12k' is not a number" in out.out
    assert "Traceback" not in out.out + out.err


def test_missing_column_exits_with_schema_code_and_hint(tmp_path, capsys):
    path = tmp_path / "deals.csv"
    path.write_text("id,foo\n1,2\n", encoding="utf-8")
    code = main(["validate", str(path), "--as", "outcomes"])
    err = capsys.readouterr().err
    assert code == SchemaError.exit_code == 3
    assert err.startswith("error: deals.csv: missing column 'outcome_id'")
    assert "hint: the file's columns are: 'id', 'foo'" in err
    assert "Traceback" not in err


def test_empty_file_error(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert main(["validate", str(path), "--as", "outcomes"]) == ReadError.exit_code
    assert "error: empty.csv: the file is empty (0 bytes)" in capsys.readouterr().err


def test_debug_flag_shows_the_traceback(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    main(["--debug", "validate", str(path), "--as", "outcomes"])
    assert "Traceback" in capsys.readouterr().err


def test_unknown_preset_lists_allowed_values(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    assert main(["validate", str(path), "--preset", "nope"]) == 2
    assert "preset must be one of 'canonical'" in capsys.readouterr().err


def test_status_of_a_folder_that_is_not_a_workspace(tmp_path, capsys):
    assert main(["status", "--workspace", str(tmp_path)]) == 5
    assert "is not a coordkit workspace" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_runs_in_a_subprocess(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("outcome_id,kind,created_at\n1,lead,never\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "coordkit", "validate", str(path), "--as", "outcomes"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 4
    assert "bad.csv: 1 of 1 rows are invalid" in done.stderr and "row 2, column created_at: 'never'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_warning_is_printed_with_one_label(tmp_path, capsys):
    path = tmp_path / "deals.csv"
    path.write_text("outcome_id,kind,created_at,amount\n1,lead,2099-11-16,100\n2,lead,2026-11-16,5\n", encoding="utf-8")
    for command in (["validate", str(path), "--as", "outcomes"],
                    ["ingest", str(path), "--as", "outcomes", "--workspace", str(tmp_path / "ws"), "--create"]):
        assert main(command) == 0
        out = capsys.readouterr().out
        assert "warning: deals.csv row 2, column created_at: '2099-11-16' is more than" in out
        assert "warning: warning" not in out
