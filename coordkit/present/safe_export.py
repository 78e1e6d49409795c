"""The one way coordkit writes CSV: files that are safe to open in a spreadsheet.

Every CSV coordkit writes (``explain``, ``attribute``, ``validate
--rejected-out``, ``status``/``campaigns`` exports, rejected rows) goes through
:func:`write_safe_csv` (a DataFrame) or :func:`write_safe_rows` (plain rows),
which apply :func:`safe_cell` to every cell **and every header**:

- A text cell that starts with ``=``, ``+``, ``-``, ``@``, TAB or CR is run as a
  formula by Excel and LibreOffice (CSV/formula injection, OWASP). It gets a
  leading apostrophe, which spreadsheets show as plain text. Numbers are left
  alone, so ``-12.5`` stays a number.
- A line break inside a value is always quoted. Python's ``csv`` module quotes
  only the characters of its line terminator, so with ``\\n`` a bare carriage
  return went out unquoted and a spreadsheet started a new row there, one that
  could begin with ``=cmd|' /C calc'!A0``. Carriage returns inside a value
  (``\\r\\n``, ``\\r``) become ``\\n``, which the writer quotes.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

# the cell rule itself lives in the base layer, so the ingest layer writes its campaign map with it too
from coordkit.csv_cells import neutralise_cell, safe_cell

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# no pandas at import time: the pandas-free `coordkit explain` and `attribute` use this module

__all__ = ["neutralise_cell", "neutralise_formulas", "safe_cell", "write_safe_csv", "write_safe_rows"]


def neutralise_formulas(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Return a copy whose text cells and column names cannot run as formulas or break rows.

    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"campaign": ["=HYPERLINK(1)", "spring"]}))["campaign"].tolist()
    ["'=HYPERLINK(1)", 'spring']
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(str(name)) for name in out.columns]
    return out


def write_safe_csv(frame: "pd.DataFrame", path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV through :func:`safe_cell` (cells and header)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_formulas(frame).to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return path


def write_safe_rows(columns: list[str], rows, path: str | Path) -> Path:
    """Write plain rows (sequences) as UTF-8 CSV, through :func:`safe_cell` like :func:`write_safe_csv`.

    For pandas-free callers (``coordkit attribute`` starts in about a second):
    floats are written as ``repr`` writes them, as pandas does; ``None`` and NaN
    are empty cells.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([safe_cell(str(c)) for c in columns])
        writer.writerows([_blank_if_missing(safe_cell(v)) for v in row] for row in rows)
    return path


def _blank_if_missing(value):
    return "" if value is None or (isinstance(value, float) and value != value) else value
