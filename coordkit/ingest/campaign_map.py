"""The workspace's campaign map: which canonical campaign each label belongs to.

Every tool spells a campaign its own way (Google Ads ``TB | Search | Spend
Leak Report``, Meta ``TB_SpendLeakReport_LeadGen_2026``, utm
``spend-leak-report-2026``, CRM ``2026 Spend Leak Report``). A person
confirms the grouping once (``coordkit campaigns apply``); it is stored as a
plain CSV beside ``coordkit.yaml`` so it can be reviewed and version-controlled,
and :meth:`Workspace.table <coordkit.ingest.workspace.Workspace.table>` applies
it to every table it hands out. That is the one place the mapping is applied:
attribution, the review and the check-in all read canonical campaigns without
knowing a map exists. Stored rows keep the label exactly as exported.

The file: ``label,table,column,campaign`` (plus informative columns). An empty
``campaign`` means "undecided": the label is used as spelled. Labels come from
exports, so the file is written like every CSV coordkit writes: a cell that a
spreadsheet would run as a formula (``=cmd|...``, ``+``, ``-``, ``@``) gets an
apostrophe, a cell holding a line break is quoted (a carriage return inside a
label stays in its cell), and reading reverses exactly that (:mod:`coordkit.csv_cells`), so
every label round-trips.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from coordkit.contract import TABLES
from coordkit.csv_cells import csv_row, restore_cell
from coordkit.errors import ReadError, WorkspaceError

__all__ = [
    "CAMPAIGN_MAP_FILE",
    "MAP_COLUMNS",
    "URL_COLUMN",
    "apply_campaign_map",
    "campaign_label_columns",
    "campaign_map_path",
    "read_campaign_map",
    "utm_from_url",
    "write_campaign_map",
]

CAMPAIGN_MAP_FILE = "campaign-map.csv"
#: the columns a map needs; any others (source, rows, reason) are kept for people reading it
MAP_COLUMNS = ("label", "table", "column", "campaign")
#: pseudo-column for a utm_campaign read from a landing URL rather than its own column
URL_COLUMN = "url:utm_campaign"
_CAMPAIGN_COLUMNS = ("campaign", "utm_campaign")
_cache: dict[Path, tuple[int, pd.DataFrame]] = {}


def campaign_map_path(workspace: str | Path) -> Path:
    """Where a workspace keeps its campaign map (the one place this path is decided)."""
    return Path(workspace) / CAMPAIGN_MAP_FILE


def campaign_label_columns(table_name: str, columns) -> list[str]:
    """The columns of a table that carry campaign labels (URL pseudo-column included)."""
    present = [c for c in _CAMPAIGN_COLUMNS if c in columns]
    if "url" in columns and table_name in TABLES:
        present.append(URL_COLUMN)
    return present


def utm_from_url(url: ir.StringValue, field: str) -> ir.StringValue:
    """Extract one UTM parameter from a landing URL (null when absent)."""
    found = url.cast("string").re_extract(rf"[?&]{field}=([^&#]*)", 1)
    return ibis.ifelse(found == "", ibis.null("string"), found)


def read_campaign_map(workspace: str | Path) -> pd.DataFrame:
    """The stored map (empty frame with :data:`MAP_COLUMNS` when there is none).

    Rows with an empty campaign are kept (they record "seen, undecided"). The
    ``utm_aliases`` of ``coordkit.yaml`` (``{typo: campaign}``) count as decided
    labels in every table; a label the map file decides itself keeps that decision.
    """
    frame = _read_map_file(workspace)
    aliases = _config_aliases(workspace)
    if aliases.empty:
        return frame
    aliases = aliases[~aliases["label"].isin(set(frame.loc[frame["campaign"] != "", "label"]))]
    return pd.concat([frame, aliases], ignore_index=True).fillna("")


def _config_aliases(workspace) -> pd.DataFrame:
    from coordkit.config import load_config

    try:
        aliases = load_config(workspace).utm_aliases or {}
    except WorkspaceError:
        aliases = {}
    rows = [{"label": str(k).strip(), "table": "", "column": "", "campaign": str(v).strip()} for k, v in aliases.items()]
    return pd.DataFrame(rows, columns=list(MAP_COLUMNS))


def _read_map_file(workspace: str | Path) -> pd.DataFrame:
    path = campaign_map_path(workspace)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return pd.DataFrame(columns=list(MAP_COLUMNS))
    cached = _cache.get(path.resolve())
    if cached is not None and cached[0] == stamp:
        return cached[1].copy()
    frame = _parse_map(path)
    _cache[path.resolve()] = (stamp, frame)
    return frame.copy()


def _parse_map(path: Path) -> pd.DataFrame:
    # newline="": a carriage return inside a quoted label is part of the label, not a line end
    with path.open(encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    rows = [[restore_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    header, rows = (rows[0], rows[1:]) if rows else ([], [])
    missing = [c for c in ("label", "campaign") if c not in header]
    if missing:
        raise WorkspaceError(
            f"{path}: missing column {missing[0]!r}; a campaign map needs the columns {', '.join(MAP_COLUMNS)}",
            hint="write it with `coordkit campaigns apply FILE.csv`",
        )
    width = len(header)
    rows = [(row + [""] * width)[:width] for row in rows if row]
    frame = pd.DataFrame(rows, columns=list(header) or list(MAP_COLUMNS)).fillna("")
    for column in MAP_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
        # a hand-edited cell of blanks means "empty"; anything else is kept exactly as written
        # (spaces around a label or campaign are ignored where labels are matched: _lookup)
        frame[column] = frame[column].astype(str).where(frame[column].astype(str).str.strip() != "", "")
    return frame


def write_campaign_map(workspace: str | Path, mapping: pd.DataFrame) -> Path:
    """Write the map atomically, sorted so that a version-control diff shows only real changes."""
    missing = [c for c in MAP_COLUMNS if c not in mapping.columns]
    if missing:
        raise ReadError(f"campaign map: missing column {missing[0]!r}; needs {', '.join(MAP_COLUMNS)}")
    path = campaign_map_path(workspace)
    extra = [c for c in mapping.columns if c not in MAP_COLUMNS]
    frame = mapping[[*MAP_COLUMNS, *extra]].fillna("").astype(str)
    frame = frame.sort_values(["table", "column", "label"], kind="stable")
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        # csv_row quotes a bare carriage return (Python's csv does not), so a label with one stays one cell
        handle.write(csv_row(frame.columns))
        handle.writelines(csv_row(row) for row in frame.itertuples(index=False))
    os.replace(partial, path)
    _cache.pop(path.resolve(), None)
    return path


def _lookup(mapping: pd.DataFrame, table_name: str, column: str) -> dict[str, str]:
    """label -> campaign for one column: its own decisions first, then a label decided the
    same way everywhere else (a utm value seen first in outputs also names the campaign in GA4)."""
    # stored labels are matched against the stripped value (_mapped), so compare them stripped too
    mapping = mapping.assign(label=mapping["label"].str.strip(), campaign=mapping["campaign"].str.strip())
    decided = mapping[mapping["campaign"] != ""]
    if decided.empty:
        return {}
    agreed = decided.groupby("label")["campaign"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else None).dropna()
    lookup = agreed.to_dict()
    own = decided[(decided["table"] == table_name) & (decided["column"] == column)]
    lookup.update(dict(zip(own["label"], own["campaign"])))
    return lookup


def _mapped(table: ir.Table, value: ir.StringValue, lookup: dict[str, str], name: str) -> ir.Table:
    keys = pd.DataFrame({f"_cm_{name}_k": list(lookup), f"_cm_{name}_v": list(lookup.values())})
    side = ibis.memtable(keys)
    joined = table.left_join(side, value.strip() == side[f"_cm_{name}_k"])
    return joined.drop(f"_cm_{name}_k")


def apply_campaign_map(workspace: str | Path, table_name: str, table: ir.Table) -> ir.Table:
    """Return ``table`` with its campaign columns replaced by canonical campaigns.

    Labels the map does not decide keep their spelling. A utm_campaign carried
    only by the landing URL is written into ``utm_campaign`` so every reader
    sees the canonical value. Without a map the table is returned unchanged.
    """
    mapping = read_campaign_map(workspace)
    if mapping.empty or not (mapping["campaign"] != "").any():
        return table
    columns = list(table.columns)
    changes = {}
    t = table
    for column in campaign_label_columns(table_name, columns):
        if column == URL_COLUMN:
            continue
        lookup = _lookup(mapping, table_name, column)
        if lookup:
            t = _mapped(t, t[column].cast("string"), lookup, column)
            changes[column] = ibis.coalesce(t[f"_cm_{column}_v"], t[column].cast("string"))
    if "url" in columns and "utm_campaign" in columns:
        lookup = _lookup(mapping, table_name, URL_COLUMN)
        from_url = utm_from_url(t.url, "utm_campaign")
        if lookup:
            t = _mapped(t, from_url, lookup, "url")
            from_url = ibis.coalesce(t["_cm_url_v"], utm_from_url(t.url, "utm_campaign"))
        own = changes.get("utm_campaign", t.utm_campaign.cast("string"))
        changes["utm_campaign"] = ibis.coalesce(own, from_url)
    if not changes:
        return table
    t = t.mutate(**changes)
    return t.select(*columns)
