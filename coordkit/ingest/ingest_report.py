"""What one file's ingest did: :class:`IngestReport`, returned by ``Workspace.ingest``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from coordkit.ingest.result import ReadResult

__all__ = ["IngestReport"]


@dataclass
class IngestReport:
    """What one file's ingest did."""

    file: Path
    table: str
    preset: str
    status: str  # "ok" or "failed"
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    merged_duplicates: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    late: int = 0
    ingest_id: int | None = None
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    rejections: pd.DataFrame | None = None
    #: the validation result behind this ingest (counts, skipped lines, located messages)
    result: ReadResult | None = None

    def summary(self) -> str:
        if self.status != "ok":
            return f"{self.file.name} -> {self.table}: FAILED: {self.message}"
        return (
            f"{self.file.name} -> {self.table}: {self.rows_read} read = {self.accepted} accepted "
            f"({self.inserted} new, {self.updated} updated, {self.unchanged} unchanged) + {self.rejected} rejected "
            f"+ {self.merged_duplicates} merged duplicates; {self.late} late"
        )
