"""Write CSV files that are safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, TAB or CR is run as a
formula by Excel and LibreOffice (CSV/formula injection, OWASP). Such text
cells get a leading apostrophe, which spreadsheets show as plain text.
Numbers are left alone, so ``-12.5`` stays a number.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# no pandas at import time: the pandas-free `coordkit explain` uses neutralise_cell

__all__ = ["neutralise_cell", "neutralise_formulas", "write_safe_csv"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Return a copy whose text cells cannot run as spreadsheet formulas.

    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"campaign": ["=HYPERLINK(1)", "spring"]}))["campaign"].tolist()
    ["'=HYPERLINK(1)", 'spring']
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out


def neutralise_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe; leave numbers alone."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        try:
            float(value)
            return value  # a plain negative number written as text
        except ValueError:
            return "'" + value
    return value


def write_safe_csv(frame: "pd.DataFrame", path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with formula injection neutralised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_formulas(frame).to_csv(path, index=False)
    return path


def write_safe_rows(columns: list[str], rows, path: str | Path) -> Path:
    """Write plain rows (sequences) as UTF-8 CSV, neutralised like :func:`write_safe_csv`.

    For pandas-free callers (``coordkit attribute`` starts in about a second):
    floats are written as ``repr`` writes them, as pandas does.
    """
    import csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([neutralise_cell(v) for v in row] for row in rows)
    return path
