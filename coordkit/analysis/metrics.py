"""Weekly facts and metrics from a workspace: the numbers every review starts from.

``outcome_facts`` and ``output_facts`` return one tidy row per outcome / output
with its workspace week, team and (for outcomes) the channel and campaign that
sourced it. ``weekly_metrics`` turns outcome facts into the four headline
metrics per week on a complete grid (weeks with nothing count as zero).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from coordkit.errors import ParameterError, allowed_values_message
from coordkit.ingest.currency import in_reporting_currency
from coordkit.ingest.validate import normalise_channel
from coordkit.model.calendar import latest_complete_week, week_of

__all__ = [
    "METRIC_LABELS",
    "MONEY_METRICS",
    "OUTCOME_METRICS",
    "UNASSIGNED",
    "UNATTRIBUTED",
    "check_metric",
    "metric_rows",
    "metric_totals",
    "outcome_facts",
    "output_facts",
    "weekly_metrics",
    "weekly_outputs",
    "workspace_latest_week",
    "workspace_teams",
]

#: headline metrics, in the order reviews show them
OUTCOME_METRICS = ("pipeline_created", "opportunities", "leads", "won_revenue")
METRIC_LABELS = {
    "pipeline_created": "Pipeline created",
    "opportunities": "Opportunities",
    "leads": "Leads",
    "won_revenue": "Won revenue",
}
MONEY_METRICS = ("pipeline_created", "won_revenue")
#: outcome kinds that count as opportunities (pipeline) and as leads
OPPORTUNITY_KINDS = ("opportunity", "deal")
LEAD_KINDS = ("lead", "signup")
UNASSIGNED = "(no team)"
UNATTRIBUTED = "(unattributed)"


def check_metric(metric: str) -> str:
    if metric not in OUTCOME_METRICS:
        raise ParameterError(allowed_values_message("metric", metric, OUTCOME_METRICS))
    return metric


def outcome_facts(ws) -> pd.DataFrame:
    """One row per outcome: week, team, kind, amount, won, close week, source channel and campaign.

    The source is the outcome's own campaign / UTM (sourced attribution); when
    it names no known campaign, its ``utm_medium`` gives the channel; otherwise
    the outcome is ``(unattributed)``.

    >>> facts = outcome_facts(open_workspace("demo", read_only=True))   # doctest: +SKIP
    >>> facts.groupby("kind").size()                                    # doctest: +SKIP
    """
    from coordkit.model.attribution.outcomes import sourced_attribution

    outcomes = ws.table("outcomes")
    outputs = ws.table("outputs")
    facts = outcomes.select(
        "outcome_id", "kind", "created_at", "closed_at", "amount", "won", "stage", "team", "owner",
        "contact_id", "account_id", "utm_medium", "_first_ingested_at",
        *(["currency"] if "currency" in outcomes.columns else []),
    ).to_pandas()
    # amounts in another currency count only once converted with an ingested rate; without one
    # they are kept apart (empty here, named by coordkit.ingest.currency.amounts_kept_apart)
    facts["amount"] = in_reporting_currency(ws, facts, "amount", "created_at").frame["amount_reporting"]
    facts = facts.drop(columns=["currency"], errors="ignore")
    sourced = sourced_attribution(outcomes, outputs)[["outcome_id", "campaign", "channel"]]
    facts = facts.merge(sourced, on="outcome_id", how="left")
    from_medium = facts["utm_medium"].map(lambda v: normalise_channel(v) if isinstance(v, str) else None)
    facts["channel"] = facts["channel"].where(facts["channel"].notna(), from_medium).fillna(UNATTRIBUTED)
    facts["campaign"] = facts["campaign"].fillna(UNATTRIBUTED)
    facts["team"] = facts["team"].fillna(UNASSIGNED)
    facts["kind"] = facts["kind"].str.lower()
    facts["amount"] = facts["amount"].astype("float64")
    facts["week"] = week_of(facts["created_at"], ws.config)
    closed = facts["closed_at"].notna()
    facts["close_week"] = None
    facts.loc[closed, "close_week"] = week_of(facts.loc[closed, "closed_at"], ws.config)
    facts["won"] = facts["won"].map(lambda v: bool(v) if v is not None and not pd.isna(v) else None)
    facts["arrived_week"] = week_of(facts["_first_ingested_at"], ws.config)
    # when the row first reached the store: "late data" is judged against arrivals, never the wall clock
    facts = facts.rename(columns={"_first_ingested_at": "arrived_at"})
    return facts.drop(columns=["utm_medium"]).sort_values("created_at", kind="stable").reset_index(drop=True)


def output_facts(ws) -> pd.DataFrame:
    """One row per output with its week and team (``(no team)`` when the export had none)."""
    table = ws.table("outputs")
    outputs = table.select(
        "output_id", "published_at", "channel", "kind", "campaign", "platform", "owner", "team", "title",
        "cost", "impressions", "clicks", "engagements", *(["currency"] if "currency" in table.columns else []),
    ).to_pandas()
    outputs["cost"] = in_reporting_currency(ws, outputs, "cost", "published_at").frame["cost_reporting"]
    outputs = outputs.drop(columns=["currency"], errors="ignore")
    outputs["team"] = outputs["team"].fillna(UNASSIGNED)
    outputs["owner"] = outputs["owner"].fillna("(no owner)")
    outputs["cost"] = outputs["cost"].astype("float64")
    outputs["week"] = week_of(outputs["published_at"], ws.config)
    return outputs.sort_values("published_at", kind="stable").reset_index(drop=True)


def metric_rows(facts: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per outcome that counts towards ``metric``, with its ``value`` and the ``week`` it counts in.

    The one definition of the headline metrics: leads, opportunities and
    pipeline count in the week they were created; won revenue in the week
    the deal closed won.
    """
    check_metric(metric)
    if metric in ("pipeline_created", "opportunities"):
        rows = facts[facts["kind"].isin(OPPORTUNITY_KINDS)]
        value = rows["amount"].fillna(0.0) if metric == "pipeline_created" else 1.0
        return rows.assign(value=value)
    if metric == "leads":
        return facts[facts["kind"].isin(LEAD_KINDS)].assign(value=1.0)
    won = facts[(facts["won"] == True) & facts["close_week"].notna()]
    return won.assign(value=won["amount"].fillna(0.0), week=won["close_week"])


def metric_totals(facts: pd.DataFrame, by: tuple[str, ...] | list[str] = ("team",)) -> pd.DataFrame:
    """Each headline metric's total per week and ``by`` columns, for the weeks that have rows (wide; no grid).

    What :func:`weekly_metrics` starts from; a caller that asks for many
    weeks' metrics of the same facts computes it once and passes it as ``totals``.
    """
    return _metric_rows(facts, list(by))


def _metric_rows(facts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    columns = []
    for metric in OUTCOME_METRICS:
        rows = metric_rows(facts, metric)
        columns.append(rows.groupby(["week", *keys], dropna=False)["value"].sum().rename(metric))
    return pd.concat(columns, axis=1).fillna(0.0)


def weekly_metrics(
    facts: pd.DataFrame,
    weeks: list[dt.date] | None = None,
    by: tuple[str, ...] | list[str] = ("team",),
    totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Headline metrics per week (and per ``by`` columns), long format, zeros filled.

    Leads, opportunities and pipeline count in the week they were created; won
    revenue in the week the deal closed won.

    Returns columns ``week``, each ``by`` column, ``metric``, ``value``.
    ``totals`` is :func:`metric_totals` of the same facts and ``by``, when the caller keeps it.
    """
    keys = list(by)
    unknown = [k for k in keys if k not in facts.columns]
    if unknown:
        raise ParameterError(allowed_values_message("dimension", unknown[0], [c for c in facts.columns if facts[c].dtype == object]))
    wide = _metric_rows(facts, keys) if totals is None else totals
    if weeks is None:
        weeks = sorted(set(wide.index.get_level_values("week")))
    if keys:
        levels = [weeks] + [sorted(facts[k].dropna().unique()) for k in keys]
        grid = pd.MultiIndex.from_product(levels, names=["week", *keys])
    else:
        grid = pd.Index(weeks, name="week")  # a one-level MultiIndex would not match and give zeros
    wide = wide.reindex(grid, fill_value=0.0)
    wide = wide[list(OUTCOME_METRICS)]
    long = wide.reset_index().melt(id_vars=["week", *keys], var_name="metric", value_name="value")
    return long.sort_values(["metric", *keys, "week"], kind="stable").reset_index(drop=True)


def weekly_outputs(outputs: pd.DataFrame, weeks: list[dt.date], by: tuple[str, ...] = ("channel",)) -> pd.DataFrame:
    """Outputs shipped and their cost per week and ``by`` columns, zeros filled."""
    keys = list(by)
    grouped = outputs[outputs["week"].isin(weeks)].groupby(["week", *keys])
    frame = grouped.agg(outputs=("output_id", "count"), cost=("cost", "sum"))
    levels = [weeks] + [sorted(outputs[k].dropna().unique()) for k in keys]
    grid = pd.MultiIndex.from_product(levels, names=["week", *keys])
    return frame.reindex(grid, fill_value=0).reset_index()


def workspace_teams(facts: pd.DataFrame, outputs: pd.DataFrame) -> list[str]:
    """Teams (or clients) that appear in the workspace's outcomes or outputs."""
    teams = set(facts["team"].dropna()) | set(outputs["team"].dropna())
    return sorted(teams - {UNASSIGNED}) + ([UNASSIGNED] if UNASSIGNED in teams else [])


def workspace_latest_week(facts: pd.DataFrame, outputs: pd.DataFrame, config) -> dt.date:
    """Latest complete week of the data (see :func:`coordkit.model.calendar.latest_complete_week`)."""
    stamps = [s.max() for s in (facts.get("created_at"), outputs.get("published_at")) if s is not None and len(s)]
    return latest_complete_week(max(stamps) if stamps else None, config)
