"""Milestone models on the workspace: lead, opportunity and close dates from the data.

For every outcome the journey is every linked touch of its people (the
outcome's ``contact_id`` plus every contact that ``outcome_contacts`` links to
it, or its ``account_id`` with ``by="account"``) from ``lookback_days`` before
``created_at`` until ``created_at`` (with ``acceleration``: until
``closed_at``, or without end while the deal is open). Unlike the other
models' journeys, a touch can belong to several outcomes: a lead and the
opportunity it later opened both count it, as HubSpot and Marketo Measure do.

Milestone touches (docs/attribution.md compares the rules with HubSpot's and
Marketo Measure's):

* **first touch**: the journey's first touch;
* **lead creation**: the last touch at or before the moment the first of the
  outcome's people became a lead (the earliest ``created_at`` of an outcome of
  kind ``lead`` with the same contact, or account with ``by="account"``; a
  lead outcome's own ``created_at``);
* **opportunity creation**: the last touch at or before the outcome's
  ``created_at`` (outcomes that are not leads);
* **closed won**: the last touch at or before ``closed_at`` of a closed
  outcome. While an outcome is open, the model's closed-won share is
  *pending*: a row with channel ``(pending)`` holds it, so credit still sums
  to 1 per outcome.

A role with no touch (no lead date, or none inside the window) gives its
weight back to the others (the milestone rule of :mod:`.milestones`); the
result's ``attrs["missing_roles"]`` counts outcomes per missing role.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from coordkit.model.attribution.milestones import MILESTONE_MODELS, milestone_weights_ibis, model_role_weights

__all__ = ["PENDING", "milestone_journeys", "milestone_credit"]

PENDING = "(pending)"
LEAD_KIND = "lead"
_F64 = "float64"


def _f64(value) -> ir.Value:
    return ibis.literal(float(value), type=_F64)


def _members(outcomes: ir.Table, outcome_contacts: ir.Table | None, key: str) -> ir.Table:
    """(outcome_id, _member): the people whose touches count for each outcome."""
    own = outcomes.select(outcome_id=outcomes.outcome_id.cast("string"), _member=outcomes[key].cast("string"))
    if key == "contact_id" and outcome_contacts is not None:
        linked = outcome_contacts.select(
            outcome_id=outcome_contacts.outcome_id.cast("string"), _member=outcome_contacts.contact_id.cast("string")
        )
        own = own.union(linked)
    return own.filter(own._member.notnull()).distinct()


def milestone_journeys(
    linked: ir.Table,
    outcomes: ir.Table,
    *,
    key: str,
    lookback_days: float,
    acceleration: bool,
    outcome_contacts: ir.Table | None = None,
) -> ir.Table:
    """Touch table of outcome journeys with role positions (``_m_*``) per touch.

    ``linked`` is the linked touchpoints with ``_key``, ``_epoch``, ``_touch``
    and ``_channel`` (as :func:`.outcomes.attribute_outcomes` prepares them).
    """
    created = outcomes.created_at.epoch_seconds().cast(_F64)
    closed = (
        outcomes.closed_at.epoch_seconds().cast(_F64) if "closed_at" in outcomes.columns else ibis.null(_F64)
    )
    kind = outcomes.kind.cast("string").lower() if "kind" in outcomes.columns else ibis.null("string")
    facts = outcomes.select(
        outcome_id=outcomes.outcome_id.cast("string"),
        _o_epoch=created,
        _o_close=closed,
        _o_is_lead=(kind == LEAD_KIND).fill_null(False),
        _o_amount=(outcomes.amount.cast(_F64) if "amount" in outcomes.columns else _f64(0.0)),
    )
    # the moment each person first became a lead
    leads = outcomes.filter((kind == LEAD_KIND).fill_null(False) & outcomes[key].notnull())
    leads = leads.group_by(_lead_member=leads[key].cast("string")).aggregate(
        _lead_epoch=leads.created_at.epoch_seconds().cast(_F64).min()
    )
    members = _members(outcomes, outcome_contacts, key)
    member_leads = members.join(leads, members._member == leads._lead_member, how="left")
    first_lead = member_leads.group_by("outcome_id").aggregate(_m_lead_epoch=member_leads._lead_epoch.min())
    facts = facts.left_join(first_lead, facts.outcome_id == first_lead.outcome_id).drop("outcome_id_right")
    facts = facts.mutate(_m_lead_epoch=ibis.ifelse(facts._o_is_lead, facts._o_epoch, facts._m_lead_epoch))

    window = _f64(float(lookback_days) * 86400.0)
    people = members.join(facts, "outcome_id")
    end = ibis.coalesce(people._o_close, _f64(float("inf"))) if acceleration else people._o_epoch
    pairs = people.join(
        linked,
        [people._member == linked._key, linked._epoch >= people._o_epoch - window, linked._epoch <= end],
    )
    touches = pairs.select(
        journey_id=pairs.outcome_id,
        _epoch=pairs._epoch, _touch=pairs._touch, channel=pairs._channel,
        output_id=pairs.linked_output_id, campaign=pairs.linked_campaign,
        age_seconds=pairs._o_epoch - pairs._epoch,
        conversions=_f64(1.0), conversion_value=pairs._o_amount.fill_null(0.0), non_conversions=_f64(0.0),
        _o_epoch=pairs._o_epoch, _o_close=pairs._o_close, _o_is_lead=pairs._o_is_lead,
        _m_lead_epoch=pairs._m_lead_epoch,
    ).distinct()  # one row per (outcome, touch) even when two of its people share a touch id
    ordered = ibis.window(group_by=touches.journey_id, order_by=[touches._epoch, touches._touch])
    touches = touches.mutate(
        position=(ibis.row_number().over(ordered)).cast("int64"),
        n_touches=touches._touch.count().over(ibis.window(group_by=touches.journey_id)).cast("int64"),
    )
    journey = ibis.window(group_by=touches.journey_id)

    def last_position_at_or_before(limit) -> ir.Value:
        return ibis.ifelse(touches._epoch <= limit, touches.position, ibis.null("int64")).max().over(journey)

    return touches.mutate(
        _m_first=ibis.literal(0, type="int64"),
        _m_lead=last_position_at_or_before(touches._m_lead_epoch),
        _m_opportunity=ibis.ifelse(touches._o_is_lead, ibis.null("int64"), last_position_at_or_before(touches._o_epoch)),
        _m_closed=ibis.ifelse(touches._o_is_lead, ibis.null("int64"), last_position_at_or_before(touches._o_close)),
        _m_open=(~touches._o_is_lead) & touches._o_close.isnull(),
    )


_ROLE_COLUMNS = {
    "first_touch": "_m_first",
    "lead_creation": "_m_lead",
    "opportunity_creation": "_m_opportunity",
    "closed_won": "_m_closed",
}


def milestone_credit(journeys: ir.Table, model: str, custom: dict | None = None) -> pd.DataFrame:
    """Credit per (outcome, output, channel, campaign) under a milestone model, plus pending rows.

    Returns ``outcome_id, output_id, channel, campaign, credit, amount`` with
    ``attrs["missing_roles"]`` = {role: outcomes whose role had no touch}.
    """
    if model not in MILESTONE_MODELS:
        raise ValueError(model)
    weights, rest = model_role_weights(model, custom)
    roles = {role: _ROLE_COLUMNS[role] for role in weights}
    pending_weight = weights.get("closed_won", 0.0)
    t = journeys.mutate(_m_pending=ibis.ifelse(journeys._m_open, _f64(pending_weight), _f64(0.0)))
    if "closed_won" in roles:
        # an open deal has no closed-won touch yet: that share is pending, not redistributed
        t = t.mutate(_m_closed=ibis.ifelse(t._m_open, ibis.null("int64"), t._m_closed))
    weighted = milestone_weights_ibis(t, roles, weights, rest, pending="_m_pending")
    credit = weighted.group_by(["journey_id", "output_id", "channel", "campaign"]).aggregate(
        credit=weighted.weight.sum(), amount=(weighted.weight * weighted.conversion_value).sum()
    )
    per_journey = t.group_by("journey_id").aggregate(
        _pending=t._m_pending.max(),
        _value=t.conversion_value.max(),
        **{f"_has_{role}": t[column].notnull().max() for role, column in roles.items()},
        _is_lead=t._o_is_lead.max(),
    )
    frame = credit.to_pandas().rename(columns={"journey_id": "outcome_id"})
    journeys_frame = per_journey.to_pandas()
    pending = journeys_frame[journeys_frame["_pending"] > 0]
    if len(pending):
        rows = pd.DataFrame(
            {
                "outcome_id": pending["journey_id"].to_numpy(),
                "output_id": None,
                "channel": PENDING,
                "campaign": None,
                "credit": pending["_pending"].to_numpy(dtype="float64"),
                "amount": (pending["_pending"] * pending["_value"]).to_numpy(dtype="float64"),
            }
        )
        frame = pd.concat([frame, rows], ignore_index=True)
    missing = {}
    for role in roles:
        applies = journeys_frame if role in ("first_touch", "lead_creation") else journeys_frame[~journeys_frame["_is_lead"].astype(bool)]
        if role == "closed_won":
            applies = applies[applies["_pending"] <= 0]
        missing[role] = int((~applies[f"_has_{role}"].astype(bool)).sum())
    frame.attrs["missing_roles"] = missing
    return frame
