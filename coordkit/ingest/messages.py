"""Located messages about an export, and how repeats are grouped.

Each message names its level (``error`` rejects a row or the file,
``warning`` changes nothing but asks for a look, ``info`` reports a skipped
non-data line), the row a spreadsheet shows, the column, the value, and a
text that says what to do. :func:`group_messages` folds the same message on
many rows into one line: "500 rows: created_at is empty — rows 12, 15, 19, …".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["Message", "Problems", "group_messages", "shown_value"]

_GROUP_FROM = 3
_ROWS_SHOWN = 8


@dataclass(frozen=True)
class Message:
    level: str  # "error" | "warning" | "info"
    row: int | None
    column: str | None
    value: str | None
    text: str
    #: the text without row and value: messages with the same key are grouped
    key: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("key")
        return data


def shown_value(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):
            pass
    return str(value)


class Problems:
    """Row-level problems of one file by row position: every reason is kept, the first is shown."""

    def __init__(self, file_name: str, rows: pd.Series):
        self.file_name = file_name
        self.rows = rows.to_numpy()
        self.by_index: dict[int, list[Message]] = {}

    def add(self, index: int, column: str, value, text: str, key: str = "") -> None:
        row = int(self.rows[index])
        where = f"{self.file_name} row {row}" + (f", column {column}" if column else "")
        # ``column`` may be a label such as "created_at ('Create Date')": the message names the field
        field_name = column.split(" (", 1)[0] if column else None
        self.by_index.setdefault(index, []).append(
            Message("error", row, field_name, shown_value(value), f"{where}: {text}", key or text)
        )

    def add_many(self, mask, column: str, values: pd.Series, make_text, key: str) -> None:
        """Reject every row where ``mask`` is true; ``make_text(value)`` explains one row."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        for index in positions:
            value = values.iloc[index]
            self.add(int(index), column, value, make_text(value), key)

    @property
    def bad(self) -> set[int]:
        return set(self.by_index)


def group_messages(messages: list[Message], limit: int | None = None) -> list[str]:
    """One line per message, or per group of messages with the same level, column and key."""
    groups: dict[tuple, list[Message]] = {}
    for message in messages:
        groups.setdefault((message.level, message.column, message.key or message.text), []).append(message)
    lines = []
    for (level, column, key), members in groups.items():
        prefix = "" if level == "error" else f"{level}: "
        if len(members) < _GROUP_FROM or members[0].row is None:
            lines.extend(prefix + m.text for m in members)
            continue
        rows = [m.row for m in members]
        shown = ", ".join(str(r) for r in rows[:_ROWS_SHOWN]) + (", …" if len(rows) > _ROWS_SHOWN else "")
        where = f" (column {column})" if column else ""
        lines.append(f"{prefix}{len(members)} rows: {key}{where} — rows {shown}")
    return lines if limit is None else lines[:limit]
