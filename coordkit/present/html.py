"""Small, escaped HTML building blocks for reports and widgets.

Every user-provided string goes through :func:`html.escape` here, so a
campaign named ``<script>alert(1)</script>`` is shown as text wherever a
table or a label is rendered.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from coordkit.analysis.narrative import format_amount

__all__ = ["Column", "badge_html", "escape", "format_value", "section_html", "table_html"]

#: (column, label, kind); kind: text, int, number, money, percent, signed_money, signed_int
Column = tuple[str, str, str]


def escape(value) -> str:
    """Escape any value for HTML text or attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(value, kind: str, currency: str = "USD") -> str:
    """Format one cell as text (not yet escaped)."""
    if _missing(value):
        return "–"
    if kind == "money":
        return format_amount(float(value), currency)
    if kind == "signed_money":
        text = format_amount(float(value), currency)
        return text if text.startswith("-") else "+" + text
    if kind == "int":
        return f"{float(value):,.0f}"
    if kind == "signed_int":
        return f"{float(value):+,.0f}"
    if kind == "number":
        number = float(value)
        return f"{number:,.1f}" if not math.isclose(number, round(number)) else f"{number:,.0f}"
    if kind == "percent":
        return f"{float(value):.0%}"
    return str(value)


def table_html(frame: pd.DataFrame, columns: Sequence[Column], currency: str = "USD", caption: str | None = None,
               empty: str = "Nothing to show.", max_rows: int = 25, css_class: str = "ck-table") -> str:
    """Render a frame as an escaped HTML table with formatted cells."""
    if frame is None or frame.empty:
        return f'<p class="ck-empty">{escape(empty)}</p>'
    shown = frame.head(max_rows)
    head = "".join(
        f'<th class="{"num" if kind != "text" else "txt"}">{escape(label)}</th>' for _, label, kind in columns
    )
    rows = []
    for _, record in shown.iterrows():
        cells = "".join(
            f'<td class="{"num" if kind != "text" else "txt"}">{escape(format_value(record.get(column), kind, currency))}</td>'
            for column, _, kind in columns
        )
        rows.append(f"<tr>{cells}</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="ck-more">… and {len(frame) - max_rows} more rows.</p>'
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<div class="ck-scroll"><table class="{css_class}">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>{more}'


def badge_html(signal: bool, rule: str = "") -> str:
    """A small 'signal' / 'noise' badge."""
    if signal:
        return f'<span class="ck-badge ck-signal" title="{escape(rule)}">signal</span>'
    return '<span class="ck-badge ck-noise" title="routine variation">noise</span>'


def section_html(title: str, *parts: str, section_id: str | None = None) -> str:
    """Wrap already-built HTML parts in a titled section."""
    anchor = f' id="{escape(section_id)}"' if section_id else ""
    return f'<section class="ck-section"{anchor}><h2>{escape(title)}</h2>{"".join(parts)}</section>'
