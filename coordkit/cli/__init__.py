"""The ``coordkit`` command line.

Each sub-command lives in its own module in this package and exposes
``register(subparsers)``; ``main`` wires them up, runs one, and turns every
:class:`~coordkit.errors.CoordkitError` into a one-line message plus a hint and
a documented exit code (see ``docs/cli.md``). Failures of the machine rather
than of coordkit (no permission, a file where a folder is expected, a full
disk, a closed pipe as in ``coordkit status | head``, Ctrl-C) get their own
one-line message and exit code too; only what is left is reported as a bug.
``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
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
    "coordkit.cli.checkins_cmd",
    "coordkit.cli.forget_cmd",
    "coordkit.cli.campaigns_cmd",
    "coordkit.cli.funnel_cmd",
)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERNAL = 70
#: sysexits.h: cannot create an output file (a file where a folder is expected, or the reverse)
EXIT_CANNOT_CREATE = 73
#: sysexits.h: input/output error (disk full, other operating-system errors)
EXIT_IO = 74
#: sysexits.h: no permission (including a read-only file system)
EXIT_NO_PERMISSION = 77
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE, what a shell reports for a program whose reader went away (`coordkit status | head`)
EXIT_BROKEN_PIPE = 141

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _where(exc: OSError) -> str:
    return f" ({exc.filename})" if getattr(exc, "filename", None) else ""


def environment_failure(exc: BaseException) -> tuple[int, str, str] | None:
    """(exit code, message, hint) when ``exc`` is the machine's failure rather than coordkit's, else None."""
    if isinstance(exc, OSError):
        where = _where(exc)
        if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
            return (EXIT_NO_PERMISSION, f"permission denied{where}: {exc.strerror or exc}",
                    "check who may write there (ls -ld the folder), or choose another folder with --out or --workspace")
        if isinstance(exc, NotADirectoryError):
            return (EXIT_CANNOT_CREATE, f"a file is in the way where a folder is expected{where}",
                    "point --out or --workspace at a folder, or move that file away")
        if isinstance(exc, IsADirectoryError):
            return (EXIT_CANNOT_CREATE, f"a folder is in the way where a file is expected{where}",
                    "name a file, not a folder")
        if isinstance(exc, FileExistsError):
            return (EXIT_CANNOT_CREATE, f"already exists{where}", "choose another name or remove it first")
        if exc.errno in _DISK_FULL:
            return (EXIT_IO, f"the disk is full{where}",
                    "free some space and run again; reports and the store are replaced only by complete files")
        return (EXIT_IO, f"the operating system refused: {exc.strerror or exc}{where}", "check the path and the disk")
    # DuckDB reports file-system failures as its own IOException, with the OS's words in the text
    text = str(exc)
    if type(exc).__name__ in ("IOException", "IOError"):
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return (EXIT_IO, f"the disk is full: {text.splitlines()[0]}", "free some space and run again")
        if "Permission denied" in text or "Read-only file system" in text:
            return (EXIT_NO_PERMISSION, f"permission denied: {text.splitlines()[0]}",
                    "check who may write to the workspace folder; do not move or delete its store (check-in notes live there)")
    return None


def _silence_stdout() -> None:
    # the reader is gone: point stdout at /dev/null so the interpreter's final flush does not fail again
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


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
        print("interrupted: nothing half-written was published (reports and the store are replaced only by complete files)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()  # `coordkit status | head`: the reader has all it wanted; say nothing more
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        if debug:
            traceback.print_exc()
        known = environment_failure(exc)
        if known is not None:
            code, message, hint = known
            print(f"error: {message}", file=sys.stderr)
            print(f"hint: {hint}", file=sys.stderr)
            return code
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("hint: this is a bug in coordkit; re-run with --debug and report the traceback", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
