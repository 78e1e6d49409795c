"""Time the weekly review on a demo workspace: one team and all teams, cold and warm cache, against the goals.

Run:
    .venv/bin/python benchmarks/review.py --only one                 # one team (goal: <= 8 s end to end)
    .venv/bin/python benchmarks/review.py --teams 100 --only all     # 100 teams + all (goal: <= 120 s)
Options: --workspace DIR (an existing demo workspace), --repeat N, --bytecode cached|none.

Each case runs the whole ``coordkit review`` command in a subprocess and prints
the median wall time, the median CPU time of the command and everything it
started (its kernels included: user + sys), the peak RSS, the load average
before the case, and, for the cases with a goal, the goal and measured / goal.
The machine may be shared: CPU time is the steadier figure; wall time is what
the goal is about.

``--bytecode cached`` (the default) runs the commands as an installed package
runs: Python's compiled bytecode is written on the first import and read after
(into a private folder of this benchmark, ``PYTHONPYCACHEPREFIX``, so nothing is
written into the environment); an untimed review first fills it. ``none`` runs
with ``PYTHONDONTWRITEBYTECODE`` and no bytecode, as a sandbox that sets it does:
every process then compiles every module it imports (pandas, Altair, papermill
and coordkit: several seconds per process).
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
GOAL_ONE = 8.0
GOAL_ALL_100 = 120.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (the command and every process it waited for) and peak RSS of one command."""
    cpu_before = _children_cpu()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    seconds = time.perf_counter() - started
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, _children_cpu() - cpu_before, peak_mb


def clear_cache(workspace: Path) -> None:
    shutil.rmtree(workspace / ".coordkit" / "cache", ignore_errors=True)


def environment(bytecode: str, scratch: Path) -> dict:
    env = dict(os.environ)
    if bytecode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=None, help="an existing demo workspace (default: build one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--teams", type=int, default=None, help="build the demo split into this many teams")
    parser.add_argument("--only", choices=["one", "all"], default=None, help="time only the one-team or the all-teams cases")
    parser.add_argument("--bytecode", choices=["cached", "none"], default="cached",
                        help="cached: as an installed package runs (default); none: compile every import, every process")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ck-bench-"))
    try:
        env = environment(args.bytecode, scratch)
        workspace = args.workspace
        if workspace is None:
            workspace = scratch / "demo"
            teams = ["--teams", str(args.teams)] if args.teams else []
            seconds, _, _ = run([*COORDKIT, "demo", str(workspace), "--no-review", *teams], env)
            print(f"built the demo workspace in {seconds:.1f} s")
        out = scratch / "reviews"
        team = "north-america-01" if args.teams else "north-america"
        one = [*COORDKIT, "review", "--workspace", str(workspace), "--week", "2026-W46", "--team", team, "--out", str(out)]
        every = [*COORDKIT, "review", "--workspace", str(workspace), "--week", "2026-W46", "--all-teams", "--out", str(out)]
        count = args.teams or 3
        label = f"all teams ({count} + all)"
        goal_all = GOAL_ALL_100 if count == 100 else None
        cases = [
            ("one team, cold cache", one, True, None),
            ("one team, warm cache", one, False, GOAL_ONE),
            (f"{label}, cold cache", every, True, goal_all),
            (f"{label}, warm cache", every, False, goal_all),
        ]
        if args.only:
            cases = [case for case in cases if case[0].startswith("one" if args.only == "one" else "all")]
        if args.bytecode == "cached":
            run(one, env)  # untimed: fills the bytecode folder (and the review cache)
        print(f"machine: {os.cpu_count()} cores; bytecode: {args.bytecode}; repeat: {args.repeat}")
        header = f"{'case':34} {'wall s':>7} {'min s':>6} {'CPU s':>6} {'RSS MB':>7} {'load':>5} {'goal s':>7} {'wall/goal':>9}"
        print(header)
        for name, command, cold, goal in cases:
            times, cpus, peaks = [], [], []
            load = os.getloadavg()[0]
            for _ in range(args.repeat):
                if cold:
                    clear_cache(workspace)
                else:
                    run(one, env)  # make sure the cache is warm
                seconds, cpu, peak = run(command, env)
                times.append(seconds)
                cpus.append(cpu)
                peaks.append(peak)
            wall = statistics.median(times)
            verdict = f"{goal:7.0f} {wall / goal:9.2f}" if goal else f"{'':7} {'':9}"
            print(f"{name:34} {wall:7.1f} {min(times):6.1f} {statistics.median(cpus):6.1f} {max(peaks):7.0f} {load:5.1f} {verdict}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

if __name__ == "__main__":
    main()
