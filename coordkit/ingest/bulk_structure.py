"""Which staged records are data: plain rows in SQL, every other row by the exact rules.

:func:`coordkit.ingest.structure.classify_frame` labels the records of a
small file. On a staged body, SQL first marks *plain* rows: two or more
filled cells, no whitespace but plain spaces at the edges of a cell (so
DuckDB's ``trim`` equals Python's ``strip``), a first filled cell that cannot
be a totals label, and a first cell that is not the header's. Plain rows are
data under every rule of ``classify_frame``. The few other rows are fetched
and labelled by ``classify_frame`` itself; the only rule that looks beyond a
row (a single cell below the last data row is a footer) gets the position of
the last data row through a stand-in row.

A report's first or last row may be a summary of the others; the exact
reader checks it against the column sums when that row has an empty cell. The
bulk path leaves such files to the exact reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from coordkit.ingest.bulk_load import Loaded, NotInBulk
from coordkit.ingest.headers import normalise_header
from coordkit.ingest.structure import Skipped, classify_frame
from coordkit.ingest.tabulate import join_cells

__all__ = ["BAD_CHARS", "Body", "classify_body"]

#: characters Python's str.strip() removes besides the space, and other controls: a cell holding
#: one is never read in SQL
BAD_CHARS = r"[\x00-\x1f\x7f-\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
_MAX_UNUSUAL = 200_000
_CONTROLS = r"regexp_matches({}, '[\x00-\x1f\x7f]')"


@dataclass
class Body:
    """Skipped body lines, and the data rows SQL could not vouch for (read the exact way)."""

    skipped: list[Skipped]
    #: rowids of data rows that are not plain (Python reads their cells)
    unusual: list[int]
    data_rows: int


def stripped(cell: str) -> str:
    """SQL of Python's ``cell.strip()`` for a cell holding no whitespace but spaces (trim only when needed)."""
    return f"(CASE WHEN starts_with({cell}, ' ') OR ends_with({cell}, ' ') THEN trim({cell}) ELSE {cell} END)"


def flags_sql(header_cells: list[str], width: int, controls: bool, ascii_file: bool = False) -> str:
    """SQL of columns ``plain`` (see the module docstring) and ``skip`` (false until a line is found non-data).

    ``controls``: the body holds a control character somewhere; ``ascii_file``: every byte of the
    file is ASCII. Both come from the byte scan, so a whole-file fact spares a per-cell test.
    """
    cells = [f"c{i}" for i in range(width)]
    key0 = normalise_header(header_cells[0]) if header_cells else ""
    filled = " + ".join(f"(CASE WHEN {c} = '' THEN 0 WHEN {stripped(c)} <> '' THEN 1 ELSE 0 END)" for c in cells)
    # most rows: the first two cells hold text that does not start with a space, so two are filled
    # (in a plain row the only whitespace is the space); counting all cells is for the others
    filled = (f"(CASE WHEN c0 <> '' AND c1 <> '' AND NOT starts_with(c0, ' ') AND NOT starts_with(c1, ' ') "
              f"THEN true ELSE ({filled}) >= 2 END)")
    first = "coalesce(" + ", ".join(f"nullif({stripped(c)}, '')" for c in cells) + ", '')"
    first = f"(CASE WHEN c0 <> '' AND NOT starts_with(c0, ' ') AND NOT ends_with(c0, ' ') THEN c0 ELSE {first} END)"
    joined = "concat_ws(' ', " + ", ".join(cells) + ")"
    ascii_only = " AND ".join(f"strlen({c}) = length({c})" for c in cells)
    # controls: a regular expression over every cell only when the file holds one somewhere;
    # in an all-ASCII file BAD_CHARS are the controls, and no cell needs the ASCII test
    only_controls = _CONTROLS.format(joined) if controls else "false"
    unusual_chars = (only_controls if ascii_file else
                     f"(CASE WHEN {ascii_only} THEN {only_controls} ELSE regexp_matches({joined}, '{BAD_CHARS}') END)")
    repeated = f"(CASE WHEN length(c0) < {len(key0)} THEN false ELSE lower({stripped('c0')}) = {_literal(key0)} END)"
    if not key0.isascii():
        repeated += r" OR regexp_matches(c0, '[^\x00-\x7f]')"
    totals = rf"regexp_matches({first}, '(?i)total|summe|gesamt|totaal|all +rows|[^\x00-\x7f]')"
    plain = f"(NOT {unusual_chars} AND {filled} AND NOT {totals} AND NOT ({repeated}))"
    return f"{plain} AS plain, false AS skip"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def classify_body(loaded: Loaded) -> Body | None:
    con, width = loaded.con, loaded.width
    cells = [f"c{i}" for i in range(width)]
    last_plain, first_plain, unusual_count = con.execute(
        "SELECT max(rowid) FILTER (WHERE plain), min(rowid) FILTER (WHERE plain), count(*) FILTER (WHERE NOT plain) FROM raw"
    ).fetchall()[0]
    if unusual_count > _MAX_UNUSUAL:
        raise NotInBulk("too many rows with unusual characters or non-data lines")
    rows = con.execute(f"SELECT rowid, {', '.join(cells)} FROM raw WHERE NOT plain ORDER BY rowid").fetchall()
    ids = [int(r[0]) for r in rows]
    frame = pd.DataFrame([list(r[1:]) for r in rows], columns=range(width), dtype="str") if rows else \
        pd.DataFrame(columns=range(width), dtype="str")
    data_like = [i for i, record in zip(ids, rows) if sum(1 for c in record[1:] if c.strip()) >= 2]
    last_data = max([x for x in (last_plain, *data_like) if x is not None], default=None)
    stand_in = last_data is not None and last_data == last_plain and last_plain not in set(ids)
    if stand_in:
        position = sum(1 for i in ids if i < last_data)
        filler = pd.DataFrame([["x"] * width], columns=range(width), dtype="str")
        frame = pd.concat([frame.iloc[:position], filler, frame.iloc[position:]], ignore_index=True)
        ids = ids[:position] + [-1] + ids[position:]
    labels = classify_frame(frame, loaded.header_cells).tolist() if len(frame) else []
    skipped, unusual = [], []
    for position, (rowid, label) in enumerate(zip(ids, labels)):
        if rowid < 0:
            continue
        if label is None:
            unusual.append(rowid)
        else:
            skipped.append(Skipped(loaded.first_line + rowid, label, join_cells(frame.iloc[position].tolist(), loaded.delimiter)))
    data_rows = loaded.records - len(skipped)
    if data_rows < 3:
        raise NotInBulk("fewer than three data rows")
    firsts = [x for x in (first_plain, *unusual) if x is not None]
    lasts = [x for x in (last_plain, *unusual) if x is not None]
    if _may_be_summary(loaded, frame, ids, unusual, min(firsts), max(lasts)):
        raise NotInBulk("the first or last row may be a summary of the others")
    if skipped:
        con.register("_skipped", pd.DataFrame({"i": [s.row - loaded.first_line for s in skipped]}))
        con.execute("UPDATE raw SET skip = true WHERE rowid IN (SELECT i FROM _skipped)")
        con.unregister("_skipped")
    return Body(skipped, unusual, data_rows)


_NUMERIC_CELL = r"[\s\d.,%$€£()\-]+"


def _may_be_summary(loaded: Loaded, frame: pd.DataFrame, ids: list[int], unusual: list[int], first: int, last: int) -> bool:
    """True when the first or last data row could be a summary row (readers._skip_summary_rows): its label cells
    (columns that mostly hold text) are all empty. Such files are left to the exact reader, which sums."""
    con, width = loaded.con, loaded.width
    cells = [f"c{i}" for i in range(width)]
    # one equality a branch: DuckDB then reads one row group, where IN (...) scanned the whole table
    # (1.7 s at 10M rows spilled to disk)
    edge = f"SELECT rowid, {', '.join(cells)} FROM raw WHERE rowid = ?"
    edges = {int(r[0]): list(r[1:]) for r in con.execute(f"{edge} UNION ALL {edge}", [first, last]).fetchall()}
    if all(all(str(c).strip() for c in record) for record in edges.values()):
        return False
    # label columns over the middle rows: plain rows in SQL (RE2 \p{Nd} = Python's \d), the others in Python
    counts = con.execute("SELECT " + ", ".join(
        f"count(*) FILTER (WHERE {stripped(c)} <> ''), "
        f"count(*) FILTER (WHERE {stripped(c)} <> '' AND NOT regexp_full_match({c}, '[\\s\\p{{Nd}}.,%$€£()\\-]+'))"
        for c in cells) + " FROM raw WHERE plain AND rowid NOT IN (?, ?)", [first, last]).fetchall()[0]
    filled, texts = list(counts[0::2]), list(counts[1::2])
    middle = [position for position, rowid in enumerate(ids) if rowid in set(unusual) and rowid not in (first, last)]
    for position in middle:
        for column in range(width):
            cell = str(frame.iloc[position, column])
            if cell.strip():
                filled[column] += 1
                texts[column] += re.fullmatch(_NUMERIC_CELL, cell) is None
    labels = [c for c in range(width) if filled[c] and texts[c] >= 0.8 * filled[c]]
    if not labels:
        return False
    for record in edges.values():
        if not all(str(c).strip() for c in record) and all(str(record[p]).strip() in ("", "--", "-") for p in labels):
            return True
    return False
