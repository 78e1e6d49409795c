"""The ``coordkit`` command line.

Each sub-command lives in its own module in this package and exposes
``register(subparsers)``; ``main`` wires them up, runs one, and turns every
:class:`~coordkit.errors.CoordkitError` into a one-line message plus a hint and
a documented exit code (see ``docs/cli.md``). ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from coordkit.errors import CoordkitError

# Sub-command modules, in the order `coordkit --help` lists them. A module that
# is missing (work in progress) is skipped rather than breaking the whole CLI.
COMMAND_MODULES = (
    "coordkit.cli.demo_cmd",
    "coordkit.cli.ingest_cmd",
    "coordkit.cli.attribute_cmd",
    "coordkit.cli.review_cmd",
    "coordkit.cli.explain_cmd",
    "coordkit.cli.notebooks_cmd",
    "coordkit.cli.campaigns_cmd",
    "coordkit.cli.funnel_cmd",
)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coordkit",
        description="Did this week's marketing work move the numbers that matter?",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return EXIT_USAGE
        result = args.handler(args)
        return int(result or EXIT_OK)
    except CoordkitError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        if debug:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("hint: this is a bug in coordkit; re-run with --debug and report the traceback", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
