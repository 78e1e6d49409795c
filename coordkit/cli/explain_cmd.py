"""``coordkit explain`` and ``coordkit signals``: what moved a number, and is it signal or noise.

Both read one CSV file, call the public analysis function and write one CSV
file; every problem is raised as a :class:`~coordkit.errors.CoordkitError` that
names the file, the column and the value.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coordkit.errors import ParameterError, ReadError

SIGNAL_COLUMNS = ["centre", "lower_limit", "upper_limit", "moving_range", "upper_range_limit", "rule"]
# a spreadsheet treats a cell starting with one of these as a formula


def register(subparsers) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="which segments moved an additive metric between two periods",
        description="Rank segments (single dimension values and pairs) by their share of a metric's "
        "change between two periods; write one row per segment plus a remainder row.",
    )
    explain.add_argument("data", metavar="DATA.csv", help="CSV file, one row per record or pre-aggregated cell")
    explain.add_argument("--metric", required=True, metavar="COL", help="additive metric column, e.g. pipeline")
    explain.add_argument("--by", required=True, metavar="DIM1,DIM2,...", help="dimension columns, comma-separated")
    explain.add_argument("--period-column", required=True, metavar="COL", help="column naming the period of a row")
    explain.add_argument("--before", required=True, metavar="VALUE", help="period to compare from")
    explain.add_argument("--after", required=True, metavar="VALUE", help="period to compare to")
    explain.add_argument("--max-segments", type=int, default=5, metavar="N", help="segments to list (default 5)")
    explain.add_argument("--min-segment-size", type=float, default=1, metavar="ROWS",
                         help="rows a segment needs in one of the periods (default 1)")
    explain.add_argument("--noise-z", type=float, default=3.0, metavar="Z",
                         help="segments whose change is within Z standard deviations of routine are not listed (default 3)")
    explain.add_argument("--out", required=True, metavar="OUT.csv", help="where to write the result")
    explain.set_defaults(handler=run_explain)

    signals = subparsers.add_parser(
        "signals",
        help="XmR chart of a series: limits and which rule fires per point",
        description="Compute natural process limits from the first N points (default all) and judge "
        "every point against them.",
    )
    signals.add_argument("data", metavar="SERIES.csv", help="CSV file, one row per period")
    signals.add_argument("--value", required=True, metavar="COL", help="column holding the series")
    signals.add_argument("--date", metavar="COL", help="column holding the period; rows are sorted by it")
    signals.add_argument("--baseline", type=int, metavar="N", help="points the limits come from (default: all)")
    signals.add_argument("--out", required=True, metavar="OUT.csv", help="where to write the result")
    signals.set_defaults(handler=run_signals)


def run_explain(args: argparse.Namespace) -> int:
    # pandas-free on purpose: importing pandas alone takes longer than this command's 1 s budget
    from coordkit.analysis.drivers import explain_change_columns

    path = Path(args.data)
    columns = _read_text_columns(path)
    result = explain_change_columns(
        columns,
        metric=args.metric,
        by=args.by,
        period_column=args.period_column,
        before=args.before,
        after=args.after,
        max_segments=args.max_segments,
        min_segment_size=args.min_segment_size,
        noise_z=args.noise_z,
        source=path.name,
    )
    _write_columns(result, args.out)
    print(f"wrote {len(result['segment']) - 1} segments and the remainder to {args.out}")
    return 0


def run_signals(args: argparse.Namespace) -> int:
    import pandas as pd

    from coordkit.analysis.signals import compute_xmr, xmr_verdict
    from coordkit.errors import AnalysisError

    path = Path(args.data)
    frame = _read_frame(path)
    for column in [args.value, *([args.date] if args.date else [])]:
        if column not in frame.columns:
            raise AnalysisError(
                f"{path.name}: missing column {column!r}",
                hint=f"columns present: {', '.join(map(str, frame.columns))}",
            )
    values = pd.to_numeric(frame[args.value], errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise AnalysisError(
            f"{path.name}: column {args.value!r}, row {row + 1}: {frame[args.value].iloc[row]!r} is not a number",
            hint="every period needs a value; fill gaps before charting",
        )
    if args.date:
        dates = pd.to_datetime(frame[args.date], errors="coerce", format="mixed")
        if dates.isna().any():
            row = int(dates.isna().to_numpy().nonzero()[0][0])
            raise AnalysisError(
                f"{path.name}: column {args.date!r}, row {row + 1}: {frame[args.date].iloc[row]!r} is not a date"
            )
        order = dates.argsort(kind="stable").to_numpy()
        series = pd.Series(values.to_numpy()[order], index=pd.Index(frame[args.date].to_numpy()[order], name=args.date))
    else:
        series = pd.Series(values.to_numpy())
    chart = compute_xmr(series, baseline=args.baseline)
    columns = ([args.date] if args.date else []) + ["value", *SIGNAL_COLUMNS]
    _write_frame(chart[columns].rename(columns={"value": args.value}), args.out)
    print(xmr_verdict(chart, value_name=f"the latest {args.value}"))
    return 0


def _read_frame(path: Path):
    import pandas as pd

    columns = _read_text_columns(path)
    return pd.DataFrame(columns, dtype="string")


def _read_text_columns(path: Path) -> dict[str, list[str]]:
    """Read a CSV file as text columns with the standard library (no pandas)."""
    import csv

    if not path.is_file():
        raise ReadError(f"{path}: file not found", hint="check the path and the current directory")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise ReadError(f"{path}: the file is empty")
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", hint="save the file as CSV UTF-8") from None
    except csv.Error as exc:
        raise ReadError(f"{path}: cannot read as CSV: {exc}") from None
    width = len(header)
    for line, row in enumerate(rows, start=2):
        if len(row) != width and any(row):
            raise ReadError(f"{path}: line {line} has {len(row)} fields, the header has {width}")
    rows = [row for row in rows if len(row) == width]
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


def _write_columns(columns: dict[str, list], out: str) -> None:
    from coordkit.present.safe_export import write_safe_rows

    names = list(columns)
    try:
        # the one CSV writer: formula prefixes neutralised and line breaks quoted in every cell and header
        write_safe_rows(names, zip(*(columns[name] for name in names)), out)
    except OSError as exc:
        raise ParameterError(f"cannot write {out}: {exc.strerror}") from None


def _write_frame(frame, out: str) -> None:
    from coordkit.present.safe_export import write_safe_csv

    try:
        write_safe_csv(frame, out)
    except OSError as exc:
        raise ParameterError(f"cannot write {out}: {exc.strerror}") from None

