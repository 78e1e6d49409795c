"""The date stages: day/month order decided per column over the whole file, parsing, far-future warnings.

See :mod:`coordkit.ingest.dates` for the shapes and the parsing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.ingest.batch import Batch
from coordkit.ingest.dates import (
    SPECIAL_FORMATS,
    decide_date_order,
    order_from_options,
    parse_dates,
    two_digit_years,
)

__all__ = ["decide_date_orders", "type_dates", "warn_far_future"]


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
