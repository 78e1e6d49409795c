"""CSV cells a spreadsheet cannot run as formulas: the one rule every layer writes with.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, TAB or CR is run as a
formula by Excel and LibreOffice (CSV/formula injection, OWASP). Such a cell
gets a leading apostrophe, which spreadsheets show as plain text; numbers are
left alone, so ``-12.5`` stays a number.

It lives in the base layer so that the ingest layer (the workspace's
``campaign-map.csv``) and the present layer (every export,
:mod:`coordkit.present.safe_export`) apply the same rule. Two flavours:

- :func:`safe_cell` for files people read (exports): also turns a carriage
  return inside a value into a line feed, which every CSV writer quotes.
- :func:`protect_cell` / :func:`restore_cell` for files coordkit reads back
  (the campaign map): exactly reversible, ``restore_cell(protect_cell(v)) == v``
  for every text, so a label with a formula prefix, an apostrophe or a carriage
  return round-trips. Write such rows with :func:`csv_row` (Python's ``csv``
  leaves a bare CR unquoted when the line ends in LF) and read them with
  ``csv.reader`` on a file opened with ``newline=""``.
"""

from __future__ import annotations

__all__ = ["FORMULA_TRIGGERS", "csv_row", "neutralise_cell", "protect_cell", "restore_cell", "safe_cell"]

#: first characters that make a spreadsheet read a cell as a formula
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe; leave numbers alone.

    >>> neutralise_cell("=1+1"), neutralise_cell("-12.5"), neutralise_cell(-3)
    ("'=1+1", '-12.5', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _is_number(value):
        return "'" + value
    return value


def safe_cell(value):
    """A cell as coordkit exports it: formula prefixes neutralised, carriage returns made quotable.

    Apart from the line breaks it is :func:`protect_cell`, so an export a
    person edits and hands back (``campaigns suggest`` → ``apply``) reads
    back with :func:`restore_cell`.

    >>> safe_cell("spring\\r=cmd|' /C calc'!A0"), safe_cell("=1+1"), safe_cell(-3)
    ("spring\\n=cmd|' /C calc'!A0", "'=1+1", -3)
    """
    if isinstance(value, str):
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return protect_cell(value)
    return value


def restore_cell(text: str) -> str:
    """Undo :func:`protect_cell` (and read back what a spreadsheet-safe export wrote).

    One leading apostrophe is dropped when a formula prefix or another
    apostrophe follows it; any other text is returned as it is.

    >>> restore_cell("'=1+1"), restore_cell("''=x"), restore_cell("'tis")
    ('=1+1', "'=x", "'tis")
    """
    if isinstance(text, str) and text.startswith("'") and text[1:].startswith((*FORMULA_TRIGGERS, "'")):
        return text[1:]
    return text


def protect_cell(text: str) -> str:
    """A text cell that cannot run as a formula and that :func:`restore_cell` turns back into ``text`` exactly.

    >>> protect_cell("=cmd|' /C calc'!A0"), protect_cell("'=x"), protect_cell("-5"), protect_cell("plain")
    ("'=cmd|' /C calc'!A0", "''=x", '-5', 'plain')
    """
    if not isinstance(text, str):
        return text
    if neutralise_cell(text) != text or restore_cell(text) != text:
        return "'" + text
    return text


def csv_row(cells) -> str:
    """One CSV line ending in LF, each cell through :func:`protect_cell`, quoted when it holds ``,``, ``"``, CR or LF.

    Cells that need no quotes are written bare, so a version-control diff of
    the file stays readable.

    >>> print(csv_row(["=1", "spring", "a,b", "say 'hi'"]), end="")
    '=1,spring,"a,b",say 'hi'
    """
    out = []
    for cell in cells:
        text = protect_cell("" if cell is None else str(cell))
        if any(ch in text for ch in ',"\r\n'):
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    return ",".join(out) + "\n"
