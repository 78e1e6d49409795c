"""How much of the workspace is linked to a decided campaign: :func:`campaign_coverage`.

A row is *linked* when the campaign it reads as (after the workspace's campaign
map) is one a person decided. Shares are given for outputs, paid spend,
touchpoints and pipeline (money per currency, never added across currencies),
with the largest labels still unlinked and how many labels wait for a decision
(``new``: brought by an ingest since the map was last applied).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from coordkit.ingest.campaign_map import read_campaign_map, utm_from_url
from coordkit.model.campaigns import campaign_registry

__all__ = ["CampaignCoverage", "campaign_coverage"]

OPPORTUNITY_KINDS = ("opportunity", "deal")


@dataclass(frozen=True)
class CampaignCoverage:
    """Shares linked to a campaign, the largest unlinked labels, the labels awaiting a decision."""

    #: measure (outputs, spend, touchpoints, pipeline), currency (money only), total, linked, share
    shares: pd.DataFrame
    #: label, rows, table (the tables it appears in): most rows first
    unlinked: pd.DataFrame
    labels: int
    decided: int
    #: labels the map lists without a campaign
    undecided: int
    #: labels the map does not list yet
    new: int
    has_map: bool

    def lines(self, top: int = 5) -> list[str]:
        """Plain sentences for ``coordkit status`` and the review's data-quality notes."""
        if not self.labels:
            return ["No campaign labels in the workspace yet."]
        out = []
        if not self.has_map:
            out.append(
                f"No campaign map yet: {self.labels} campaign labels are used as spelled; "
                "run `coordkit campaigns suggest` to group the spellings of each campaign."
            )
        for row in self.shares.itertuples() if self.has_map else ():
            what = row.measure if not row.currency else f"{row.measure} ({row.currency})"
            amount = f"{row.linked:,.0f} of {row.total:,.0f}"
            out.append(f"{row.share:.0%} of {what} linked to a campaign ({amount}).")
        if self.has_map:
            out.append(
                f"{self.decided} of {self.labels} labels decided; {self.new} new since the map was applied, "
                f"{self.undecided} left undecided (`coordkit campaigns suggest` lists them with reasons)."
            )
        if not self.unlinked.empty:
            biggest = ", ".join(f"'{r.label}' ({r.rows} rows in {r.table})" for r in self.unlinked.head(top).itertuples())
            out.append(f"Largest unlinked labels: {biggest}.")
        return out


def _linked_flag(value, decided: list[str]):
    # a column expression either way (a bare literal cannot be summed per row)
    return value.isin(decided or ["(no campaign decided)"]).fill_null(False)


def _share(measure: str, frame: pd.DataFrame, currency: str | None = None) -> dict:
    total = float(frame["total"].sum())
    linked = float(frame["linked"].sum())
    return {"measure": measure, "currency": currency or "", "total": total, "linked": linked,
            "share": linked / total if total else 0.0}


def _money(measure: str, table, value, amount: str, decided, default_currency: str) -> list[dict]:
    currency = table.currency.cast("string").fill_null(default_currency) if "currency" in table.columns else ibis.literal(default_currency)
    flag = _linked_flag(value, decided)
    money = table[amount].cast("float64").fill_null(0.0)
    grouped = table.group_by(_cur=currency).aggregate(
        total=money.sum(), linked=ibis.ifelse(flag, money, 0.0).sum()
    ).to_pandas()
    return [_share(measure, rows, cur) for cur, rows in grouped.groupby("_cur")]


def campaign_coverage(workspace) -> CampaignCoverage:
    """Share of outputs, spend, touchpoints and pipeline linked to a decided campaign.

    >>> campaign_coverage("acme").lines()   # doctest: +SKIP
    """
    from coordkit.ingest.workspace import Workspace, open_workspace

    owned = not isinstance(workspace, Workspace)
    ws = open_workspace(workspace, read_only=True, create=False) if owned else workspace
    try:
        mapping = read_campaign_map(ws.path)
        decided = sorted(set(mapping.loc[mapping["campaign"] != "", "campaign"]))
        currency = getattr(ws.config, "reporting_currency", None) or getattr(ws.config, "currency", "USD")
        records = []
        outputs = ws.table("outputs")
        flag = _linked_flag(outputs.campaign.cast("string"), decided)
        counted = outputs.aggregate(total=outputs.count(), linked=flag.cast("int64").sum()).to_pandas()
        records.append(_share("outputs", counted))
        if "cost" in outputs.columns:
            paid = outputs.filter(outputs.cost.notnull() & (outputs.cost > 0))
            records += [dict(r, measure="spend") for r in _money("spend", paid, paid.campaign.cast("string"), "cost", decided, currency)]
        touches = ws.table("touchpoints")
        utm = touches.utm_campaign.cast("string")
        if "url" in touches.columns:
            utm = ibis.coalesce(utm, utm_from_url(touches.url, "utm_campaign"))
        counted = touches.aggregate(total=touches.count(), linked=_linked_flag(utm, decided).cast("int64").sum()).to_pandas()
        records.append(_share("touchpoints", counted))
        outcomes = ws.table("outcomes")
        opportunities = outcomes.filter(outcomes.kind.lower().isin(OPPORTUNITY_KINDS))
        sourced = ibis.coalesce(opportunities.utm_campaign.cast("string"), opportunities.campaign.cast("string"))
        records += _money("pipeline", opportunities, sourced, "amount", decided, currency)
        registry = campaign_registry(ws)
    finally:
        if owned:
            ws.close()
    shares = pd.DataFrame(records, columns=["measure", "currency", "total", "linked", "share"])
    multi = shares.groupby("measure")["currency"].transform("nunique") > 1
    shares.loc[~multi & shares["measure"].isin(["outputs", "touchpoints"]), "currency"] = ""
    labels = registry.drop_duplicates("label")
    listed = set(mapping["label"])
    is_decided = labels["campaign"] != ""
    unlinked = registry[registry["campaign"] == ""].groupby("label", as_index=False).agg(
        rows=("rows", "sum"), table=("table", lambda t: ", ".join(sorted(set(t)))),
    )
    unlinked = unlinked.sort_values(["rows", "label"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return CampaignCoverage(
        shares=shares,
        unlinked=unlinked,
        labels=len(labels),
        decided=int(is_decided.sum()),
        undecided=int((~is_decided & labels["label"].isin(listed)).sum()),
        new=int((~labels["label"].isin(listed)).sum()),
        has_map=not mapping.empty,
    )
