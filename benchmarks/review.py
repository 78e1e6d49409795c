"""Time the weekly review on the demo workspace: one team and all teams, cold and warm cache.

Run: .venv/bin/python benchmarks/review.py [--workspace DIR] [--repeat N]
Prints wall time (median of N) and peak RSS of the process tree for each case.
Goal (issue 4): one team <= 6 s; all demo teams <= 2x that.
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
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ck-bench-"))
    workspace = args.workspace
    if workspace is None:
        workspace = scratch / "demo"
        seconds, _ = run([*COORDKIT, "demo", str(workspace), "--no-review"])
        print(f"built the demo workspace in {seconds:.1f} s")
    out = scratch / "reviews"
    one = [*COORDKIT, "review", "--workspace", str(workspace), "--week", "2026-W46", "--team", "north-america", "--out", str(out)]
    every = [*COORDKIT, "review", "--workspace", str(workspace), "--week", "2026-W46", "--all-teams", "--out", str(out)]
    cases = [
        ("one team, cold cache", one, True),
        ("one team, warm cache", one, False),
        ("all teams (3 + all), cold cache", every, True),
        ("all teams (3 + all), warm cache", every, False),
    ]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':36} {'median s':>9} {'min s':>7} {'peak RSS MB':>12}")
    for name, command, cold in cases:
        times, peaks = [], []
        for _ in range(args.repeat):
            if cold:
                clear_cache(workspace)
            else:
                run(one)  # make sure the cache is warm
            seconds, peak = run(command)
            times.append(seconds)
            peaks.append(peak)
        print(f"{name:36} {statistics.median(times):9.1f} {min(times):7.1f} {max(peaks):12.0f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
