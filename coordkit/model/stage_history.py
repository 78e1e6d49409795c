"""Stage history: every outcome's path through its pipeline, with one documented rule set.

Sources, merged (``docs/pipeline.md``):

* the ``outcome_stages`` table (a canonical CSV, or the Salesforce Opportunity
  History report through the ``salesforce-opportunity-history`` preset);
* HubSpot deals exports ingested as outcomes: their ``Date entered "<Stage>
  (<Pipeline>)"`` columns are kept in ``extras`` and read here;
* HubSpot contacts exports ingested as leads: their lifecycle dates
  (``Became a Marketing Qualified Lead Date`` ...) give the lead lifecycle;
* the outcome itself: a closed outcome whose history has no closing stage gets
  one at ``closed_at`` (``won`` says which).

Rules (the same for every source):

1. **First entry counts.** An outcome reaches a stage when it first enters it;
   later entries (after a move backwards) are counted in ``reentries`` and never
   make a second pass through the funnel.
2. **Skipped stages are passed.** Reaching a stage implies having passed every
   earlier stage of the pipeline: a step is ``reached_at`` the earliest first
   entry into it or any later step. A skipped stage (``skipped`` True) has no
   time in stage, nor does a stage first entered only after a later one.
3. **Closing ends the path.** ``Closed Won`` is the pipeline's last step; a lost
   outcome leaves the funnel at the furthest stage it reached.
4. **Order** comes from ``stage_order`` when the export gives it, else from the
   pipeline's known order (HubSpot's default sales pipeline, Salesforce's default
   opportunity stages, the HubSpot lifecycle, the demo's pipeline, or
   ``pipelines`` passed by the caller); stages of an unknown pipeline are ordered
   by when outcomes typically first enter them, with a warning naming them.
5. **Created in the first stage.** An outcome whose history has no entry into
   its pipeline's first stage entered it at ``created_at`` (when that is not
   after its first recorded entry): Salesforce's history lists changes only.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from coordkit.errors import AnalysisError
from coordkit.model.pipelines import KNOWN_PIPELINES, LOST_STAGES, WON_STAGES

__all__ = [
    "KNOWN_PIPELINES",
    "won_step_of",
    "LOST_STAGES",
    "WON_STAGES",
    "build_stage_history",
    "hubspot_stage_entries",
    "stage_order_of",
]

_DATE_ENTERED = re.compile(r'^Date entered "(?P<stage>.+?)(?: \((?P<pipeline>[^()]+)\))?"$')
_LIFECYCLE_DATES = {
    "Became a Lead Date": "Lead",
    "Became a Marketing Qualified Lead Date": "Marketing Qualified Lead",
    "Became a Sales Qualified Lead Date": "Sales Qualified Lead",
    "Became an Opportunity Date": "Opportunity",
    "Became a Customer Date": "Customer",
}
# HubSpot writes dates as "2026-03-02 14:10" (or a plain date) in the account's time zone
_HUBSPOT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def _parse_hubspot(value: str, zone: str) -> pd.Timestamp | None:
    for fmt in _HUBSPOT_FORMATS:
        try:
            stamp = pd.Timestamp(pd.to_datetime(value, format=fmt))
        except (ValueError, TypeError):
            continue
        return stamp.tz_localize(zone, nonexistent="shift_forward", ambiguous="NaT").tz_convert("UTC")
    return None


def hubspot_stage_entries(outcomes: pd.DataFrame, zone: str = "UTC") -> tuple[pd.DataFrame, list[str]]:
    """Stage entries kept in ``extras`` by HubSpot deals / contacts exports; (rows, warnings).

    A value that is not one of HubSpot's export date formats is never guessed:
    it is left out with a warning naming file, row, column and value.
    """
    rows, warnings = [], []
    if outcomes.empty or "extras" not in outcomes:
        return _empty_entries(), warnings
    has_extras = outcomes["extras"].fillna("").astype(str).str.contains("Date entered|Became a", regex=True)
    picked = outcomes[has_extras]
    files = picked["_source_file"] if "_source_file" in picked else pd.Series("?", index=picked.index)
    lines = picked["_source_row"] if "_source_row" in picked else pd.Series("?", index=picked.index)
    # zip, not itertuples: namedtuples rename the underscore columns that locate a row
    for outcome_id, text, source, line in zip(picked["outcome_id"], picked["extras"], files, lines):
        extras = json.loads(text)
        for column, value in extras.items():
            if value in (None, ""):
                continue
            match = _DATE_ENTERED.match(column)
            if match:
                stage, pipeline = match["stage"], match["pipeline"] or "Sales Pipeline"
            elif column in _LIFECYCLE_DATES:
                stage, pipeline = _LIFECYCLE_DATES[column], "Lead lifecycle"
            else:
                continue
            stamp = _parse_hubspot(str(value).strip(), zone)
            if stamp is None or pd.isna(stamp):
                where = f"{source} row {line}"
                warnings.append(
                    f"{where}, column {column!r}: {value!r} is not a HubSpot export date "
                    f"(expected e.g. 2026-03-02 14:10); that stage entry is left out"
                )
                continue
            rows.append((outcome_id, stage, stamp, np.nan, pipeline))
    frame = pd.DataFrame(rows, columns=["outcome_id", "stage", "entered_at", "stage_order", "pipeline"])
    return (frame if rows else _empty_entries()), warnings


def _empty_entries() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome_id": pd.Series(dtype=object),
            "stage": pd.Series(dtype=object),
            "entered_at": pd.Series(dtype="datetime64[us, UTC]"),
            "stage_order": pd.Series(dtype=float),
            "pipeline": pd.Series(dtype=object),
        }
    )


def won_step_of(order: tuple[str, ...]) -> int | None:
    """1-based step of the won stage in a pipeline's order, or None when it has none."""
    return next((i + 1 for i, s in enumerate(order) if s in WON_STAGES), None)


def stage_order_of(entries: pd.DataFrame, pipelines: dict | None = None) -> tuple[dict, list[str]]:
    """``{pipeline: (stage, ...)}`` in funnel order, won stage last; plus warnings.

    Lost stages are not funnel steps and are left out of the order.
    """
    known = {**KNOWN_PIPELINES, **(pipelines or {})}
    orders, warnings = {}, []
    for pipeline, group in entries.groupby("pipeline", sort=True, dropna=False):
        stages = set(group["stage"]) - set(LOST_STAGES)
        won = [s for s in WON_STAGES if s in stages]
        given = group.dropna(subset=["stage_order"])
        if len(given) and set(given["stage"]) | set(won) >= stages:
            ranks = given.groupby("stage")["stage_order"].min().sort_values(kind="stable")
            orders[pipeline] = tuple(s for s in ranks.index if s not in won) + tuple(won)
            continue
        if pipeline in known and stages <= set(known[pipeline]):
            orders[pipeline] = tuple(known[pipeline])
            continue
        match = next((order for order in known.values() if stages <= set(order)), None)
        if match is not None:
            orders[pipeline] = tuple(match)
            continue
        # unknown pipeline: order stages by the median rank of their first entry within an outcome
        first = group[~group["stage"].isin(LOST_STAGES)].sort_values("entered_at", kind="stable")
        first = first.drop_duplicates(["outcome_id", "stage"])
        first["rank"] = first.groupby("outcome_id").cumcount()
        typical = first.groupby("stage")["rank"].median()
        order = [s for s in typical.sort_values(kind="stable").index if s not in WON_STAGES] + won
        orders[pipeline] = tuple(order)
        warnings.append(
            f"pipeline {pipeline!r} has no known stage order; ordered by when outcomes typically enter each stage: "
            + " -> ".join(order)
            + " (give stage_order in the export, or pass pipelines=... to fix it)"
        )
    return orders, warnings


def build_stage_history(
    outcomes: pd.DataFrame,
    stages: pd.DataFrame | None = None,
    zone: str = "UTC",
    pipelines: dict | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per (outcome, funnel step) the outcome reached, under the rules in the module docstring.

    Columns: outcome_id, pipeline, stage, step (1-based position in the
    pipeline), reached_at, entered_at (NaT for a skipped stage), skipped,
    reentries, left_at (first entry into a later step; NaT while there),
    closed ("won", "lost" or "" while open), closed_at, last_step (furthest step).
    Returns the frame and a list of warnings; ``frame.attrs["stage_orders"]`` maps
    each pipeline to its steps in order. Inputs are not modified.
    """
    derived, warnings = hubspot_stage_entries(outcomes, zone)
    parts = [p for p in (stages, derived) if p is not None and len(p)]
    if not parts:
        return _empty_history(), warnings
    entries = pd.concat([p[["outcome_id", "stage", "entered_at", "stage_order", "pipeline"]] for p in parts])
    entries = entries.assign(
        entered_at=pd.to_datetime(entries["entered_at"], utc=True),
        stage_order=pd.to_numeric(entries["stage_order"], errors="coerce"),
        pipeline=entries["pipeline"].fillna("").replace("", "(unnamed pipeline)"),
    )
    entries = _close_from_outcomes(entries, outcomes)
    orders, order_warnings = stage_order_of(entries, pipelines)
    warnings += order_warnings
    history = _paths(_first_stage_at_creation(entries, outcomes, orders), orders)
    history.attrs["stage_orders"] = orders  # every pipeline's steps, reached or not
    return history, warnings


def _first_stage_at_creation(entries: pd.DataFrame, outcomes: pd.DataFrame, orders: dict) -> pd.DataFrame:
    """Rule 5: an outcome enters its pipeline's first stage when it is created, unless its history says when.

    (Salesforce's history lists changes, so the stage an opportunity was created in has no row.)
    """
    if "created_at" not in outcomes or entries.empty:
        return entries
    first_stage = {p: order[0] for p, order in orders.items() if order}
    has_first = entries[entries["stage"].to_numpy() == entries["pipeline"].map(first_stage).to_numpy()]["outcome_id"]
    earliest = entries.groupby("outcome_id").agg(pipeline=("pipeline", "first"), earliest=("entered_at", "min"))
    earliest = earliest[~earliest.index.isin(has_first)]
    created = pd.to_datetime(outcomes.drop_duplicates("outcome_id").set_index("outcome_id")["created_at"], utc=True)
    earliest["created_at"] = created.reindex(earliest.index)
    add = earliest[earliest["created_at"].notna() & (earliest["created_at"] <= earliest["earliest"])]
    if add.empty:
        return entries
    extra = pd.DataFrame(
        {
            "outcome_id": add.index.to_numpy(),
            "stage": add["pipeline"].map(first_stage).to_numpy(),
            "entered_at": add["created_at"].to_numpy(),
            "stage_order": np.nan,
            "pipeline": add["pipeline"].to_numpy(),
        }
    )
    return pd.concat([entries, extra], ignore_index=True)


def _close_from_outcomes(entries: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """A closed outcome whose history lacks its closing stage gets it at closed_at."""
    if outcomes.empty or "won" not in outcomes:
        return entries
    closed = outcomes[outcomes["won"].notna() & outcomes["closed_at"].notna()]
    closed = closed[closed["outcome_id"].isin(entries["outcome_id"])]
    closing = entries[entries["stage"].isin(WON_STAGES + LOST_STAGES)]["outcome_id"]
    missing = closed[~closed["outcome_id"].isin(closing)]
    if missing.empty:
        return entries
    pipeline = entries.drop_duplicates("outcome_id").set_index("outcome_id")["pipeline"]
    won_name = {p: (KNOWN_PIPELINES.get(p, ("Closed Won",))[-1]) for p in pipeline.unique()}
    extra = pd.DataFrame(
        {
            "outcome_id": missing["outcome_id"].to_numpy(),
            "pipeline": pipeline.reindex(missing["outcome_id"]).to_numpy(),
            "entered_at": pd.to_datetime(missing["closed_at"], utc=True).to_numpy(),
            "stage_order": np.nan,
        }
    )
    is_won = missing["won"].astype(bool).to_numpy()
    extra["stage"] = np.where(is_won, extra["pipeline"].map(won_name), "Closed Lost")
    extra["entered_at"] = pd.to_datetime(extra["entered_at"], utc=True)
    return pd.concat([entries, extra], ignore_index=True)


def _paths(entries: pd.DataFrame, orders: dict) -> pd.DataFrame:
    step_of = {(p, s): i + 1 for p, order in orders.items() for i, s in enumerate(order)}
    entries = entries.assign(
        step=[step_of.get((p, s), 0) for p, s in zip(entries["pipeline"], entries["stage"])],
        is_lost=entries["stage"].isin(LOST_STAGES).to_numpy(),
    ).sort_values(["outcome_id", "entered_at"], kind="stable")
    unknown = entries[(entries["step"] == 0) & ~entries["is_lost"]]
    if len(unknown):  # pragma: no cover - stage_order_of orders every non-lost stage it saw
        raise AnalysisError(f"stages without an order: {sorted(set(unknown['stage']))}")
    lost = entries[entries["is_lost"]].groupby("outcome_id")["entered_at"].min()
    steps = entries[~entries["is_lost"]]
    first = steps.groupby(["outcome_id", "step"], sort=True).agg(
        pipeline=("pipeline", "first"), stage=("stage", "first"), entered_at=("entered_at", "min"), entries=("entered_at", "size")
    )
    first = first.reset_index()
    pipeline = entries.groupby("outcome_id")["pipeline"].first()
    last_step = first.groupby("outcome_id")["step"].max()
    won_step = {p: o.index(s) + 1 for p, o in orders.items() for s in o if s in WON_STAGES}
    # expand each outcome to every step up to its furthest one (rule 2); vectorised by repeat
    ids = last_step.index.to_numpy()
    counts = last_step.to_numpy()
    out = pd.DataFrame({"outcome_id": np.repeat(ids, counts), "step": np.concatenate([np.arange(1, c + 1) for c in counts]) if len(counts) else []})
    out = out.merge(first, on=["outcome_id", "step"], how="left")
    out["pipeline"] = pipeline.reindex(out["outcome_id"]).to_numpy()
    out["stage"] = [orders[p][s - 1] for p, s in zip(out["pipeline"], out["step"])]
    out["skipped"] = out["entered_at"].isna()
    out["reentries"] = (out["entries"].fillna(1) - 1).astype(int)
    # reached_at = earliest first entry into this step or any later one (rule 2): a skipped step is
    # passed when a later one is entered, and so is a step first entered only after a later one
    stamps = pd.to_datetime(out["entered_at"], utc=True)
    as_int = stamps.dt.tz_localize(None).to_numpy().astype("datetime64[us]").astype(np.int64)
    as_int = np.where(stamps.isna().to_numpy(), np.iinfo(np.int64).max, as_int)
    rev = pd.Series(as_int[::-1], index=out.index[::-1])
    earliest = rev.groupby(out["outcome_id"].to_numpy()[::-1]).cummin().to_numpy()[::-1]
    out["reached_at"] = pd.to_datetime(earliest.astype("datetime64[us]")).tz_localize("UTC")
    nxt = out.groupby("outcome_id")["reached_at"].shift(-1)
    out["left_at"] = nxt
    won_at = out[out["step"] == out["pipeline"].map(won_step)].set_index("outcome_id")["reached_at"]
    out["last_step"] = last_step.reindex(out["outcome_id"]).to_numpy()
    is_won = out["outcome_id"].isin(won_at.index)
    lost_at = lost.reindex(out["outcome_id"]).to_numpy()
    out["closed"] = np.where(is_won, "won", np.where(pd.notna(lost_at), "lost", ""))
    out["closed_at"] = pd.to_datetime(np.where(is_won, won_at.reindex(out["outcome_id"]).to_numpy(), lost_at), utc=True)
    # a lost outcome leaves its last step when it is lost
    last = out["step"] == out["last_step"]
    out.loc[last & (out["closed"] == "lost"), "left_at"] = out.loc[last & (out["closed"] == "lost"), "closed_at"]
    return out[
        ["outcome_id", "pipeline", "stage", "step", "reached_at", "entered_at", "skipped", "reentries", "left_at", "closed", "closed_at", "last_step"]
    ].reset_index(drop=True)


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["outcome_id", "pipeline", "stage", "step", "reached_at", "entered_at", "skipped", "reentries", "left_at", "closed", "closed_at", "last_step"]
    )
