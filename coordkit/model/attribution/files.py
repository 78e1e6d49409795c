"""Read journey files: event-level (one row per touch) and path-level (one row per path).

Event files go through the ingest layer (``read_table`` with the
``journey-events`` preset) when it is available; otherwise a small pandas
reader validates the handful of columns attribution needs itself. Path files
(``path;total_conversions;total_conversion_value;total_null``, channels
joined by ``" > "``) are read here: repeated path strings are summed.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from coordkit.errors import ReadError, SchemaError, ValidationError
from coordkit.model.attribution.journeys import (
    CONVERSION_ACTION,
    journeys_from_events,
    journeys_from_paths,
)

__all__ = [
    "PATH_SEPARATOR",
    "event_journeys",
    "path_journeys",
    "read_events",
    "read_paths",
]

PATH_SEPARATOR = " > "
PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
#: the journey-events preset's mapping, used by the fallback reader
_EVENT_MAPPING = {
    "customer_id": "contact_id",
    "time": "touched_at",
    "interaction": "action",
    "conversion_value": "conversion_value",
    "channel": "channel",
}
_ACTIONS = ("impression", CONVERSION_ACTION)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ReadError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise ReadError(f"{path}: the file is empty")


def read_events(path: str | Path, preset: str = "journey-events") -> pd.DataFrame:
    """Read an event-level journey file into canonical touchpoint columns.

    Returns ``contact_id, touched_at (UTC), channel, action, conversion_value``.
    """
    path = Path(path)
    _check_file(path)
    try:
        from coordkit.ingest.validate import read_table
    except ImportError:  # the ingest layer is not there yet: validate here
        return _read_events_with_pandas(path)
    result = read_table(path, "touchpoints", preset=preset)
    accepted = result.accepted
    if len(result.rejected):
        first = result.rejected.iloc[0]
        raise ValidationError(
            f"{path.name}: {len(result.rejected)} row(s) rejected, e.g. {first.get('reason', first.to_dict())}",
            hint="fix or remove those rows: attribution would silently lose their journeys",
        )
    needed = ["contact_id", "touched_at", "channel", "action", "conversion_value"]
    missing = [c for c in needed if c not in accepted.columns]
    if missing:
        raise SchemaError(f"{path.name}: preset {preset!r} gives no column(s) {missing}")
    return accepted[needed].reset_index(drop=True)


def _read_events_with_pandas(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ReadError(f"{path.name}: cannot be read as CSV ({exc})") from None
    missing = [c for c in _EVENT_MAPPING if c not in raw.columns and c != "conversion_value"]
    if missing:
        raise SchemaError(
            f"{path.name}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"the journey-events preset needs customer_id, time, interaction, channel "
            f"(and optionally conversion_value)"
        )
    frame = raw.rename(columns=_EVENT_MAPPING)
    rows = pd.Series(range(2, len(frame) + 2))  # header is line 1
    times = pd.to_datetime(frame["touched_at"], utc=True, errors="coerce", format="ISO8601")
    bad = times.isna()
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise ValidationError(
            f"{path.name} row {rows[i]}, column time: {frame['touched_at'].iloc[i]!r} is not a date-time "
            f"({int(bad.sum())} bad row(s))"
        )
    action = frame["action"].str.strip().str.lower()
    bad = ~action.isin(_ACTIONS)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise ValidationError(
            f"{path.name} row {rows[i]}, column interaction: {frame['action'].iloc[i]!r} is not one of "
            f"{', '.join(repr(a) for a in _ACTIONS)}"
        )
    if "conversion_value" in frame.columns:
        value = pd.to_numeric(frame["conversion_value"].replace("", "0"), errors="coerce")
        bad = value.isna() | (value < 0)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise ValidationError(
                f"{path.name} row {rows[i]}, column conversion_value: "
                f"{frame['conversion_value'].iloc[i]!r} is not a non-negative number"
            )
    else:
        value = pd.Series(1.0, index=frame.index)
    channel = frame["channel"].str.strip()
    bad = channel == ""
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise ValidationError(f"{path.name} row {rows[i]}, column channel: empty channel")
    return pd.DataFrame(
        {
            "contact_id": frame["contact_id"].astype(object),
            "touched_at": times,
            "channel": channel.astype(object),
            "action": action.astype(object),
            "conversion_value": value.astype("float64"),
        }
    )


def read_paths(path: str | Path, separator: str = ";", path_separator: str = PATH_SEPARATOR) -> pd.DataFrame:
    """Read a path-level file and sum repeated paths.

    Returns ``path`` (tuple of channels), ``conversions``,
    ``conversion_value``, ``non_conversions``, one row per distinct path.
    """
    path = Path(path)
    _check_file(path)
    try:
        raw = pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ReadError(f"{path.name}: cannot be read as a {separator!r}-separated file ({exc})") from None
    missing = [c for c in PATH_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError(
            f"{path.name}: missing column(s) {', '.join(repr(c) for c in missing)}; a path file has "
            f"{', '.join(PATH_COLUMNS)} separated by {separator!r}",
            hint="path files are ';'-separated; channels inside a path are joined by ' > '",
        )
    numbers = {}
    for column in PATH_COLUMNS[1:]:
        value = pd.to_numeric(raw[column].replace("", "0"), errors="coerce")
        bad = value.isna() | (value < 0)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise ValidationError(
                f"{path.name} row {i + 2}, column {column}: {raw[column].iloc[i]!r} is not a non-negative number"
            )
        numbers[column] = value.astype("float64")
    steps = raw["path"].str.split(path_separator, regex=False).map(lambda parts: tuple(p.strip() for p in parts))
    bad = steps.map(lambda parts: any(p == "" for p in parts))
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise ValidationError(f"{path.name} row {i + 2}, column path: {raw['path'].iloc[i]!r} has an empty channel")
    frame = pd.DataFrame(
        {
            "path": steps,
            "conversions": numbers["total_conversions"],
            "conversion_value": numbers["total_conversion_value"],
            "non_conversions": numbers["total_null"],
        }
    )
    return frame.groupby("path", sort=True, as_index=False).sum()


def event_journeys(events: pd.DataFrame) -> ir.Table:
    """Touch table (Ibis, embedded DuckDB) of an event frame from :func:`read_events`."""
    return journeys_from_events(ibis.memtable(events))


def path_journeys(paths: pd.DataFrame) -> ir.Table:
    """Touch table (Ibis, embedded DuckDB) of a path frame from :func:`read_paths`."""
    frame = pd.DataFrame(
        {
            "path": [list(p) for p in paths["path"]],
            "conversions": paths["conversions"].astype("float64"),
            "conversion_value": paths["conversion_value"].astype("float64"),
            "non_conversions": paths["non_conversions"].astype("float64"),
        }
    )
    return journeys_from_paths(ibis.memtable(frame))
