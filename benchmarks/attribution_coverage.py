"""Coverage of coordkit's bootstrap intervals, measured by simulation (issue 17).

    .venv/bin/python benchmarks/attribution_coverage.py                  # 400 replications per model
    .venv/bin/python benchmarks/attribution_coverage.py --models linear --replications 100

For each model: draw ``--journeys`` journeys from a population with planted
effects (coordkit/model/attribution/coverage.py), compute the 90 % bootstrap
interval of every channel's share of credit, check it against the true
share (the model's share on 2M journeys); repeat. Prints coverage (pooled over
channels and per channel), its binomial standard error and the mean width.
"""

from __future__ import annotations

import argparse
import math
import os
import time

from coordkit.model.attribution.coverage import interval_coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="last,linear,position,markov,shapley")
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--journeys", type=int, default=3000)
    parser.add_argument("--resamples", type=int, default=400)
    parser.add_argument("--level", type=float, default=0.9)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.journeys} journeys per sample (~{args.journeys * 0.3:.0f} conversions), "
          f"{args.resamples} resamples, nominal {args.level:.0%}")
    print(f"{'model':>9} {'coverage':>9} {'s.e.':>6} {'intervals':>9} {'mean width':>10}  per channel   (seconds)")
    for model in args.models.split(","):
        started = time.perf_counter()
        r = interval_coverage(model, level=args.level, replications=args.replications, journeys=args.journeys,
                              resamples=args.resamples)
        se = math.sqrt(r["coverage"] * (1 - r["coverage"]) / r["intervals"])
        per = " ".join(f"{c}={v:.3f}" for c, v in r["per_channel"].items())
        print(f"{model:>9} {r['coverage']:9.3f} {se:6.3f} {r['intervals']:9d} {r['mean_width']:10.4f}  {per}  "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
