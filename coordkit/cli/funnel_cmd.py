"""``coordkit funnel``: the funnel of the outcomes created each week, one row per cohort and stage.

    coordkit funnel --workspace W [--team T] [--by campaign|channel] --out funnel.csv

Columns: see ``coordkit.analysis.funnel.FUNNEL_COLUMNS`` and docs/pipeline.md
(reached, next-step and cumulative conversion, days to reach, still open, and
the XmR judgement of each settled weekly rate).
"""

from __future__ import annotations

import argparse

from coordkit.cli.common import add_workspace_option

BY_CHOICES = ("campaign", "channel")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "funnel",
        help="stage conversion of each week's new outcomes, with signal-or-noise judgement",
        description="For the outcomes created in each week: how many reached each stage, next-step and "
        "cumulative conversion, days to reach, how many are still open, and whether each weekly rate is "
        "signal or noise (XmR). Needs a stage history (table outcome_stages).",
    )
    add_workspace_option(parser)
    parser.add_argument("--team", default=None, metavar="T", help="only this team's outcomes (default: all)")
    parser.add_argument("--by", choices=BY_CHOICES, default=None, help="split by the sourced campaign or its channel")
    parser.add_argument("--out", required=True, metavar="OUT.csv", help="CSV file to write")
    parser.set_defaults(handler=run_funnel)


def run_funnel(args: argparse.Namespace) -> int:
    # pandas-free when the workspace allows it (the command's 1 s budget); the same rows either way
    from coordkit.analysis.funnel_store import FUNNEL_COLUMNS, funnel_summary, weekly_funnel_rows
    from coordkit.present.safe_export import write_safe_rows

    fast = weekly_funnel_rows(args.workspace, team=args.team, by=args.by)
    if fast is None:
        return _run_with_frames(args)
    rows, warnings = fast
    for warning in warnings:
        print(f"  warning: {warning}")
    path = write_safe_rows(list(FUNNEL_COLUMNS), rows, args.out)
    cohorts, signals = funnel_summary(rows)
    print(f"wrote {path}: {len(rows)} rows, {cohorts} weekly cohorts, {signals} rates flagged by the XmR rules")
    return 0


def _run_with_frames(args: argparse.Namespace) -> int:
    from coordkit.analysis.funnel import compute_funnel
    from coordkit.analysis.pipeline_data import load_pipeline
    from coordkit.present.safe_export import write_safe_csv

    data = load_pipeline(args.workspace, team=args.team)
    for warning in data.warnings:
        print(f"  warning: {warning}")
    funnel = compute_funnel(data, grain="week", by=args.by)
    path = write_safe_csv(funnel, args.out)
    cohorts = funnel["cohort"].nunique()
    signals = int((funnel["xmr_rule"] != "").sum())
    print(f"wrote {path}: {len(funnel)} rows, {cohorts} weekly cohorts, {signals} rates flagged by the XmR rules")
    return 0
