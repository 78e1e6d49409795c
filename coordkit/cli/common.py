"""Helpers shared by CLI sub-commands: common options and printing."""

from __future__ import annotations

import sys

from coordkit.contract import TABLES

# pandas is imported by the commands that need it, not here: every command loads this module,
# and importing pandas costs 1-2 s of start-up (``coordkit explain`` has a one-second budget)


def add_workspace_option(parser) -> None:
    parser.add_argument("--workspace", "-w", default=".", metavar="DIR", help="workspace folder (default: current folder)")


def add_read_options(parser) -> None:
    parser.add_argument("--as", dest="table", choices=tuple(TABLES), help="canonical table the file maps onto (default: the preset's)")
    parser.add_argument("--preset", default=None, metavar="NAME", help="preset name or path of a preset .yaml (default: canonical column names)")
    parser.add_argument("--encoding", default=None, help="file encoding (default: auto-detect)")
    parser.add_argument("--delimiter", default=None, help="CSV delimiter (default: sniffed among , ; TAB |)")
    parser.add_argument("--max-bad-share", type=float, default=None, metavar="SHARE",
                        help="reject the whole file when more than this share of rows is bad (default 0.25)")
    parser.add_argument("--locale", default=None, metavar="LOCALE",
                        help="how numbers are written: en (1,234.50), de (1.234,50), fr (1 234,50), ch (1'234.50) "
                        "or auto (default: the preset's, else decided per column from the whole file)")
    parser.add_argument("--date-order", default=None, choices=("auto", "dmy", "mdy", "ymd"),
                        help="day/month order of dates like 03/04/2026 (default: the preset's, else decided from the file)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file (counts and located messages)")
    parser.add_argument("--channel-policy", choices=("other", "reject", "keep"), default=None,
                        help="unknown channels: map to 'other' with a warning (default), reject the row, or keep the label")


def read_options(args) -> dict:
    options = {}
    for name in ("encoding", "delimiter", "max_bad_share", "channel_policy", "locale", "date_order"):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    return options


def print_messages(lines: list[str], total_rejected: int, limit: int, stream=None, more_hint: str = "") -> None:
    """Print grouped messages (repeats folded into one line each), at most ``limit``."""
    stream = stream or sys.stdout
    for line in lines[:limit]:
        print(f"  {line}" if line.startswith("warning") else f"  rejected: {line}", file=stream)
    if len(lines) > limit:
        print(f"  ... and {len(lines) - limit} more message lines ({total_rejected} rejected rows in all; {more_hint})", file=stream)


def print_rejections(rejected, limit: int, stream=None, more_hint: str = "coordkit status --rejected lists them all") -> None:
    # sys.stdout is looked up per call: a default bound at import time would bypass redirection
    stream = stream or sys.stdout
    if rejected is None or rejected.empty:
        return
    for reason in rejected["reason"].head(limit):
        print(f"  rejected: {reason}", file=stream)
    if len(rejected) > limit:
        print(f"  ... and {len(rejected) - limit} more rejected rows ({more_hint})", file=stream)
