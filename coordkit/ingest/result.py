"""The outcome of reading and validating one export (:class:`ReadResult`), and how it is built."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.errors import CoordkitError
from coordkit.ingest.mapping import extras
from coordkit.ingest.messages import Message, group_messages
from coordkit.ingest.structure import Skipped

__all__ = ["ReadResult", "build_result", "failure_json", "typed_frame"]


@dataclass
class ReadResult:
    """The outcome of reading and validating one export."""

    path: Path
    table: str
    preset: str
    #: accepted rows in canonical columns (typed), plus ``extras`` (JSON of unmapped columns) and ``_source_row``
    accepted: pd.DataFrame
    #: one row per rejected source row: row, column, value, reason, problems, raw (JSON of the original cells)
    rejected: pd.DataFrame
    rows_read: int
    merged_duplicates: int
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    #: non-data lines (titles, totals, footers, blank lines), never counted as data
    skipped: list[Skipped] = field(default_factory=list)
    #: every located message: rejected rows (error), warnings, skipped lines (info)
    messages: list[Message] = field(default_factory=list)
    #: whole-file decisions: {column: "numbers de (from the values)"}
    decisions: dict = field(default_factory=dict)
    sheet: str | None = None
    #: (row, reason) of data rows a preset's prepare steps left out of this table (e.g. contacts that
    #: are not leads); they are not part of rows_read
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)
    #: accepted rows kept in a DuckDB file by the bulk path (coordkit.ingest.staged); ``accepted`` is
    #: then read from it on first use, so a 10-million-row file never has to fit in a DataFrame
    staged: object = None

    def __post_init__(self):
        if self.accepted is None and self.staged is not None:
            del self.accepted  # read lazily (__getattr__)

    def __getattr__(self, name):
        staged = self.__dict__.get("staged")
        if name == "accepted" and staged is not None:
            frame = staged.to_frame()
            self.__dict__["accepted"] = frame
            return frame
        raise AttributeError(name)

    @property
    def accepted_count(self) -> int:
        if "accepted" not in self.__dict__ and self.staged is not None:
            return self.staged.rows
        return len(self.accepted)

    @property
    def counts(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "accepted": self.accepted_count,
            "rejected": len(self.rejected),
            "merged_duplicates": self.merged_duplicates,
        }

    def summary(self) -> str:
        """One line: ``deals.csv -> outcomes: 10 read, 9 accepted, 1 rejected, 0 merged``."""
        c = self.counts
        count = len(self.skipped) + len(self.skipped_rows)
        skipped = f", {count} non-data lines skipped" if count else ""
        return (
            f"{self.path.name} -> {self.table} (preset {self.preset}): {c['rows_read']} read, "
            f"{c['accepted']} accepted, {c['rejected']} rejected, {c['merged_duplicates']} merged duplicates{skipped}"
        )

    def grouped_messages(self, limit: int | None = None) -> list[str]:
        return group_messages([m for m in self.messages if m.level != "info"], limit)

    def to_json(self) -> dict:
        """The machine-readable result: one object per file (``--json``)."""
        return {
            "file": str(self.path),
            "preset": self.preset,
            "table": self.table,
            "status": "accepted",
            "read": self.rows_read,
            "accepted": self.accepted_count,
            "rejected": len(self.rejected),
            "merged": self.merged_duplicates,
            "skipped": len(self.skipped) + len(self.skipped_rows),
            "decisions": self.decisions,
            "messages": [m.as_json() for m in self.messages],
        }


def failure_json(path: Path, table: str, preset: str, error: CoordkitError) -> dict:
    """The ``--json`` object of a file rejected whole."""
    messages = getattr(error, "messages", None) or [Message("error", None, None, None, error.message)]
    counts = getattr(error, "counts", None) or {}
    payload = [m.as_json() for m in messages]
    if error.hint:
        payload.append({"level": "info", "row": None, "column": None, "value": None, "text": f"hint: {error.hint}"})
    return {
        "file": str(path), "preset": preset, "table": table, "status": "rejected",
        "read": counts.get("read", 0), "accepted": 0, "rejected": counts.get("read", 0), "merged": 0,
        "skipped": counts.get("skipped", 0), "error": error.message, "messages": payload,
    }



def typed_frame(batch) -> pd.DataFrame:
    size = len(batch.raw.frame)
    empty = pd.Series([None] * size, dtype=object)
    return pd.DataFrame({c: pd.Series(batch.typed[c]).reset_index(drop=True) if c in batch.typed else empty
                         for c in batch.spec.column_names})



def build_result(batch) -> ReadResult:
    """The ReadResult of a batch that went through every stage."""
    raw, problems = batch.raw, batch.problems
    typed = typed_frame(batch)
    typed["extras"] = extras(raw, batch.used)
    typed["_source_row"] = batch.rows.to_numpy()
    bad_index = problems.bad
    keep = np.ones(len(typed), dtype=bool)
    if bad_index:
        keep[list(bad_index)] = False
    if batch.merged:
        keep[list(batch.merged)] = False
    accepted = typed.loc[keep].reset_index(drop=True)

    frame = raw.frame
    records = []
    for index in sorted(bad_index):
        issues = problems.by_index[index]
        first = issues[0]
        records.append({
            "row": first.row, "column": first.column or "", "value": first.value, "reason": first.text,
            "problems": len(issues),
            "raw": json.dumps(dict(zip(frame.columns, frame.iloc[index].tolist())), ensure_ascii=False, default=str),
        })
    messages = [issues[0] for _i, issues in sorted(problems.by_index.items())]
    for row_number, reason, raw_text in raw.bad_records:
        text = f"{raw.name} {reason}"
        records.append({"row": row_number, "column": "", "value": raw_text[:200], "reason": text, "problems": 1,
                        "raw": json.dumps({"_line": raw_text}, ensure_ascii=False)})
        messages.append(Message("error", row_number, None, raw_text[:200], text, "a row has more values than the header"))
    rejected = pd.DataFrame(records, columns=["row", "column", "value", "reason", "problems", "raw"])
    rejected = rejected.sort_values("row", kind="stable").reset_index(drop=True)
    messages.sort(key=lambda m: m.row or 0)
    messages += batch.warnings
    messages += [Message("info", s.row, None, s.text[:200], f"{raw.name} row {s.row}: skipped {s.reason}", f"skipped {s.reason}")
                 for s in raw.skipped]
    # plain lines, as raw.warnings: whoever shows them adds the "warning:" (the CLI printed it twice)
    warnings = list(raw.warnings) + [line.removeprefix("warning: ") for line in group_messages(batch.warnings)]
    if raw.skipped:
        kinds = {}
        for s in raw.skipped:
            kinds.setdefault(s.reason, []).append(s.row)
        warnings += [f"skipped {len(rows)} non-data line(s): {reason} (rows {', '.join(map(str, rows[:8]))}{', …' if len(rows) > 8 else ''})"
                     for reason, rows in kinds.items() if reason != "blank line"]
    return ReadResult(
        path=raw.path, table=batch.spec.name, preset=batch.preset.name, accepted=accepted, rejected=rejected,
        rows_read=raw.rows_read, merged_duplicates=len(batch.merged), warnings=warnings,
        encoding=raw.encoding, delimiter=raw.delimiter, skipped=list(raw.skipped), messages=messages,
        decisions=dict(batch.decisions), sheet=raw.sheet,
    )
