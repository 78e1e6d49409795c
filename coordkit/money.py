"""Money: currency codes, symbols, and conversion that never adds two currencies.

Every money column of the data contract has a ``currency`` column beside it.
Amounts in the reporting currency (``reporting_currency`` in coordkit.yaml)
are used as they are; amounts in another currency are converted only with a
rate the user ingested into ``fx_rates`` for that month. Without a rate they
are *kept apart*: :func:`to_reporting_currency` leaves their converted amount
empty and lists them per currency, so a caller can name them in a warning
instead of adding euros to dollars.

This is a base module (no ingest, model or analysis imports), so every layer
can format and convert money the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "CURRENCY_SYMBOLS",
    "ConvertedAmounts",
    "currency_in_text",
    "currency_symbol",
    "format_money",
    "to_reporting_currency",
]

#: Symbols printed for common codes; other codes are printed as the code (``SEK 1,200``).
CURRENCY_SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$", "NZD": "NZ$",
    "CHF": "CHF ", "CNY": "CN¥", "KRW": "₩", "BRL": "R$", "MXN": "MX$", "HKD": "HK$", "SGD": "S$",
}
#: Symbols that name one currency on their own when they appear in a cell or header.
_UNAMBIGUOUS_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW"}
_CODE_IN_PARENS = re.compile(r"\(([A-Z]{3})\)")
_CODE_AT_EDGE = re.compile(r"^\s*([A-Z]{3})(?=[\s\d.,(-])|(?<=[\d.,)\s])([A-Z]{3})\s*$")


def currency_symbol(code: str | None) -> str:
    """The symbol for an ISO 4217 code, or the code and a space when it has no common symbol.

    >>> currency_symbol("EUR"), currency_symbol("sek"), currency_symbol(None)
    ('€', 'SEK ', '')
    """
    if not code:
        return ""
    code = str(code).strip().upper()
    return CURRENCY_SYMBOLS.get(code, code + " ")


def format_money(amount: float | None, currency: str | None, decimals: int = 0) -> str:
    """An amount with its currency, full precision with thousands separators.

    >>> format_money(13800, "USD"), format_money(-270000.5, "EUR", 2), format_money(1200, "SEK")
    ('$13,800', '-€270,000.50', 'SEK 1,200')
    >>> format_money(float("nan"), "USD")
    'n/a'
    """
    if amount is None or math.isnan(float(amount)):
        return "n/a"
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency_symbol(currency)}{abs(float(amount)):,.{decimals}f}"


def currency_in_text(text: str | None) -> str | None:
    """The currency a header or a money cell names, or None when it names none.

    Reads ``Amount spent (USD)``, ``USD 12,000.00``, ``12.000,00 EUR``, ``€ 7``
    and ``£1,200``. A bare ``$`` names no currency (US, Canadian, Australian
    ... dollars all print it), so it gives None.

    >>> [currency_in_text(t) for t in ("Amount spent (EUR)", "USD 12,000.00", "12.000,00 EUR", "€ 7", "$5", "Cost")]
    ['EUR', 'USD', 'EUR', 'EUR', None, None]
    """
    if not text:
        return None
    text = str(text)
    match = _CODE_IN_PARENS.search(text)
    if match:
        return match.group(1)
    match = _CODE_AT_EDGE.search(text)
    if match:
        return match.group(1) or match.group(2)
    for symbol, code in _UNAMBIGUOUS_SYMBOLS.items():
        if symbol in text:
            return code
    return None


@dataclass
class ConvertedAmounts:
    """Amounts in the reporting currency, and the ones that could not be converted."""

    #: the input rows with ``<amount>_reporting`` added (empty where no rate was found)
    frame: object
    #: one row per currency without a rate: currency, rows, amount (in that currency), months
    kept_apart: object
    reporting_currency: str

    @property
    def warnings(self) -> list[str]:
        """One sentence per currency kept apart, naming the amount and the missing months."""
        out = []
        for row in self.kept_apart.itertuples(index=False):
            out.append(
                f"{row.rows} amount(s) in {row.currency} totalling {format_money(row.amount, row.currency)} have no "
                f"exchange rate to {self.reporting_currency} for {row.months}; they are kept apart and not added "
                f"to {self.reporting_currency} totals. Ingest rates (coordkit ingest rates.csv --as fx_rates) to "
                "convert them."
            )
        return out


def to_reporting_currency(
    frame,
    fx_rates,
    reporting_currency: str,
    *,
    amount: str = "amount",
    currency: str = "currency",
    date: str = "created_at",
) -> ConvertedAmounts:
    """Convert ``frame[amount]`` to the reporting currency with monthly rates; never add currencies.

    ``fx_rates`` is the ``fx_rates`` table (month, currency, rate, to_currency).
    A row in the reporting currency (or with no currency) keeps its amount; a
    row in another currency is multiplied by the rate of its month; a row with
    no rate gets an empty converted amount and is listed in ``kept_apart``.
    The input is not changed.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"amount": [100.0, 200.0, 50.0], "currency": ["USD", "EUR", "GBP"],
    ...                      "created_at": pd.to_datetime(["2026-03-02", "2026-03-09", "2026-03-09"])})
    >>> rates = pd.DataFrame({"month": [pd.Timestamp("2026-03-01").date()], "currency": ["EUR"], "rate": [1.1],
    ...                       "to_currency": [None]})
    >>> result = to_reporting_currency(rows, rates, "USD")
    >>> result.frame["amount_reporting"].tolist()
    [100.0, 220.00000000000003, nan]
    >>> result.kept_apart[["currency", "rows", "amount"]].values.tolist()
    [['GBP', 1, 50.0]]
    """
    import pandas as pd

    out = frame.copy()
    reporting_currency = reporting_currency.upper()
    codes = out[currency].astype(object).where(out[currency].notna(), reporting_currency).astype(str).str.upper()
    months = pd.to_datetime(out[date], utc=True).dt.tz_convert(None).dt.to_period("M").dt.start_time.dt.date
    lookup: dict[tuple, float] = {}
    if fx_rates is not None and len(fx_rates):
        for row in fx_rates.itertuples(index=False):
            to = getattr(row, "to_currency", None)
            if not pd.isna(to) and str(to).strip() and str(to).strip().upper() != reporting_currency:
                continue  # a rate to another currency does not convert into this one
            month = pd.Timestamp(row.month).date().replace(day=1)
            lookup[(month, str(row.currency).upper())] = float(row.rate)
    rate = pd.Series(1.0, index=out.index, dtype="float64")
    foreign = codes.ne(reporting_currency)
    if foreign.any():
        rate[foreign] = [lookup.get((month, code), float("nan")) for code, month in zip(codes[foreign], months[foreign])]
    out[f"{amount}_reporting"] = out[amount].astype("float64") * rate
    missing = rate.isna() & out[amount].notna()
    kept = pd.DataFrame({"currency": codes[missing], "amount": out.loc[missing, amount].astype("float64"),
                         "month": months[missing].astype(str).str[:7]})
    if kept.empty:
        kept_apart = pd.DataFrame(columns=["currency", "rows", "amount", "months"])
    else:
        kept_apart = (
            kept.groupby("currency", sort=True)
            .agg(rows=("amount", "size"), amount=("amount", "sum"), months=("month", lambda m: ", ".join(sorted(set(m)))))
            .reset_index()
        )
    return ConvertedAmounts(out, kept_apart, reporting_currency)
