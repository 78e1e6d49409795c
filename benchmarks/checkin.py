"""Time the check-in's picker changes in the kernel (no browser): the browser test's sequence and a longer walk.

Run: .venv/bin/python benchmarks/checkin.py [--workspace DIR] [--pause 1.5]
Goal (issue 15): every picker change <= 300 ms in the browser, p95. The browser
figure is printed by ``pytest tests/browser/test_checkin_lab.py -m browser -s``;
this script prints the kernel's share of it (every section recomputed and set)
for the same kind of changes, in two cases:

* cold: nothing computed ahead (``prefetch=False``): each new (week, team) is
  computed when picked;
* with pauses: the explorer as it ships, the user pausing ``--pause`` seconds
  between changes (it computes the likely next picks while nobody clicks).

Wall and CPU time of the process and the load average are printed (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

GOAL_MS = 300.0
#: the browser test's changes first, then a walk over weeks and teams (nothing repeats a (week, team) already seen)
STEPS = [("week", "2026-W46"), ("team", "north-america"), ("channel", "paid_social"), ("campaign", 1),
         ("channel", "all"), ("week", "2026-W45"), ("team", "emea"), ("week", "2026-W44"), ("team", "apac"),
         ("week", "2026-W43"), ("team", "all"), ("week", "2026-W42")]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def walk(workspace: Path, prefetch: bool, pause: float) -> list[tuple[str, float]]:
    from coordkit.present.checkin_view import CheckinExplorer

    explorer = CheckinExplorer(workspace, prefetch=prefetch)
    explorer.credit("position")
    measured = []
    for kind, value in STEPS:
        if pause:
            time.sleep(pause)
        started = time.perf_counter()
        if kind == "campaign":
            explorer.select_campaign(explorer.campaign.options[value][1])
        else:
            getattr(explorer, f"set_{kind}")(value)
        measured.append((f"{kind} {value}", (time.perf_counter() - started) * 1000))
    explorer.wait()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, default=None, help="an existing demo workspace (default: build one)")
    parser.add_argument("--pause", type=float, default=1.5, help="seconds between changes in the second case")
    args = parser.parse_args()
    workspace = args.workspace
    if workspace is None:
        from coordkit.cli import main as cli

        workspace = Path(tempfile.mkdtemp(prefix="ck-bench-")) / "demo"
        assert cli(["demo", str(workspace), "--no-review"]) == 0
    from coordkit.analysis.review import review_context

    review_context(workspace).credit("position")  # the review cache, as after a first open
    print(f"check-in picker changes (kernel side), goal {GOAL_MS:.0f} ms in the browser (p95)")
    for label, prefetch, pause in (("cold (nothing computed ahead)", False, 0.0),
                                   (f"as shipped, {args.pause:g} s between changes", True, args.pause)):
        load = os.getloadavg()[0]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        measured = walk(workspace, prefetch, pause)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        times = [ms for _, ms in measured]
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"\n{label}: load {load:.1f} at start; process CPU {cpu:.1f} s over {wall:.1f} s wall")
        print("  " + ", ".join(f"{name} {ms:.0f}" for name, ms in measured))
        print(f"  p50 {p50:.0f} ms, p95 {p95:.0f} ms; goal {GOAL_MS:.0f} ms: p95 / goal = {p95 / GOAL_MS:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
