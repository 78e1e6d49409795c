"""One local Spark session (``local[2]``) for every Spark parity test.

Spark starts in 9-10 s, so the session is shared by the whole test session.
Tables are handed to Spark as temporary views (registered in the session and
read in place by the Ibis PySpark backend), never through an Ibis memtable,
so each expression runs on Spark end to end.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is a test extra: pip install -e '.[test]'")

#: a Spark test slower than this has hung (the slowest takes about a minute); pytest-timeout
#: fails it with every thread's stack
SPARK_TEST_TIMEOUT_S = 300
#: the first Spark test that timed out: the session is stuck, so the rest fail at once
_hung: list[str] = []


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("spark") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SPARK_TEST_TIMEOUT_S))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and item.get_closest_marker("spark") and "Timeout (>" in str(report.longrepr):
        _hung.append(item.nodeid)


@pytest.fixture(autouse=True)
def _spark_session_not_hung():
    if _hung:
        pytest.fail(f"not run: the Spark session hung in {_hung[0]} (see its stacks above)")


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("coordkit-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")  # 200 by default: slow on small tables
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_con(spark):
    import ibis

    return ibis.pyspark.connect(spark)


@pytest.fixture(scope="session")
def to_spark(spark, spark_con):
    """Register an Ibis/pyarrow/pandas table as a Spark temp view and return it as an Ibis table."""
    import ibis
    import pandas as pd
    import pyarrow as pa

    def register(name: str, data):
        if isinstance(data, ibis.Table):
            data = data.to_pyarrow()
        elif isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        spark.createDataFrame(data).createOrReplaceTempView(name)
        return spark_con.table(name)

    return register


TOL = {"check_exact": False, "rtol": 1e-9, "atol": 1e-9}


def assert_same(a, b, keys: list[str]) -> None:
    """Frames equal up to row order (sorted by ``keys``), floats to 1e-9."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and len(a) > 0
    a = a.sort_values(keys, kind="stable").reset_index(drop=True)
    b = b.sort_values(keys, kind="stable").reset_index(drop=True)
    for column in a.columns:
        if pd.api.types.is_datetime64_any_dtype(a[column]) or pd.api.types.is_datetime64_any_dtype(b[column]):
            # Spark returns TIMESTAMP without a zone, in its session zone (UTC here)
            a_utc, b_utc = (pd.to_datetime(f[column], utc=True) for f in (a, b))
            assert a_utc.tolist() == b_utc.tolist(), column
        elif pd.api.types.is_float_dtype(a[column]) or pd.api.types.is_float_dtype(b[column]):
            pd.testing.assert_series_equal(a[column].astype("float64"), b[column].astype("float64"), **TOL)
        else:
            assert a[column].astype(object).where(a[column].notna(), None).tolist() == b[column].astype(object).where(
                b[column].notna(), None
            ).tolist(), column


@pytest.fixture(scope="session")
def same():
    """``same(a, b, keys)``: frames equal up to row order, floats to 1e-9, timestamps in UTC."""
    return assert_same
