"""A workspace read in place on PySpark: backend configuration, attribution of
outcomes and weekly metrics match the same tables read on DuckDB (to 1e-9)."""

from __future__ import annotations

import ibis
import pytest

from coordkit.errors import WorkspaceError
from coordkit.ingest.workspace import open_workspace
from coordkit.model.attribution.outcomes import (
    attribute_outcomes,
    influenced_pipeline,
    sourced_attribution,
)

pytestmark = pytest.mark.spark

CANONICAL = ("outputs", "touchpoints", "outcomes")


#: attribution on Spark re-plans the linking joins per query (12-20 s each even on a
#: few thousand touches): the touch-level tests use the touches of this many contacts
CONTACTS = 300


@pytest.fixture(scope="module")
def workspaces(demo_workspace, to_spark, spark, tmp_path_factory):
    """The demo's tables (touchpoints of the first CONTACTS contacts) in an in-memory
    DuckDB connection and in Spark temp views, each opened as a workspace backend."""
    embedded = open_workspace(demo_workspace, read_only=True)
    touchpoints = embedded.table("touchpoints")
    contacts = touchpoints.select("contact_id").distinct().order_by("contact_id").limit(CONTACTS)
    tables = {
        "outputs": embedded.table("outputs").to_pyarrow(),
        "outcomes": embedded.table("outcomes").to_pyarrow(),
        "touchpoints": touchpoints.semi_join(contacts, "contact_id").to_pyarrow(),
    }
    embedded.close()
    duck = ibis.duckdb.connect()
    for name, table in tables.items():
        duck.create_table(name, ibis.memtable(table))
        to_spark(name, table)
    folder = tmp_path_factory.mktemp("external")
    on_duck = open_workspace(folder, backend=duck)  # an Ibis backend object
    on_spark = open_workspace(folder, backend=spark)  # a SparkSession object
    yield on_duck, on_spark
    on_spark.close()
    on_duck.close()


def test_a_spark_session_or_the_name_pyspark_reads_the_registered_tables(workspaces, demo_workspace, spark_con):
    on_duck, on_spark = workspaces
    assert on_spark.con.name == "pyspark" and on_spark.read_only
    assert on_spark.table("outcomes").count().execute() == on_duck.table("outcomes").count().execute()
    by_name = open_workspace(demo_workspace, backend="pyspark")  # the active session
    by_backend = open_workspace(demo_workspace, backend=spark_con)  # an Ibis backend
    for ws in (by_name, by_backend):
        assert ws.table("touchpoints").count().execute() == on_duck.table("touchpoints").count().execute()
        ws.close()  # a connection handed in is not closed by the workspace ...
    assert spark_con.table("outputs").count().execute() > 0  # ... so Spark is still up


def test_an_external_backend_is_read_only(workspaces, demo_workspace):
    _, on_spark = workspaces
    with pytest.raises(WorkspaceError, match="read-only"):
        on_spark.ingest(demo_workspace / "exports" / "outputs.csv", "outputs")


WEEK_KEYS = ["week", "channel"]


@pytest.fixture(scope="module")
def credit(workspaces):
    """attribute_outcomes for a few models on both backends (the slow part: run once)."""
    results = {}
    for model in MODELS:
        results[model] = [
            attribute_outcomes(ws.table("touchpoints"), ws.table("outcomes"), ws.table("outputs"), model,
                               **({"custom_weights": CUSTOM_WEIGHTS} if model == "custom" else {}))
            for ws in workspaces
        ]
    return results


#: ages, epochs and per-journey windows (time decay); a memtable joined on Spark and
#: lag/lead walks (Markov); milestone journeys, their windows and the open-deal end (full_path);
#: the rule models are compared on event journeys in test_spark_parity; the other milestone
#: models (lead-creation touch; custom weights with a closed-won stage, so acceleration and pending)
MODELS = ("time_decay", "markov", "full_path", "u_shaped", "w_shaped", "custom")
CUSTOM_WEIGHTS = {"first_touch": 0.15, "lead_creation": 0.25, "opportunity_creation": 0.3, "closed_won": 0.2, "other": 0.1}


@pytest.mark.parametrize("model", MODELS)
def test_attribute_outcomes_match(credit, model, same):
    on_duck, on_spark = credit[model]
    assert len(on_duck) > 100
    same(on_duck, on_spark, ["outcome_id", "channel", "output_id", "campaign"])
    # every outcome's credit still adds up to 1 on Spark
    sums = on_spark.groupby("outcome_id")["credit"].sum()
    assert sums.to_numpy() == pytest.approx([1.0] * len(sums), abs=1e-9)


@pytest.mark.parametrize("model", MODELS)
def test_weekly_attributed_amounts_match(credit, model, same):
    weekly = [
        frame.groupby(WEEK_KEYS, as_index=False, dropna=False)[["credit", "amount"]].sum()
        for frame in credit[model]
    ]
    same(*weekly, WEEK_KEYS)


def test_weekly_metrics_match(workspaces, same):
    from coordkit.analysis.metrics import outcome_facts, weekly_metrics

    facts = [outcome_facts(ws) for ws in workspaces]
    same(*facts, ["outcome_id"])
    same(*(weekly_metrics(f, by=("team", "channel")) for f in facts), ["metric", "team", "channel", "week"])


def test_sourced_and_influenced_match(workspaces, same):
    same(*(sourced_attribution(ws.table("outcomes"), ws.table("outputs")) for ws in workspaces), ["outcome_id"])
    same(
        *(influenced_pipeline(ws.table("touchpoints"), ws.table("outcomes"), ws.table("outputs")) for ws in workspaces),
        ["campaign"],
    )


def test_duckdb_connection_objects_and_urls(demo_workspace, tmp_path):
    """Backend configuration on DuckDB: an in-memory connection object and a URL."""
    import duckdb

    embedded = open_workspace(demo_workspace, read_only=True)
    frames = {name: embedded.table(name).to_pyarrow() for name in CANONICAL}
    expected = embedded.table("touchpoints").count().execute()
    embedded.close()
    raw = duckdb.connect()
    for name, table in frames.items():
        raw.register(f"_{name}", table)
        raw.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
    for backend in (raw, ibis.duckdb.from_connection(raw)):
        ws = open_workspace(tmp_path, backend=backend)
        assert ws.con.name == "duckdb" and ws.table("touchpoints").count().execute() == expected
        ws.close()
    file_store = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(file_store))
    con.register("_t", frames["outcomes"])
    con.execute("CREATE TABLE outcomes AS SELECT * FROM _t")
    con.close()
    ws = open_workspace(tmp_path, backend=f"duckdb:///{file_store}")
    assert ws.table("outcomes").count().execute() == len(frames["outcomes"])
    with pytest.raises(WorkspaceError, match="no 'outputs' table"):
        ws.table("outputs")
    ws.close()
    with pytest.raises(WorkspaceError, match="neither a URL nor a known name"):
        open_workspace(tmp_path, backend="warehouse")
    with pytest.raises(WorkspaceError, match="password|cannot connect|needs a driver"):
        open_workspace(tmp_path, backend="postgres://me:secret@127.0.0.1:1/db")
