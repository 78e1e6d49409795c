"""``coordkit attribute``: credit per channel from a journey file.

    coordkit attribute EVENTS.csv --preset journey-events --model MODEL \\
        [--order K] [--half-life-hours H] --out OUT.csv
    coordkit attribute PATHS.csv --preset paths --model MODEL --out OUT.csv

writes one row per channel: ``channel,conversions,conversion_value``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coordkit.errors import ParameterError, ReadError, allowed_values_message

PRESETS = ("journey-events", "paths")
MODELS = ("first", "last", "linear", "time_decay", "position", "w_shaped", "markov", "shapley")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "attribute",
        help="multi-touch attribution of a journey file: credit per channel",
        description=(
            "Attribute conversions of an event-level (--preset journey-events) or path-level "
            "(--preset paths) journey file to channels and write channel,conversions,conversion_value."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="event-level CSV or ';'-separated path file")
    parser.add_argument("--preset", required=True, help=f"one of {', '.join(PRESETS)}")
    parser.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}")
    parser.add_argument("--order", default="1", help="Markov order, 1 to 4 (default 1)")
    parser.add_argument(
        "--half-life-hours", default=None, help="time_decay half-life in hours (default 168 = 7 days)"
    )
    parser.add_argument(
        "--allocation",
        default=None,
        help="markov: global (default) or journey; shapley: journey (default) or global",
    )
    parser.add_argument("--ordered", action="store_true", help="shapley: the ordered variant")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.set_defaults(handler=run_attribute)


def _number(text, what: str, cast):
    try:
        return cast(text)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be a number; got {text!r}") from None


def run_attribute(args: argparse.Namespace) -> int:
    """Read the file, attribute, write the per-channel CSV."""
    if args.preset not in PRESETS:
        raise ParameterError(allowed_values_message("--preset", args.preset, PRESETS))
    if args.model not in MODELS:
        raise ParameterError(allowed_values_message("--model", args.model, MODELS))
    order = _number(args.order, "--order", int)
    if args.order != "1" and args.model != "markov":
        raise ParameterError(f"--order applies to --model markov only; got --model {args.model}")
    options = {"order": order, "allocation": args.allocation, "ordered": args.ordered}
    if args.half_life_hours is not None:
        if args.model != "time_decay":
            raise ParameterError(f"--half-life-hours applies to --model time_decay only; got --model {args.model}")
        options["half_life_hours"] = _number(args.half_life_hours, "--half-life-hours", float)
    if args.ordered and args.model != "shapley":
        raise ParameterError(f"--ordered applies to --model shapley only; got --model {args.model}")
    if args.allocation is not None and args.model not in ("markov", "shapley"):
        raise ParameterError(f"--allocation applies to --model markov or shapley only; got --model {args.model}")

    # imported here so `coordkit --help` stays fast
    from coordkit.model.attribution import (
        credit_by_channel,
        event_journeys,
        path_journeys,
        read_events,
        read_paths,
    )

    if args.preset == "paths":
        touches = path_journeys(read_paths(args.file))
    else:
        touches = event_journeys(read_events(args.file, preset=args.preset))
    credit = credit_by_channel(touches, args.model, **options)
    out = Path(args.out)
    if out.parent and not out.parent.is_dir():
        raise ReadError(f"--out {out}: folder {out.parent} does not exist")
    from coordkit.present.safe_export import write_safe_csv

    write_safe_csv(credit, out)  # channel labels come from the file: no spreadsheet formulas
    print(
        f"{args.model}: {credit['conversions'].sum():.6g} conversions worth "
        f"{credit['conversion_value'].sum():.6g} over {len(credit)} channels -> {out}"
    )
    return 0
