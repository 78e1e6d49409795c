"""``coordkit attribute``: credit per channel from a journey file.

    coordkit attribute EVENTS.csv --preset journey-events --model MODEL \\
        [--order K] [--half-life-hours H] [--interval 0.9] --out OUT.csv
    coordkit attribute PATHS.csv --preset paths --model MODEL --out OUT.csv
    coordkit attribute EVENTS.csv --preset journey-events --compare-models --out OUT.csv
    coordkit attribute EVENTS.csv --preset journey-events --model linear --paths --out OUT.csv
    coordkit attribute --workspace W --model MODEL|sourced --by campaign|channel --out OUT.csv

writes one row per channel: ``channel,conversions,conversion_value`` (with
``--interval``: ``conversions_low,conversions_high,conversion_value_low,
conversion_value_high,share,share_low,share_high`` after them); with
``--compare-models`` one row per (channel, model) with the change against
last touch. Files are read with DuckDB and attributed with numpy (the array
engine of docs/attribution.md): no pandas or Ibis at start-up. With
``--workspace`` the whole workspace is attributed by canonical campaign or
channel instead (``attribute_workspace``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coordkit.cli.attribute_workspace import add_workspace_arguments, run_workspace_attribution
from coordkit.errors import ParameterError, ReadError, allowed_values_message

PRESETS = ("journey-events", "paths")
MODELS = ("first", "last", "linear", "time_decay", "position", "u_shaped", "w_shaped", "markov", "shapley")
CREDIT_COLUMNS = ["channel", "conversions", "conversion_value"]
INTERVAL_COLUMNS = [
    "conversions_low", "conversions_high", "conversion_value_low", "conversion_value_high",
    "share", "share_low", "share_high",
]
COMPARE_COLUMNS = ["channel", "model", "conversions", "conversion_value", "share", "change_vs_last",
                   "change_vs_last_pct"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "attribute",
        help="multi-touch attribution of a journey file: credit per channel",
        description=(
            "Attribute conversions of an event-level (--preset journey-events) or path-level "
            "(--preset paths) journey file to channels and write channel,conversions,conversion_value."
        ),
    )
    parser.add_argument("file", metavar="FILE", nargs="?", help="event-level CSV or ';'-separated path file")
    parser.add_argument("--preset", default=None, help=f"one of {', '.join(PRESETS)} (with FILE)")
    parser.add_argument("--model", default=None, help=f"one of {', '.join(MODELS)}")
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
    _register_interval_and_compare(parser)
    parser.add_argument("--out", required=True, help="CSV file to write")
    add_workspace_arguments(parser)
    parser.set_defaults(handler=run_attribute)


def _register_interval_and_compare(parser) -> None:
    parser.add_argument(
        "--interval", default=None, metavar="LEVEL",
        help="add bootstrap intervals at this level, e.g. 0.9 (columns *_low, *_high, share)",
    )
    parser.add_argument("--resamples", default="1000", help="bootstrap resamples for --interval (default 1000)")
    parser.add_argument("--seed", default="0", help="random seed of the bootstrap (default 0)")
    parser.add_argument(
        "--compare-models", action="store_true",
        help="every model side by side with the change against last touch (instead of --model)",
    )
    parser.add_argument(
        "--paths", action="store_true",
        help="also print the top conversion paths, path lengths, days to convert and the model's "
        "early/mid/late credit (GA4's conversion-paths report)",
    )


def _number(text, what: str, cast):
    try:
        return cast(text)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be a number; got {text!r}") from None


def _check_options(args: argparse.Namespace) -> dict:
    if not args.file:
        raise ParameterError("give a journey FILE (with --preset) or --workspace DIR")
    if args.by:
        raise ParameterError("--by applies to --workspace only")
    if args.preset not in PRESETS:
        raise ParameterError(allowed_values_message("--preset", args.preset, PRESETS))
    if args.compare_models:
        if args.model is not None:
            raise ParameterError("--compare-models runs every model; leave out --model")
        if args.interval is not None:
            raise ParameterError("--interval applies to one --model; leave it out with --compare-models")
    elif args.model is None:
        raise ParameterError(f"give --model (one of {', '.join(MODELS)}) or --compare-models")
    elif args.model not in MODELS:
        raise ParameterError(allowed_values_message("--model", args.model, MODELS))
    model = args.model or "markov"
    order = _number(args.order, "--order", int)
    if args.order != "1" and model != "markov":
        raise ParameterError(f"--order applies to --model markov only; got --model {args.model}")
    options = {"order": order, "allocation": args.allocation, "ordered": args.ordered}
    if args.half_life_hours is not None:
        if model != "time_decay" and not args.compare_models:
            raise ParameterError(f"--half-life-hours applies to --model time_decay only; got --model {args.model}")
        options["half_life_hours"] = _number(args.half_life_hours, "--half-life-hours", float)
        if not options["half_life_hours"] > 0:
            raise ParameterError(f"--half-life-hours must be positive; got {args.half_life_hours!r}")
    if args.ordered and args.model != "shapley":
        raise ParameterError(f"--ordered applies to --model shapley only; got --model {args.model}")
    if args.allocation is not None:
        if args.model not in ("markov", "shapley"):
            raise ParameterError(
                f"--allocation applies to --model markov or shapley only; got --model {args.model}"
            )
        allowed = ("global", "journey")
        if args.allocation not in allowed:
            raise ParameterError(allowed_values_message(f"{args.model} allocation", args.allocation, allowed))
    return options


def _read(args: argparse.Namespace):
    from coordkit.model.attribution.duck import read_event_arrays, read_path_arrays

    return read_path_arrays(args.file) if args.preset == "paths" else read_event_arrays(args.file)


def _credit(arrays, model: str, options: dict) -> dict:
    from coordkit.model.attribution import array_models

    if model == "shapley":
        return array_models.shapley_channel_credit(
            arrays, ordered=options["ordered"], allocation=options["allocation"] or "journey"
        )
    extra = {"order": options["order"], "allocation": options["allocation"] or "global"}
    if "half_life_hours" in options:
        extra["half_life_hours"] = options["half_life_hours"]
    return array_models.channel_credit(arrays, model, **extra)


def _check_out(out: Path) -> None:
    if out.parent and not out.parent.is_dir():
        raise ReadError(f"--out {out}: folder {out.parent} does not exist")


def _warn_low_volume(model: str, arrays) -> None:
    from coordkit.model.attribution.intervals import low_volume_warning

    message = low_volume_warning(model, float(arrays.conversions.sum()))
    if message:
        print(f"warning: {message}", file=sys.stderr)


def _run_interval(args: argparse.Namespace, arrays, options: dict, out: Path) -> dict:
    """``--interval``: bootstrap the chosen model and write the credit with its bounds."""
    from coordkit.model.attribution.intervals import bootstrap_credit

    level = _number(args.interval, "--interval", float)
    resamples = _number(args.resamples, "--resamples", int)
    seed = _number(args.seed, "--seed", int)
    result = bootstrap_credit(
        arrays, args.model, level=level, resamples=resamples, seed=seed, order=options["order"],
        half_life_hours=options.get("half_life_hours"), allocation=options["allocation"],
        ordered=options["ordered"],
    )
    columns = CREDIT_COLUMNS + INTERVAL_COLUMNS
    _write(columns, result, out)
    return result


def _run_compare(args: argparse.Namespace, arrays, options: dict, out: Path) -> None:
    """``--compare-models``: every model on the same journeys, change against last touch."""
    from coordkit.model.attribution.paths_report import COMPARE_MODELS, compare_models

    models = [m for m in COMPARE_MODELS if not (m == "time_decay" and arrays.age_seconds is None)]
    extra = {k: options[k] for k in ("order", "half_life_hours") if k in options}
    table = compare_models(arrays, models, **extra)
    _write(COMPARE_COLUMNS, table, out)
    _warn_low_volume("markov", arrays)
    print(_compare_text(table, models))
    print(f"{len(models)} models over {len(arrays.channels)} channels -> {out}")


def _compare_text(table: dict, models: list) -> str:
    """A wide text table: one row per channel, conversions per model (change vs last in brackets)."""
    cells: dict = {}
    for channel, model, conv, change in zip(table["channel"], table["model"], table["conversions"],
                                            table["change_vs_last"]):
        cells.setdefault(channel, {})[model] = f"{conv:.1f}" + ("" if model == "last" else f" ({change:+.1f})")
    width = max(len(c) for c in cells) if cells else 7
    lines = [f"{'channel':<{width}}  " + "  ".join(f"{m:>16}" for m in models)]
    for channel, row in cells.items():
        lines.append(f"{channel:<{width}}  " + "  ".join(f"{row[m]:>16}" for m in models))
    return "\n".join(lines)


def _print_paths(arrays, model: str, options: dict) -> None:
    """``--paths``: GA4-style conversion-path tables as text."""
    from coordkit.model.attribution.paths_report import (
        days_to_convert_table,
        path_length_table,
        stage_credit,
        top_paths,
    )

    top = top_paths(arrays, limit=10)
    print("top conversion paths")
    for path, conv, share, days in zip(top["path"], top["conversions"], top["share"], top["mean_days_to_convert"]):
        print(f"  {conv:10.6g}  {share:6.1%}  " + (f"{days:6.1f} days  " if days is not None else "") + path)
    lengths = path_length_table(arrays)
    print("conversions by path length: " + ", ".join(
        f"{n} touch{'es' if n > 1 else ''} {c:.6g}" for n, c in zip(lengths["touches"], lengths["conversions"])))
    days = days_to_convert_table(arrays)
    if days["days"]:
        print("conversions by days to convert: " + ", ".join(f"{d}: {c:.6g}" for d, c in zip(days["days"], days["conversions"])))
    if model == "shapley":
        return  # Shapley credits channels, not touches: no early/mid/late split
    extra = {k: options[k] for k in ("order", "half_life_hours") if k in options and
             ((k == "order" and model == "markov") or (k == "half_life_hours" and model == "time_decay"))}
    stages = stage_credit(arrays, model, **extra)
    print(f"{model} credit by stage (early / mid / late touchpoints)")
    cells: dict = {}
    for channel, stage, conv in zip(stages["channel"], stages["stage"], stages["conversions"]):
        cells.setdefault(channel, []).append(conv)
    for channel, row in cells.items():
        print(f"  {channel:<24} " + " / ".join(f"{c:9.2f}" for c in row))


def _write(columns: list, table: dict, out: Path) -> None:
    from coordkit.present.safe_export import write_safe_rows

    def plain(value):
        return value.item() if hasattr(value, "item") else value

    rows = zip(*([plain(v) for v in table[c]] for c in columns))
    # channel labels come from the file: write_safe_rows neutralises spreadsheet formulas
    write_safe_rows(columns, rows, out)


def run_attribute(args: argparse.Namespace) -> int:
    """Read the file, attribute, write the per-channel CSV."""
    if args.workspace:
        return run_workspace_attribution(args)
    options = _check_options(args)
    out = Path(args.out)
    _check_out(out)
    arrays = _read(args)
    if args.compare_models:
        _run_compare(args, arrays, options, out)
        return 0
    if args.model == "time_decay" and arrays.age_seconds is None:
        from coordkit.errors import AttributionError

        raise AttributionError(
            "time_decay needs touch times; path files carry none", hint="use an event-level file, or another model"
        )
    _warn_low_volume(args.model, arrays)
    if args.interval is not None:
        credit = _run_interval(args, arrays, options, out)
    else:
        credit = _credit(arrays, args.model, options)
        _write(CREDIT_COLUMNS, credit, out)
    if args.paths:
        _print_paths(arrays, args.model, options)
    print(
        f"{args.model}: {float(sum(credit['conversions'])):.6g} conversions worth "
        f"{float(sum(credit['conversion_value'])):.6g} over {len(credit['channel'])} channels -> {out}"
    )
    return 0
