"""The number stages: one locale per column decided over the whole file, then every value parsed in it.

See :mod:`coordkit.ingest.numbers` for the locales and the parsing; these stages turn its
answers into decisions, located rejections and stops.
"""

from __future__ import annotations

import pandas as pd

from coordkit.ingest.batch import Batch
from coordkit.ingest.numbers import (
    decide_locale,
    grouped_like_other_locale,
    locale_from_options,
    parse_numbers,
)

__all__ = ["WHOLE_COUNTS", "decide_number_locales", "type_numbers"]


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
