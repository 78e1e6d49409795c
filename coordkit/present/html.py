"""Small, escaped HTML building blocks for reports and widgets.

Every user-provided string goes through :func:`html.escape` here, so a
campaign named ``<script>alert(1)</script>`` is shown as text wherever a
table or a label is rendered.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from coordkit.analysis.privacy import redact_text
from coordkit.numbers import format_value as _format_value

__all__ = ["Column", "badge_html", "escape", "format_value", "section_html", "table_html"]

#: (column, label, kind); kind: text, int, number, money, percent, signed_money, signed_int
Column = tuple[str, str, str]


def escape(value) -> str:
    """Escape any value for HTML text or attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def format_value(value, kind: str, currency: str = "USD") -> str:
    """Format one cell as text (not yet escaped); see :func:`coordkit.numbers.format_value`."""
    return _format_value(value, kind, currency)


def _cell(value, kind: str, currency: str) -> str:
    text = format_value(value, kind, currency)
    # text cells come from clients' exports (owners are often e-mail addresses): never show one
    return redact_text(text) if kind == "text" else text


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
            f'<td class="{"num" if kind != "text" else "txt"}">{escape(_cell(record.get(column), kind, currency))}</td>'
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
