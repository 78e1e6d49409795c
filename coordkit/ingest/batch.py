"""What the validation stages share: the :class:`Batch`, and :class:`RejectedFile` for a file rejected whole.

Each stage (:data:`coordkit.ingest.validate.STAGES`) is ``stage(batch) -> batch``: it reads the
file's text columns and adds typed columns, row rejections, warnings and whole-file decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from coordkit.config import WorkspaceConfig
from coordkit.contract import Column, Table
from coordkit.errors import ValidationError
from coordkit.ingest.mapping import describe_source
from coordkit.ingest.messages import Message, Problems, shown_value
from coordkit.ingest.presets import Preset
from coordkit.ingest.readers import RawTable

__all__ = ["Batch", "RejectedFile"]


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
