"""Which records of an export are data, and which are report furniture.

Real exports wrap their table in lines that are not data: ``#`` comment blocks,
a report title and a date range above the header, ``Total: Account`` rows, a
summary row whose numbers are the sum of the rows above it, a confidentiality
footer, the header repeated on every printed page, blank lines. They are
*skipped non-data lines*: reported with their row numbers, never rejected as
bad data, never summed.

:func:`find_header` picks the header among the first records (the one that
names most of the expected columns); :func:`classify_frame` labels the
records below it. Both work on plain lists of text cells, so CSV and Excel
share them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coordkit.ingest.headers import normalise_header

__all__ = ["HEADER_SEARCH_DEPTH", "Skipped", "classify_frame", "find_header", "other_tables"]

#: how many records from the top may be titles above the header
HEADER_SEARCH_DEPTH = 60

_TOTALS = re.compile(r"^(?:grand +)?(?:sub)?totals?(?:[^a-z]|$)|^total *:|^summe(?:[^a-z]|$)|^gesamt|^totaal(?:[^a-z]|$)|^ *all +rows(?:[^a-z]|$)",
                     re.IGNORECASE)
_FOOTER = re.compile(
    r"^(?:confidential|copyright|\(c\)|©|generated +(?:by|on|at)|report +(?:generated|run|created)|"
    r"filtered +by|all +rights +reserved|exported +(?:by|on|at)|downloaded +(?:by|on|at)|"
    r"source *:|page +[0-9]+|end +of +report)",
    re.IGNORECASE,
)




@dataclass(frozen=True)
class Skipped:
    """One non-data line: its row number (as a spreadsheet shows it), why, and its text."""

    row: int
    reason: str
    text: str


def _filled(record: list[str]) -> list[str]:
    return [cell for cell in record if cell.strip()]


def find_header(records: list[list[str]], expected: list[str], skip_rows: int = 0) -> int:
    """Index of the header record: most expected names, else the first record as wide as the table."""
    limit = min(len(records), skip_rows + HEADER_SEARCH_DEPTH)
    wanted = {normalise_header(name) for name in expected if name}
    best, best_score = None, 0
    if wanted:
        for index in range(skip_rows, limit):
            names = {normalise_header(cell) for cell in records[index]}
            score = len(names & wanted)
            if score > best_score:
                best, best_score = index, score
    if best is not None:
        return best
    widths = Counter(len(_filled(r)) for r in records[skip_rows : skip_rows + 500] if _filled(r))
    if not widths:
        return skip_rows
    common = max(w for w, n in widths.items() if n == max(widths.values()))
    for index in range(skip_rows, limit):
        filled = _filled(records[index])
        if filled and len(filled) >= min(common, 2) and not filled[0].startswith("#"):
            return index
    return skip_rows


def other_tables(records: list[list[str]], header_cells: list[str]) -> dict[int, int]:
    """For a report in sections (GA4): the records below the header that belong to another table.

    A table starts at the first filled record after a ``#`` comment line. One whose first record
    is not the header itself is another table of the report, down to the next comment line; the
    header's own table may start again. Returns {record index: index of that table's header}.
    Comment and blank lines are left to :func:`classify_frame`.

    >>> other_tables([["a", "1"], ["# next"], ["Day", "n"], ["1", "2"], ["# again"], ["id", "v"], ["b", "3"]], ["id", "v"])
    {2: 2, 3: 2}
    """
    own = _keys(header_cells)
    found: dict[int, int] = {}
    after_comment, start = False, None
    for index, record in enumerate(records):
        filled = _filled(record)
        comment = len(filled) == 1 and filled[0].lstrip().startswith("#")
        if comment:
            after_comment = True
            continue
        if filled and after_comment:
            after_comment = False
            start = None if _keys(record) == own else index
        if filled and start is not None:
            found[index] = start
    return found


def _keys(cells: list[str]) -> list[str]:
    """A header's names as matched, without the empty cells Excel writes after the last one."""
    keys = [normalise_header(c) for c in cells]
    while keys and not keys[-1]:
        keys.pop()
    return keys


def classify_frame(frame: pd.DataFrame, header_cells: list[str]) -> pd.Series:
    """For each data record (a frame of text cells): None for data, else why it is a non-data line.

    Vectorised: the same rules run on a 5-line export and on 10 million rows.
    """
    width = len([c for c in header_cells if c.strip()])
    labels = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if frame.empty:
        return labels
    stripped = [frame[c].astype("str").str.strip() for c in frame.columns]
    present = np.column_stack([s.ne("").to_numpy(dtype=bool) for s in stripped])
    filled = present.sum(axis=1)
    # the first filled cell of each row
    first = stripped[-1].where(present[:, -1], "")
    for position in range(len(stripped) - 2, -1, -1):
        first = stripped[position].where(present[:, position], first)
    first = first.str.strip()
    header_keys = [normalise_header(c) for c in header_cells[: len(stripped)]]
    repeated = np.ones(len(frame), dtype=bool)
    for column, key in zip(stripped, header_keys):
        repeated &= column.str.lower().eq(key).to_numpy(dtype=bool)
    repeated &= width >= 2
    single = filled == 1
    # case=False rather than a (?i) flag keeps pandas on Arrow's regex kernel (no Python loop)
    totals = first.str.contains(_TOTALS.pattern, case=False, regex=True).to_numpy(dtype=bool) & (~present[:, 0] | stripped[0].eq(first).to_numpy(dtype=bool))
    footer = single & first.str.contains(_FOOTER.pattern, case=False, regex=True).to_numpy(dtype=bool)
    comment = single & first.str.startswith("#").to_numpy(dtype=bool)
    data_like = np.flatnonzero(filled >= 2)
    last_data = int(data_like[-1]) if len(data_like) else -1
    trailing = single & (np.arange(len(frame)) > last_data) & (width >= 3)
    # precedence: blank, repeated header, comment, totals, footer
    for mask, reason in (
        (trailing & ~totals & ~comment, "report footer line"),
        (footer & ~totals, "report footer line"),
        (totals, "totals line"),
        (comment, "comment line"),
        (repeated, "the header repeated"),
        (filled == 0, "blank line"),
    ):
        labels[mask] = reason
    return labels
