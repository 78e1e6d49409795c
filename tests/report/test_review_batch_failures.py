"""Issue 14: a batch renders every team it can and reports every failure on one line each, never a traceback.

The renders are replaced by stand-ins that fail the ways a real batch does (a
folder that cannot be written, a name too long for the file system, a cell
error, a bug), and kernels by a stand-in, so the test needs no Jupyter.
"""

from __future__ import annotations

import errno
import os
import threading
import time

import pytest

from coordkit.cli import main
from coordkit.errors import ReportError
from coordkit.report import review as review_module
from coordkit.report.review import (
    BatchReportError,
    RenderResult,
    remove_stale_scratch,
    render_reviews,
)

pytestmark = [pytest.mark.slow, pytest.mark.hostile]  # reads the session's demo workspace

FAILURES = {
    "apac": PermissionError(errno.EACCES, "Permission denied", "/srv/reviews/2026-W47/apac.html"),
    "emea": OSError(errno.ENAMETOOLONG, "File name too long", "x" * 300),
    "north-america": ReportError("review for team 'north-america' failed: cell 3 raised KeyError: 'pipeline'"),
}


class FakeKernel:
    def is_alive(self) -> bool:
        return True

    def shutdown_kernel(self, now: bool = False) -> None:
        pass


@pytest.fixture
def stand_ins(monkeypatch, tmp_path):
    def fake_render(workspace, week, team, model, out, parameters, context, kernel_manager=None):
        if team in FAILURES:
            raise FAILURES[team]
        path = tmp_path / f"{team}.html"
        path.write_text("ok", encoding="utf-8")
        return RenderResult(None, team, path, path, path, path, 0.0)

    monkeypatch.setattr(review_module, "render_review", fake_render)
    monkeypatch.setattr(review_module, "start_kernel", lambda workspace, kernel_name=None: FakeKernel())


def test_every_failure_is_listed_and_the_rest_is_written(demo_workspace, stand_ins):
    uncaught = []
    previous, threading.excepthook = threading.excepthook, lambda hook_args: uncaught.append(hook_args)
    try:
        with pytest.raises(BatchReportError) as caught:
            render_reviews(demo_workspace, all_teams=True, progress=False, workers=2)
    finally:
        threading.excepthook = previous
    assert uncaught == [], "a worker thread died with an exception"
    error = caught.value
    lines = error.message.splitlines()
    assert lines[0] == "3 of 4 reviews failed; the others were written:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["apac", "emea", "north-america"]
    assert "Permission denied" in lines[1] and "File name too long" in lines[2] and "KeyError" in lines[3]
    assert [r.team for r in error.results] == ["all"]


def test_the_cli_prints_what_was_written_then_each_failure(demo_workspace, stand_ins, capsys):
    assert main(["review", "--workspace", str(demo_workspace), "--all-teams"]) == ReportError.exit_code
    out = capsys.readouterr()
    assert out.out.startswith("all: ")
    lines = out.err.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("error: "))  # after the progress bar
    err = lines[first:]
    assert err[0].startswith("error: 3 of 4 reviews failed") and len(err) == 5 and err[-1].startswith("hint: ")
    assert "Traceback" not in out.err and "bug" not in out.err


def test_stale_scratch_folders_are_removed_and_fresh_ones_kept(tmp_path):
    old, fresh = tmp_path / ".rendering-old", tmp_path / ".rendering-new"
    old.mkdir()
    fresh.mkdir()
    (old / "review.ipynb").write_text("{}", encoding="utf-8")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert remove_stale_scratch(tmp_path) == [old]
    assert not old.exists() and fresh.exists()
