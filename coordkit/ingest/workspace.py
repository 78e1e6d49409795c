"""The workspace: one embedded DuckDB file holding the canonical tables.

A workspace is a folder. Its store is ``.coordkit/workspace.duckdb`` (reached
through Ibis, so the same expressions can later run on another backend), its
settings are ``coordkit.yaml``. Ingesting is idempotent: rows are upserted by
their key, so the same or an overlapping export ingested again updates rows
and never duplicates them. Every ingest is logged with the file's content
hash and its counts; rejected rows are kept with their reasons.

Writes go through DuckDB SQL directly (an anti-joined ``INSERT`` and an
``UPDATE ... FROM``, :mod:`coordkit.ingest.store_write`) because Ibis has no
upsert; everything that reads goes through Ibis. The canonical tables have no PRIMARY KEY: keeping DuckDB's ART
index up to date cost more than the rest of a million-row insert and grew
with the table; the write checks in SQL that the incoming keys are unique and
filled, and inserts only keys the table does not hold, in one transaction
under the write lock. (Stores made before keep their key; both work.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from coordkit.config import WorkspaceConfig, load_config
from coordkit.contract import TABLES, table_spec
from coordkit.errors import CoordkitError, WorkspaceError, WorkspaceLockedError
from coordkit.ingest.backends import connect_backend, is_embedded
from coordkit.ingest.filehash import file_hash, hash_in_background
from coordkit.ingest.ingest_report import IngestReport
from coordkit.ingest.retention import apply_retention
from coordkit.ingest.store_write import (
    LOG_DDL,
    META_COLUMNS,
    REJECTED_DDL,
    SQL_TYPES,
    column_ddl,
    log_ingest,
    next_ingest_id,
    store_rejections,
    table_ddl,
    upsert_rows,
)

if TYPE_CHECKING:  # the engine is imported when a workspace is opened, not when its paths are asked for
    import duckdb
    import pandas as pd

    from coordkit.ingest.validate import ReadResult

__all__ = [
    "STORE_DIR",
    "STORE_FILE",
    "IngestReport",
    "Workspace",
    "data_state",
    "data_state_path",
    "ingest_files",
    "is_workspace",
    "open_workspace",
    "store_path",
]

STORE_DIR = ".coordkit"
STORE_FILE = "workspace.duckdb"
#: bulk ingests' spill and hand-over folders (coordkit.ingest.scratch), inside STORE_DIR
SCRATCH_DIR = "scratch"
#: DuckDB memory_limit while an ingest writes (validation's DuckDB has its own, bulk_path); when the bulk
#: path's DuckDB writes into the attached store, its staged rows share it. At 500 MB the re-ingest's
#: compare join of 1M rows spilled (31 s instead of 17 s, before the store was attached); 650 MB
#: costs no time against 750 MB at 1M rows (first 4.8-4.9 s, again 4.1-4.2 s) and peaks 860-880 MB
#: instead of 890-950 (benchmarks/ingest.py)
STORE_WRITE_MEMORY = "650MB"
#: the store's name while the bulk path's DuckDB has it attached (Workspace._write_from_staging)
_ATTACHED_STORE = "coordkit_store"
#: rewritten after every ingest; caches of derived data key on it
DATA_STATE_FILE = "data-state"
# the store's column types (tests and older callers import them from here)
_SQL_TYPES, _META_COLUMNS = SQL_TYPES, META_COLUMNS
class Workspace:
    """An open workspace folder and its embedded store.

    >>> ws = open_workspace("demo")               # doctest: +SKIP
    >>> ws.table("outcomes").count().execute()    # doctest: +SKIP
    1532
    """

    def __init__(self, path: Path, config: WorkspaceConfig, read_only: bool, backend=None):
        self.path = path
        self.config = config
        self.db_path = path / STORE_DIR / STORE_FILE
        self._lock = FileLock(str(path / STORE_DIR / "write.lock"))
        #: None for the embedded store, else the Ibis backend the tables are read from in place
        self.backend = None if is_embedded(backend) else connect_backend(backend)
        # only a connection opened here from a URL is closed here: disconnecting an
        # Ibis PySpark backend stops the whole (shared) SparkSession
        self._owns_con = self.backend is None or (isinstance(backend, str) and self.backend.name != "pyspark")
        # an external backend is read, never written: ingest into the warehouse itself
        self.read_only = read_only or self.backend is not None
        #: the bulk path's DuckDB while it writes into the attached store (else None)
        self._writer = None
        self.con = self._connect()

    # --- connection ----------------------------------------------------------

    def _connect(self, schema: bool = True):
        if self.backend is not None:
            return self.backend
        import duckdb
        import ibis

        deadline = time.monotonic() + self.config.lock_timeout_seconds
        while True:
            try:
                con = ibis.duckdb.connect(str(self.db_path), read_only=self.read_only)
                break
            except (duckdb.IOException, duckdb.Error) as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    if "Permission denied" in text or "Read-only file system" in text:
                        raise WorkspaceError(
                            f"{self.db_path}: no permission to open the workspace store ({text.splitlines()[0]})",
                            hint="ask for write access to the folder, or use a read-only command (status, review); "
                            "never move or delete the store: check-in notes live only there") from None
                    # never suggest a step that loses the check-in notes, which live only in the store
                    raise WorkspaceError(f"{self.db_path}: cannot open the workspace store ({text.splitlines()[0]})",
                                         hint="keep the .coordkit folder as it is (check-in notes live only in its store) "
                                         "and copy it somewhere safe; if `coordkit checkins export FILE` can still read "
                                         "them, export them, rebuild the store from the exports and "
                                         "`coordkit checkins import FILE`") from None
                if time.monotonic() > deadline:
                    raise WorkspaceLockedError(
                        f"workspace {self.path} is in use by another process (it holds {self.db_path}; "
                        f"waited {self.config.lock_timeout_seconds:g} s)",
                        hint="wait for the other ingest or notebook kernel to finish, or stop it, then try again; "
                        "or raise lock_timeout_seconds in coordkit.yaml",
                    ) from None
                time.sleep(0.25)
        con.raw_sql("SET TimeZone = 'UTC'")
        # DuckDB's own bar floods a redirected stderr during long upserts; coordkit prints its own
        con.raw_sql("SET enable_progress_bar = false")
        if not self.read_only and schema:
            for spec in TABLES.values():
                con.raw_sql(table_ddl(spec))
                # a store made by an older coordkit lacks columns the contract added since
                for column in spec.columns:
                    con.raw_sql(f'ALTER TABLE "{spec.name}" ADD COLUMN IF NOT EXISTS {column_ddl(column.name, _SQL_TYPES[column.dtype])}')
            con.raw_sql(LOG_DDL)
            con.raw_sql(REJECTED_DDL)
        return con

    @contextlib.contextmanager
    def _store_released(self):
        """Close the store while this process reads and validates a file, then open it again.

        DuckDB lets one process hold a store file for writing, and nobody else
        open it meanwhile: holding it through a long validation made check-in
        saves and reviews in other processes fail. Reopening waits for them
        (up to ``lock_timeout_seconds``).
        """
        if self.backend is not None or not self._owns_con or self.read_only:
            yield False
            return
        self.close()
        try:
            yield True
        finally:
            self.con = self._connect(schema=False)  # the tables were made when it was first opened

    @property
    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection, for writes Ibis cannot express.

        While a bulk ingest writes, this is the bulk path's own DuckDB with the store attached
        (see :meth:`_store_attached_to`).
        """
        return self._writer if self._writer is not None else self.con.con

    def close(self) -> None:
        if not self._owns_con:
            return
        try:
            self.con.disconnect()
        except Exception:  # already closed
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- reading ---------------------------------------------------------------

    def table(self, name: str, *, canonical_campaigns: bool = True):
        """Return a canonical table (or ``ingest_log`` / ``rejected_rows``) as an Ibis table.

        Campaign labels come back as their canonical campaign when the workspace
        has a campaign map (:mod:`coordkit.ingest.campaign_map`); pass
        ``canonical_campaigns=False`` for the labels exactly as exported.
        """
        if name not in TABLES and name not in ("ingest_log", "rejected_rows", "checkins"):
            table_spec(name)  # raises with the allowed names
        if name not in self.con.list_tables():
            if name in TABLES:
                raise WorkspaceError(f"workspace {self.path} has no {name!r} table yet", hint=f"run: coordkit ingest FILE --as {name}")
            raise WorkspaceError(f"workspace {self.path} has no {name!r} table yet")
        table = self.con.table(name)
        from coordkit.ingest.campaign_map import apply_campaign_map

        return apply_campaign_map(self.path, name, table) if canonical_campaigns and name in TABLES else table

    def ingest_log(self) -> pd.DataFrame:
        """Every ingest so far, newest last."""
        return self.table("ingest_log").order_by("ingest_id").execute()

    def rejected_rows(self, latest_only: bool = True) -> pd.DataFrame:
        """Rejected rows with their reasons; by default only from each file's latest ingest."""
        rejected = self.table("rejected_rows").execute()
        if latest_only and not rejected.empty:
            log = self.ingest_log()
            ok = log[log["status"] == "ok"]
            latest = ok.groupby(["file", "table_name"])["ingest_id"].max()
            rejected = rejected[rejected["ingest_id"].isin(latest.to_numpy())]
        return rejected.sort_values(["ingest_id", "row"]).reset_index(drop=True)

    def status(self) -> pd.DataFrame:
        """One row per canonical table: rows, first and last timestamp, ingests, rejected rows."""
        log = self.ingest_log()
        rejected = self.rejected_rows()
        records = []
        for spec in TABLES.values():
            t = self.con.table(spec.name)
            row = {"table": spec.name, "rows": int(t.count().execute())}
            time_column = spec.time_column or ("week" if "week" in spec.column_names else None)
            if time_column:
                bounds = t.aggregate(first=t[time_column].min(), last=t[time_column].max()).execute()
                row["first"], row["last"] = bounds["first"].iloc[0], bounds["last"].iloc[0]
            else:
                row["first"] = row["last"] = None
            row["ingests"] = int((log["table_name"] == spec.name).sum()) if not log.empty else 0
            row["rejected_rows"] = int((rejected["table_name"] == spec.name).sum()) if not rejected.empty else 0
            records.append(row)
        import pandas as pd

        return pd.DataFrame(records)

    # --- writing ---------------------------------------------------------------

    def ingest(self, path: str | Path, table: str, preset=None, **read_options) -> IngestReport:
        """Validate one file and upsert its accepted rows; log the ingest either way."""
        if self.read_only:
            raise WorkspaceError(f"workspace {self.path} was opened read-only", hint="open it with read_only=False to ingest")
        path = Path(path)
        started = dt.datetime.now(dt.UTC)
        hashing = hash_in_background(path)  # only the write needs it
        preset_name = str(preset) if preset else "canonical"
        result = report = None
        try:
            from coordkit.ingest.validate import read_table

            with self._store_released() as released:  # other processes may open the store meanwhile
                result = read_table(path, table, preset, config=self.config, for_store=True,
                                    scratch=self.path / STORE_DIR / SCRATCH_DIR, **read_options)
                if released and result.staged is not None and result.staged.connection is not None:
                    report = self._write_from_staging(result, path, started, *hashing.result())
            if report is None:
                report = self._write(result, path, started, *hashing.result())
        except BaseException as exc:
            if result is not None and result.staged is not None:
                result.staged.release()  # a failed write frees the staged rows now, not when collected
            if result is None and isinstance(exc, CoordkitError):
                # the file could not be read: log it, so status and the next review name it
                self.record_failed_ingest(path, table, preset_name, exc.message, started=started)
            raise
        if result.staged is not None:
            result.staged.detach(self.duckdb)
        self._mark_data_changed(report.ingest_id)
        report.rejections = result.rejected
        report.result = result
        return report

    def _write(self, result: ReadResult, path: Path, started, content_hash, size) -> IngestReport:
        """Upsert the accepted rows, log the ingest and keep its rejections: one transaction under the write lock.

        Reading and validating happen before, outside the lock: only the write transaction holds it.
        """
        with self._memory_capped(), self.write_lock():  # the commit writes under the cap too
            report = self._upsert(result, path)
            report.ingest_id = self._log(report, started, content_hash, size, result)
            self._store_rejections(report.ingest_id, result, content_hash)
            apply_retention(self.duckdb, self.config.rejected_rows)  # coordkit.yaml's rejected_rows setting
        return report

    def _write_from_staging(self, result: ReadResult, path: Path, started, content_hash, size) -> IngestReport | None:
        """:meth:`_write` run by the bulk path's DuckDB, which attaches the store, or None when it cannot.

        The accepted rows then go from the validation's table into the store in one
        ``INSERT ... SELECT``, never through a Parquet file: at 1M rows the hand-over
        took 1.7 s of the 6.2 s ingest. Only while the store is released (no connection of
        this process holds it) and only if it is free right away; otherwise the rows take
        the Parquet hand-over and the store is reopened the usual way (which waits for it).
        """
        with self._store_attached_to(result.staged.connection) as con:
            if con is None:
                return None
            self._writer = con
            try:
                report = self._write(result, path, started, content_hash, size)
            finally:
                self._writer = None
            result.staged.route = "attached"
            return report

    @contextlib.contextmanager
    def _store_attached_to(self, con):
        """``con`` with the store attached as its default catalog, or None when the store cannot be attached now."""
        import duckdb

        store = "'" + str(self.db_path).replace("'", "''") + "'"
        try:
            con.execute(f"ATTACH {store} AS {_ATTACHED_STORE}")
        except duckdb.Error:  # held by another process, or by another connection of this one
            yield None
            return
        try:
            con.execute(f"USE {_ATTACHED_STORE}")
            con.execute("SET TimeZone = 'UTC'")
            yield con
        finally:
            con.execute("USE memory")
            con.execute(f"DETACH {_ATTACHED_STORE}")

    @contextlib.contextmanager
    def _memory_capped(self):
        """Cap the store's memory for an ingest's write, so it spills (``workspace.duckdb.tmp``) rather than grows.

        The rows come from a Parquet file and the key checks are joins: without a cap DuckDB may use
        most of the machine's memory on a 10-million-row file; reviews keep the default afterwards.
        """
        if self.backend is not None:
            yield
            return
        self.duckdb.execute(f"SET memory_limit = '{STORE_WRITE_MEMORY}'")
        try:
            yield
        finally:
            self.duckdb.execute("RESET memory_limit")

    def record_failed_ingest(self, path: str | Path, table: str, preset: str, message: str, *, started=None) -> int:
        """Log a file that could not be ingested, so ``status`` and the next review name it.

        ``table`` is ``""`` for a download no preset recognised: it has no table yet,
        and any later successful ingest of the same file supersedes the failure.
        """
        path = Path(path)
        content_hash, size = file_hash(path) if path.is_file() else (None, None)
        report = IngestReport(path, table, preset or "", "failed", message=message)
        with self.write_lock():
            report.ingest_id = self._log(report, started or dt.datetime.now(dt.UTC), content_hash, size, None)
        self._mark_data_changed(report.ingest_id)  # the next review must name the failure (its cache keys on this)
        return report.ingest_id

    def mark_data_changed(self, reason: str = "campaign map") -> None:
        """Tell caches of derived data that what the tables read as has changed (a new campaign map)."""
        self._mark_data_changed(reason)

    def _mark_data_changed(self, ingest_id: int | str) -> None:
        """Record the latest ingest in a small file, so caches can tell new data from other writes
        (a check-in note also changes the store file, but not the data a review shows)."""
        state = data_state_path(self.path)
        state.write_text(f"{ingest_id} {time.time_ns()}\n", encoding="utf-8")

    def write_lock(self):
        """Context manager: hold the workspace's write lock and one transaction (committed on success).

        Hold it only around writes: readers and validation run outside it, so
        a long ingest does not block check-in saves and reviews.
        """
        lock = self._lock

        class _Guard:
            def __enter__(inner):
                waited = time.monotonic()
                try:
                    lock.acquire(timeout=self.config.lock_timeout_seconds)
                except Timeout:
                    raise WorkspaceLockedError(
                        f"workspace {self.path} is being written by another process "
                        f"(waited {time.monotonic() - waited:.0f} s for {lock.lock_file})",
                        hint="wait for the other ingest to finish and try again, or raise lock_timeout_seconds "
                        f"in {self.path / 'coordkit.yaml'} (now {self.config.lock_timeout_seconds:g})",
                    ) from None
                self.duckdb.begin()

            def __exit__(inner, exc_type, exc, tb):
                try:
                    if exc_type is None:
                        self.duckdb.commit()
                    else:
                        self.duckdb.rollback()
                finally:
                    lock.release()

        return _Guard()

    def _upsert(self, result: ReadResult, path: Path) -> IngestReport:
        """Insert the new rows and update the changed ones (:func:`coordkit.ingest.store_write.upsert_rows`)."""
        spec = table_spec(result.table)
        report = IngestReport(
            path, spec.name, result.preset, "ok", rows_read=result.rows_read, accepted=result.accepted_count,
            rejected=len(result.rejected), merged_duplicates=result.merged_duplicates, warnings=list(result.warnings),
        )
        if not result.accepted_count:
            return report
        ingest_id = next_ingest_id(self.duckdb)
        report.inserted, report.updated, report.unchanged, report.late = upsert_rows(
            self.duckdb, spec, result, path, ingest_id, timezone=self.config.timezone, week_start=self.config.week_start)
        self._reserved_ingest_id = ingest_id
        return report

    def _log(self, report: IngestReport, started, content_hash, size, result: ReadResult | None) -> int:
        ingest_id = getattr(self, "_reserved_ingest_id", None) or next_ingest_id(self.duckdb)
        self._reserved_ingest_id = None
        log_ingest(self.duckdb, ingest_id, report, started, content_hash, size, result)
        return ingest_id

    def _store_rejections(self, ingest_id: int, result: ReadResult, content_hash: str | None) -> None:
        store_rejections(self.duckdb, ingest_id, result, content_hash)


def store_path(folder: str | Path) -> Path:
    """The embedded store of the workspace in ``folder`` (it may not exist yet)."""
    return Path(folder) / STORE_DIR / STORE_FILE


def data_state_path(folder: str | Path) -> Path:
    """The small file every ingest rewrites; caches of derived data key on it."""
    return Path(folder) / STORE_DIR / DATA_STATE_FILE


def is_workspace(folder: str | Path) -> bool:
    """True when ``folder`` holds an embedded coordkit store."""
    return store_path(folder).exists()


def data_state(folder: str | Path) -> str | None:
    """A text that changes whenever an ingest changes the data, or None without a store.

    Only ingests rewrite the data-state file, so saving a check-in note (which also writes the store) keeps
    it. A workspace made by an older coordkit has no such file: the store's size and time stand in.
    """
    try:
        return data_state_path(folder).read_text(encoding="utf-8").strip()
    except OSError:
        pass
    try:
        stat = store_path(folder).stat()
    except OSError:
        return None
    return f"store-{stat.st_mtime_ns}-{stat.st_size}"


def open_workspace(path: str | Path = ".", *, read_only: bool = False, create: bool = True, backend=None) -> Workspace:
    """Open (and by default create) the workspace in folder ``path``.

    ``backend`` chooses where the canonical tables are read: None (default) is
    the embedded DuckDB store in the folder; a URL (``postgres://...``,
    ``bigquery://project/dataset``, ``snowflake://...``, ``duckdb:///file``),
    ``"pyspark"`` or a connection object (an Ibis backend, a SparkSession, a
    DuckDB connection) reads them in place there, read-only (see
    ``coordkit.ingest.backends`` and docs/scale.md). The folder still holds
    ``coordkit.yaml``.

    >>> ws = open_workspace("demo", read_only=True)   # doctest: +SKIP
    >>> ws = open_workspace("team", backend=ibis.pyspark.connect(spark))   # doctest: +SKIP
    """
    folder = Path(path).expanduser()
    store = folder / STORE_DIR / STORE_FILE
    config = load_config(folder)
    # coordkit.yaml may name the backend (a URL or "pyspark"), so every command and notebook
    # pointed at this folder reads the warehouse without code changes
    backend = backend if backend is not None else config.backend
    if not is_embedded(backend):
        return Workspace(folder, config, read_only, backend=backend)
    if not store.exists():
        if read_only or not create:
            raise WorkspaceError(
                f"{folder} is not a coordkit workspace (no {STORE_DIR}/{STORE_FILE})",
                hint=f"create one with `coordkit init {folder}` (or `coordkit ingest FILE ... --workspace {folder} --create`), "
                "or try `coordkit demo` for a demo workspace",
            )
        (folder / STORE_DIR).mkdir(parents=True, exist_ok=True)
    return Workspace(folder, config, read_only)


def ingest_files(workspace: str | Path | Workspace, paths, table: str, preset=None, **read_options) -> list[IngestReport]:
    """Ingest several files into one table; a failing file is logged and reported, the others go on."""
    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace)
    reports = []
    try:
        for path in paths:
            try:
                reports.append(ws.ingest(path, table, preset, **read_options))
            except CoordkitError as exc:
                reports.append(IngestReport(Path(path), table, str(preset or "canonical"), "failed", message=exc.message))
    finally:
        if not isinstance(workspace, Workspace):
            ws.close()
    return reports
