"""Read CSV, Excel and Parquet exports into raw text tables with row numbers.

A reader does not interpret values: every cell comes back as text (or the
typed value Parquet/Excel stored), with the row number a spreadsheet would show
for it (the header is row 1). Validation and mapping happen in
:mod:`coordkit.ingest.validate`; the row numbers let every message point at
the exact row a person can open.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coordkit.errors import ReadError, allowed_values_message

__all__ = ["CANDIDATE_DELIMITERS", "SUPPORTED_SUFFIXES", "RawTable", "read_raw"]

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# Python's csv module refuses fields over 128 KiB by default; long HTML e-mail
# bodies in exports exceed that.
csv.field_size_limit(64 * 1024 * 1024)


@dataclass
class RawTable:
    """An export as read: text cells, spreadsheet row numbers, and what was noticed."""

    path: Path
    #: data records, one column per header name (names as written, de-duplicated)
    frame: pd.DataFrame
    #: spreadsheet row number of each record (header = row 1)
    rows: list[int]
    #: records that could not be split into the header's columns: (row, reason, raw text)
    bad_records: list[tuple[int, str, str]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.bad_records)


def read_raw(
    path: str | Path,
    *,
    delimiter: str | None = None,
    encoding: str = "auto",
    sheet: int | str = 0,
    skip_rows: int = 0,
) -> RawTable:
    """Read one export file as text cells with spreadsheet row numbers.

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
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet=sheet, skip_rows=skip_rows)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    return _read_csv(path, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows)


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
        return data.decode("utf-16"), "utf-16", warnings
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


def _sniff_delimiter(path: Path, text: str) -> str:
    """Pick the candidate delimiter that splits the first records most consistently."""
    sample_lines = text[:65536]
    best, best_score = ",", (-1, 0)
    for candidate in CANDIDATE_DELIMITERS:
        try:
            records = list(_take(csv.reader(io.StringIO(sample_lines), delimiter=candidate), 30))
        except csv.Error:
            continue
        records = [r for r in records if any(cell.strip() for cell in r)]
        if len(records) > 1 and len(sample_lines) == 65536:
            records = records[:-1]  # the last sampled record may be cut in half
        if not records:
            continue
        widths = [len(r) for r in records]
        header_width = widths[0]
        if header_width < 2:
            continue
        consistent = sum(1 for w in widths if w == header_width)
        score = (consistent, header_width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _take(iterator, n):
    for i, item in enumerate(iterator):
        if i >= n:
            return
        yield item


def _dedupe_header(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for position, raw_name in enumerate(header, start=1):
        name = raw_name.strip().lstrip("\ufeff").strip() or f"column_{position}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _read_csv(path: Path, *, delimiter: str | None, encoding: str, skip_rows: int) -> RawTable:
    text, used_encoding, warnings = _decode(path, path.read_bytes(), encoding)
    if not text.strip():
        raise ReadError(f"{path.name}: the file has no content (only blank lines)", hint="export it again")
    if "\x00" in text[:4096]:
        raise ReadError(
            f"{path.name}: the file contains NUL bytes; it is not a text CSV",
            hint="open it in a spreadsheet and save it as CSV UTF-8, or pass the .xlsx",
        )
    if delimiter is None:
        delimiter = _sniff_delimiter(path, text)
    elif delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise ReadError(f"delimiter must be one character; got {delimiter!r}")

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    # line_num tracks physical lines; spreadsheets number records, so count records.
    record_number = 0
    header: list[str] | None = None
    records: list[list[str]] = []
    rows: list[int] = []
    bad: list[tuple[int, str, str]] = []
    blank = 0
    try:
        for record in reader:
            record_number += 1
            if record_number <= skip_rows:
                continue
            if header is None:
                if not any(cell.strip() for cell in record):
                    continue
                header = _dedupe_header(record)
                continue
            if not any(cell.strip() for cell in record):
                blank += 1
                continue
            # numbered as the file shows it in a spreadsheet: title lines above the header count too
            row_number = record_number
            if len(record) > len(header):
                extra = record[len(header) :]
                if any(cell.strip() for cell in extra):
                    raw = delimiter.join(record)
                    bad.append(
                        (
                            row_number,
                            f"row {row_number} has {len(record)} values but the header has {len(header)} columns: "
                            f"a value probably contains an unquoted {_DELIMITER_NAMES.get(delimiter, delimiter)!s}; "
                            "put that value in double quotes or re-export the file",
                            raw,
                        )
                    )
                    continue
                record = record[: len(header)]  # trailing empty cells, as Excel writes them
            elif len(record) < len(header):
                record = record + [""] * (len(header) - len(record))
            records.append(record)
            rows.append(row_number)
    except csv.Error as exc:
        raise ReadError(
            f"{path.name} row {record_number + 1}: cannot split the row into columns ({exc})",
            hint="check for an unclosed double quote on that row",
        ) from None
    if header is None:
        raise ReadError(f"{path.name}: the file has no header row", hint="the first non-empty line must name the columns")
    if blank:
        warnings.append(f"{path.name}: skipped {blank} blank line(s)")
    frame = pd.DataFrame(records, columns=header, dtype=object) if records else pd.DataFrame(columns=header, dtype=object)
    if not records and not bad:
        raise ReadError(f"{path.name}: the file has a header but no data rows", hint="export it again with data in it")
    return RawTable(path, frame, rows, bad, used_encoding, delimiter, warnings)


# --- Excel and Parquet -------------------------------------------------------


def _read_excel(path: Path, *, sheet: int | str, skip_rows: int) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, skiprows=skip_rows, engine="openpyxl")
    except ValueError as exc:
        raise ReadError(f"{path.name}: cannot read sheet {sheet!r} ({exc})", hint="pass the sheet name or index in the preset's read.sheet") from None
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise ReadError(f"{path.name}: not a readable Excel file ({type(exc).__name__}: {exc})", hint="open it in Excel and save as .xlsx") from None
    frame = frame.dropna(how="all")
    if frame.empty:
        raise ReadError(f"{path.name}: the sheet is empty", hint="check the sheet name in the preset's read.sheet")
    header_index = frame.index[0]
    header = _dedupe_header(["" if pd.isna(v) else str(v) for v in frame.loc[header_index]])
    body = frame.loc[frame.index > header_index]
    cells = body.map(_excel_cell_text)
    cells.columns = header
    # pandas index is the 0-based sheet row after skiprows; spreadsheets count from 1
    rows = [int(i) + 1 + skip_rows for i in body.index]
    if body.empty:
        raise ReadError(f"{path.name}: the sheet has a header but no data rows")
    return RawTable(path, cells.reset_index(drop=True), rows, [], None, None, [])


def _excel_cell_text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ReadError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    if frame.empty:
        raise ReadError(f"{path.name}: the file has no rows")
    text = pd.DataFrame({str(c): frame[c].map(_parquet_cell_text) for c in frame.columns}, dtype=object)
    text.columns = _dedupe_header([str(c) for c in frame.columns])
    # Parquet has no header line; number records as a spreadsheet of the same table would.
    rows = list(range(2, len(frame) + 2))
    return RawTable(path, text, rows, [], None, None, [])


def _parquet_cell_text(value) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
