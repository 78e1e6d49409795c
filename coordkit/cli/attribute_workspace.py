"""``coordkit attribute --workspace W --model M --by campaign|channel --out credit.csv``.

Attribution over a whole workspace, by canonical campaign or channel. Kept apart
from the journey-file mode of ``coordkit attribute`` (``attribute_cmd``).
Writes ``campaign`` (or ``channel``), ``outcomes``, ``pipeline`` and, when the
outcomes' amounts are in several currencies, ``currency``.
"""

from __future__ import annotations

from pathlib import Path

from coordkit.errors import ParameterError, ReadError, allowed_values_message

BY = ("campaign", "channel")


def add_workspace_arguments(parser) -> None:
    parser.add_argument("--workspace", "-w", default=None, metavar="DIR",
                        help="attribute a workspace's outcomes instead of a journey file")
    parser.add_argument("--by", default=None, help="with --workspace: campaign (default) or channel")


def run_workspace_attribution(args) -> int:
    from coordkit.model.campaigns_attribution import WORKSPACE_MODELS

    if getattr(args, "file", None):
        raise ParameterError("give either a journey FILE or --workspace DIR, not both")
    for flag in ("compare_models", "interval"):
        if getattr(args, flag, None):
            raise ParameterError(f"--{flag.replace('_', '-')} applies to journey files, not to --workspace")
    if args.model not in WORKSPACE_MODELS:
        raise ParameterError(allowed_values_message("--model", args.model, WORKSPACE_MODELS))
    by = args.by or "campaign"
    if by not in BY:
        raise ParameterError(allowed_values_message("--by", by, BY))
    out = Path(args.out)
    if out.parent and not out.parent.is_dir():
        raise ReadError(f"--out {out}: folder {out.parent} does not exist")

    from coordkit.ingest.workspace import open_workspace
    from coordkit.model.calendar import week_of
    from coordkit.model.campaigns_attribution import attribute_workspace, credit_summary
    from coordkit.present.safe_export import write_safe_csv

    with open_workspace(args.workspace, read_only=True, create=False) as ws:
        credit = attribute_workspace(ws, args.model, week_of=lambda s: week_of(s, ws.config))
        summary = credit_summary(ws, credit, by)
    write_safe_csv(summary, out)  # campaign names come from vendor exports: no spreadsheet formulas
    money = "; ".join(f"{v:,.0f} {c}" for c, v in summary.groupby("currency")["pipeline"].sum().items()) \
        if "currency" in summary.columns else f"{summary['pipeline'].sum():,.0f}"
    print(f"{args.model} by {by}: {summary['outcomes'].sum():.6g} outcomes, pipeline {money} over {len(summary)} rows -> {out}")
    return 0
