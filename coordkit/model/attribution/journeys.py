"""Journeys as a touch table: one row per touch, placed in its journey.

Every attribution model reads the same *touch table* (an Ibis table), built
here from event-level rows or from path-level rows:

=================  =========  ==================================================
column             type       meaning
=================  =========  ==================================================
``journey_id``     string     the journey the touch belongs to
``position``       int64      0-based position of the touch in its journey
``n_touches``      int64      number of touches in the journey
``channel``        string     channel of the touch
``age_seconds``    float64    seconds from the touch to the journey's end (its
                              conversion, else its last touch); null when the
                              source has no times (path files)
``conversions``    float64    conversions the journey stands for (0 or 1 for an
                              event journey; a count for a path row)
``conversion_value`` float64  value those conversions are worth
``non_conversions`` float64   journeys of this path that did not convert
``next_channel``   string     optional (event journeys have it): channel of the
                              next touch in the journey, null on the last one;
                              order-1 Markov uses it instead of a window
=================  =========  ==================================================

Everything is written with portable Ibis operations (see ENGINE_NOTES): ages
from epoch seconds, float64 casts before dividing, and struct-collect-and-sort
to build ordered paths, so the same code runs on DuckDB and on PySpark.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from coordkit.errors import SchemaError

__all__ = [
    "CONVERSION_ACTION",
    "TOUCH_COLUMNS",
    "distinct_paths",
    "journey_summary",
    "journeys_from_events",
    "journeys_from_paths",
    "require_columns",
]

TOUCH_COLUMNS = (
    "journey_id",
    "position",
    "n_touches",
    "channel",
    "age_seconds",
    "conversions",
    "conversion_value",
    "non_conversions",
)

#: the ``action`` value that marks a conversion row in event-level files
CONVERSION_ACTION = "conversion"

EVENT_COLUMNS = ("contact_id", "touched_at", "channel", "action")


def require_columns(table: ir.Table, needed, what: str) -> None:
    """Raise SchemaError naming every column of ``needed`` that ``table`` lacks."""
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise SchemaError(
            f"{what}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"it has {', '.join(repr(c) for c in table.columns)}",
            hint="map the export onto the canonical touchpoints columns with a preset",
        )


def _f64(value) -> ir.Value:
    # Spark turns bare float literals into DECIMAL; an explicit float64 keeps
    # every backend on the same arithmetic (ENGINE_NOTES trap 2).
    return ibis.literal(value, type="float64")


def epoch_seconds(stamp: ir.TimestampValue) -> ir.FloatingValue:
    """Seconds since 1970-01-01 UTC as float64, written once for every backend.

    Ibis compiles ``epoch_seconds()`` on DuckDB as ``EPOCH(CAST(x AS TIMESTAMP))``,
    which sends every TIMESTAMPTZ value through ICU's time-zone conversion (about
    2.5 s per 10M rows, and wall-clock dependent in a non-UTC session). When the
    column lives in a DuckDB connection, DuckDB's own ``epoch_us`` gives the same
    number (whole seconds exactly) with no conversion; every other backend, and
    unbound memtables, use the portable form (ENGINE_NOTES trap 3: never
    ``delta``). Spark's ``unix_timestamp`` keeps whole seconds only; see
    docs/scale.md.
    """
    if _backend_name(stamp) == "duckdb" and stamp.type().is_timestamp():
        return _duckdb_epoch_us(stamp).cast("float64") / _f64(1e6)
    return stamp.epoch_seconds().cast("float64")


@ibis.udf.scalar.builtin(name="epoch_us", signature=((dt.timestamp,), dt.int64))
def _duckdb_epoch_us(stamp):
    """DuckDB's builtin ``epoch_us`` (microseconds since the epoch, no time-zone work)."""


def _backend_name(expr) -> str | None:
    """Name of the backend an expression is bound to; None for unbound memtables."""
    from ibis.expr.operations import DatabaseTable

    backends = {op.source for op in expr.op().find(DatabaseTable)}
    if len(backends) != 1:
        return None
    return getattr(next(iter(backends)), "name", None)


def journeys_from_events(events: ir.Table, conversion_action: str = CONVERSION_ACTION) -> ir.Table:
    """Split each contact's events into journeys and return the touch table.

    Events are sorted by contact then time; a journey ends at, and includes,
    each conversion row (``action == conversion_action``); touches after a
    contact's last conversion form one non-converting journey. At equal times
    a conversion sorts after the other touches (it closes the journey they
    belong to), then channels sort by name, then values, so the result never
    depends on file order.

    ``events`` needs ``contact_id``, ``touched_at``, ``channel`` and ``action``;
    ``conversion_value`` is optional (a conversion is then worth 1).

    Besides :data:`TOUCH_COLUMNS` the table carries ``next_channel``: the
    channel of the next touch in the same journey (null on its last touch),
    which lets order-1 Markov count transitions without another window.

    Cost: one ordered window per contact (a running count of conversions gives
    each touch its journey number, a row number its rank, ``lead`` the next
    channel), then a group-by per journey joined back for the journey's size,
    end time, value and outcome. Building ordered paths dominates every run
    (ENGINE_NOTES); a second window partitioned by journey cost twice as much.
    """
    require_columns(events, EVENT_COLUMNS, "events")
    has_value = "conversion_value" in events.columns
    is_conversion = (events.action == conversion_action).cast("int64")
    value = events.conversion_value.cast("float64").fill_null(0.0) if has_value else _f64(1.0)
    t = events.select(
        contact_id=events.contact_id.cast("string"),
        channel=events.channel.cast("string"),
        is_conversion=is_conversion,
        epoch=epoch_seconds(events.touched_at),
        value=ibis.ifelse(is_conversion == 1, value, _f64(0.0)),
    )
    # value last: two conversions of one contact at the same instant and channel
    # would otherwise swap values between their journeys depending on the engine
    order = [t.epoch, t.is_conversion, t.channel, t.value]
    ranked = ibis.window(group_by=t.contact_id, order_by=order)
    # conversions strictly before this row = the index of the journey it is in
    upto_here = ibis.window(group_by=t.contact_id, order_by=order, rows=(None, 0))
    t = t.mutate(
        journey_index=t.is_conversion.sum().over(upto_here) - t.is_conversion,
        rank=ibis.row_number().over(ranked).cast("int64"),
        # a conversion closes its journey: the contact's next touch starts another
        next_channel=ibis.ifelse(t.is_conversion == 1, ibis.null("string"), t.channel.lead().over(ranked)),
    )
    journeys = t.group_by(["contact_id", "journey_index"]).aggregate(
        first_rank=t.rank.min(),
        n_touches=t.rank.count().cast("int64"),
        converted=t.is_conversion.max(),
        end_epoch=ibis.coalesce(t.epoch.max(where=t.is_conversion == 1), t.epoch.max()),
        conversion_value=t.value.sum(),
    )
    j = t.join(journeys, ["contact_id", "journey_index"])
    touches = j.select(
        journey_id=j.contact_id.concat(ibis.literal("#"), j.journey_index.cast("string")),
        position=(j.rank - j.first_rank).cast("int64"),
        n_touches=j.n_touches,
        channel=j.channel,
        age_seconds=j.end_epoch - j.epoch,
        conversions=j.converted.cast("float64"),
        conversion_value=j.conversion_value,
        non_conversions=(1 - j.converted).cast("float64"),
        next_channel=j.next_channel,
    )
    # a plain projection on top of the finished join: Ibis would otherwise extend
    # this join chain when a caller joins the touch table with itself (Shapley does)
    return touches.select(*touches.columns)


def journeys_from_paths(paths: ir.Table) -> ir.Table:
    """Return the touch table of path-level rows.

    ``paths`` has ``path`` (array of channel names in journey order),
    ``conversions``, ``conversion_value`` and ``non_conversions``; each row
    becomes one weighted journey. Ages are unknown (null).
    """
    require_columns(paths, ("path", "conversions", "conversion_value", "non_conversions"), "paths")
    numbered = paths.mutate(
        journey_id=(ibis.row_number()).cast("string"), n_touches=paths.path.length().cast("int64")
    )
    touches = numbered.select(
        "journey_id",
        "n_touches",
        conversions=numbered.conversions.cast("float64"),
        conversion_value=numbered.conversion_value.cast("float64"),
        non_conversions=numbered.non_conversions.cast("float64"),
        channel=numbered.path,
    ).unnest("channel", offset="position")
    return touches.select(
        "journey_id",
        position=touches.position.cast("int64"),
        n_touches="n_touches",
        channel=touches.channel.cast("string"),
        age_seconds=ibis.null("float64"),
        conversions="conversions",
        conversion_value="conversion_value",
        non_conversions="non_conversions",
    )


def distinct_paths(touches: ir.Table) -> pd.DataFrame:
    """Aggregate a touch table to its distinct ordered channel paths (pandas).

    Returns columns ``path`` (tuple of channels), ``conversions``,
    ``conversion_value``, ``non_conversions``: the small input Markov and
    Shapley work on. Paths are ordered by collecting (position, channel)
    structs and sorting them, which runs on DuckDB and Spark alike.
    """
    require_columns(touches, TOUCH_COLUMNS, "touch table")
    per_journey = touches.group_by("journey_id").aggregate(
        steps=ibis.struct({"position": touches.position, "channel": touches.channel}).collect(),
        conversions=touches.conversions.max(),
        conversion_value=touches.conversion_value.max(),
        non_conversions=touches.non_conversions.max(),
    )
    per_journey = per_journey.select(
        path=per_journey.steps.sort().map(lambda s: s.channel),
        conversions=per_journey.conversions,
        conversion_value=per_journey.conversion_value,
        non_conversions=per_journey.non_conversions,
    )
    per_path = per_journey.group_by("path").aggregate(
        conversions=per_journey.conversions.sum(),
        conversion_value=per_journey.conversion_value.sum(),
        non_conversions=per_journey.non_conversions.sum(),
    )
    frame = per_path.to_pandas()
    frame["path"] = [tuple(p) for p in frame["path"]]
    # a stable order makes every downstream numpy result reproducible
    frame = frame.sort_values("path", kind="stable").reset_index(drop=True)
    return frame


def journey_summary(touches: ir.Table) -> dict:
    """Count journeys, converting journeys and total value of a touch table.

    >>> # journey_summary(journeys_from_events(events)) -> {'journeys': 9506, ...}
    """
    per_journey = touches.group_by("journey_id").aggregate(
        conversions=touches.conversions.max(),
        conversion_value=touches.conversion_value.max(),
        non_conversions=touches.non_conversions.max(),
    )
    row = per_journey.aggregate(
        journeys=(per_journey.conversions + per_journey.non_conversions).sum(),
        converting=(per_journey.conversions > 0).cast("int64").sum(),
        conversions=per_journey.conversions.sum(),
        conversion_value=per_journey.conversion_value.sum(),
    ).to_pandas()
    return {k: row[k].iloc[0].item() for k in row.columns}
