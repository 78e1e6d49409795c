"""Read CSV, Excel and Parquet exports into raw text tables with row numbers.

A reader does not interpret values: every cell comes back as text, with the
row number a spreadsheet would show for it (the first line of the file is row
1). Lines that are not data (titles, totals, footers, blank lines; see
:mod:`coordkit.ingest.structure`) come back as ``skipped`` with their rows.
Records become a table (header, frame, bad records, skipped lines) in
:mod:`coordkit.ingest.tabulate`; validation and mapping happen in
:mod:`coordkit.ingest.validate`.

Every physical line of a CSV is accounted for: it is the header, part of a
data record (``spans``), part of a bad record, or skipped. A quote that is
never closed rejects the file, naming the line where it opens.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.errors import ReadError, allowed_values_message
from coordkit.ingest.bulk import BULK_MIN_BYTES, read_body
from coordkit.ingest.filekind import check_file_kind
from coordkit.ingest.structure import Skipped, find_header
from coordkit.ingest.tabulate import (
    DELIMITER_NAMES,
    RawTable,
    body_from_records,
    dedupe_header,
    tabulate,
    trim_header,
)

__all__ = ["CANDIDATE_DELIMITERS", "CELL_FORMULA", "CELL_NUL", "SUPPORTED_SUFFIXES", "RawTable", "read_raw"]

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
#: a NUL byte in a cell is replaced by this private-use character; its row is rejected
CELL_NUL = "\ue000"
#: prefix of an Excel formula cell that has no saved value; its row is rejected
CELL_FORMULA = "\ue001"
_SEP_LINE = re.compile(r"^\s*\"?sep=(.)\"?\s*$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# Python's csv module refuses fields over 128 KiB by default; long HTML e-mail
# bodies in exports exceed that.
csv.field_size_limit(64 * 1024 * 1024)


def read_raw(
    path: str | Path,
    *,
    delimiter: str | None = None,
    encoding: str = "auto",
    sheet: int | str | None = None,
    skip_rows: int = 0,
    expected: list[str] | tuple[str, ...] = (),
    max_unpacked_mb: float = 500.0,
    number_locale: str | None = None,
    sections: bool = False,
) -> RawTable:
    """Read one export file as text cells with spreadsheet row numbers.

    ``expected`` names the columns the caller looks for; the header is the
    record (and the sheet) that names most of them. ``number_locale``: the
    locale fixed for numbers (``--locale`` or the preset), in which an Excel
    number cell is written (``de``: ``1234,5``); None writes ``1234.5``.
    ``sections``: the file holds several tables, each after its own ``#``
    block (GA4); the tables below the header with another header are skipped.

    >>> raw = read_raw("deals.csv")          # doctest: +SKIP
    >>> raw.frame.columns.tolist(), raw.rows[:2]   # doctest: +SKIP
    (['Deal ID', 'Amount'], [2, 3])
    """
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: file not found", hint="check the path; relative paths start in the current folder")
    if path.is_dir():
        raise ReadError(f"{path}: is a folder, not a file", hint="pass the export file itself")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(
            allowed_values_message(f"{path.name}: file type", suffix or "(none)", SUPPORTED_SUFFIXES),
            hint="save the export as CSV, Excel .xlsx or Parquet",
        )
    if path.stat().st_size == 0:
        raise ReadError(f"{path.name}: the file is empty (0 bytes)", hint="export it again; the download may have failed")
    with path.open("rb") as handle:
        head = handle.read(4096)
    kind = check_file_kind(path, head)
    if kind == "xlsx":
        from coordkit.ingest.excel import read_excel
        from coordkit.ingest.numbers import LOCALES

        decimal = LOCALES[number_locale][0] if number_locale else "."
        return read_excel(path, sheet=sheet, skip_rows=skip_rows, expected=list(expected), max_unpacked_mb=max_unpacked_mb,
                          decimal=decimal)
    if kind == "parquet":
        return _read_parquet(path)
    return _read_csv(path, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows, expected=list(expected),
                     sections=sections)


# --- CSV -------------------------------------------------------------------


def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, str, list[str]]:
    """Decode bytes; return (text, encoding used, warnings)."""
    warnings: list[str] = []
    if encoding != "auto":
        try:
            return data.decode(encoding), encoding, warnings
        except LookupError:
            raise ReadError(f"encoding {encoding!r} is not known", hint="use utf-8, utf-8-sig, cp1252 or latin-1") from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            bad = data[exc.start : exc.start + 4]
            raise ReadError(
                f"{path.name} line {line}: bytes {bad!r} are not valid {encoding}",
                hint="re-export the file as UTF-8, or pass --encoding auto to let coordkit detect it",
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig", warnings
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
        return text.lstrip("\ufeff"), "utf-16", warnings
    sample = data[:4000]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
        # UTF-16 little-endian without a byte-order mark: every other byte is zero
        return data.decode("utf-16-le", errors="replace"), "utf-16-le", warnings
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # Windows-1252 is what Excel on Windows writes for "CSV"; Latin-1 decodes anything.
        for fallback in ("cp1252", "latin-1"):
            try:
                text = data.decode(fallback)
            except UnicodeDecodeError:
                continue
            warnings.append(
                f"{path.name} is not UTF-8 (first non-UTF-8 byte on line {line}); read it as {fallback}. "
                "Check accented names; re-export as UTF-8 to be sure."
            )
            return text, fallback, warnings
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _sniff_delimiter(text: str) -> str:
    """Pick the candidate delimiter that splits the lines most consistently into several columns."""
    sample = text[:65536]
    lines = [line for line in _LINE_BREAK.split(sample)[:200] if line.strip()]
    if len(lines) > 1 and len(sample) == 65536:
        lines = lines[:-1]  # the last sampled line may be cut in half
    best, best_score = ",", (-1, 0)
    for candidate in CANDIDATE_DELIMITERS:
        try:
            records = list(csv.reader(lines, delimiter=candidate))
        except csv.Error:
            continue
        widths = [len(r) for r in records if len(r) > 1]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        # titles above the header have fewer cells: count the lines as wide as the most common width
        score = (widths.count(common), common)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _split_records(path: Path, text: str, delimiter: str) -> tuple[list[list[str]], list[tuple[int, int]]]:
    """Split into records with their (first, last) physical line; reject the file on an unclosed quote."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    spans: list[tuple[int, int]] = []
    previous = 0
    for record in reader:
        records.append(record)
        spans.append((previous + 1, reader.line_num))
        previous = reader.line_num
    if records and spans[-1][1] > spans[-1][0]:
        _check_last_record_is_closed(path, text, records, spans, delimiter)
    _check_glued_records(path, records, spans, delimiter)
    return records, spans


def _check_last_record_is_closed(path, text, records, spans, delimiter) -> None:
    first, last = spans[-1]
    record_number = len(records)
    tail = "".join(_LINE_BREAK.split(text)[first - 1 :])
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            _reject_open_quote(path, first, last, record_number)


def _check_glued_records(path, records, spans, delimiter) -> None:
    """A quoted cell that holds whole lines of records: a stray quote glued them together."""
    if not records:
        return
    width = max(len(r) for r in records[:50])
    if width < 3:
        return
    for number, (record, (first, last)) in enumerate(zip(records, spans), start=1):
        if last - first < 2:
            continue
        for cell in record:
            inner = _LINE_BREAK.split(cell)[1:]
            looks_like_records = sum(1 for line in inner if line.count(delimiter) >= width - 1)
            if looks_like_records >= 2:
                _reject_open_quote(path, first, last, number)


def _reject_open_quote(path: Path, first: int, last: int, record_number: int) -> None:
    from coordkit.ingest.messages import Message

    text = (f"{path.name} line {first}: a double quote opens a value that runs to line {last}, "
            f"swallowing {last - first} line(s) into one cell; nothing was read")
    error = ReadError(text, hint=f"fix the quote on line {first} (close it, or double it as \"\" inside a value) and export again")
    error.messages = [Message("error", record_number, None, None, text)]
    error.counts = {"read": 0, "skipped": 0, "lines": (first, last)}
    raise error


def _read_csv(path: Path, *, delimiter: str | None, encoding: str, skip_rows: int, expected: list[str],
              sections: bool = False) -> RawTable:
    data = path.read_bytes()
    text, used_encoding, warnings = _decode(path, data, encoding)
    if not text.strip():
        raise ReadError(f"{path.name}: the file has no content (only blank lines)", hint="export it again")
    skipped: list[Skipped] = []
    first_line = text.split("\n", 1)[0].rstrip("\r")
    sep_match = _SEP_LINE.match(first_line)
    if sep_match and delimiter is None:
        delimiter = sep_match.group(1)
    if "\x00" in text:
        text = text.replace("\x00", CELL_NUL)
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    elif delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise ReadError(f"delimiter must be one character; got {delimiter!r}")
    start = 1 if sep_match else 0
    if sep_match:
        skipped.append(Skipped(1, f"sep= line (the delimiter is {DELIMITER_NAMES.get(sep_match.group(1), sep_match.group(1))})", first_line))
    if len(data) >= BULK_MIN_BYTES and used_encoding in ("utf-8", "utf-8-sig") and not sections:
        raw = _read_csv_in_bulk(path, data[3:] if used_encoding == "utf-8-sig" else data, text, delimiter,
                                max(start, skip_rows), expected, skipped)
        if raw is not None:
            raw.encoding, raw.delimiter, raw.warnings = used_encoding, delimiter, warnings + raw.warnings
            raw.may_hold_markers = False
            return raw
        skipped = [s for s in skipped if s.row == 1 and start]
    records, spans = _split_records(path, text, delimiter)
    lines_total = len(_LINE_BREAK.findall(text)) + (0 if text.endswith(("\n", "\r")) else 1)
    # skip_rows counts the lines above the header from the top of the file, a sep= line included
    raw = tabulate(path, records, list(range(1, len(records) + 1)), max(start, skip_rows), expected, delimiter, skipped,
                    sections=sections)
    raw.encoding, raw.delimiter, raw.warnings = used_encoding, delimiter, warnings + raw.warnings
    raw.lines_total = lines_total
    raw.spans = {row: spans[row - 1] for row in [*raw.rows, *(b[0] for b in raw.bad_records), *(s.row for s in raw.skipped)]}
    raw.spans[raw.header_row] = spans[raw.header_row - 1]
    return raw


def _read_csv_in_bulk(path, data: bytes, text: str, delimiter: str, skip: int, expected, skipped) -> RawTable | None:
    """Large files: the lines down to the header as records, the body through Arrow (None: read exactly)."""
    head_records, head_spans = [], []
    reader = csv.reader(io.StringIO(text[:1_000_000], newline=""), delimiter=delimiter, strict=False)
    previous = 0
    for record in reader:
        head_records.append(record)
        head_spans.append((previous + 1, reader.line_num))
        previous = reader.line_num
        if len(head_records) >= skip + 500:
            break
    if len(head_records) < 2:
        return None
    head_records, head_spans = head_records[:-1], head_spans[:-1]  # the last one may be cut
    header_index = find_header(head_records, expected, skip)
    header_end = head_spans[header_index][1]
    if header_end != header_index + 1:
        return None  # a title or header over several lines: the exact reader numbers it
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8, count=min(len(data), 4_000_000)) == 10)
    if len(newlines) < header_end:
        return None
    width = len(dedupe_header(trim_header(head_records[header_index])))
    body = read_body(data, int(newlines[header_end - 1]) + 1, header_end + 1, width, delimiter, body_from_records)
    if body is None:
        return None
    frame, rows, bad, blank = body
    skipped = list(skipped) + [Skipped(line, "blank line", "") for line in blank]
    return tabulate(path, head_records[: header_index + 1], list(range(1, header_index + 2)), skip, expected, delimiter,
                     skipped, body=(frame, rows, bad), header_index=header_index)


# --- Parquet -------------------------------------------------------------------


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ReadError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    if frame.empty:
        raise ReadError(f"{path.name}: the file has no rows")
    text = pd.DataFrame({str(c): frame[c].map(_cell_text) for c in frame.columns}, dtype=object)
    text.columns = dedupe_header([str(c) for c in frame.columns])
    # Parquet has no header line; number records as a spreadsheet of the same table would.
    rows = list(range(2, len(frame) + 2))
    return RawTable(path, text, rows, [], None, None, [], [], [str(c) for c in frame.columns], 1)


def _cell_text(value) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
