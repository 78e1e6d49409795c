"""Ingest throughput: validate + upsert real and synthetic exports into a fresh workspace.

Run: .venv/bin/python benchmarks/ingest.py [--rows 1000000]
Prints rows, wall seconds, rows per second and peak RSS for each file, first
ingest and re-ingest (idempotent: everything unchanged).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

CHILD = """
import sys, time, resource
from coordkit.ingest.workspace import open_workspace
path, table, preset, workspace = sys.argv[1:5]
with open_workspace(workspace) as ws:
    started = time.perf_counter()
    report = ws.ingest(path, table, None if preset == "-" else preset)
    seconds = time.perf_counter() - started
print("RESULT", report.rows_read, report.inserted, report.unchanged, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def synthetic_touchpoints(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    start = pd.Timestamp("2026-01-01T00:00:00Z").value // 10**9
    frame = pd.DataFrame({
        "contact_id": "C-" + pd.Series(rng.integers(0, rows // 8 + 1, rows)).astype(str),
        "touched_at": pd.to_datetime(start + rng.integers(0, 300 * 86400, rows), unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "utm_campaign": "campaign-" + pd.Series(rng.integers(0, 40, rows)).astype(str),
        "utm_medium": rng.choice(["email", "social", "paid_search", "paid_social"], rows),
        "action": rng.choice(["click", "open", "visit"], rows),
    })
    frame.to_csv(path, index=False)


def run(path: Path, table: str, preset: str | None, workspace: Path) -> tuple:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), table, preset or "-", str(workspace)],
                          capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    read, inserted, unchanged, seconds, peak = line.split()[1:]
    return int(read), int(inserted), int(unchanged), float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic touchpoint rows (default 1M)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ck-ingest-"))
    synthetic = scratch / "touchpoints.csv"
    synthetic_touchpoints(synthetic, args.rows)
    cases = [
        (SHARED / "crm" / "sales_pipeline.csv", "outcomes", "maven-crm"),
        (SHARED / "attribution" / "events_si05.csv", "touchpoints", "journey-events"),
        (synthetic, "touchpoints", None),
    ]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'file':28} {'pass':8} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'peak MB':>8}")
    for path, table, preset in cases:
        workspace = scratch / f"ws-{path.stem}"
        for label in ("first", "again"):
            read, inserted, unchanged, seconds, peak = run(path, table, preset, workspace)
            print(f"{path.name:28} {label:8} {read:9,d} {seconds:8.1f} {read / seconds:9,.0f} {peak:8.0f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
