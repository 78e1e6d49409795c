"""One local Spark session (``local[2]``) for every Spark parity test.

Spark starts in 9-10 s, so the session is shared by the whole test session.
Tables are handed to Spark as temporary views (registered in the session and
read in place by the Ibis PySpark backend), never through an Ibis memtable,
so each expression runs on Spark end to end.
"""

from __future__ import annotations

import os

import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is a test extra: pip install -e '.[test]'")


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
