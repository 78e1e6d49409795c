"""Time `coordkit explain` on the shared Wise Pizza data (last two months, 4 dimensions, pairs).

Prints three numbers (median of --repeat runs):
  in-process   explain_change_columns on text columns already read (the algorithm alone)
  command      `coordkit explain ...` as a user runs it (a fresh process: start-up, read, compute, write)
  command-only the same with only the explain sub-command registered, which shows what the other
               sub-commands' module-level imports add to every `coordkit` start-up
The issue's goal is <= 1 s for the command; Wise Pizza takes 9-24 s on the same data.

    .venv/bin/python benchmarks/explain.py [--repeat 5] [--wise-pizza]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "whatmoved" / "segments_wisepizza_synth.csv"
DIMS = "TYPE,REGION,FIRST_PRODUCT,CURRENCY"
BEFORE, AFTER = "2021-09-01", "2021-10-01"


def explain_arguments(out: str) -> list[str]:
    return ["explain", str(DATA), "--metric", "VOLUME", "--by", DIMS, "--period-column", "COHORT_MONTH",
            "--before", BEFORE, "--after", AFTER, "--out", out]


def time_in_process(repeat: int) -> float:
    sys.path.insert(0, str(REPO))
    from coordkit.analysis.drivers import explain_change_columns
    from coordkit.cli.explain_cmd import _read_text_columns

    columns = _read_text_columns(DATA)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        explain_change_columns(columns, "VOLUME", DIMS, "COHORT_MONTH", BEFORE, AFTER)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def time_process(command: list[str], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=REPO)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def time_wise_pizza() -> float:
    import pandas as pd
    from wise_pizza import explain_changes_in_totals

    data = pd.read_csv(DATA)
    start = time.perf_counter()
    explain_changes_in_totals(data[data.COHORT_MONTH == BEFORE], data[data.COHORT_MONTH == AFTER],
                              dims=DIMS.split(","), total_name="VOLUME", size_name="TRANSACTION_COUNT",
                              max_segments=5, min_depth=1, max_depth=2, how="totals")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--wise-pizza", action="store_true", help="also time the peer package once")
    options = parser.parse_args()
    python = str(Path(sys.executable))
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "out.csv")
        only_explain = (
            "import argparse, sys; from coordkit.cli import explain_cmd; p = argparse.ArgumentParser(); "
            "explain_cmd.register(p.add_subparsers()); a = p.parse_args(sys.argv[1:]); a.handler(a)"
        )
        print(f"data: {DATA.name}, {BEFORE} -> {AFTER}, by {DIMS}, repeat {options.repeat}")
        print(f"in-process    {time_in_process(options.repeat):6.3f} s")
        print(f"command       {time_process([python, '-m', 'coordkit', *explain_arguments(out)], options.repeat):6.3f} s")
        print(f"command-only  {time_process([python, '-c', only_explain, *explain_arguments(out)], options.repeat):6.3f} s")
    if options.wise_pizza:
        print(f"wise-pizza    {time_wise_pizza():6.3f} s")


if __name__ == "__main__":
    main()
