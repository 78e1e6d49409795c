"""Accepted rows the bulk path keeps in DuckDB until the workspace inserts them.

A :class:`Staged` set is table ``accepted`` of the bulk path's own DuckDB
connection (in memory, spilling to a temporary folder beyond its memory cap),
closed and removed when the set is garbage-collected. The workspace reads it
as an Arrow stream into its own ``INSERT ... SELECT``, so the rows never pass
through pandas; ``ReadResult.accepted`` builds a DataFrame only when asked.
"""

from __future__ import annotations

import shutil
import weakref
from pathlib import Path

__all__ = ["Staged"]

#: DuckDB's memory cap while the workspace inserts staged rows (joins and sorts spill to disk beyond it)
INSERT_MEMORY_LIMIT = "500MB"


def _release(con, folder: str) -> None:
    try:
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Staged:
    """Rows in table ``accepted`` of ``con``: canonical columns, extras, _source_row."""

    def __init__(self, con, folder: Path, rows: int, spec):
        self.con, self.folder, self.rows, self.spec = con, Path(folder), int(rows), spec
        self._memory_limit = None
        self._finalizer = weakref.finalize(self, _release, con, str(self.folder))

    def to_frame(self):
        """The accepted rows as the exact path's DataFrame (file order; booleans as True/False/None objects)."""
        frame = self.con.execute("SELECT * FROM accepted ORDER BY _source_row").fetch_arrow_table().to_pandas()
        for column in self.spec.columns:
            if column.dtype in ("bool", "string"):
                values = frame[column.name].astype(object)
                frame[column.name] = values.where(values.notna(), None)
        frame["extras"] = frame["extras"].astype(object).where(frame["extras"].notna(), None)
        return frame

    def attach(self, db, source_file: str) -> str:
        """Stream the rows into the workspace connection ``db``; return the name to select them from (once)."""
        self._memory_limit = db.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        db.execute(f"SET memory_limit = '{INSERT_MEMORY_LIMIT}'")
        name = source_file.replace("'", "''")
        reader = self.con.execute(f"SELECT *, '{name}' AS _source_file FROM accepted").to_arrow_reader(100_000)
        db.register("_bulk_incoming", reader)
        return "_bulk_incoming"

    def detach(self, db) -> None:
        """After the write transaction: forget the stream and restore the memory limit."""
        try:
            db.unregister("_bulk_incoming")
        finally:
            if self._memory_limit:
                db.execute(f"SET memory_limit = '{self._memory_limit}'")
                self._memory_limit = None

    def remove(self) -> None:
        self._finalizer()
