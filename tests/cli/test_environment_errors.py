"""Issue 14: failures of the machine get their own one-line message and exit code, never "this is a bug"."""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest

from coordkit import cli
from coordkit.cli import (
    EXIT_BROKEN_PIPE,
    EXIT_CANNOT_CREATE,
    EXIT_INTERRUPTED,
    EXIT_IO,
    EXIT_NO_PERMISSION,
    main,
)
from coordkit.errors import WorkspaceError

pytestmark = pytest.mark.hostile


def assert_one_clean_error(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err and "this is a bug" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: ") and all(line.startswith(("error: ", "hint: ")) for line in lines), err


def failing_handler(monkeypatch, exc: BaseException) -> None:
    """Make `coordkit presets` raise ``exc`` the way a write deep inside a command would."""
    import coordkit.cli.ingest_cmd as ingest_cmd

    def boom(args):
        raise exc

    monkeypatch.setattr(ingest_cmd, "run_presets", boom)


@pytest.mark.parametrize(("exc", "code", "words"), [
    (PermissionError(errno.EACCES, "Permission denied", "/srv/reports/2026-W47"), EXIT_NO_PERMISSION, "permission denied"),
    (OSError(errno.EROFS, "Read-only file system", "/mnt/ro/out.csv"), EXIT_NO_PERMISSION, "permission denied"),
    (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/tmp/report.html/2026-W47"), EXIT_CANNOT_CREATE, "a file is in the way"),
    (OSError(errno.ENOSPC, "No space left on device", "/tmp/out.csv"), EXIT_IO, "the disk is full"),
    (OSError(errno.EIO, "Input/output error", "/tmp/x"), EXIT_IO, "Input/output error"),
])
def test_environment_failures_are_one_line_with_their_own_code(monkeypatch, capsys, exc, code, words):
    failing_handler(monkeypatch, exc)
    assert main(["presets"]) == code
    err = capsys.readouterr().err
    assert_one_clean_error(err)
    assert words in err and exc.filename in err


def test_ctrl_c_is_interrupted_not_a_bug(monkeypatch, capsys):
    failing_handler(monkeypatch, KeyboardInterrupt())
    assert main(["presets"]) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err.startswith("interrupted") and "bug" not in err


def test_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    failing_handler(monkeypatch, BrokenPipeError(errno.EPIPE, "Broken pipe"))
    monkeypatch.setattr(cli, "_silence_stdout", lambda: None)  # pytest's captured stdout has no real descriptor
    assert main(["presets"]) == EXIT_BROKEN_PIPE
    assert capsys.readouterr().err == ""


def test_duckdb_disk_and_permission_failures_are_recognised():
    class IOException(Exception):
        pass

    assert cli.environment_failure(IOException('IO Error: Could not write file "x": No space left on device'))[0] == EXIT_IO
    assert cli.environment_failure(IOException("IO Error: Cannot open file: Permission denied"))[0] == EXIT_NO_PERMISSION
    assert cli.environment_failure(ValueError("a real bug")) is None


def test_a_file_where_the_output_folder_should_be(tmp_path, capsys):
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["init", str(tmp_path / "ws")]) == 0
    assert main(["checkins", "export", str(blocker / "notes.json"), "--workspace", str(tmp_path / "ws")]) == EXIT_CANNOT_CREATE
    err = capsys.readouterr().err
    assert_one_clean_error(err)
    assert str(blocker) in err
    assert main(["notebooks", str(blocker / "nb")]) == EXIT_CANNOT_CREATE


def test_a_full_disk_while_writing(tmp_path, capsys):
    # /dev/full answers every write with ENOSPC, as a full disk does
    export = tmp_path / "deals.csv"
    export.write_text("outcome_id,kind,created_at,contact_id,amount\n1,lead,2026-11-16,c,12k\n"
                      + "".join(f"{n},lead,2026-11-16,c,1\n" for n in range(2, 10)), encoding="utf-8")
    assert main(["validate", str(export), "--as", "outcomes", "--rejected-out", "/dev/full"]) == EXIT_IO
    err = capsys.readouterr().err
    assert_one_clean_error(err)
    assert "the disk is full" in err


@pytest.mark.slow
def test_output_piped_into_head_exits_quietly():
    # a real pipe whose reader leaves after one line, as `coordkit status | head -1` does; the command
    # prints far more than a pipe buffers (status and validate group their lines, so a stand-in prints)
    child = (
        "import sys, coordkit.cli as cli, coordkit.cli.ingest_cmd as commands\n"
        "def many(args):\n"
        "    for n in range(20000):\n"
        "        print(f'line {n} ' + 'x' * 80)\n"
        "commands.run_presets = many\n"
        "sys.exit(cli.main(['presets']))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().startswith(b"line 0")
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == EXIT_BROKEN_PIPE, err.decode()
    assert err == b"", err.decode()


def test_a_damaged_store_hint_keeps_the_notes(tmp_path):
    from coordkit.ingest.workspace import open_workspace

    assert main(["init", str(tmp_path)]) == 0
    (tmp_path / ".coordkit" / "workspace.duckdb").write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError) as caught:
        open_workspace(tmp_path, read_only=True)
    hint = caught.value.hint
    assert "checkins export" in hint and "keep the .coordkit folder" in hint
    assert "move it away" not in hint and "delete" not in hint
