"""SQL expressions that read the values of a staged export exactly as the validation stages do.

Only values whose meaning is beyond doubt are read in SQL (a *simple* value):
plain digits and decimals of at most 15 digits in the column's decided
locale, ISO dates and times away from daylight-saving changes, text. Columns
with few distinct values (booleans, closed sets, derived and value-mapped
columns, constants) are read by the stages' own Python code once per distinct
value and joined back. A row with any other value, or one the checks would
reject or warn about, is not simple: the exact stages read it (see
:mod:`coordkit.ingest.bulk_path`).

The day/month order and the number locale of a column are decided by the
stages' own functions over one representative value per *shape* (the value
with each digit written 0, plus, for dates, the first two numbers capped at
13): every value of a shape fits the same locales and orders, so the first
value of each shape, in file order, settles the same questions the whole
column would.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from coordkit.ingest.bulk_load import NotInBulk
from coordkit.ingest.numbers import NULL_SPELLINGS, profile_locales
from coordkit.ingest.prepare import CURRENCY_COLUMN, _find

__all__ = [
    "number_expression",
    "prepared_expressions",
    "representatives",
    "sql_text",
    "timestamp_expression",
    "unsettled_locale",
]

#: distinct values read in Python per categorical column at most (more: the exact path reads the file)
MAX_DISTINCT = 50_000
_SIMPLE_STEPS = {"currency", "first_of", "drop_personal"}


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def prepared_expressions(header: list[str], steps) -> dict[str, str] | None:
    """SQL expression of every column after the preset's prepare steps (None: a step SQL does not read)."""
    exprs = {name: f"c{i}" for i, name in enumerate(header)}
    for step in steps:
        (name, options), = step.items()
        if name not in _SIMPLE_STEPS or (name == "currency" and (options.get("values_of") or options.get("header"))):
            raise NotInBulk(f"prepare step {name}")
        if name == "drop_personal":
            continue
        frame = pd.DataFrame(columns=list(exprs))
        if name == "first_of":
            out = "''"
            for wanted in options["columns"]:
                source = _find(frame, wanted)
                if source is None:
                    continue
                values = f"trim({exprs[source]})"
                if options.get("item_sep"):
                    values = f"trim(split_part({values}, {sql_text(options['item_sep'])}, 1))"
                out = f"(CASE WHEN {out} <> '' THEN {out} ELSE {values} END)"
            exprs[options["into"]] = out
        else:
            column = _find(frame, options.get("column", [])) if options.get("column") else None
            out = f"upper(trim({exprs[column]}))" if column is not None else "''"
            if options.get("default"):
                out = f"(CASE WHEN {out} <> '' THEN {out} ELSE {sql_text(str(options['default']).upper())} END)"
            exprs[CURRENCY_COLUMN] = out
    return exprs


def number_expression(text: str, locale: str, readable: str) -> tuple[str, str, str]:
    """(is readable, value, is simple) SQL of a number column's canonical text in ``locale``.

    ``readable`` names the column that holds the first expression (computed once per row); blank
    spellings (N/A, -, ...) are NULL and simple.
    """
    if locale in ("en", "ch"):
        shapes, cleaned = "[0-9]+|[0-9]+[.][0-9]+", text
        if locale == "en":
            shapes += "|[0-9]{1,3}(,[0-9]{3})+([.][0-9]+)?"
            cleaned = f"replace({text}, ',', '')"
    else:
        shapes, cleaned = "[0-9]+|[0-9]+,[0-9]+", f"replace({text}, ',', '.')"
        if locale == "de":
            shapes += "|[0-9]{1,3}([.][0-9]{3})+(,[0-9]+)?"
            cleaned = f"replace(replace({text}, '.', ''), ',', '.')"
    # at most 15 digits: DuckDB and pandas then read the same double
    is_readable = f"(regexp_full_match({text}, '{shapes}') AND length(replace({cleaned}, '.', '')) <= 15)"
    blank = f"lower({text}) IN ({', '.join(sql_text(s) for s in NULL_SPELLINGS)})"
    value = f"(CASE WHEN {readable} THEN CAST({cleaned} AS DOUBLE) END)"
    simple = f"({text} IS NULL OR {readable} OR {blank})"
    return is_readable, value, simple


_ISO = ("(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        "([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?")


def timestamp_expression(text: str, zone: str, risky: list[dt.date], wall: str) -> tuple[str, str, str]:
    """(wall-clock time, UTC timestamp, is simple) SQL of an ISO date or date-time read in ``zone``.

    ``wall`` names the column that holds the first expression; other shapes are not simple.
    """
    # the pattern fixed the shape, and DuckDB's cast reads each shape it allows ('YYYY-MM-DD',
    # 'YYYY-MM-DD[ T]HH:MM[:SS]'; an impossible day is NULL, as with strptime) at a third of the cost of
    # rewriting the text for strptime; in UTC the instant is the wall time's microseconds, which
    # make_timestamptz takes without ICU's calendar (13 times cheaper than a cast)
    parsed = f"(CASE WHEN regexp_full_match({text}, '{_ISO}') THEN try_cast({text} AS TIMESTAMP) END)"
    value = f"make_timestamptz(epoch_us({wall}))" if zone == "UTC" else f"timezone({sql_text(zone)}, {wall})"
    simple = f"({text} IS NULL OR ({wall} IS NOT NULL"
    if risky:
        days = ", ".join("DATE '" + d.isoformat() + "'" for d in risky)
        simple += f" AND CAST({wall} AS DATE) NOT IN ({days})"
    return parsed, value, simple + "))"


def risky_days(zone: str, first_year: int, last_year: int) -> list[dt.date]:
    """Local days next to a change of the zone's UTC offset (DST): read the exact way."""
    if zone == "UTC":
        return []
    tz = ZoneInfo(zone)
    day = dt.date(max(1900, first_year), 1, 1) - dt.timedelta(days=2)
    end = dt.date(min(2199, last_year), 12, 31) + dt.timedelta(days=2)
    offsets = {}
    while day <= end:
        offsets[day] = dt.datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
        day += dt.timedelta(days=1)
    risky = set()
    for day, offset in offsets.items():
        following = offsets.get(day + dt.timedelta(days=1))
        if following is not None and following != offset:
            risky.update(day + dt.timedelta(days=k) for k in (-1, 0, 1, 2))
    return sorted(risky)


def representatives(con, source: str, dates: bool) -> pd.DataFrame:
    """(raw value, first rowid) of the first value of each shape among the data rows, in file order.

    Values that cannot bear on the decision are left out: ISO dates (no day/month question) and
    plain digits (any locale reads them). Decimals with a point that cannot be thousands
    (``1234.5``, ``12.50``) fit the same locales whatever their digits: one group.
    """
    shape = f"translate({source}, '0123456789', '0000000000')"
    if dates:
        where = f"NOT regexp_matches({source}, '^ *[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}')"
        first = f"try_cast(regexp_extract({source}, '[0-9]+') AS BIGINT)"
        second = f"try_cast(regexp_extract({source}, '^[^0-9]*[0-9]+[^0-9]+([0-9]+)', 1) AS BIGINT)"
        keys = [shape, f"least(coalesce({first}, 99), 13)", f"least(coalesce({second}, 99), 13)",
                f"coalesce({first} = {second}, false)"]
    else:
        where = f"NOT regexp_full_match({source}, '[0-9]+')"
        dotted = f"(regexp_full_match({source}, '[0-9]+[.][0-9]+') AND NOT regexp_full_match({source}, '[0-9]{{1,3}}[.][0-9]{{3}}'))"
        keys = [dotted, f"(CASE WHEN {dotted} THEN '' ELSE {shape} END)"]
    return con.execute(
        f"SELECT arg_min({source}, rowid) AS value, min(rowid) AS first FROM raw WHERE NOT skip AND {where} "
        f"GROUP BY {', '.join(keys)} ORDER BY first"
    ).df()


def unsettled_locale(values: pd.Series) -> bool:
    """True when some values settle a decimal point and others a decimal comma: the counts decide, read exactly."""
    fits = profile_locales(values)
    present = fits["_present"]
    dot = present & (fits["en"] | fits["ch"])
    comma = present & (fits["de"] | fits["fr"])
    return bool((dot & ~comma).any() and (comma & ~dot).any())
