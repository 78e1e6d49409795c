"""Read an .xlsx sheet into text records, with the CSV reader's structure rules.

- The sheet is the one whose header names the expected columns; when no
  sheet does, the error lists the sheets.
- The header may sit below title rows and merged cells.
- A formula cell saved without its value (files written by scripts, not by
  Excel) is marked so validation rejects its row with a located message.
- A sheet that unpacks beyond ``max_unpacked_mb`` (a ZIP bomb, or a sheet
  too big for a spreadsheet route) is refused before it is unpacked.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from coordkit.errors import ReadError
from coordkit.ingest.headers import normalise_header
from coordkit.ingest.structure import HEADER_SEARCH_DEPTH

__all__ = ["read_excel"]


def _check_size(path: Path, max_unpacked_mb: float) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ReadError(f"{path.name}: not a readable Excel file ({exc})", hint="open it in Excel and save as .xlsx") from None
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    limit = max_unpacked_mb * 1e6
    if unpacked > limit:
        raise ReadError(
            f"{path.name}: the workbook unpacks to {unpacked / 1e6:,.0f} MB "
            f"({unpacked / packed:,.0f} times its {packed / 1e6:,.1f} MB on disk), over the limit of {max_unpacked_mb:,.0f} MB; "
            "nothing was read",
            hint="export the data as CSV instead (coordkit reads large CSVs in bulk), or raise max_xlsx_unpacked_mb "
            "in coordkit.yaml if you trust the file",
        )


def _text(value, decimal: str = ".") -> str:
    """A cell's value as text; a real number with ``decimal`` as its decimal mark and no grouping.

    The mark is the locale fixed by ``--locale`` or the preset (``.`` when the file decides), so
    a number cell reads as itself in the locale its column is parsed in: ``1234.5`` under
    ``--locale de`` is ``1234,5``, not a value to reject.

    >>> _text(1234.5, ","), _text(12.345), _text(12000.0, ","), _text(1e-07)
    ('1234,5', '12.3450', '12000', '0.0000001')
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if isinstance(value, float):
        if "e" in text:
            # str(1e-07) is "1e-07", which no locale reads: write the digits out (0.0000001)
            text = format(Decimal(text), "f")
        if decimal != ".":
            text = text.replace(".", decimal)
        if _GROUPING_SHAPED.fullmatch(text):
            # a real number such as 12.345 would read as 12345 where the column's text cells
            # decide German-style numbers; "12.3450" is the same number and fits no grouping, so
            # the column's locale decision sees it as English style (a mixed column then stops
            # with both rows named instead of storing a thousand times the value)
            text += "0"
    return text


#: how a float's text looks when the other locale would read it as thousands (12.345, 12,345)
_GROUPING_SHAPED = re.compile(r"-?[0-9]{1,3}[.,][0-9]{3}")


def _score(rows: list[list[str]], wanted: set[str]) -> int:
    return max((len({normalise_header(c) for c in r} & wanted) for r in rows[:HEADER_SEARCH_DEPTH]), default=0)


def read_excel(path: Path, *, sheet, skip_rows: int, expected: list[str], max_unpacked_mb: float, decimal: str = "."):
    """The workbook's data sheet as text cells; ``decimal``: the decimal mark real numbers are written with."""
    from openpyxl import load_workbook

    from coordkit.ingest.tabulate import tabulate

    _check_size(path, max_unpacked_mb)
    try:
        values_book = load_workbook(path, read_only=True, data_only=True)
        formula_book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise ReadError(f"{path.name}: not a readable Excel file ({type(exc).__name__}: {exc})", hint="open it in Excel and save as .xlsx") from None
    try:
        names = values_book.sheetnames
        if sheet is not None:
            if isinstance(sheet, int) and not isinstance(sheet, bool):
                if not 0 <= sheet < len(names):
                    raise ReadError(f"{path.name}: has no sheet number {sheet} (sheets: {', '.join(map(repr, names))})",
                                    hint="set read.sheet to one of these names or a 0-based index")
                chosen = names[sheet]
            elif str(sheet) in names:
                chosen = str(sheet)
            else:
                raise ReadError(f"{path.name}: has no sheet {sheet!r} (sheets: {', '.join(map(repr, names))})",
                                hint="set read.sheet to one of these names or a 0-based index")
        else:
            chosen = _choose_sheet(path, values_book, names, expected)
        records = _records(values_book[chosen], formula_book[chosen], decimal)
    finally:
        values_book.close()
        formula_book.close()
    raw = tabulate(path, records, list(range(1, len(records) + 1)), skip_rows, expected, None, [])
    raw.sheet = chosen
    if len(names) > 1:
        raw.warnings.append(f"{path.name}: read sheet {chosen!r} (the workbook has {len(names)} sheets)")
    return raw


def _choose_sheet(path: Path, book, names: list[str], expected: list[str]) -> str:
    wanted = {normalise_header(n) for n in expected if n}
    if len(names) == 1 or not wanted:
        return names[0]
    scores = {}
    for name in names:
        head = [[_text(v) for v in row] for row in book[name].iter_rows(max_row=HEADER_SEARCH_DEPTH, values_only=True)]
        scores[name] = _score(head, wanted)
    best = max(names, key=lambda n: scores[n])
    # one matching name is not enough: a pivot sheet shares "Deal Stage" with the data
    if scores[best] < min(2, len(wanted)):
        raise ReadError(
            f"{path.name}: no sheet has the expected columns ({', '.join(repr(e) for e in expected[:6])}, ...); "
            f"the sheets are {', '.join(repr(n) for n in names)}",
            hint="set read.sheet in the preset to the sheet that holds the data, or check the --preset",
        )
    return best


#: a currency in a number format: [$€-407], [$EUR], "EUR" or a bare € / £ (a bare $ names no one currency)
_FORMAT_CURRENCY = re.compile(r'\[\$([^\]-]+)[^\]]*\]|"([^"]+)"|([€£₹₩])')


def _format_currency(number_format) -> str | None:
    """The currency a cell's number format shows (``#,##0.00 [$€-407]`` is EUR), or None."""
    from coordkit.money import currency_in_text

    if not isinstance(number_format, str) or not number_format or number_format == "General":
        return None
    codes = set()
    for match in _FORMAT_CURRENCY.finditer(number_format):
        token = next(g for g in match.groups() if g).strip()
        code = token if re.fullmatch(r"[A-Z]{3}", token) else currency_in_text(token)
        if code:
            codes.add(code)
    return codes.pop() if len(codes) == 1 else None


def _records(values_sheet, formula_sheet, decimal: str = ".") -> list[list[str]]:
    from coordkit.ingest.readers import CELL_FORMULA

    records = []
    for cells, formulas in zip(values_sheet.iter_rows(), formula_sheet.iter_rows(values_only=True)):
        record = []
        for cell, formula in zip(cells, formulas):
            value = getattr(cell, "value", None)
            if value is None and isinstance(formula, str) and formula.startswith("="):
                record.append(CELL_FORMULA + formula)
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and (code := _format_currency(
                    getattr(cell, "number_format", None))):
                # the cell shows "12,000.00 €": keep the currency the number alone would lose
                record.append(f"{code} {_text(value, decimal)}")
            else:
                record.append(_text(value, decimal))
        records.append(record)
    return records
