"""Every number coordkit shows, formatted in one place: money, counts, percents, signed changes.

Reports, the check-in, Markdown summaries and charts all format through these
functions, so "$1.2M", "21 %" and "2.5" read the same everywhere.

>>> format_amount(1_234_567, "USD"), format_percent(0.207), format_count(2.5), format_metric(121_800, True, "USD")
('$1.2M', '21 %', '2.5', '$122k')
"""

from __future__ import annotations

import math

from coordkit.money import currency_symbol

__all__ = [
    "format_amount",
    "format_change",
    "format_count",
    "format_metric",
    "format_number",
    "format_percent",
    "format_value",
    "is_missing",
]

MISSING = "–"


def is_missing(value) -> bool:
    """None, NaN, pandas NA or NaT."""
    if value is None:
        return True
    try:
        return bool(value != value)  # noqa: PLR0124 - NaN and NaT are the values unequal to themselves
    except (TypeError, ValueError):
        return True  # pandas NA refuses to be a bool


def _trim(number: str) -> str:
    return number.removesuffix(".0")


def format_amount(value: float, currency: str | None = "USD") -> str:
    """A compact amount: ``$1.2M``, ``€548k``, ``SEK 1.2k``; plain ``1,234`` when currency is None.

    >>> format_amount(1_234_567, "USD"), format_amount(-548_200, "EUR"), format_amount(63, None)
    ('$1.2M', '-€548k', '63')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "-" if value < 0 else ""
    size = abs(float(value))
    if currency is None:
        number = f"{size:,.0f}" if size >= 100 or size == int(size) else f"{size:,.1f}"
        return sign + number
    if size >= 1e9:
        number = _trim(f"{size / 1e9:.1f}") + "B"
    elif size >= 1e6:
        number = _trim(f"{size / 1e6:.1f}") + "M"
    elif size >= 1e4:
        number = f"{size / 1e3:.0f}k"
    elif size >= 1e3:
        number = _trim(f"{size / 1e3:.1f}") + "k"
    else:
        number = f"{size:.0f}"
    return f"{sign}{currency_symbol(currency)}{number}"


def format_change(value: float, currency: str | None = "USD") -> str:
    """A signed amount: ``+$12k`` or ``-$3.4M``."""
    text = format_amount(value, currency)
    return text if text.startswith("-") or text == "n/a" else "+" + text


def format_count(value) -> str:
    """A count: whole numbers without decimals (``1,234``), fractional credit with one (``2.5``)."""
    if is_missing(value):
        return MISSING
    number = float(value)
    return f"{number:,.0f}" if math.isclose(number, round(number), abs_tol=1e-9) else f"{number:,.1f}"


def format_number(value) -> str:
    """A compact number without currency: ``1,234``, ``12.5``, ``153k``, ``1.3M``."""
    if is_missing(value):
        return MISSING
    size = abs(float(value))
    if size >= 1e4:
        return format_amount(float(value), "XXX").replace("XXX ", "")
    return format_count(value)


def format_percent(share, signed: bool = False) -> str:
    """A share as a whole percent with a space before the sign: ``21 %`` (``+5 %`` when signed)."""
    if is_missing(share) or not math.isfinite(float(share)):
        return MISSING
    percent = float(share) * 100
    text = f"{percent:+.0f}" if signed else f"{percent:.0f}"
    if abs(percent) < 9.5 and not math.isclose(percent, round(percent)):
        text = f"{percent:+.1f}" if signed else f"{percent:.1f}"
    return f"{text} %"


def format_metric(value, money: bool, currency: str | None) -> str:
    """A headline value: money compactly with the currency, counts as counts."""
    if is_missing(value):
        return MISSING
    return format_amount(float(value), currency) if money else format_count(value)


def format_value(value, kind: str, currency: str | None = "USD") -> str:
    """One table cell by column kind: text, int, number, money, signed_money, signed_int, percent, ratio."""
    if is_missing(value):
        return MISSING
    if kind == "money":
        return format_amount(float(value), currency)
    if kind == "signed_money":
        return format_change(float(value), currency)
    if kind == "int":
        return f"{float(value):,.0f}"
    if kind == "signed_int":
        return f"{float(value):+,.0f}"
    if kind == "number":
        return format_count(value)
    if kind == "percent":
        return format_percent(value)
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "signed_percent":
        return format_percent(value, signed=True)
    return str(value)
