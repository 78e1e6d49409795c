"""Dates read in one day/month order per column, decided over the whole file.

``03/04/2026`` is the 3rd of April in Europe and March 4th in the US. The order
of a column is decided once (:func:`decide_date_order`): ``14/10/2026`` proves
day-first, ``10/14/2026`` month-first; a column that has both is rejected
naming one row of each; a column with only values like ``03/04/2026`` takes
the order of the file's other date columns, the preset's ``date_order`` or
``--date-order``, and otherwise stops and asks for one.

Spreadsheet serial numbers (``45976``) and epoch milliseconds are read only
when the preset declares the column so (``dates: {created_at: excel}``); a
bare number in a date column is otherwise rejected, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "DATE_ORDERS",
    "SPECIAL_FORMATS",
    "DateOrderDecision",
    "decide_date_order",
    "order_from_options",
    "parse_dates",
]

DATE_ORDERS = ("dmy", "mdy", "ymd")
#: values of a preset's ``dates:`` entry that are not strptime formats
SPECIAL_FORMATS = ("excel", "epoch_ms", "epoch_s", "iso")

# named groups and no back-reference, so Arrow's regex engine (RE2) runs it without a Python loop
_NUMERIC_DATE = r"^ *(?P<a>\d{1,4})(?P<s1>[./-])(?P<b>\d{1,2})(?P<s2>[./-])(?P<c>\d{1,4})(?P<rest>.*)$"
_ISO_START = r"^ *[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
_TZ_SUFFIX = r"(?:Z|z|[+-][0-9]{2}:?[0-9]{2}| ?UTC| ?GMT| ?utc| ?gmt)$"
_SERIAL = r"^[0-9]{4,6}(?:\.[0-9]+)?$"
_EPOCH = r"^[0-9]{9,13}$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass(frozen=True)
class DateOrderDecision:
    """How one column's numeric dates are ordered, and why."""

    order: str | None  # None: no day/month question in this column
    basis: str  # "option", "preset", "values", "file", "conflict", "undecided"
    evidence: dict | None = None


def order_from_options(date_order: str | None, day_first: bool | None = None) -> str | None:
    """The order fixed by ``--date-order`` or a preset (``date_order`` or the older ``day_first``)."""
    if date_order and date_order != "auto":
        if date_order not in DATE_ORDERS:
            from coordkit.errors import ParameterError, allowed_values_message

            raise ParameterError(allowed_values_message("date order", date_order, ("auto", *DATE_ORDERS)),
                                 hint="dmy: 31/12/2026  mdy: 12/31/2026  ymd: 2026/12/31")
        return date_order
    if day_first:
        return "dmy"
    return None


def _parts(text: pd.Series) -> pd.DataFrame:
    """Columns 0, 2, 3, 4 = first, second, third number and the rest of numeric dates (NaN elsewhere).

    ISO dates (2026-11-16...) need no day/month decision and are left out quickly.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = text.astype("str")
    empty = pd.DataFrame({0: pd.Series(np.nan, index=text.index, dtype=object), 2: np.nan, 3: np.nan, 4: np.nan})
    candidates = ~values.str.contains(_ISO_START, regex=True).fillna(True).to_numpy(dtype=bool)
    candidates &= values.notna().to_numpy(dtype=bool)
    if not candidates.any():
        return empty.astype(object)
    subset = values[candidates]
    found = pc.extract_regex(pa.array(subset.to_numpy(dtype=object), type=pa.string()), _NUMERIC_DATE)
    parts = pd.DataFrame({name: found.field(name).to_numpy(zero_copy_only=False) for name in ("a", "s1", "b", "s2", "c", "rest")},
                         index=subset.index)
    # a value that does not match is a null struct whose fields read as "", so ask the struct
    valid = pc.is_valid(found).to_numpy(zero_copy_only=False)
    matched = pd.Series(valid, index=subset.index) & (parts["s1"] == parts["s2"])
    out = empty.astype(object)
    for target, name in ((0, "a"), (2, "b"), (3, "c"), (4, "rest")):
        column = out[target].copy()
        column.loc[subset.index[matched.to_numpy()]] = parts.loc[matched, name].to_numpy()
        out[target] = column
    return pd.DataFrame({k: pd.Series(out[k], dtype="str") for k in out.columns})


def decide_date_order(text: pd.Series) -> DateOrderDecision:
    """Decide day-first or month-first for one column from all its values."""
    parts = _parts(text)
    numeric = parts[0].notna()
    if not numeric.any():
        return DateOrderDecision(None, "values")
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[2], errors="coerce")
    year_first = parts[0].str.len().eq(4).fillna(False)
    candidates = numeric & ~year_first
    dmy = (candidates & (first > 12) & (second <= 12)).to_numpy(dtype=bool)
    mdy = (candidates & (second > 12) & (first <= 12)).to_numpy(dtype=bool)
    if dmy.any() and mdy.any():
        a, b = int(np.flatnonzero(dmy)[0]), int(np.flatnonzero(mdy)[0])
        return DateOrderDecision(None, "conflict", {"dmy": (a, text.iloc[a]), "mdy": (b, text.iloc[b])})
    if dmy.any():
        return DateOrderDecision("dmy", "values")
    if mdy.any():
        return DateOrderDecision("mdy", "values")
    ambiguous = (candidates & (first <= 12) & (second <= 12) & (first != second)).to_numpy(dtype=bool)
    if ambiguous.any():
        a = int(np.flatnonzero(ambiguous)[0])
        return DateOrderDecision(None, "undecided", {"ambiguous": (a, text.iloc[a])})
    if candidates.any():
        # only days equal to months (05/05/2026): either order reads them the same
        return DateOrderDecision("dmy", "values")
    return DateOrderDecision("ymd" if year_first.any() else None, "values")


def two_digit_years(text: pd.Series) -> pd.Series:
    """True where a numeric date writes its year with two digits (16/11/26), which the pivot reads."""
    parts = _parts(text)
    numeric = parts[0].notna()
    if not numeric.any():
        return pd.Series(False, index=text.index)
    year_first = parts[0].str.len().eq(4).fillna(False)
    return (numeric & ~year_first & parts[3].str.len().le(2).fillna(False)).astype(bool)


def _to_iso(text: pd.Series, order: str | None) -> pd.Series:
    """Rewrite numeric dates as ISO ``YYYY-MM-DD`` + the rest; other values unchanged."""
    parts = _parts(text)
    numeric = parts[0].notna()
    if not numeric.any():
        return text
    a, b, c, rest = parts[0], parts[2], parts[3], parts[4].fillna("")
    year_first = a.str.len().eq(4).fillna(False)
    if order == "mdy":
        year, month, day = c, a, b
    else:  # dmy, and the only reading of ambiguous-free columns
        year, month, day = c, b, a
    year = year.where(~year_first, a)
    month = month.where(~year_first, b)
    day = day.where(~year_first, c)
    # two-digit years: 26 -> 2026, 95 -> 1995 (the pivot spreadsheets use)
    short = year.str.len().le(2).fillna(False)
    year_num = pd.to_numeric(year, errors="coerce").astype("float64")
    century = np.where(year_num.fillna(0).to_numpy() < 70, 2000, 1900)
    year = year.where(~short, (year_num + century).astype("Int64").astype("string"))
    rest = rest.str.replace(r"^[T ]?", " ", regex=True).where(rest.ne(""), "")
    iso = year.str.zfill(4) + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + rest
    return text.astype("string").where(~numeric, iso)


def _parse_naive_or_aware(values: pd.Series, fmt: str | None) -> pd.Series:
    """Parse texts (ISO after _to_iso, or a strptime format) to timestamps; NaT when unreadable."""
    if fmt:
        return pd.to_datetime(values, errors="coerce", format=fmt, utc=True)
    parsed = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=True)
    retry = parsed.isna() & values.notna()
    if retry.any():
        # month names, AM/PM and other spellings; numeric dates were made ISO above, so
        # day/month order is not at dateutil's mercy here
        words = values[retry]
        again = pd.to_datetime(words, errors="coerce", format="mixed", utc=True)
        parsed[retry] = again
    return parsed


def parse_dates(
    text: pd.Series, *, order: str | None, fmt: str | None, zone: str
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse one column.

    Returns (UTC timestamps, unreadable mask, naive-with-time mask, bare-number mask).
    ``fmt`` is a strptime format or one of :data:`SPECIAL_FORMATS`; ``zone`` is
    where times written without a zone are read.
    """
    present = text.notna() & text.astype("string").str.strip().ne("").fillna(False)
    values = text.astype("string").str.strip().where(present)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    nothing = pd.Series(False, index=text.index)
    if fmt in ("excel", "epoch_ms", "epoch_s"):
        number = pd.to_numeric(values, errors="coerce")
        if fmt == "excel":
            stamp = _EXCEL_EPOCH + pd.to_timedelta(number, unit="D")
            local = pd.Series(pd.DatetimeIndex(stamp).tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward"), index=text.index)
            result = local.dt.tz_convert("UTC").dt.as_unit("us")
        else:
            unit = "ms" if fmt == "epoch_ms" else "s"
            result = pd.to_datetime(number, unit=unit, utc=True, errors="coerce").dt.as_unit("us")
        return result, present & result.isna(), nothing, nothing
    bare_number = present & (values.str.fullmatch(_SERIAL) | values.str.fullmatch(_EPOCH)).fillna(False)
    readable = present & ~bare_number
    if fmt == "iso":
        fmt = None
    candidates = values.where(readable)
    if not fmt:
        candidates = _to_iso(candidates, order)
    aware = readable & candidates.str.contains(_TZ_SUFFIX, regex=True).fillna(False)
    if aware.any():
        texts = candidates[aware].str.replace(r" ?(?:UTC|GMT|utc|gmt)$", "+00:00", regex=True)
        result[aware] = _parse_naive_or_aware(texts, fmt).dt.as_unit("us")
    naive = readable & ~aware
    has_time = pd.Series(False, index=text.index)
    if naive.any():
        parsed = _parse_naive_or_aware(candidates[naive], fmt)
        # parsed as if UTC; the wall-clock time is in `zone`
        wall = parsed.dt.tz_localize(None)
        localized = wall.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
        result[naive] = localized.dt.as_unit("us")
        # a calendar date (no time of day) is a day in the workspace zone, not "missing a zone"
        has_time[naive] = candidates[naive].str.contains(r"[0-9][:h][0-9]", regex=True).fillna(False).to_numpy(dtype=bool)
    bad = readable & result.isna()
    return result, bad.astype(bool), (has_time & result.notna()).astype(bool), bare_number.astype(bool)
