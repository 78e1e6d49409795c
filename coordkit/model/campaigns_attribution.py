"""Workspace attribution by campaign or channel: sourced, or through the contacts a deal is linked to.

A CRM deal usually has several contacts (HubSpot ``Associated Contact IDs``,
the ``outcome_contacts`` table when the workspace has it). Touch-based models
then read one journey per deal: the touches of *all* its contacts within the
lookback window before the deal was created. When every outcome has at most
one contact, this is :func:`attribute_outcomes` unchanged.

Campaign labels arrive canonical (the workspace's campaign map is applied where
tables are read), so "2026 Spend Leak Report" in the CRM and
``TB_SpendLeakReport_LeadGen_2026`` in Meta credit one campaign.
"""

from __future__ import annotations

import ibis
import pandas as pd

from coordkit.errors import ParameterError, allowed_values_message
from coordkit.model.attribution.milestones import MILESTONE_MODELS
from coordkit.model.attribution.outcomes import WORKSPACE_MODELS as TOUCH_MODELS
from coordkit.model.attribution.outcomes import attribute_outcomes, sourced_attribution

__all__ = ["WORKSPACE_MODELS", "attribute_workspace", "credit_summary", "outcome_contact_links"]

WORKSPACE_MODELS = ("sourced", *TOUCH_MODELS)
BY = ("campaign", "channel")
UNATTRIBUTED = "(unattributed)"
_LINK_TABLE = "outcome_contacts"


def outcome_contact_links(ws) -> ibis.Table | None:
    """``outcome_id, contact_id`` pairs: the ``outcome_contacts`` table when present, plus
    ``;``-separated contact ids on outcomes (HubSpot's association export). None when every
    outcome has at most one contact and there is no link table."""
    outcomes = ws.table("outcomes")
    cid = outcomes.contact_id.cast("string")
    several = outcomes.filter(cid.contains(";"))
    parts = []
    if int(several.count().execute()):
        split = outcomes.filter(cid.notnull()).select(
            outcome_id=outcomes.outcome_id.cast("string"), contact_id=cid.split(";").unnest()
        )
        parts.append(split.mutate(contact_id=split.contact_id.strip()).filter(lambda t: t.contact_id != ""))
    if _LINK_TABLE in ws.con.list_tables():
        links = ws.table(_LINK_TABLE)
        if int(links.count().execute()):
            parts.append(links.select(outcome_id=links.outcome_id.cast("string"), contact_id=links.contact_id.cast("string")))
            single = outcomes.filter(cid.notnull() & ~cid.contains(";"))
            parts.append(single.select(outcome_id=single.outcome_id.cast("string"), contact_id=cid))
    if not parts:
        return None
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    return union.distinct()


def _journeys_per_outcome(touchpoints, outcomes, links):
    """Re-key touches so each linked outcome's journey holds the touches of all its contacts."""
    linked_touches = touchpoints.join(links, touchpoints.contact_id.cast("string") == links.contact_id)
    columns = {c: linked_touches[c] for c in touchpoints.columns}
    columns["contact_id"] = ibis.literal("o:").concat(linked_touches.outcome_id)
    if "touchpoint_id" in touchpoints.columns:
        columns["touchpoint_id"] = linked_touches.touchpoint_id.cast("string").concat("@", linked_touches.outcome_id)
    copies = linked_touches.select(**columns)
    linked_contacts = links.select(_c=links.contact_id).distinct()
    free = touchpoints.left_join(linked_contacts, touchpoints.contact_id.cast("string") == linked_contacts._c)
    free = free.filter(free._c.isnull()).select(*touchpoints.columns)
    if "touchpoint_id" in touchpoints.columns:
        free = free.mutate(touchpoint_id=free.touchpoint_id.cast("string"))
        copies = copies.mutate(touchpoint_id=copies.touchpoint_id.cast("string"))
    free = free.mutate(contact_id=free.contact_id.cast("string"))
    touches = copies.union(free.select(*copies.columns))
    with_links = links.select(_o=links.outcome_id).distinct()
    o = outcomes.left_join(with_links, outcomes.outcome_id.cast("string") == with_links._o)
    o = o.mutate(contact_id=ibis.ifelse(o._o.notnull(), ibis.literal("o:").concat(o._o), o.contact_id.cast("string")))
    return touches, o.select(*outcomes.columns)


def attribute_workspace(ws, model: str = "position", *, lookback_days: float | None = None, week_of=None, **options) -> pd.DataFrame:
    """Per-outcome credit for a workspace (columns of :func:`attribute_outcomes`).

    ``model="sourced"`` credits each outcome's own campaign (CRM primary campaign
    source or original-source UTM) in full; outcomes without one are
    ``(unattributed)``.
    """
    if model not in WORKSPACE_MODELS:
        raise ParameterError(allowed_values_message("model", model, WORKSPACE_MODELS))
    outcomes, outputs = ws.table("outcomes"), ws.table("outputs")
    lookback = lookback_days if lookback_days is not None else ws.config.lookback_days
    if model == "sourced":
        return _sourced(outcomes, outputs, week_of)
    touchpoints = ws.table("touchpoints")
    links = outcome_contact_links(ws)
    if model in MILESTONE_MODELS:
        # milestone models read each deal's contacts themselves (workspace_milestones)
        return attribute_outcomes(touchpoints, outcomes, outputs, model, lookback_days=lookback, week_of=week_of,
                                  outcome_contacts=links, **options)
    if links is not None:
        touchpoints, outcomes = _journeys_per_outcome(touchpoints, outcomes, links)
    return attribute_outcomes(touchpoints, outcomes, outputs, model, lookback_days=lookback, week_of=week_of, **options)


def _sourced(outcomes, outputs, week_of) -> pd.DataFrame:
    from coordkit.model.attribution.outcomes import RESULT_COLUMNS, monday_utc

    extra = [c for c in ("kind", "team") if c in outcomes.columns]
    facts = outcomes.select(
        *extra, outcome_id=outcomes.outcome_id.cast("string"), created_at=outcomes.created_at,
        _amount=outcomes.amount.cast("float64"),
    ).to_pandas()
    credited = sourced_attribution(outcomes, outputs)
    result = facts.merge(credited, on="outcome_id", how="left")
    result["campaign"] = result["campaign"].fillna(UNATTRIBUTED)
    result["channel"] = result["channel"].fillna(UNATTRIBUTED)
    result["amount"] = result["_amount"].fillna(0.0)
    result["credit"] = 1.0
    result["output_id"] = None
    for column in ("kind", "team"):
        if column not in result.columns:
            result[column] = None
    result["created_at"] = pd.to_datetime(result["created_at"], utc=True)
    result["week"] = (week_of or monday_utc)(result["created_at"])
    return result[RESULT_COLUMNS].sort_values("outcome_id", kind="stable").reset_index(drop=True)


def credit_summary(ws, credit: pd.DataFrame, by: str = "campaign") -> pd.DataFrame:
    """One row per campaign (or channel): ``outcomes`` (credited count), ``pipeline`` (credited amount).

    When the outcomes' amounts are in several currencies, a ``currency`` column
    keeps them apart (never added together).
    """
    if by not in BY:
        raise ParameterError(allowed_values_message("--by", by, BY))
    frame = credit.copy()
    frame[by] = frame[by].fillna(UNATTRIBUTED)
    keys = [by]
    outcomes = ws.table("outcomes")
    if "currency" in outcomes.columns:
        currency = outcomes.select(outcome_id=outcomes.outcome_id.cast("string"), currency=outcomes.currency.cast("string")).to_pandas()
        frame = frame.merge(currency, on="outcome_id", how="left")
        frame["currency"] = frame["currency"].fillna(ws.config.currency)
        if frame["currency"].nunique() > 1:
            keys.append("currency")
    summary = frame.groupby(keys, dropna=False).agg(outcomes=("credit", "sum"), pipeline=("amount", "sum")).reset_index()
    return summary.sort_values(["pipeline", "outcomes", by], ascending=[False, False, True], kind="stable").reset_index(drop=True)
