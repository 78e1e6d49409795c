"""Time the weekly review on the demo workspace: one team and all teams, cold and warm cache.

Run: .venv/bin/python benchmarks/review.py [--workspace DIR] [--repeat N] [--teams 100]
Prints wall time (median of N) and peak RSS of the process tree for each case,
and the load average before each case (the machine is shared).
Goals (issue 15): one team <= 8 s end to end; 100 teams with --all-teams <= 120 s
(``--teams 100`` builds the demo split into 100 teams: ``coordkit demo --teams 100``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COORDKIT = [sys.executable, "-m", "coordkit"]


def run(args: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(args, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, peak_mb


def clear_cache(workspace: Path) -> None:
    shutil.rmtree(workspace / ".coordkit" / "cache", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, default=None, help="an existing demo workspace (default: build one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--teams", type=int, default=None, help="build the demo split into this many teams")
    parser.add_argument("--only", choices=["one", "all"], default=None, help="time only the one-team or the all-teams cases")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ck-bench-"))
    workspace = args.workspace
    if workspace is None:
        workspace = scratch / "demo"
        teams = ["--teams", str(args.teams)] if args.teams else []
        seconds, _ = run([*COORDKIT, "demo", str(workspace), "--no-review", *teams])
        print(f"built the demo workspace in {seconds:.1f} s")
    out = scratch / "reviews"
    team = "north-america-01" if args.teams else "north-america"
    one = [*COORDKIT, "review", "--workspace", str(workspace), "--week", "2026-W46", "--team", team, "--out", str(out)]
    every = [*COORDKIT, "review", "--workspace", str(workspace), "--week", "2026-W46", "--all-teams", "--out", str(out)]
    label = f"all teams ({args.teams or 3} + all)"
    cases = [
        ("one team, cold cache", one, True),
        ("one team, warm cache", one, False),
        (f"{label}, cold cache", every, True),
        (f"{label}, warm cache", every, False),
    ]
    if args.only:
        cases = [case for case in cases if case[0].startswith("one" if args.only == "one" else "all")]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':36} {'median s':>9} {'min s':>7} {'peak RSS MB':>12} {'load':>6}")
    for name, command, cold in cases:
        times, peaks = [], []
        load = os.getloadavg()[0]
        for _ in range(args.repeat):
            if cold:
                clear_cache(workspace)
            else:
                run(one)  # make sure the cache is warm
            seconds, peak = run(command)
            times.append(seconds)
            peaks.append(peak)
        print(f"{name:36} {statistics.median(times):9.1f} {min(times):7.1f} {max(peaks):12.0f} {load:6.1f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
