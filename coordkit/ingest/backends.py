"""Connect a workspace to any Ibis backend: embedded DuckDB by default, or the
warehouse / cluster where the canonical tables already live.

``connect_backend`` accepts

* ``None`` or ``"duckdb"``: the embedded store (the workspace opens its own file);
* a URL understood by ``ibis.connect``: ``duckdb:///path/store.duckdb``,
  ``postgres://user:pass@host:5432/db``, ``bigquery://project/dataset``,
  ``snowflake://user:pass@account/database/schema?warehouse=wh``,
  ``trino://...``, ``mssql://...`` and so on (each needs its
  ``ibis-framework[<name>]`` extra);
* ``"pyspark"``: the active SparkSession (``SparkSession.getActiveSession()``);
* a connection object: an Ibis backend (``ibis.pyspark.connect(spark)``,
  ``ibis.bigquery.connect(...)``), a ``pyspark.sql.SparkSession``, or a raw
  ``duckdb.DuckDBPyConnection``.

Tables are read in place: no ingest step copies them out. The backend must
hold the canonical tables (``outputs``, ``touchpoints``, ``outcomes``, ...) under
their canonical names and columns, in its current database / schema unless
``database`` is given.
"""

from __future__ import annotations

from typing import Any

from coordkit.errors import WorkspaceError

__all__ = ["EMBEDDED", "backend_name", "connect_backend", "is_embedded"]

#: the name that means "the workspace's own DuckDB file"
EMBEDDED = "duckdb"


def is_embedded(backend: Any) -> bool:
    """True when ``backend`` asks for the workspace's own embedded DuckDB store."""
    return backend is None or (isinstance(backend, str) and backend.strip().lower() in (EMBEDDED, "embedded"))


def connect_backend(backend: Any):
    """Return an Ibis backend for ``backend`` (a URL, a name or a connection object).

    >>> connect_backend("duckdb://")          # doctest: +SKIP
    <ibis.backends.duckdb.Backend object at ...>
    """
    import ibis

    if is_embedded(backend):
        raise WorkspaceError("the embedded DuckDB store is opened by the workspace itself, not here")
    if isinstance(backend, ibis.BaseBackend):
        return backend
    if isinstance(backend, str):
        text = backend.strip()
        if text.lower() in ("pyspark", "spark"):
            return _spark_backend(_active_spark_session())
        if "://" not in text:
            raise WorkspaceError(
                f"backend {backend!r} is neither a URL nor a known name",
                hint="give a URL such as 'postgres://user@host/db', 'bigquery://project/dataset', "
                "'duckdb:///path/file.duckdb', or 'pyspark' for the active Spark session",
            )
        try:
            return ibis.connect(text)
        except ImportError as exc:
            scheme = text.split("://", 1)[0]
            raise WorkspaceError(
                f"backend {scheme!r} needs a driver that is not installed ({exc})",
                hint=f"pip install 'ibis-framework[{scheme}]'",
            ) from None
        except Exception as exc:  # noqa: BLE001 - the driver's own error says what is wrong with the URL
            raise WorkspaceError(f"cannot connect to backend {_redact(text)}: {_first_line(exc)}") from None
    module = type(backend).__module__
    if module.startswith("pyspark.sql"):
        return _spark_backend(backend)
    if module.startswith(("duckdb", "_duckdb")):
        return ibis.duckdb.from_connection(backend)
    raise WorkspaceError(
        f"backend of type {type(backend).__name__} is not supported",
        hint="pass an Ibis backend (ibis.<name>.connect(...)), a SparkSession, a DuckDB connection or a URL",
    )


def backend_name(con) -> str:
    """The Ibis name of a connected backend ('duckdb', 'pyspark', 'postgres', ...)."""
    return getattr(con, "name", type(con).__module__.split(".")[-1])


def _active_spark_session():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WorkspaceError("backend 'pyspark' needs pyspark", hint="pip install 'ibis-framework[pyspark]'") from None
    session = SparkSession.getActiveSession()
    if session is None:
        raise WorkspaceError(
            "backend 'pyspark' found no active Spark session",
            hint="create one first (SparkSession.builder...getOrCreate()) or pass the session itself",
        )
    return session


def _spark_backend(session):
    import ibis

    return ibis.pyspark.connect(session)


def _redact(url: str) -> str:
    # never echo a password from a URL
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
