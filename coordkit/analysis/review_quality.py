"""The review's data-quality section, scoped to the team whose review it is.

A team's (or client's) review shows only facts about its own rows: how many
of its outcomes and outputs are stored, its rejected rows (those whose raw row
named the team), and its late rows. Workspace-wide facts (files, linking,
rows that name no team) appear only in the ``all`` review.

A failed ingest (the latest attempt at a file failed) shows in the very next
review, named by its file: in the ``all`` review, in the review of every team
whose rows that file brought before (:func:`failed_ingest_teams`), and, when
no team can be told (a file that never got in), in every team's review as a
workspace-level line that names the file and nothing from inside it. The
failure reason stays in ``coordkit status``: it can quote a cell of any team.
Every reason text is redacted of e-mail addresses and phone numbers before it
gets here (see :mod:`coordkit.analysis.privacy`).

*Late* rows are measured against arrivals, never the wall clock: a row is
late when it first reached the store in an ingest after an earlier ingest had
already brought rows of a later week, i.e. its week had been reported without
it. This is the rule the ingest log's ``late`` column counts per ingest.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from coordkit.analysis.grouping import aggregate
from coordkit.analysis.metrics import UNASSIGNED

__all__ = ["data_quality", "failed_ingest_teams", "failed_ingests", "late_flags", "latest_failures"]

ALL_TEAMS = "all"
REASON_COLUMNS = ["file", "column", "rows", "example"]


def late_flags(facts: pd.DataFrame, config, ingest_log: pd.DataFrame | None = None) -> pd.Series:
    """True for each outcome that arrived after a later week of its table had already arrived.

    Rows are grouped by the ingest that first brought them (found in the
    ingest log by arrival time; rows stamped alike form one batch without a
    log); a row is late when it was created before the first day of the
    latest week that any earlier ingest had reached.
    """
    from coordkit.model.calendar import week_bounds, week_of

    if facts.empty or "arrived_at" not in facts:
        return pd.Series(False, index=facts.index)
    arrived = pd.to_datetime(facts["arrived_at"], utc=True)
    created = pd.to_datetime(facts["created_at"], utc=True)
    batches = arrived
    if ingest_log is not None and not ingest_log.empty and "started_at" in ingest_log:
        log = ingest_log[ingest_log["table_name"] == "outcomes"] if "table_name" in ingest_log else ingest_log
        starts = pd.to_datetime(log["started_at"], utc=True).sort_values()
        if len(starts):
            # the ingest a row arrived in is the latest one that started before its arrival stamp
            position = starts.searchsorted(arrived, side="right") - 1
            batches = pd.Series(position, index=facts.index).where(arrived.notna())
    late = pd.Series(False, index=facts.index)
    reached = None  # latest creation time of any earlier batch
    for batch_id in sorted(batches.dropna().unique()):
        batch = batches == batch_id
        if reached is not None:
            cutoff = week_bounds(week_of(pd.Series([reached]), config).iloc[0], config)[0]
            late |= batch & (created < cutoff)
        batch_max = created[batch].max()
        reached = batch_max if reached is None or batch_max > reached else reached
    return late


def data_quality(context, team: str, week: dt.date):
    """(table of counts, rejection reasons, notes) for ``team``'s review of ``week``."""
    # only the late count of this week depends on the week: the rest is worked out once per context and team
    derived = getattr(context, "derived", None)
    parts = derived(("data quality", team), lambda: _week_independent(context, team)) if derived else \
        _week_independent(context, team)
    quality, reasons, late, before, after = parts
    if context.ingest_log.empty:
        return quality, reasons, ["Nothing has been ingested yet."]
    this_week_late = int((late["week"] == week).sum())
    late_note = (f"{len(late):,} outcome row(s) arrived late (after an ingest had already brought a later week, so a "
                 f"review of their week had gone out without them); {this_week_late:,} of them belong to this week.")
    return quality, reasons, [*before, late_note, *after]


def _week_independent(context, team: str) -> tuple:
    """(quality table, reasons, late rows, notes before the late note, notes after it) for ``team``."""
    facts = context.facts if team == ALL_TEAMS else context.facts[context.facts["team"] == team]
    late = facts[facts["late"]] if "late" in facts else facts.iloc[0:0]
    rejected = context.rejected
    if team != ALL_TEAMS and not rejected.empty:
        rejected = rejected[rejected["team"] == team]
    reasons = _reasons(rejected)
    before, after = [], []
    if team == ALL_TEAMS:
        quality = _per_file(context)
        linking = context.linking
        if linking.get("touchpoints"):
            before.append(f"{linking['share_linked']:.1%} of {linking['touchpoints']:,} touchpoints link to a known output; "
                          f"{linking['unlinked']:,} are unlinked and earn no output credit.")
        after.extend(linking.get("campaign_notes", []))
        after.extend(linking.get("currency_notes", []))
        after.extend(_failed_notes(failed_ingests(context.ingest_log), team))
        unassigned = int((context.facts["team"] == UNASSIGNED).sum())
        if unassigned:
            after.append(f"{unassigned:,} outcome(s) carry no team and appear only under 'all'.")
    else:
        quality = _per_table(context, team, facts, rejected, late)
        after.extend(_failed_notes(failed_ingests(context.ingest_log), team))
        after.append("Only this team's rows are counted here; files, linking and rows that name no team are in the "
                     "all-teams review.")
    return quality, reasons, late, before, after


def latest_failures(log: pd.DataFrame) -> pd.DataFrame:
    """The ingest-log rows of files whose latest attempt failed and that no later ingest fixed.

    A failure is kept per (file, table). A download no preset recognised is
    logged with table ``""``; any later successful ingest of the same file
    (under whichever table) supersedes it.
    """
    if log.empty or "status" not in log:
        return log.iloc[0:0]
    ordered = log.sort_values("ingest_id")
    latest = ordered.drop_duplicates(["file", "table_name"], keep="last")
    failed = latest[latest["status"] != "ok"]
    last_ok = ordered[ordered["status"] == "ok"].groupby("file")["ingest_id"].max().to_dict()
    unrecognised = failed["table_name"].fillna("").eq("").to_numpy()
    fixed_later = [
        bool(unknown) and int(ingest_id) < last_ok.get(file, -1)
        for unknown, ingest_id, file in zip(unrecognised, failed["ingest_id"], failed["file"])
    ]
    return failed.loc[[not fixed for fixed in fixed_later]] if len(failed) else failed


def failed_ingest_teams(ws, log: pd.DataFrame) -> pd.DataFrame:
    """``log`` plus a ``teams`` column: for each failed ingest, the teams (JSON list) of the rows its file brought before.

    A file's earlier successful ingests left rows stamped with its name
    (``_source_file``) and rejected rows that named a team; those teams are
    the ones its failure concerns. ``"[]"`` means no team can be told.
    """
    out = log.assign(teams="[]")
    if log.empty or "status" not in log:
        return out
    tables = set(ws.con.list_tables())
    for index, row in latest_failures(log).iterrows():  # failures a later ingest has not fixed
        name, table = Path(str(row["file"])).name, str(row["table_name"])
        teams: set[str] = set()
        if table in tables:
            stored = ws.table(table, canonical_campaigns=False)
            if "team" in stored.columns and "_source_file" in stored.columns:
                found = stored.filter(stored["_source_file"] == name).select("team").distinct().execute()["team"]
                teams |= {str(t) for t in found.dropna() if str(t).strip()}
        if "rejected_rows" in tables:
            kept = ws.table("rejected_rows")
            raws = kept.filter((kept["file"] == str(row["file"])) & (kept["table_name"] == table)).select("raw")
            for raw in raws.execute()["raw"].dropna():
                try:
                    team = json.loads(raw).get("team")
                except (ValueError, AttributeError):
                    continue
                if isinstance(team, str) and team.strip():
                    teams.add(team.strip())
        out.loc[index, "teams"] = json.dumps(sorted(teams))
    return out


def failed_ingests(log: pd.DataFrame) -> pd.DataFrame:
    """Files whose latest ingest failed: ``file`` (name only), ``table``, ``failed_at``, ``teams`` (list; empty = unknown)."""
    columns = ["file", "table", "failed_at", "teams"]
    if log.empty or "status" not in log:
        return pd.DataFrame(columns=columns)
    failed = latest_failures(log)
    teams = failed["teams"] if "teams" in failed else pd.Series("[]", index=failed.index)
    return pd.DataFrame({
        "file": failed["file"].map(lambda p: Path(str(p)).name),
        "table": failed["table_name"].fillna(""),
        "failed_at": pd.to_datetime(failed["finished_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M UTC"),
        "teams": teams.map(lambda t: json.loads(t) if isinstance(t, str) and t else []),
    }, columns=columns).reset_index(drop=True)


def _failed_notes(failed: pd.DataFrame, team: str) -> list[str]:
    """One line per failed file this review must mention (names and times only, never a value or a reason)."""
    notes = []
    for row in failed.itertuples(index=False):
        what = row.table or "not recognised as any export coordkit reads"
        where = f"{row.file} ({what}) failed to ingest at {row.failed_at}"
        if team == ALL_TEAMS:
            notes.append(f"{where}; its new rows are not in any review. `coordkit status` gives the reason.")
        elif team in row.teams:
            notes.append(f"{where}; this team's rows from it are missing or out of date. "
                         "Ask whoever runs the workspace to fix and ingest it again.")
        elif not row.teams:
            notes.append(f"Workspace: {where}, and which teams it concerns cannot be told; this review may miss "
                         "rows from it.")
    return notes


def _reasons(rejected: pd.DataFrame) -> pd.DataFrame:
    if rejected.empty:
        return pd.DataFrame(columns=REASON_COLUMNS)
    named = rejected.assign(file=rejected["file"].map(lambda p: Path(str(p)).name),
                            column=rejected["column"].replace("", "(row)"))
    reasons = aggregate(named, ["file", "column"], as_index=False, rows=("row", "count"), example=("reason", "first"))
    return reasons.sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)


def _per_file(context) -> pd.DataFrame:
    log = context.ingest_log
    if log.empty:
        return pd.DataFrame()
    ok = log[log["status"] == "ok"]
    latest = ok.sort_values("ingest_id").groupby(["file", "table_name"], as_index=False).last()
    late_by_file = ok.groupby(["file", "table_name"])["late"].sum()
    latest = latest.assign(late=[int(late_by_file.get((f, t), 0)) for f, t in zip(latest["file"], latest["table_name"])])
    quality = latest.assign(file=latest["file"].map(lambda p: Path(p).name))[
        ["file", "table_name", "rows_read", "accepted", "rejected", "merged_duplicates", "inserted", "updated", "late", "finished_at"]
    ].rename(columns={"table_name": "table", "finished_at": "ingested_at"})
    return quality.reset_index(drop=True)


def _per_table(context, team: str, facts: pd.DataFrame, rejected: pd.DataFrame, late: pd.DataFrame) -> pd.DataFrame:
    outputs = context.outputs[context.outputs["team"] == team]
    rejected_by_table = rejected.groupby("table_name").size() if not rejected.empty else pd.Series(dtype=int)
    rows = [
        {"table": "outcomes", "stored": len(facts), "rejected": int(rejected_by_table.get("outcomes", 0)), "late": len(late)},
        {"table": "outputs", "stored": len(outputs), "rejected": int(rejected_by_table.get("outputs", 0)), "late": 0},
    ]
    return pd.DataFrame(rows)
