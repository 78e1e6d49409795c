"""The campaign registry: every campaign label in the workspace, where it comes from, and its campaign.

One row per (label, table, column, file): the vendor (the preset the file was
ingested with), the number of rows carrying it, the first and last date it was
active, and the canonical campaign the workspace's campaign map assigns it
(empty while undecided). Labels are read as exported (the map is not applied
here). Rows without a campaign (untagged posts) appear as ``(untagged)``.

Also here: the co-occurrence evidence the suggestions use (a post tagged ``X``
whose link carries ``utm_campaign=Y``) and :func:`campaign_coverage`.
"""

from __future__ import annotations

import ibis
import pandas as pd

from coordkit.contract import TABLES
from coordkit.ingest.campaign_map import (
    URL_COLUMN,
    campaign_label_columns,
    read_campaign_map,
    utm_from_url,
)

__all__ = ["REGISTRY_COLUMNS", "UNTAGGED", "campaign_cooccurrence", "campaign_registry", "source_name"]

UNTAGGED = "(untagged)"
REGISTRY_COLUMNS = ["label", "table", "column", "file", "vendor", "rows", "first", "last", "campaign"]
#: the column whose empty value means "untagged": the output's own campaign
_UNTAGGED_COLUMNS = {("outputs", "campaign")}
#: date column per table when the contract names no time column
_DATE_FALLBACKS = ("week", "period_start", "date", "due_at", "due_date", "done_at")


def source_name(row) -> str:
    """One readable source: ``hootsuite-posts: posts.csv (outputs.campaign)``."""
    where = f"{row['table']}.{row['column']}"
    vendor = row["vendor"] if row["vendor"] and row["vendor"] != "canonical" else "file"
    return f"{vendor}: {row['file']} ({where})"


def _time_column(name: str, columns) -> str | None:
    spec = TABLES.get(name)
    if spec is not None and spec.time_column and spec.time_column in columns:
        return spec.time_column
    return next((c for c in _DATE_FALLBACKS if c in columns), None)


def _label_value(table, column: str):
    if column == URL_COLUMN:
        return utm_from_url(table.url, "utm_campaign")
    return table[column].cast("string")


def _tables(ws):
    present = set(ws.con.list_tables())
    for name in TABLES:
        if name in present:
            yield name, ws.table(name, canonical_campaigns=False)


def _vendors(ws) -> dict[int, str]:
    log = ws.ingest_log()
    return dict(zip(log["ingest_id"].astype(int), log["preset"].fillna("").astype(str))) if not log.empty else {}


def campaign_registry(ws) -> pd.DataFrame:
    """Every campaign label seen in any table, with its source, row count, dates and campaign.

    >>> campaign_registry(open_workspace("acme", read_only=True)).head()   # doctest: +SKIP
    """
    vendors = _vendors(ws)
    frames = []
    for name, table in _tables(ws):
        time_column = _time_column(name, table.columns)
        for column in campaign_label_columns(name, table.columns):
            raw = _label_value(table, column).strip()
            value = ibis.ifelse(raw == "", ibis.null("string"), raw)
            if (name, column) in _UNTAGGED_COLUMNS:
                value = value.fill_null(UNTAGGED)
            stamp = table[time_column].cast("timestamp") if time_column else ibis.null("timestamp")
            source_file = table["_source_file"].cast("string") if "_source_file" in table.columns else ibis.literal("")
            ingest_id = table["_ingest_id"].cast("int64") if "_ingest_id" in table.columns else ibis.literal(0, type="int64")
            rows = table.select(label=value, file=source_file.fill_null(""), _ingest=ingest_id, _at=stamp)
            rows = rows.filter(rows.label.notnull())
            grouped = rows.group_by(["label", "file"]).aggregate(
                rows=rows.count(), first=rows._at.min(), last=rows._at.max(), _ingest=rows._ingest.max(),
            ).to_pandas()
            if grouped.empty:
                continue
            grouped.insert(1, "table", name)
            grouped.insert(2, "column", column)
            frames.append(grouped)
    if not frames:
        return pd.DataFrame(columns=REGISTRY_COLUMNS)
    registry = pd.concat(frames, ignore_index=True)
    registry["vendor"] = registry["_ingest"].map(lambda i: vendors.get(int(i), "") if pd.notna(i) else "")
    for column in ("first", "last"):
        registry[column] = pd.to_datetime(registry[column], utc=True).dt.date
    registry["rows"] = registry["rows"].astype(int)
    registry["campaign"] = _decided(ws, registry)
    registry = registry[REGISTRY_COLUMNS]
    return registry.sort_values(["table", "column", "file", "label"], kind="stable").reset_index(drop=True)


def _decided(ws, registry: pd.DataFrame) -> pd.Series:
    """The campaign the stored map gives each label (as :func:`apply_campaign_map` reads it)."""
    mapping = read_campaign_map(ws.path)
    decided = mapping[mapping["campaign"] != ""]
    if decided.empty:
        return pd.Series("", index=registry.index)
    exact = {(r.table, r.column, r.label): r.campaign for r in decided.itertuples()}
    agreed = decided.groupby("label")["campaign"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "")
    return pd.Series(
        [exact.get((r.table, r.column, r.label), agreed.get(r.label, "")) for r in registry.itertuples()],
        index=registry.index,
    )


def campaign_cooccurrence(ws) -> pd.DataFrame:
    """Pairs of labels carried by the same row: ``label, other, table, column, other_column, rows``.

    The evidence is a post tagged ``AuditReadiness`` whose link carries
    ``utm_campaign=q3-audit-readiness-webinar``, or a deal whose CRM campaign
    and original-source UTM sit side by side.
    """
    frames = []
    for name, table in _tables(ws):
        columns = campaign_label_columns(name, table.columns)
        for i, left in enumerate(columns):
            for right in columns[i + 1:]:
                a = _label_value(table, left).strip()
                b = _label_value(table, right).strip()
                pairs = table.select(label=a, other=b).filter(lambda t: t.label.notnull() & t.other.notnull() & (t.label != "") & (t.other != ""))
                counted = pairs.group_by(["label", "other"]).aggregate(rows=pairs.count()).to_pandas()
                if counted.empty:
                    continue
                counted["table"], counted["column"], counted["other_column"] = name, left, right
                frames.append(counted)
    if not frames:
        return pd.DataFrame(columns=["label", "other", "table", "column", "other_column", "rows"])
    return pd.concat(frames, ignore_index=True)
