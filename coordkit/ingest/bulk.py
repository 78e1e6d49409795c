"""Read the body of a large CSV in bulk, keeping every line's number.

Python's ``csv`` module splits a 200 MB export in seconds and its cells cost
gigabytes as Python strings; Arrow's CSV reader does it in parallel into
compact columns. Arrow drops empty lines and does not report line numbers, so
this module works them out from the bytes first (NumPy over the buffer):

- the bulk path is taken only when every line holds an even number of double
  quotes, i.e. no quoted value spans lines, so record n is line n;
- empty lines are listed (they are skipped non-data lines) and the others
  numbered in order;
- the last lines (footers with fewer cells) are split by the ``csv`` module
  like a small file, so footers and totals follow the same rules.

Anything unusual (a quoted line break, a row with too many values, a NUL
byte) returns None and the caller reads the file the exact, slower way: the
checks that follow are the same either way.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

__all__ = ["BULK_MIN_BYTES", "read_body"]

#: files smaller than this are read with the csv module (no start-up cost of the bulk path)
BULK_MIN_BYTES = 4_000_000
_TAIL_LINES = 200


def read_body(data: bytes, start: int, first_line: int, width: int, delimiter: str, body_from_records):
    """(frame, row numbers, bad records, blank line numbers) of ``data[start:]``, or None to read it exactly."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if b"\x00" in data or len(delimiter.encode()) != 1:
        return None
    buffer = np.frombuffer(data, dtype=np.uint8, offset=start)
    newlines = np.flatnonzero(buffer == 10)
    ends = newlines if (len(buffer) and buffer[-1] == 10) else np.append(newlines, len(buffer))
    starts = np.concatenate(([0], newlines[: len(ends) - 1] + 1)) if len(ends) else np.array([], dtype=np.int64)
    quotes = np.flatnonzero(buffer == 34)
    if len(quotes):
        per_line = np.diff(np.concatenate(([0], np.searchsorted(quotes, ends))))
        if (per_line % 2).any():
            return None  # a quoted value spans lines (or a stray quote): the exact reader accounts for it
    lengths = ends - starts
    # an empty line is "" or "\r"
    carriage = np.zeros(len(ends), dtype=bool)
    nonzero = lengths > 0
    carriage[nonzero] = buffer[ends[nonzero] - 1] == 13
    empty = (lengths == 0) | ((lengths == 1) & carriage)
    line_numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    split = max(0, len(ends) - _TAIL_LINES)
    middle_end = int(starts[split]) if split < len(ends) else len(buffer)
    frames, rows = [], []
    if split:
        names = [str(i) for i in range(width)]
        try:
            table = pacsv.read_csv(
                pa.py_buffer(data[start : start + middle_end]),
                read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=True),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, pa.ArrowException):
            return None  # rows of another width in the middle: the exact reader names them
        middle_rows = line_numbers[:split][~empty[:split]]
        if table.num_rows != len(middle_rows):
            return None
        frame = table.to_pandas()
        frame.columns = range(width)
        frames.append(frame)
        rows.append(middle_rows)
    tail_text = data[start + middle_end :].decode("utf-8", errors="replace")
    tail_records, tail_rows = [], []
    reader = csv.reader(io.StringIO(tail_text, newline=""), delimiter=delimiter, strict=False)
    previous = 0
    for record in reader:
        if record:
            tail_records.append(record)
            tail_rows.append(int(line_numbers[split]) + previous)
        previous = reader.line_num
    tail_frame, tail_row_numbers, bad = body_from_records(tail_records, tail_rows, width, delimiter)
    frames.append(tail_frame.astype("str"))
    rows.append(tail_row_numbers)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    blank = [int(n) for n in line_numbers[empty]]
    return frame, np.concatenate(rows), bad, blank
