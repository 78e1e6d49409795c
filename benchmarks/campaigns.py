"""Time the campaign registry and suggestions on a workspace (default: the Tallybook fixture company).

Run: .venv/bin/python benchmarks/campaigns.py [--workspace DIR] [--repeat N]
Without --workspace the fixture company's downloads are ingested into a temporary
workspace first (not timed). Prints the median of N for: registry, co-occurrence,
suggestions (in-process, after one warm-up), and the whole
`coordkit campaigns suggest` command (a fresh process), plus the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(function, repeat: int) -> float:
    function()  # warm-up: imports, DuckDB's first query
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from coordkit.cli import main as cli
    from coordkit.ingest.workspace import open_workspace
    from coordkit.model.campaigns import campaign_cooccurrence, campaign_registry
    from coordkit.model.campaigns_decide import campaign_suggestions

    scratch = tempfile.mkdtemp(prefix="coordkit-campaigns-")
    folder = args.workspace
    if folder is None:
        folder = os.path.join(scratch, "tallybook")
        cli(["ingest", str(REPO / "tests/fixtures/company/downloads"), "--workspace", folder, "--create"])
    print(f"workspace {folder}; load average {os.getloadavg()[0]:.1f} (2 cores)")
    with open_workspace(folder, read_only=True) as ws:
        labels = len(campaign_registry(ws))
        print(f"registry ({labels} label rows): {timed(lambda: campaign_registry(ws), args.repeat):.2f} s")
        print(f"co-occurrence: {timed(lambda: campaign_cooccurrence(ws), args.repeat):.2f} s")
        print(f"suggestions: {timed(lambda: campaign_suggestions(ws), args.repeat):.2f} s")
    out = os.path.join(scratch, "campaigns.csv")
    command = [sys.executable, "-m", "coordkit", "campaigns", "suggest", "--workspace", folder, "--out", out]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    print(f"`coordkit campaigns suggest` (fresh process): "
          f"{timed(lambda: subprocess.run(command, check=True, capture_output=True, env=env), args.repeat):.2f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
