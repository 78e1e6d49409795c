"""Records of text cells into a :class:`RawTable`: header, data frame, bad records and non-data lines.

CSV, Excel and the bulk path's head all end here (:func:`tabulate`): the header
is found (:func:`coordkit.ingest.structure.find_header`), the records below it
become a frame of the header's width, and every other record is accounted for:
a bad record (more values than the header has columns), a skipped non-data line
(:func:`coordkit.ingest.structure.classify_frame`), a summary row, or, in a
report in sections, another table of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.errors import ReadError
from coordkit.ingest.structure import Skipped, classify_frame, find_header, other_tables

__all__ = ["DELIMITER_NAMES", "RawTable", "body_from_records", "dedupe_header", "join_cells", "tabulate", "trim_header"]

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass
class RawTable:
    """An export as read: text cells, spreadsheet row numbers, and what was noticed."""

    path: Path
    #: data records, one column per header name (names as written, de-duplicated with .2, .3)
    frame: pd.DataFrame
    #: spreadsheet row number of each record
    rows: list[int]
    #: records that could not be split into the header's columns: (row, reason, raw text)
    bad_records: list[tuple[int, str, str]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: non-data lines: titles, totals, footers, blank lines, repeated headers
    skipped: list[Skipped] = field(default_factory=list)
    #: header cells as written (before de-duplication)
    header_cells: list[str] = field(default_factory=list)
    header_row: int = 1
    sheet: str | None = None
    #: physical lines of a text file, and (first, last) physical line of each record read
    lines_total: int | None = None
    spans: dict = field(default_factory=dict)
    #: False when the reader knows no cell holds a NUL or formula marker (the bulk path refuses NUL bytes)
    may_hold_markers: bool = True

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.bad_records)


def dedupe_header(header: list[str]) -> list[str]:
    """Header names as written, made unique with .2, .3 (duplicates are reported by validation)."""
    seen: dict[str, int] = {}
    names = []
    for position, raw_name in enumerate(header, start=1):
        name = raw_name.strip().lstrip("\ufeff").strip() or f"column_{position}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


def trim_header(cells: list[str]) -> list[str]:
    # trailing empty header cells (Excel writes them) are not columns
    while cells and not cells[-1].strip() and len(cells) > 1:
        cells = cells[:-1]
    return cells


def tabulate(
    path: Path,
    records: list[list[str]],
    row_numbers: list[int],
    skip: int,
    expected: list[str],
    delimiter: str | None,
    skipped: list[Skipped],
    body=None,
    header_index: int | None = None,
    sections: bool = False,
) -> RawTable:
    """Header, data, bad records and non-data lines from records of text cells (CSV and Excel).

    ``body`` is the records below the header already read in bulk (frame, rows, bad records);
    then ``records`` holds only the lines down to the header. ``sections``: see :func:`read_raw`.
    """
    for index in range(min(skip, len(records))):
        if row_numbers[index] not in {s.row for s in skipped}:
            skipped.append(Skipped(row_numbers[index], "line above the header (read.skip_rows)", join_cells(records[index], delimiter)))
    if not any(any(c.strip() for c in r) for r in records[skip:]):
        raise ReadError(f"{path.name}: the file has no header row", hint="the first non-empty line must name the columns")
    if header_index is None:
        header_index = find_header(records, expected, skip)
    for index in range(skip, header_index):
        reason = "blank line" if not any(c.strip() for c in records[index]) else (
            "comment line" if records[index] and records[index][0].lstrip().startswith("#") else "report title or note above the header"
        )
        skipped.append(Skipped(row_numbers[index], reason, join_cells(records[index], delimiter)))
    header_cells = trim_header(records[header_index])
    header = dedupe_header(header_cells)
    if body is None:
        below, below_rows = records[header_index + 1 :], row_numbers[header_index + 1 :]
        if sections:
            below, below_rows = _skip_other_tables(below, below_rows, header_cells, delimiter, skipped)
        body = body_from_records(below, below_rows, len(header), delimiter)
    frame, rows, bad = body
    frame.columns = header
    labels = classify_frame(frame, header_cells)
    nondata = labels.notna().to_numpy()
    if nondata.any():
        for index in np.flatnonzero(nondata):
            skipped.append(Skipped(int(rows[index]), labels.iloc[index], join_cells(frame.iloc[index].tolist(), delimiter)))
        frame = frame.loc[~nondata]
        rows = rows[~nondata]
    frame = frame.reset_index(drop=True)
    frame, rows = _skip_summary_rows(frame, rows, skipped, delimiter)
    skipped.sort(key=lambda s: s.row)
    if frame.empty and not bad:
        raise ReadError(f"{path.name}: the file has a header but no data rows", hint="export it again with data in it")
    warnings = []
    blank = sum(1 for s in skipped if s.reason == "blank line")
    if blank:
        warnings.append(f"{path.name}: skipped {blank} blank line(s)")
    return RawTable(path, frame, [int(r) for r in rows], bad, None, delimiter, warnings, skipped, list(header_cells),
                    row_numbers[header_index])


def _skip_other_tables(records, row_numbers, header_cells, delimiter, skipped: list[Skipped]):
    """The records below the header without the other tables of a report in sections (GA4)."""
    starts = other_tables(records, header_cells)
    kept, kept_rows = [], []
    for index, (record, row) in enumerate(zip(records, row_numbers)):
        if index in starts:
            cells = trim_header(records[starts[index]])
            shown = join_cells(cells[:3], delimiter) + (", …" if len(cells) > 3 else "")
            skipped.append(Skipped(row, f"another table of the report (its header is row {row_numbers[starts[index]]}: "
                                        f"{shown})", join_cells(record, delimiter)))
        else:
            kept.append(record)
            kept_rows.append(row)
    return kept, kept_rows


def body_from_records(records, row_numbers, width, delimiter):
    """Records below the header as a frame of the header's width; rows with surplus values are bad records."""
    data: list[list[str]] = []
    rows: list[int] = []
    bad: list[tuple[int, str, str]] = []
    for record, row in zip(records, row_numbers):
        if len(record) > width:
            if any(cell.strip() for cell in record[width:]):
                where = f"a value probably contains an unquoted {DELIMITER_NAMES.get(delimiter, delimiter)}; " if delimiter else ""
                bad.append((
                    row,
                    f"row {row} has {len(record)} values but the header has {width} columns: "
                    f"{where}put that value in double quotes or re-export the file",
                    join_cells(record, delimiter),
                ))
                continue
            record = record[:width]  # trailing empty cells, as Excel writes them
        elif len(record) < width:
            record = record + [""] * (width - len(record))
        data.append(record)
        rows.append(row)
    frame = pd.DataFrame(data, columns=range(width), dtype="str") if data else pd.DataFrame(columns=range(width), dtype="str")
    return frame, np.asarray(rows, dtype=np.int64), bad


def _skip_summary_rows(frame: pd.DataFrame, rows, skipped: list[Skipped], delimiter):
    """The first or last data row may be a summary (Meta, Google Ads): blank labels, numbers = sums."""
    if len(frame) < 3:
        return frame, rows
    for index in (len(frame) - 1, 0):
        candidate = frame.iloc[index].tolist()
        # cheap test first: a summary row has at least one empty label-like cell and some numbers
        if all(cell.strip() for cell in candidate):
            continue
        middle = frame.iloc[1:-1]
        labels = []
        for position, column in enumerate(frame.columns):
            cells = middle[column][middle[column].str.strip().ne("")]
            if len(cells) and (~cells.str.fullmatch(r"[\s\d.,%$€£()\-]+")).sum() >= 0.8 * len(cells):
                labels.append(position)
        if not labels:
            return frame, rows
        reason = _summary_reason(frame, index, labels)
        if reason:
            skipped.append(Skipped(int(rows[index]), reason, join_cells(candidate, delimiter)))
            keep = np.ones(len(frame), dtype=bool)
            keep[index] = False
            return frame.loc[keep].reset_index(drop=True), rows[keep]
    return frame, rows


def _summary_reason(frame: pd.DataFrame, index: int, labels: list[int]) -> str | None:
    """The row's labels are empty and each of its numbers is the sum of the column's other rows."""
    from coordkit.ingest.numbers import parse_numbers

    candidate = frame.iloc[index]
    if any(candidate.iloc[p].strip() not in ("", "--", "-") for p in labels):
        return None
    others = frame.drop(index=frame.index[index])
    matched = 0
    for position, column in enumerate(frame.columns):
        if position in labels or not candidate.iloc[position].strip():
            continue
        best = None
        for locale in ("en", "de"):
            values = parse_numbers(pd.concat([pd.Series([candidate.iloc[position]]), others[column]], ignore_index=True), locale)[0]
            if best is None or values.notna().sum() > best.notna().sum():
                best = values
        value, column_values = best.iloc[0], best.iloc[1:].dropna()
        if pd.isna(value) or len(column_values) < 2:
            continue
        total = float(column_values.sum())
        if abs(total - value) > max(0.011, abs(total) * 1e-6):
            return None
        matched += total != 0
    return "summary row (its numbers are the sums of the other rows)" if matched else None


def join_cells(record: list[str], delimiter: str | None) -> str:
    return (delimiter or ",").join(record)
