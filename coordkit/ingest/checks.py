"""The validation stages that type and check canonical columns.

Each stage is a small function ``stage(batch) -> batch`` (see
:mod:`coordkit.ingest.validate` for the list and the :class:`Batch` they
share). A stage adds typed columns, row rejections, warnings, or stops the
file with a located :class:`RejectedFile` when a whole-column question
(number locale, date order) has no answer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coordkit.config import WorkspaceConfig
from coordkit.contract import CHANNELS, Column, Table
from coordkit.errors import ValidationError
from coordkit.ingest.dates import (
    SPECIAL_FORMATS,
    decide_date_order,
    order_from_options,
    parse_dates,
    two_digit_years,
)
from coordkit.ingest.mapping import describe_source, map_values
from coordkit.ingest.messages import Message, Problems, shown_value
from coordkit.ingest.numbers import (
    decide_locale,
    grouped_like_other_locale,
    locale_from_options,
    parse_numbers,
)
from coordkit.ingest.presets import Preset
from coordkit.ingest.readers import CELL_FORMULA, CELL_NUL, RawTable
from coordkit.weeks import WEEK_PATTERN, week_start_of

__all__ = [
    "CHANNEL_SYNONYMS",
    "Batch",
    "RejectedFile",
    "check_broken_cells",
    "check_one_of",
    "check_required_values",
    "decide_date_orders",
    "decide_number_locales",
    "normalise_channel",
    "type_dates",
    "type_numbers",
    "type_other_columns",
    "warn_far_future",
]

#: Common ways exports spell the contract's channels (lower-case, spaces and dashes as `_`).
CHANNEL_SYNONYMS = {
    "e_mail": "email", "newsletter": "email", "mail": "email", "emails": "email",
    "organic_social": "social", "social_media": "social", "linkedin": "social", "twitter": "social",
    "x": "social", "facebook": "social", "instagram": "social",
    "ppc": "paid_search", "sem": "paid_search", "cpc": "paid_search", "google_ads": "paid_search",
    "search": "paid_search", "online_search": "paid_search",
    "paidsocial": "paid_social", "social_ads": "paid_social", "meta_ads": "paid_social", "facebook_ads": "paid_social",
    "banner": "display", "programmatic": "display", "online_display": "display", "video": "display",
    "event": "events", "webinar": "events", "webinars": "events", "trade_show": "events", "conference": "events",
    "blog": "content", "seo": "content", "organic": "content",
    "press": "pr", "public_relations": "pr",
    "directmail": "direct_mail", "postal": "direct_mail",
}
_TRUE = {"true", "t", "yes", "y", "1", "won", "closed won"}
_FALSE = {"false", "f", "no", "n", "0", "lost", "closed lost"}


class RejectedFile(ValidationError):
    """The whole file is rejected; ``messages`` locate why (row, column, value)."""

    def __init__(self, message: str, hint: str | None = None, messages: list[Message] | None = None):
        super().__init__(message, hint)
        self.messages = messages or []


@dataclass
class Batch:
    """What the stages share: the file as read, the settings, and what they found so far."""

    raw: RawTable
    spec: Table
    preset: Preset
    config: WorkspaceConfig
    channel_policy: str
    share_limit: float
    locale: str | None = None
    date_order: str | None = None
    rows: pd.Series = None
    problems: Problems = None
    warnings: list[Message] = field(default_factory=list)
    mapping: dict = field(default_factory=dict)
    used: list = field(default_factory=list)
    text: pd.DataFrame = None
    typed: dict = field(default_factory=dict)
    merged: set = field(default_factory=set)
    #: per column: the number locale and the date order decided over the whole file
    locales: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)
    #: decisions made over the whole file, shown in the summary: {column: "de (from the values)"}
    decisions: dict = field(default_factory=dict)

    def label(self, column: str) -> str:
        source = describe_source(self.preset, column)
        return column + (f" ({source})" if source and source != repr(column) else "")

    def warn(self, text: str, *, row=None, column=None, value=None, key: str = "") -> None:
        self.warnings.append(Message("warning", row, column, shown_value(value) if value is not None else None, text, key or text))

    def stop(self, text: str, hint: str, *, row=None, column=None, value=None) -> None:
        message = Message("error", row, column, shown_value(value) if value is not None else None, text, text)
        raise RejectedFile(text, hint=hint, messages=[message])

    def columns_of(self, *dtypes: str) -> list[Column]:
        return [c for c in self.spec.columns if c.dtype in dtypes and c.name in self.text]

    def row_at(self, index: int) -> int:
        return int(self.rows.iloc[index])


# --- cells that cannot be values ------------------------------------------------


def check_broken_cells(batch: Batch) -> Batch:
    """A NUL byte, or an Excel formula saved without its value, rejects its row (not the file)."""
    frame = batch.raw.frame
    if not batch.raw.may_hold_markers:
        return batch
    for column in frame.columns:
        cells = frame[column].astype(str)
        nul = cells.str.contains(CELL_NUL, regex=False).to_numpy()
        if nul.any():
            batch.problems.add_many(
                nul, column, cells.str.replace(CELL_NUL, "\\x00", regex=False),
                lambda v: f"{v!r} contains a NUL byte (\\x00), which is not text; fix or re-export the file",
                "a cell contains a NUL byte",
            )
        formula = cells.str.startswith(CELL_FORMULA).to_numpy()
        if formula.any():
            batch.problems.add_many(
                formula, column, cells.str.replace(CELL_FORMULA, "", regex=False),
                lambda v: f"the formula {v} has no saved value (the workbook was written without calculating it); "
                "open it in Excel, let it calculate, save, and import again",
                "formula without a saved value",
            )
    return batch


# --- numbers -----------------------------------------------------------------------


def decide_number_locales(batch: Batch) -> Batch:
    """One locale per number column, from --locale, the preset, the column's values or the file's other columns."""
    columns = batch.columns_of("float", "int")
    fixed = locale_from_options(batch.preset.numbers, batch.locale)
    if fixed:
        for column in columns:
            batch.decisions[column.name] = f"numbers {fixed} ({'--locale' if batch.locale else 'preset'})"
        return batch
    decisions = {c.name: decide_locale(batch.text[c.name]) for c in columns}
    for name, decision in decisions.items():
        if decision.basis == "conflict":
            (a, va), (b, vb) = decision.evidence["dot"], decision.evidence["comma"]
            batch.stop(
                f"{batch.raw.name} column {batch.label(name)}: numbers are written two ways: {va!r} (row {batch.row_at(a)}) "
                f"has a decimal point, {vb!r} (row {batch.row_at(b)}) a decimal comma; nothing was read",
                "fix the rows written the other way, or pass --locale en|de to read every value one way "
                "(values that do not fit are then rejected one by one)",
                row=batch.row_at(b), column=name, value=vb,
            )
    settled = {d.locale for d in decisions.values() if d.locale}
    for name, decision in decisions.items():
        if decision.locale:
            batch.decisions[name] = f"numbers {decision.locale} (from the values)"
        elif decision.basis == "undecided":
            if len(settled) == 1:
                (locale,) = settled
                decisions[name] = type(decision)(locale, "file")
                batch.decisions[name] = f"numbers {locale} (from the file's other number columns)"
                continue
            index, value = decision.evidence["ambiguous"]
            batch.stop(
                f"{batch.raw.name} row {batch.row_at(index)}, column {batch.label(name)}: {value!r} reads as "
                f"{_read_as(value, 'en')} in English style and {_read_as(value, 'de')} in German style, and no value in the "
                "file settles which; nothing was read",
                "pass --locale en (1,234.50) or --locale de (1.234,50), or set numbers.locale in the preset",
                row=batch.row_at(index), column=name, value=value,
            )
    batch.locales = {name: d.locale for name, d in decisions.items()}
    return batch


def _read_as(value: str, locale: str) -> str:
    parsed = parse_numbers(pd.Series([value]), locale)[0].iloc[0]
    return "nothing" if pd.isna(parsed) else f"{parsed:g}"


def type_numbers(batch: Batch) -> Batch:
    """Parse number columns in their decided locale; reject values that do not fit, negatives, fractions in counts."""
    fixed = locale_from_options(batch.preset.numbers, batch.locale)
    for column in batch.columns_of("float", "int"):
        name, text = column.name, batch.text[column.name]
        locale = fixed or batch.locales.get(name)
        values, blank = parse_numbers(text, locale)
        bad = ~blank & values.isna()
        if bad.any():
            hint = _other_locale_hint(text[bad], locale)
            batch.problems.add_many(
                bad, batch.label(name), text,
                lambda v, h=hint, loc=locale: f"{v!r} is not a number" + (f" as written in {loc}" if loc else "")
                + f"; write plain numbers such as 1250.50 (no letters like 'k'){h}",
                f"{name} is not a number",
            )
        if column.nonnegative:
            batch.problems.add_many(
                values.lt(0), batch.label(name), text,
                lambda v, n=name: f"{v!r} is negative; {n} cannot be below zero: fix the value or leave it empty",
                f"{name} is negative",
            )
        if column.dtype == "int" or name in WHOLE_COUNTS:
            batch.problems.add_many(values.notna() & (values % 1 != 0), batch.label(name), text,
                                    lambda v, n=name: f"{v!r} is not a whole number; {n} counts whole things "
                                    "(if the file groups thousands with '.' or ',', pass --locale de or en)",
                                    f"{name} is not a whole number")
        if not batch.locale:
            _reject_unsettled_grouping(batch, name, text, values, locale or "en")
        if column.money or name in WHOLE_COUNTS:
            # "5%" is a rate, never an amount of money or a count: reading it as 5 is a guess
            percent = text.astype("string").str.strip().str.endswith("%").fillna(False) & values.notna()
            batch.problems.add_many(percent, batch.label(name), text,
                                    lambda v, what="a count" if name in WHOLE_COUNTS else "an amount":
                                    f"{v!r} is a percentage, not {what}; check that the right column is mapped, "
                                    "or export the value itself",
                                    f"{name} is a percentage")
        batch.typed[name] = values.astype("float64")
    return batch


#: number columns that count things: a fraction there is a misread, never a value
WHOLE_COUNTS = frozenset({"impressions", "reach", "clicks", "opens", "engagements", "unsubscribes",
                          "sessions", "engaged_sessions"})


def _reject_unsettled_grouping(batch: Batch, name: str, text: pd.Series, values: pd.Series, locale: str) -> None:
    """Reject ``24.000`` read as 24 (or ``1,234`` as 1.234) when only the preset or other columns chose the locale.

    Such a value is a thousand times larger read the other way. Unless the column's own values settle
    its locale (a count never does: it has no decimals) reading it is a guess, not a reading.
    """
    grouped = grouped_like_other_locale(text, locale) & values.notna()
    if not grouped.any():
        return
    if name in WHOLE_COUNTS:
        grouped = grouped & (values % 1 == 0)  # the fractions are already rejected as not whole
    elif decide_locale(text).locale == locale:
        return
    other = "de" if locale in ("en", "ch") else "en"
    batch.problems.add_many(
        grouped, batch.label(name), text,
        lambda v: f"{v!r} reads as {_read_as(v, locale)} in {locale} style but as {_read_as(v, other)} in {other} "
        f"style, and no value in the column settles which; pass --locale {other} or --locale {locale}",
        f"{name} could be read in either locale",
    )


def _other_locale_hint(bad_values: pd.Series, locale: str | None) -> str:
    decision = decide_locale(bad_values.head(1000))
    if decision.locale and decision.locale != locale:
        return f"; the column looks written in {decision.locale} style: pass --locale {decision.locale}"
    return ""


# --- dates -------------------------------------------------------------------------


def decide_date_orders(batch: Batch) -> Batch:
    """Day-first or month-first per date column, decided over the whole file, never per value."""
    fixed = order_from_options(batch.date_order) or order_from_options(batch.preset.date_order, batch.preset.day_first)
    orders = {}
    decisions = {}
    for column in batch.columns_of("timestamp", "week", "month"):
        if column.name in batch.preset.dates:
            continue  # a declared format leaves no order to decide
        decisions[column.name] = decide_date_order(batch.text[column.name])
    for name, decision in decisions.items():
        if decision.basis == "conflict" and not batch.date_order:
            (a, va), (b, vb) = decision.evidence["dmy"], decision.evidence["mdy"]
            batch.stop(
                f"{batch.raw.name} column {batch.label(name)}: dates are written in two orders: {va!r} (row {batch.row_at(a)}) "
                f"is day-first, {vb!r} (row {batch.row_at(b)}) is month-first; nothing was read",
                "fix the rows written the other way and export again; coordkit will not guess which rows are right",
                row=batch.row_at(b), column=name, value=vb,
            )
    settled = {d.order for d in decisions.values() if d.order in ("dmy", "mdy")}
    for name, decision in decisions.items():
        if fixed:
            orders[name] = fixed
            if decision.order in ("dmy", "mdy") and decision.order != fixed:
                batch.warn(f"column {batch.label(name)}: dates are read as {fixed} as asked, but the values look {decision.order}",
                           column=name)
            batch.decisions[name] = f"dates {fixed} ({'--date-order' if batch.date_order else 'preset'})"
        elif decision.basis == "undecided":
            if len(settled) == 1:
                (order,) = settled
                orders[name] = order
                batch.decisions[name] = f"dates {order} (from the file's other date columns)"
                continue
            index, value = decision.evidence["ambiguous"]
            batch.stop(
                f"{batch.raw.name} row {batch.row_at(index)}, column {batch.label(name)}: {value!r} can be day-first or "
                "month-first, and no date in the file settles which; nothing was read",
                "pass --date-order dmy (31/12/2026) or --date-order mdy (12/31/2026), or set date_order in the preset",
                row=batch.row_at(index), column=name, value=value,
            )
        else:
            orders[name] = decision.order
            if decision.order in ("dmy", "mdy"):
                batch.decisions[name] = f"dates {decision.order} (from the values)"
    batch.orders = orders
    return batch


def type_dates(batch: Batch) -> Batch:
    """Parse timestamp columns; reject unreadable values and bare numbers that were not declared."""
    zone = batch.preset.timezone or batch.config.timezone
    for column in batch.columns_of("timestamp"):
        name, text = column.name, batch.text[column.name]
        fmt = batch.preset.dates.get(name)
        values, bad, naive, bare = parse_dates(text, order=batch.orders.get(name), fmt=fmt, zone=zone)
        label = batch.label(name)
        if not fmt:
            _warn_two_digit_years(batch, name, label, text, values)
        expected = f"the format {fmt!r}" if fmt and fmt not in SPECIAL_FORMATS else "a date such as 2026-11-16 or 2026-11-16T09:30:00Z"
        batch.problems.add_many(bad, label, text, lambda v, e=expected: f"{v!r} is not a valid date; expected {e}",
                                f"{name} is not a valid date")
        batch.problems.add_many(
            bare, label, text,
            lambda v, n=name: f"{v!r} is a bare number, not a date (a spreadsheet serial day or epoch time?); "
            f"declare it in the preset (dates: {{{n}: excel}}, epoch_ms or epoch_s) or export dates as text",
            f"{name} is a bare number, not a date",
        )
        if batch.config.naive_timestamps == "reject":
            batch.problems.add_many(
                naive, label, text,
                lambda v: f"{v!r} has a time but no time zone, and this workspace requires one; "
                "add the offset (2026-11-16T09:30:00+01:00) or set the preset's timezone",
                f"{name} has no time zone",
            )
        else:
            aware = values.notna() & ~naive & text.astype("string").str.contains(r"\d[:h]\d").fillna(False)
            if aware.any() and naive.any():
                for index in np.flatnonzero(naive.to_numpy()):
                    batch.warn(f"{batch.raw.name} row {batch.row_at(index)}, column {label}: {text.iloc[index]!r} has no time zone "
                               f"while other rows of the column have one; read in {zone}",
                               row=batch.row_at(index), column=name, value=text.iloc[index],
                               key=f"{name} has no time zone while other rows have one (read in {zone})")
        batch.typed[name] = values
    return batch


def _warn_two_digit_years(batch: Batch, name: str, label: str, text: pd.Series, values: pd.Series) -> None:
    """One warning a column whose dates write the year with two digits: the century is the pivot's guess."""
    short = two_digit_years(text) & values.notna()
    if not short.any():
        return
    index = int(np.flatnonzero(short.to_numpy())[0])
    first = values.iloc[index].tz_convert(batch.preset.timezone or batch.config.timezone)
    count = int(short.sum())
    batch.warn(f"{batch.raw.name} column {label}: {count:,} date(s) write the year with two digits, read as "
               f"00-69 = 2000-2069 and 70-99 = 1970-1999: {text.iloc[index]!r} (row {batch.row_at(index)}) is "
               f"{first:%Y-%m-%d}; export four-digit years if any date is older or later",
               row=batch.row_at(index), column=name, value=text.iloc[index],
               key=f"{name} has two-digit years (read as 2000-2069 / 1970-1999)")


def warn_far_future(batch: Batch) -> Batch:
    """Dates beyond the horizon are probably typos (2062 for 2026); an open deal's expected close date is not."""
    horizon = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=batch.config.future_horizon_days)
    won = batch.typed.get("won")
    for column in batch.columns_of("timestamp"):
        values = batch.typed[column.name]
        late = values.gt(horizon).fillna(False)
        if column.name == "closed_at" and won is not None:
            late = late & pd.Series(won, index=values.index).notna()
        for index in np.flatnonzero(late.to_numpy()):
            value = batch.text[column.name].iloc[index]
            batch.warn(f"{batch.raw.name} row {batch.row_at(index)}, column {batch.label(column.name)}: {value!r} is more than "
                       f"{batch.config.future_horizon_days} days in the future; check the year",
                       row=batch.row_at(index), column=column.name, value=value,
                       key=f"{column.name} is more than {batch.config.future_horizon_days} days in the future (future_horizon_days)")
    return batch


# --- text, booleans, weeks -----------------------------------------------------------


def normalise_channel(value: str, extra_map: dict | None = None) -> str | None:
    """Map a channel label onto the contract's channels, or None when unknown.

    >>> normalise_channel("Paid Social"), normalise_channel("Newsletter"), normalise_channel("TikTok")
    ('paid_social', 'email', None)
    """
    key = re.sub(r"[\s\-/]+", "_", str(value).strip().lower())
    if extra_map and key in extra_map:
        return extra_map[key]
    if key in CHANNELS:
        return key
    return CHANNEL_SYNONYMS.get(key)


def type_other_columns(batch: Batch) -> Batch:
    """Strings (closed sets checked), booleans and weeks."""
    for column in batch.columns_of("string", "bool", "week", "month"):
        name, text, label = column.name, batch.text[column.name], batch.label(column.name)
        if column.dtype == "string":
            batch.typed[name] = _check_allowed(batch, column, text, label) if column.allowed else text
        elif column.dtype == "bool":
            mapped = map_values(text, lambda v: True if str(v).strip().lower() in _TRUE else (
                False if str(v).strip().lower() in _FALSE else None))
            batch.problems.add_many(text.notna() & mapped.isna(), label, text,
                                    lambda v: f"{v!r} is not true/false; use true, false, yes, no, 1 or 0", f"{name} is not true/false")
            batch.typed[name] = mapped.astype(object)
        elif column.dtype == "month":
            values, bad = _parse_months(text, batch.orders.get(name) == "dmy" or batch.preset.day_first or batch.date_order == "dmy")
            batch.problems.add_many(bad, label, text, lambda v: f"{v!r} is not a month; write 2026-11 or any date in the month",
                                    f"{name} is not a month")
            batch.typed[name] = values
        else:
            values, bad = _parse_weeks(text, batch.config.week_start, batch.orders.get(name) == "dmy"
                                       or batch.preset.day_first or batch.date_order == "dmy")
            batch.problems.add_many(bad, label, text, lambda v: f"{v!r} is not a week; write a date (2026-11-16) or an ISO week (2026-W47)",
                                    f"{name} is not a week")
            batch.typed[name] = values
    return batch


def _parse_weeks(text: pd.Series, week_start: str, day_first: bool) -> tuple[pd.Series, pd.Series]:
    present = text.notna()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    for index, value in text[present].items():
        value = str(value).strip()
        match = WEEK_PATTERN.match(value)
        try:
            if match:
                monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
                out[index] = week_start_of(monday, week_start) if week_start == "monday" else monday - dt.timedelta(days=1)
            else:
                day = pd.to_datetime(value, format="mixed", dayfirst=day_first).date()
                out[index] = week_start_of(day, week_start)
        except (ValueError, TypeError, OverflowError):
            pass
    return out, present & out.isna()


def _parse_months(text: pd.Series, day_first: bool) -> tuple[pd.Series, pd.Series]:
    present = text.notna()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    for index, value in text[present].items():
        value = str(value).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{1,2}", value):
                year, month = value.split("-")
                out[index] = dt.date(int(year), int(month), 1)
            else:
                out[index] = pd.to_datetime(value, format="mixed", dayfirst=day_first).date().replace(day=1)
        except (ValueError, TypeError, OverflowError):
            pass
    return out, present & out.isna()


def _check_allowed(batch: Batch, column: Column, values: pd.Series, label: str) -> pd.Series:
    present = values.notna()
    if column.name == "channel":
        if batch.channel_policy == "keep":
            return values
        extra = {re.sub(r"[\s\-/]+", "_", str(k).strip().lower()): v for k, v in batch.preset.values.get("channel", {}).items()}
        normalised = map_values(values, lambda v: normalise_channel(v, extra))
        unknown = present & normalised.isna()
        if unknown.any():
            if batch.channel_policy == "reject":
                batch.problems.add_many(
                    unknown, label, values,
                    lambda v: f"{v!r} is not a known channel; allowed: {', '.join(CHANNELS)}. "
                    "Map it in the preset's values.channel or use --channel-policy other",
                    "unknown channel",
                )
            else:
                counts = values[unknown].value_counts()
                shown = ", ".join(f"{value!r} ({count} rows)" for value, count in counts.head(5).items())
                batch.warn(f"channel: {int(unknown.sum())} rows with unknown channels were mapped to 'other': {shown}. "
                           "Map them in a preset's values.channel to keep them apart.", column="channel")
                normalised = normalised.mask(unknown, "other")
        return normalised
    allowed_lower = {a.lower(): a for a in column.allowed}
    normalised = map_values(values, lambda v: allowed_lower.get(str(v).strip().lower()))
    batch.problems.add_many(present & normalised.isna(), label, values,
                            lambda v: f"{v!r} is not allowed; use one of {', '.join(column.allowed)}", f"{column.name} is not allowed")
    return normalised


# --- required values ---------------------------------------------------------------------


def check_required_values(batch: Batch) -> Batch:
    """Every required canonical column has a value on every row."""
    for column in batch.spec.required:
        if column not in batch.text:
            continue
        why = batch.preset.empty_hints.get(column, "fill it in the export, or remove the row if it is not real")
        batch.problems.add_many(
            batch.text[column].isna(), batch.label(column), batch.text[column],
            lambda v, c=column, w=why: f"{c} is empty, but every {batch.spec.name[:-1]} needs it; {w}",
            f"{column} is empty",
        )
    return batch


def check_one_of(batch: Batch) -> Batch:
    """Rows must fill at least one column of each one-of group (contact_id or account_id)."""
    size = len(batch.raw.frame)
    for group in batch.spec.one_of:
        present = np.logical_or.reduce([pd.Series(batch.typed[c]).notna().to_numpy() if c in batch.typed else np.zeros(size, bool)
                                        for c in group])
        batch.problems.add_many(~present, "", pd.Series([""] * size),
                                lambda v, g=group: f"{' and '.join(g)} are all empty; fill at least one so the row can be linked",
                                f"{' and '.join(group)} are all empty")
    return batch
