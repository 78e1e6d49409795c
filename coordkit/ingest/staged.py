"""Accepted rows the bulk path keeps out of pandas until the workspace inserts them.

A :class:`Staged` set is view ``accepted`` of the bulk path's private
in-memory DuckDB (memory capped, spilling to a temporary folder). The
workspace stores them in one of two ways:

- usually that DuckDB attaches the store (closed by the workspace meanwhile,
  so other processes could use it) and inserts the rows with
  ``INSERT ... SELECT`` from the view (:meth:`Workspace._write_from_staging
  <coordkit.ingest.workspace.Workspace._write_from_staging>`);
- when it cannot (another connection holds the store), the rows are written
  to a Parquet file in the folder and the DuckDB is closed
  (:meth:`Staged.to_parquet`), and the workspace's own connection inserts
  them from a view of the file.

``ReadResult.accepted`` builds a DataFrame only when asked;
:meth:`Staged.release` removes the folder once the rows are stored.
"""

from __future__ import annotations

import shutil
import weakref
from pathlib import Path

from coordkit.errors import CoordkitError

__all__ = ["Staged"]


def _free(holder: dict, folder: str) -> None:
    try:
        if holder.get("con") is not None:
            holder["con"].close()
    finally:
        holder["con"] = None
        shutil.rmtree(folder, ignore_errors=True)


class Staged:
    """Rows in view ``accepted`` of a private DuckDB, or in ``folder/accepted.parquet``."""

    kind = "VIEW"  # the workspace reads them through a view (of the file), never a copy

    def __init__(self, con, folder: Path, spec):
        self.folder, self.spec, self.rows, self.released = Path(folder), spec, 0, False
        #: how the workspace stored the rows: "attached" (this DuckDB wrote them) or "parquet" (the hand-over)
        self.route: str | None = None
        self._holder = {"con": con}
        self._finalizer = weakref.finalize(self, _free, self._holder, str(self.folder))

    @property
    def connection(self):
        """The DuckDB holding view ``accepted`` (None once the rows went to Parquet or were released)."""
        return self._holder["con"]

    @property
    def parquet(self) -> Path:
        return self.folder / "accepted.parquet"

    def to_parquet(self) -> None:
        """Write the rows to the Parquet file and close the DuckDB that held them."""
        con = self._holder["con"]
        con.execute(f"COPY (SELECT * FROM accepted) TO '{self._quoted()}' (FORMAT parquet, COMPRESSION snappy)")
        con.close()
        self.route = "parquet"
        self._holder["con"] = None

    def _quoted(self) -> str:
        return self.parquet.as_posix().replace("'", "''")

    def _select(self) -> str:
        # qualified: the writing connection's default catalog is then the attached store
        return f"read_parquet('{self._quoted()}')" if self._holder["con"] is None else "memory.main.accepted"

    def to_frame(self):
        """The accepted rows as the exact path's DataFrame (file order; booleans as True/False/None objects)."""
        if self.released:
            raise CoordkitError("the accepted rows were stored in the workspace and released; read them from there")
        import duckdb

        con = self._holder["con"] or duckdb.connect()
        frame = con.execute(f"SELECT * FROM {self._select()} ORDER BY _source_row").fetch_arrow_table().to_pandas()
        for column in self.spec.columns:
            if column.dtype in ("bool", "string"):
                values = frame[column.name].astype(object)
                frame[column.name] = values.where(values.notna(), None)
        frame["extras"] = frame["extras"].astype(object).where(frame["extras"].notna(), None)
        return frame

    def attach(self, db, source_file: str) -> str:
        """The relation the workspace connection ``db`` selects the rows from (with ``_source_file``)."""
        if self._holder["con"] is not None and db is not self._holder["con"]:
            self.to_parquet()
        name = source_file.replace("'", "''")
        return f"(SELECT *, '{name}' AS _source_file FROM {self._select()})"

    def detach(self, db) -> None:
        """After the write transaction: remove the rows."""
        self.release()

    def release(self) -> None:
        """Remove the staged rows (their DuckDB and their file)."""
        self.released = True
        self._finalizer()
