"""Which records of an export are data, and which are report furniture.

Real exports wrap their table in lines that are not data: ``#`` comment blocks,
a report title and a date range above the header, ``Total: Account`` rows, a
summary row whose numbers are the sum of the rows above it, a confidentiality
footer, the header repeated on every printed page, blank lines. They are
*skipped non-data lines*: reported with their row numbers, never rejected as
bad data, never summed.

:func:`find_header` picks the header among the first records (the one that
names most of the expected columns); :func:`classify_records` labels the
records below it. Both work on plain lists of text cells, so CSV and Excel
share them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from coordkit.ingest.headers import normalise_header

__all__ = ["HEADER_SEARCH_DEPTH", "Skipped", "classify_records", "find_header", "summary_row_reason"]

#: how many records from the top may be titles above the header
HEADER_SEARCH_DEPTH = 60

_TOTALS = re.compile(r"^(?:grand\s+)?(?:sub)?totals?\b|^total\s*:|^summe\b|^gesamt|^totaal\b|^\s*all\s+rows\b", re.IGNORECASE)
_FOOTER = re.compile(
    r"^(?:confidential|copyright|\(c\)|©|generated\s+(?:by|on|at)|report\s+(?:generated|run|created)|"
    r"filtered\s+by|all\s+rights\s+reserved|exported\s+(?:by|on|at)|downloaded\s+(?:by|on|at)|"
    r"source\s*:|page\s+\d+|end\s+of\s+report)",
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


def _is_repeated_header(record: list[str], header_names: list[str]) -> bool:
    return [normalise_header(c) for c in record if c.strip()] == [n for n in header_names if n]


def classify_records(records: list[list[str]], header_index: int, row_numbers: list[int]) -> list[str | None]:
    """For each record below the header: None for data, else the reason it is a non-data line."""
    header = records[header_index]
    header_names = [normalise_header(c) for c in header]
    width = len(_filled(header))
    body = records[header_index + 1 :]
    labels: list[str | None] = [None] * len(body)
    # the data block ends at the last record that fills at least two cells; single-cell lines
    # after it (and between header and data) are the report's footer or notes
    last_data = max((i for i, r in enumerate(body) if len(_filled(r)) >= 2), default=-1)
    for i, record in enumerate(body):
        filled = _filled(record)
        if not filled:
            labels[i] = "blank line"
            continue
        first = filled[0].strip()
        if width >= 2 and _is_repeated_header(record, header_names):
            labels[i] = "the header repeated"
        elif len(filled) == 1 and first.startswith("#"):
            labels[i] = "comment line"
        elif _TOTALS.match(first) and (record[0].strip() == first or not record[0].strip()):
            labels[i] = "totals line"
        elif len(filled) == 1 and _FOOTER.match(first):
            labels[i] = "report footer line"
        elif width >= 3 and len(filled) == 1 and i > last_data:
            labels[i] = "report footer line"
    return labels


def _as_number(cell: str) -> float | None:
    text = re.sub(r"[^\d.,\-]", "", cell)
    if not text or not re.search(r"\d", text):
        return None
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", "") if re.search(r",\d{3}$", text) else text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def summary_row_reason(candidate: list[str], others: list[list[str]], label_positions: list[int]) -> str | None:
    """A first or last row with empty labels whose numbers are the sums of the other rows."""
    if not others or any(candidate[p].strip() not in ("", "--", "-") for p in label_positions if p < len(candidate)):
        return None
    matched = 0
    for position, cell in enumerate(candidate):
        value = _as_number(cell)
        if value is None or position in label_positions:
            continue
        column = [_as_number(r[position]) if position < len(r) else None for r in others]
        numbers = [v for v in column if v is not None]
        if len(numbers) < 2:
            continue
        total = sum(numbers)
        if abs(total - value) <= max(0.011, abs(total) * 1e-6):
            if total != 0:
                matched += 1
        else:
            return None
    return "summary row (its numbers are the sums of the other rows)" if matched else None
