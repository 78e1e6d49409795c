"""Load what the pipeline analyses need from a workspace: outcomes, stage history, targets.

Everything downstream (funnel, time in stage, velocity, forecast) takes the
tidy frames this returns, so notebooks can also build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.errors import ParameterError, allowed_values_message
from coordkit.ingest.workspace import STORE_DIR, STORE_FILE
from coordkit.model.stage_history import build_stage_history
from coordkit.money import to_reporting_currency

__all__ = [
    "SEGMENT_COLUMNS",
    "NoStageHistoryError",
    "PipelineData",
    "data_as_of",
    "load_pipeline",
    "pipeline_orders",
    "prepare_pipeline",
    "segments_of",
]

#: what a funnel can be split by; `channel` is the channel of the sourced campaign's outputs
SEGMENT_COLUMNS = ("team", "campaign", "channel")
_OUTCOME_COLUMNS = (
    "outcome_id", "kind", "created_at", "amount", "currency", "stage", "closed_at", "won", "team", "campaign", "extras",
    "_source_file", "_source_row",
)
_FX_COLUMNS = ("month", "currency", "rate", "to_currency")


class NoStageHistoryError(ParameterError):
    """The workspace has no outcomes or no stage history to follow them through their pipeline."""


@dataclass(frozen=True)
class PipelineData:
    """Outcomes that have a stage history, that history, and the targets (tidy frames)."""

    outcomes: pd.DataFrame
    history: pd.DataFrame
    targets: pd.DataFrame
    as_of: pd.Timestamp
    warnings: list[str] = field(default_factory=list)
    currency: str = "USD"
    #: pipeline -> its stages in funnel order (won stage last), including steps nobody reached yet
    stage_orders: dict = field(default_factory=dict)


def _campaign_channels(outputs: pd.DataFrame) -> pd.Series:
    """Each campaign's channel: the channel most of its outputs went out on."""
    if outputs.empty:
        return pd.Series(dtype=object)
    counts = outputs.groupby(["campaign", "channel"]).size().reset_index(name="n")
    counts = counts.sort_values(["campaign", "n", "channel"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("campaign").set_index("campaign")["channel"]


def default_as_of(outcomes: pd.DataFrame, history: pd.DataFrame) -> pd.Timestamp:
    """End (exclusive) of the Monday week holding the latest dated event."""
    stamps = [pd.to_datetime(outcomes[c], utc=True).max() for c in ("created_at", "closed_at") if c in outcomes]
    if len(history):
        stamps.append(pd.to_datetime(history["reached_at"], utc=True).max())
    latest = max(s for s in stamps if pd.notna(s))
    monday = (latest.tz_convert("UTC").normalize() - pd.Timedelta(days=latest.weekday()))
    return monday + pd.Timedelta(days=7)


def prepare_pipeline(
    outcomes: pd.DataFrame,
    stages: pd.DataFrame | None = None,
    outputs: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    team: str | None = None,
    as_of=None,
    zone: str = "UTC",
    pipelines: dict | None = None,
    fx_rates: pd.DataFrame | None = None,
    currency: str = "USD",
) -> PipelineData:
    """Build :class:`PipelineData` from plain frames (the workspace's tables, or your own).

    Amounts in another currency are converted to ``currency`` with ``fx_rates``
    (``coordkit.money.to_reporting_currency``); those without a rate are left out
    of every money figure, with a warning, never added as they are.
    """
    outcomes = outcomes.copy()
    money_warnings = []
    if "currency" in outcomes and outcomes["currency"].notna().any():
        converted = to_reporting_currency(outcomes, fx_rates, currency)
        outcomes["amount"] = converted.frame["amount_reporting"]
        money_warnings = converted.warnings
    for column in ("team", "campaign"):
        if column not in outcomes:
            outcomes[column] = ""
        outcomes[column] = outcomes[column].fillna("").astype(str)
    channels = _campaign_channels(outputs if outputs is not None else pd.DataFrame()).astype(object)
    mapped = outcomes["campaign"].map(channels)
    outcomes["channel"] = np.where(mapped.notna(), mapped.astype(object), "")
    outcomes.loc[outcomes["campaign"] == "", "channel"] = ""
    outcomes["created_at"] = pd.to_datetime(outcomes["created_at"], utc=True)
    outcomes["closed_at"] = pd.to_datetime(outcomes["closed_at"], utc=True)
    if team not in (None, "", "all"):
        known = sorted(set(outcomes["team"]) - {""})
        if team not in known:
            raise ParameterError(allowed_values_message("team", team, known))
        outcomes = outcomes[outcomes["team"] == team]
    history, warnings = build_stage_history(
        outcomes, None if stages is None else stages[stages["outcome_id"].isin(outcomes["outcome_id"])], zone, pipelines
    )
    warnings = money_warnings + warnings
    without = int((~outcomes["outcome_id"].isin(history["outcome_id"]) & (outcomes["kind"] == "opportunity")).sum())
    if without:
        warnings.append(f"{without} opportunities have no stage history and are left out of the funnel")
    outcomes = outcomes[outcomes["outcome_id"].isin(history["outcome_id"])]
    outcomes = outcomes.drop(columns=["extras", "_source_file", "_source_row"], errors="ignore")
    as_of = default_as_of(outcomes, history) if as_of is None else utc_timestamp(as_of)
    targets = pd.DataFrame() if targets is None else targets.copy()
    orders = dict(history.attrs.get("stage_orders", {}))
    return PipelineData(outcomes.reset_index(drop=True), history, targets, as_of, warnings, currency, orders)


#: where the embedded store lives inside a workspace folder (owned by coordkit.ingest.workspace,
#: which imports no engine at module level, so ``coordkit funnel`` still reads the store with DuckDB alone)
STORE_PATH = (STORE_DIR, STORE_FILE)

_STAGE_COLUMNS = ("outcome_id", "stage", "entered_at", "stage_order", "pipeline")


def _read_embedded(folder, config) -> dict | None:
    """The tables straight from the embedded DuckDB store, or None when the workspace is elsewhere."""
    import duckdb

    from coordkit.ingest.workspace import store_path

    store = store_path(folder)
    if config.backend not in (None, "", "duckdb") or not store.is_file():
        return None
    try:
        con = duckdb.connect(str(store), read_only=True)
    except duckdb.Error:
        return None  # locked or damaged: the Workspace path below explains it
    try:
        con.execute("SET TimeZone = 'UTC'")
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}

        def read(name, columns):
            if name not in tables:
                return None
            present = [c for c in columns if c in {r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}]
            quoted = ", ".join(f'"{c}"' for c in present)
            return con.execute(f'SELECT {quoted} FROM "{name}"').df()

        return {
            "outcomes": read("outcomes", _OUTCOME_COLUMNS),
            "outcome_stages": read("outcome_stages", _STAGE_COLUMNS),
            "outputs": read("outputs", ("campaign", "channel")),
            "targets": read("targets", ("week", "metric", "team", "value")),
            "fx_rates": read("fx_rates", _FX_COLUMNS),
        }
    finally:
        con.close()


def _read_workspace(workspace) -> tuple[dict, object, str]:
    from coordkit.ingest.workspace import Workspace, open_workspace

    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace, read_only=True, create=False)
    try:
        tables = set(ws.con.list_tables())

        def read(name, columns):
            if name not in tables:
                return None
            present = [c for c in columns if c in ws.table(name).columns]
            return ws.table(name).select(*present).execute()

        frames = {
            "outcomes": read("outcomes", _OUTCOME_COLUMNS),
            "outcome_stages": read("outcome_stages", _STAGE_COLUMNS),
            "outputs": read("outputs", ("campaign", "channel")),
            "targets": read("targets", ("week", "metric", "team", "value")),
            "fx_rates": read("fx_rates", _FX_COLUMNS),
        }
        return frames, ws.config, str(ws.path)
    finally:
        if ws is not workspace:
            ws.close()


def load_pipeline(workspace, team: str | None = None, as_of=None, pipelines: dict | None = None) -> PipelineData:
    """Read outcomes, outcome_stages, outputs (campaign channels) and targets from a workspace folder."""
    frames = None
    if isinstance(workspace, (str, Path)):
        from coordkit.config import load_config

        config = load_config(workspace)
        frames = _read_embedded(workspace, config)
        where = str(workspace)
    if frames is None:
        frames, config, where = _read_workspace(workspace)
    outcomes, stages = frames["outcomes"], frames["outcome_stages"]
    if outcomes is None or outcomes.empty:
        raise NoStageHistoryError(
            f"workspace {where} has no outcomes yet",
            hint="run: coordkit ingest FILE --as outcomes (and the stage history with --as outcome_stages)",
        )
    if stages is not None:
        stages["stage_order"] = pd.to_numeric(stages["stage_order"], errors="coerce").astype(float)
    data = prepare_pipeline(
        outcomes, stages, frames["outputs"], frames["targets"], team=team, as_of=as_of, zone=config.timezone,
        pipelines=pipelines, fx_rates=frames["fx_rates"], currency=config.currency,
    )
    if data.history.empty:
        raise NoStageHistoryError(
            f"workspace {where} has no stage history",
            hint="ingest it: coordkit ingest stages.csv --as outcome_stages (or --preset salesforce-opportunity-history), "
            "or a HubSpot deals export with its 'Date entered' columns",
        )
    return data


def data_as_of(data: PipelineData, at: pd.Timestamp) -> PipelineData:
    """The data as it stood at ``at``: later creations gone, later closes and stage moves not yet known."""
    outcomes = data.outcomes[data.outcomes["created_at"] < at].copy()
    later = outcomes["closed_at"] >= at
    outcomes.loc[later, "closed_at"] = pd.NaT
    outcomes.loc[later, "won"] = None
    hist = data.history[data.history["outcome_id"].isin(outcomes["outcome_id"]) & (data.history["reached_at"] < at)].copy()
    future_close = ~(hist["closed_at"] < at)
    hist.loc[future_close, "closed"] = ""
    hist.loc[future_close, "closed_at"] = pd.NaT
    hist.loc[~(hist["left_at"] < at), "left_at"] = pd.NaT
    future_entry = ~(hist["entered_at"] < at)
    hist.loc[future_entry, "entered_at"] = pd.NaT
    hist["skipped"] = hist["entered_at"].isna()
    hist["last_step"] = hist.groupby("outcome_id")["step"].transform("max")
    return replace(data, outcomes=outcomes.reset_index(drop=True), history=hist.reset_index(drop=True), as_of=at)


def segments_of(outcomes: pd.DataFrame, by: str | None) -> pd.Series:
    """Each outcome's segment label: "all", or its team / campaign / channel ("(no campaign)" when empty)."""
    if by is None:
        return pd.Series("all", index=outcomes.index)
    if by not in ("team", "campaign", "channel"):
        raise ParameterError(allowed_values_message("by", by, ("team", "campaign", "channel")))
    return outcomes[by].replace("", f"(no {by})")


def pipeline_orders(data: PipelineData) -> dict:
    """Each pipeline's steps; from the history itself when the data carries no orders (hand-built frames)."""
    if data.stage_orders:
        return data.stage_orders
    first = data.history.drop_duplicates(["pipeline", "step"]).sort_values(["pipeline", "step"])
    return {p: tuple(g["stage"]) for p, g in first.groupby("pipeline")}


def period_start(stamps: pd.Series, grain: str) -> pd.Series:
    """Monday of the week / first day of the month of each UTC timestamp, as a date string."""
    if grain not in ("week", "month"):
        raise ParameterError(allowed_values_message("grain", grain, ("week", "month")))
    day = pd.to_datetime(stamps, utc=True).dt.tz_localize(None).dt.normalize()
    if grain == "week":
        start = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    else:
        start = day - pd.to_timedelta(day.dt.day - 1, unit="D")
    return start.dt.strftime("%Y-%m-%d").where(day.notna(), None)


def utc_timestamp(value) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def days_between(start, end) -> np.ndarray:
    return (pd.to_datetime(end, utc=True) - pd.to_datetime(start, utc=True)).dt.total_seconds().to_numpy() / 86_400
