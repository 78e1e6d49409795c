"""Amounts of a workspace in the reporting currency, and those kept apart for want of a rate.

The store keeps every amount in the currency it was exported in (the tables'
``currency`` column). Analysis converts with the rates the user ingested into
``fx_rates`` (:func:`coordkit.money.to_reporting_currency`); an amount with no
rate for its month is kept apart: its converted value stays empty, so no total
adds it, and :func:`amounts_kept_apart` names it for warnings and the review's
data-quality section.
"""

from __future__ import annotations

import pandas as pd

from coordkit.money import ConvertedAmounts, to_reporting_currency

__all__ = ["MONEY_COLUMNS", "amounts_kept_apart", "fx_rates", "in_reporting_currency"]

#: table -> (money column, the date that picks the month's rate)
MONEY_COLUMNS = {
    "outputs": ("cost", "published_at"),
    "outcomes": ("amount", "created_at"),
    "spend": ("planned_cost", "week"),
    "sessions": ("revenue", "period_start"),
}


def fx_rates(ws) -> pd.DataFrame:
    """The ingested rates (empty when there are none, or the store predates the table)."""
    if "fx_rates" not in ws.con.list_tables():
        return pd.DataFrame(columns=["month", "currency", "rate", "to_currency"])
    return ws.con.table("fx_rates").select("month", "currency", "rate", "to_currency").to_pandas()


def in_reporting_currency(ws, frame: pd.DataFrame, amount: str, date: str, rates: pd.DataFrame | None = None) -> ConvertedAmounts:
    """Convert ``frame[amount]`` (with its ``currency`` column) to the workspace's reporting currency."""
    if "currency" not in frame.columns:
        frame = frame.assign(currency=None)
    return to_reporting_currency(
        frame, fx_rates(ws) if rates is None else rates, ws.config.currency, amount=amount, currency="currency", date=date
    )


def amounts_kept_apart(ws) -> list[str]:
    """One warning per table and currency whose amounts have no rate to the reporting currency."""
    rates = fx_rates(ws)
    warnings = []
    for table, (amount, date) in MONEY_COLUMNS.items():
        if table not in ws.con.list_tables():
            continue
        t = ws.con.table(table)
        if "currency" not in t.columns:
            continue
        foreign = t.filter(t.currency.notnull() & (t.currency != ws.config.currency) & t[amount].notnull())
        frame = foreign.select(amount, "currency", date).to_pandas()
        if frame.empty:
            continue
        if date == "week":
            frame[date] = pd.to_datetime(frame[date]).dt.tz_localize("UTC")
        converted = in_reporting_currency(ws, frame, amount, date, rates)
        warnings.extend(f"{table}.{amount}: {text}" for text in converted.warnings)
    return warnings
