"""Scratch folders of bulk ingests: one per ingest, named after its process, removed when a killed one left it.

The bulk path stages a large export in a private DuckDB that spills to disk
and hands the accepted rows over as a Parquet file: both live in a folder made
here. During a workspace ingest the folder is inside the workspace
(``.coordkit/scratch``), so spill files land on the workspace's disk, not in a
system temporary folder that may be held in memory. A normal end (or an
exception) removes the folder; a killed process cannot, so every new bulk
ingest first removes the folders whose process no longer runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["PREFIX", "make_scratch", "remove_stale_scratch"]

PREFIX = "coordkit-bulk-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def remove_stale_scratch(parent: Path) -> list[Path]:
    """Remove ``coordkit-bulk-<pid>-*`` folders in ``parent`` whose process has ended; return them."""
    removed = []
    try:
        entries = list(Path(parent).glob(PREFIX + "*"))
    except OSError:
        return removed
    for folder in entries:
        pid_text = folder.name[len(PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or not folder.is_dir():
            continue
        if int(pid_text) != os.getpid() and not _running(int(pid_text)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def make_scratch(parent: str | Path | None = None) -> Path:
    """A new scratch folder in ``parent`` (default: the system's temporary folder), after removing stale ones."""
    parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(parent)
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
