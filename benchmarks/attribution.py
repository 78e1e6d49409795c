"""Attribution benchmark: wall time and peak RSS per model, peers side by side.

    .venv/bin/python benchmarks/attribution.py                 # 1M and 10M synthetic + shared files
    .venv/bin/python benchmarks/attribution.py --sizes 1e6 --no-peers

Each measurement runs in a fresh subprocess so peak RSS belongs to that run
alone. Synthetic touchpoints are generated inside DuckDB (8 channels, one
contact per ~8 touches, ~3 % of rows are conversions). "journeys" is the
time to build and cache the touch table (generating synthetic data is
timed apart as "data" and left out of "total"); every model row then reuses it
(``all rules + markov`` runs them in one process, as a review would).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

RULES = ["first", "last", "linear", "time_decay", "position", "w_shaped"]
MODELS = [*RULES, "markov", "shapley"]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "attribution"


def _synthetic(con, n: int):
    con.raw_sql(
        f"""
        CREATE OR REPLACE TABLE events AS
        SELECT 'c' || CAST(hash(i) % {max(n // 8, 1)} AS VARCHAR) AS contact_id,
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(CAST(hash(i * 7 + 1) % 31536000 AS BIGINT)) AS touched_at,
               'ch' || CAST(hash(i * 13 + 5) % 8 AS VARCHAR) AS channel,
               CASE WHEN hash(i * 31 + 3) % 100 < 3 THEN 'conversion' ELSE 'impression' END AS action,
               CASE WHEN hash(i * 31 + 3) % 100 < 3 THEN CAST(hash(i) % 100 AS DOUBLE) ELSE 0.0 END AS conversion_value
        FROM range({n}) t(i)
        """
    )
    return con.table("events")


def _ours(source: str, models: list[str]) -> dict:
    t0 = time.perf_counter()
    import ibis

    from coordkit.model.attribution import credit_by_channel, journeys_from_events, path_journeys, read_events, read_paths

    con = ibis.duckdb.connect()
    imports = time.perf_counter() - t0
    data = 0.0
    if source not in ("events", "paths"):
        # generating the synthetic table is not attribution work: timed apart, not in 'total'
        start = time.perf_counter()
        events = _synthetic(con, int(float(source)))
        data = time.perf_counter() - start
    start = time.perf_counter()
    if source == "events":
        touches = journeys_from_events(ibis.memtable(read_events(SHARED / "events_si05.csv")))
    elif source == "paths":
        touches = path_journeys(read_paths(SHARED / "paths_channelattribution.csv"))
    else:
        touches = journeys_from_events(events)
    if source != "paths":  # path tables are tiny; caching a memtable of arrays fails on DuckDB
        touches = touches.cache()
    timings = {"imports": imports, "data": data, "journeys": time.perf_counter() - start}
    for model in models:
        if source == "paths" and model == "time_decay":
            continue  # path files carry no times
        t0 = time.perf_counter()
        credit_by_channel(touches, model)
        timings[model] = time.perf_counter() - t0
    return timings


def _peer(source: str, models: list[str]) -> dict:
    import ibis
    from mam import MAM

    if source == "paths":
        return {}
    t0 = time.perf_counter()
    import pandas  # noqa: F401  (import time reported like ours)
    import polars  # noqa: F401

    timings = {"imports": time.perf_counter() - t0}
    t0 = time.perf_counter()
    if source == "events":
        import pandas as pd

        raw = pd.read_csv(SHARED / "events_si05.csv")
        raw["time"] = pd.to_datetime(raw["time"], utc=True)
        raw = raw.rename(columns={"customer_id": "contact_id", "time": "touched_at", "interaction": "action"})
    else:
        con = ibis.duckdb.connect()
        raw = _synthetic(con, int(float(source))).to_polars()
    raw = raw.with_columns((raw["action"] == "conversion").alias("converted")) if hasattr(raw, "with_columns") else raw.assign(converted=raw["action"] == "conversion")
    mam = MAM(raw, format_type="session", channels_colname="channel", journey_with_conv_colname="converted",
              datetime_colname="touched_at", user_id_colname="contact_id",
              create_journey_id_based_on_conversion=True, conversion_value_colname="conversion_value")
    timings["journeys"] = time.perf_counter() - t0
    runs = {"first": mam.run_first_click, "last": mam.run_last_click, "linear": mam.run_linear,
            "time_decay": mam.run_time_decay, "position": mam.run_position_based, "markov": mam.run_markov,
            "shapley": mam.run_shapley}
    for model in models:
        if model in runs:
            t0 = time.perf_counter()
            runs[model]()
            timings[model] = time.perf_counter() - t0
    return timings


def _child(tool: str, source: str, models: list[str]) -> None:
    start = time.perf_counter()
    timings = (_ours if tool == "coordkit" else _peer)(source, models)
    timings["total"] = time.perf_counter() - start - timings.get("data", 0.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    print(json.dumps({"timings": timings, "peak_gb": peak}))


def _measure(tool, source, models, timeout) -> dict | None:
    cmd = [sys.executable, __file__, "--child", tool, source, ",".join(models)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout}s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["1e6", "1e7"])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-shared", action="store_true")
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, source, models = args.child
        _child(tool, source, models.split(","))
        return
    models = args.models.split(",")
    sources = ([] if args.no_shared else ["events", "paths"]) + args.sizes
    print("wall seconds per step; 'total' includes imports; peak RSS per process")
    print(f"{'data':>8} {'tool':>9} {'peak GB':>8} {'total s':>8}  " + " ".join(f"{m:>10}" for m in ["imports", "journeys", *models]))
    for source in sources:
        for tool in ["coordkit"] + ([] if args.no_peers else ["mam"]):
            # one process for everything (a review's workload) ...
            result = _measure(tool, source, models, args.timeout)
            if result and "error" in result:
                print(f"{source:>8} {tool:>9}  {result['error']}")
                continue
            if not result or "journeys" not in result["timings"]:
                continue
            t = result["timings"]
            cells = " ".join(f"{t[m]:10.2f}" if m in t else f"{'-':>10}" for m in ["imports", "journeys", *models])
            print(f"{source:>8} {tool:>9} {result['peak_gb']:8.2f} {t['total']:8.2f}  {cells}", flush=True)
        if source not in ("events", "paths") and "markov" in models:
            # ... and the goal: all rule-based models + Markov order 1
            goal = [m for m in models if m in RULES or m == "markov"]
            result = _measure("coordkit", source, goal, args.timeout)
            if result and "error" not in result:
                t = result["timings"]
                print(f"{source:>8} goal: rules+markov {t['total']:.2f} s wall incl. {t['imports']:.2f} s imports "
                      f"(+ {t.get('data', 0.0):.2f} s generating the data, not counted), "
                      f"{result['peak_gb']:.2f} GB peak", flush=True)


if __name__ == "__main__":
    main()
