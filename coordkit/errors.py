"""Every error coordkit raises on purpose.

Each carries a message a marketing user can act on (what is wrong, where, what
to do) and an optional ``hint``. The CLI prints ``message`` and ``hint`` and
never a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "AttributionError",
    "CoordkitError",
    "ParameterError",
    "ReadError",
    "ReportError",
    "SchemaError",
    "ValidationError",
    "WorkspaceError",
    "WorkspaceLockedError",
    "allowed_values_message",
]


class CoordkitError(Exception):
    """Base for every error coordkit raises on purpose."""

    #: process exit code used by the CLI (documented in docs/cli.md)
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class ParameterError(CoordkitError, ValueError):
    """A function or command was given a value it does not accept."""

    exit_code = 2


class ReadError(CoordkitError):
    """A file cannot be read at all (missing, empty, undecodable, wrong format)."""

    exit_code = 3


class SchemaError(CoordkitError):
    """An input file does not match the data contract (e.g. a required column is missing)."""

    exit_code = 3


class ValidationError(CoordkitError):
    """Too many rows of a file are invalid, so the file is rejected whole."""

    exit_code = 4


class WorkspaceError(CoordkitError):
    """The workspace is missing, damaged or in use."""

    exit_code = 5


class WorkspaceLockedError(WorkspaceError):
    """Another process holds the workspace's write lock."""

    exit_code = 6


class AttributionError(CoordkitError):
    """Attribution cannot be computed as asked."""

    exit_code = 7


class AnalysisError(CoordkitError):
    """An analysis (signals, bridge, drivers) cannot be computed as asked."""

    exit_code = 8


class ReportError(CoordkitError):
    """Rendering a report failed."""

    exit_code = 9


def allowed_values_message(what: str, value: object, allowed) -> str:
    """Return the one standard phrasing for "bad value, here are the good ones".

    >>> allowed_values_message("model", "lienar", ["first", "linear"])
    "model must be one of 'first', 'linear'; got 'lienar'"
    """
    allowed_text = ", ".join(repr(a) for a in allowed)
    return f"{what} must be one of {allowed_text}; got {value!r}"
