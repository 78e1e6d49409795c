"""Pipeline movement on the demo: `coordkit funnel` wall time, the review section's compute time,
and the forecast back-test (error and measured interval coverage).

Run: .venv/bin/python benchmarks/pipeline.py [--workspace DIR] [--repeat N] [--every-weeks K]
Builds the demo into a temporary folder unless --workspace is given. Prints the
machine load (uptime) next to every timing: on a shared machine the load decides
the figure. Goal (issue 16): `coordkit funnel` on the demo <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def timed(args: list[str], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + sys of the child process) seconds of each run."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--every-weeks", type=int, default=1, help="back-test every K weeks (default 1)")
    args = parser.parse_args()

    workspace = args.workspace
    if workspace is None:
        workspace = str(Path(tempfile.mkdtemp(prefix="ck-pipeline-")) / "demo")
        subprocess.run([sys.executable, "-m", "coordkit", "demo", workspace, "--no-review"], check=True, capture_output=True)

    out = Path(tempfile.mkdtemp(prefix="ck-funnel-")) / "funnel.csv"
    goal = 1.0
    for extra in ([], ["--team", "north-america", "--by", "campaign"]):
        walls, cpus = timed([sys.executable, "-m", "coordkit", "funnel", "--workspace", workspace, *extra, "--out", str(out)], args.repeat)
        wall = statistics.median(walls)
        print(f"coordkit funnel {' '.join(extra) or '(all teams)'}: goal {goal:.1f} s; wall median {wall:.2f} s "
              f"(min {min(walls):.2f}, ratio {wall / goal:.2f} of goal), CPU median {statistics.median(cpus):.2f} s "
              f"over {args.repeat} runs ({load()})")

    from coordkit.analysis.forecast import backtest_forecast
    from coordkit.analysis.pipeline_data import load_pipeline
    from coordkit.analysis.pipeline_movement import compute_pipeline_movement

    started = time.perf_counter()
    data = load_pipeline(workspace)
    print(f"load_pipeline in process: {time.perf_counter() - started:.2f} s ({load()})")
    for team in ("all", "north-america"):
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            compute_pipeline_movement(workspace, "2026-11-16", team, data=data)
            times.append(time.perf_counter() - started)
        print(f"pipeline movement section, team {team}: median {statistics.median(times):.2f} s ({load()})")

    for calibrate, label in ((False, "simulation only (session 2)"), (True, "calibrated on past errors (default)")):
        started = time.perf_counter()
        backtest = backtest_forecast(data, every_weeks=args.every_weeks, calibrate=calibrate)
        print(f"back-test, {label}: {len(backtest) // 2} forecast dates in {time.perf_counter() - started:.1f} s ({load()})")
        for metric, rows in backtest.groupby("metric"):
            methods = ", ".join(f"{n} {m}" for m, n in rows["interval_method"].value_counts().items())
            print(
                f"  {metric}: mean abs % error {rows['abs_pct_error'].mean():.1%}, median {rows['abs_pct_error'].median():.1%}, "
                f"mean error {rows['error'].mean():+,.0f}; 80% interval covered the realised quarter "
                f"{int(rows['covered'].sum())} of {len(rows)} times ({rows['covered'].mean():.0%}; goal 80%; intervals: {methods})"
            )
            early = rows[rows["weeks_left"] >= 6]
            print(f"    with 6+ weeks left: mean abs % error {early['abs_pct_error'].mean():.1%}, "
                  f"coverage {early['covered'].mean():.0%} ({len(early)} dates)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
