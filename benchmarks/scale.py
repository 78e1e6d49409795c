"""Scale benchmark: journeys + every rule-based model + Markov order 1, DuckDB and Spark.

    .venv/bin/python benchmarks/scale.py                          # 1M, 10M, 50M on DuckDB; 1M on Spark
    .venv/bin/python benchmarks/scale.py --sizes 1e6 1e7 --spark-sizes ""

Each (engine, size) runs in a fresh subprocess. Peak RSS is measured two ways:
the child's own ``ru_maxrss`` (DuckDB runs inside the Python process) and the
peak of the summed RSS of the child's whole process tree, sampled every 0.2 s
by the parent (Spark's JVM is a grandchild the kernel's ``RUSAGE_CHILDREN``
accounting does not see until it is reaped). The larger one is printed.

Synthetic touchpoints come from ``benchmarks/attribution.py`` (8 channels,
one contact per ~8 touches, ~3 % conversions), generated inside DuckDB; for
Spark they are written to Parquet once and read in place. Generating the data
is reported apart and not counted in ``work``: ``work`` = journeys (built
and cached) + the six rule models + Markov order 1, each ``credit_by_channel``
as a review would call it; ``total`` adds imports (and Spark start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RULES = ["first", "last", "linear", "time_decay", "position", "w_shaped"]
STEPS = ["journeys", *RULES, "markov"]


# ----------------------------------------------------------------------------- child


def _child(engine: str, size: str, memory_limit: str) -> dict:
    started = time.perf_counter()
    import ibis

    from coordkit.model.attribution import credit_by_channel, journeys_from_events

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from attribution import _synthetic

    n = int(float(size))
    timings = {}
    # a file-backed store, as a workspace is, so tables can leave memory; DuckDB's
    # buffer pool is capped by memory_limit (its default is 80 % of RAM)
    folder = tempfile.mkdtemp(prefix="coordkit-scale-")
    duck = ibis.duckdb.connect(f"{folder}/bench.duckdb")
    duck.raw_sql(f"SET memory_limit = '{memory_limit}'")
    duck.raw_sql(f"SET temp_directory = '{folder}/tmp'")
    timings["imports"] = time.perf_counter() - started
    t0 = time.perf_counter()
    events = _synthetic(duck, n)
    if engine == "spark":
        from pyspark.sql import SparkSession

        events.to_parquet(f"{folder}/events.parquet")
        timings["data"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        session = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "3g")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        session.read.parquet(f"{folder}/events.parquet").createOrReplaceTempView("events")
        con = ibis.pyspark.connect(session)
        events = con.table("events")
        timings["spark start"] = time.perf_counter() - t0
    else:
        timings["data"] = time.perf_counter() - t0
    work = time.perf_counter()
    t0 = time.perf_counter()
    touches = journeys_from_events(events).cache()
    if engine == "spark":
        touches.count().execute()  # Spark caches lazily: materialise it here
    timings["journeys"] = time.perf_counter() - t0
    for model in [*RULES, "markov"]:
        t0 = time.perf_counter()
        credit_by_channel(touches, model)
        timings[model] = time.perf_counter() - t0
    timings["work"] = time.perf_counter() - work
    timings["total"] = timings["work"] + timings["imports"] + timings.get("spark start", 0.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    if engine == "spark":
        session.stop()
    duck.disconnect()
    shutil.rmtree(folder, ignore_errors=True)
    return {"timings": timings, "self_peak_gb": peak}


# ---------------------------------------------------------------------------- parent


def _tree_rss_kib(pid: int) -> int:
    """Summed VmRSS of ``pid`` and all its descendants (KiB), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
        stack.extend(children.get(current, []))
    return total


def _measure(engine: str, size: str, timeout: int, memory_limit: str) -> dict:
    cmd = [sys.executable, __file__, "--child", engine, size, memory_limit]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    wall = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"timeout after {timeout} s"}
    finally:
        done.set()
        sampler.join()
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        return {"error": lines[-1] if lines else f"exit code {proc.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    result["tree_peak_gb"] = peak[0] / 1024 / 1024
    # RUSAGE_CHILDREN keeps the largest child so far: it names this run only when it grew
    result["children_peak_gb"] = after / 1024 / 1024 if after > before else None
    result["peak_gb"] = max(result["self_peak_gb"], result["tree_peak_gb"], result["children_peak_gb"] or 0.0)
    result["process_wall"] = wall
    return result


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["1e6", "1e7", "5e7"], help="DuckDB sizes")
    parser.add_argument("--spark-sizes", nargs="*", default=["1e6"], help="Spark sizes ('' for none)")
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--json", help="also write every result to this JSON file")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit (default 6GB)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    runs = [("duckdb", s) for s in args.sizes if s] + [("spark", s) for s in args.spark_sizes if s]
    print(f"journeys + {len(RULES)} rule models + Markov order 1 per run; seconds; DuckDB file-backed, "
          f"memory_limit {args.memory_limit}; {_load()} at start")
    header = f"{'engine':>7} {'touches':>8} {'peak GB':>8} {'total s':>8} {'work s':>7} {'s/1M':>6}  "
    header += " ".join(f"{s[:10]:>10}" for s in ["imports", "spark start", "data", *STEPS])
    print(header, flush=True)
    results = []
    for engine, size in runs:
        result = _measure(engine, size, args.timeout, args.memory_limit)
        results.append({"engine": engine, "size": size, "load_after": os.getloadavg(), **result})
        if "error" in result:
            print(f"{engine:>7} {float(size):>8.0e}  {result['error']}", flush=True)
            continue
        t = result["timings"]
        per_million = t["work"] / (float(size) / 1e6)
        cells = " ".join(
            f"{t[s]:10.2f}" if s in t else f"{'-':>10}" for s in ["imports", "spark start", "data", *STEPS]
        )
        print(
            f"{engine:>7} {float(size):>8.0e} {result['peak_gb']:8.2f} {t['total']:8.2f} {t['work']:7.2f} "
            f"{per_million:6.2f}  {cells}",
            flush=True,
        )
    print(f"{_load()} at end")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
