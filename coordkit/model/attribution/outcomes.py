"""Workspace-level attribution: touchpoints -> outcomes, credited to outputs.

``attribute_outcomes`` takes the canonical Ibis tables (touchpoints,
outcomes, outputs), links touches to outputs (:mod:`coordkit.model.link`),
builds one journey per outcome from the touches of the same contact (or
account) within ``lookback_days`` before ``created_at``, and returns one row
per (outcome, output / channel, campaign) credit. A touch belongs to the
*next* outcome of its contact only, so touches after an outcome begin the next
journey; touches followed by no outcome form one non-converting journey per
contact (Markov and Shapley need them).

Also here: ``sourced_attribution`` (an outcome carrying a campaign gets its
full amount credited to it) and ``influenced_pipeline`` (every campaign with
any touch in an outcome's window is credited the full amount: not additive).
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pandas as pd

from coordkit.errors import ParameterError, allowed_values_message
from coordkit.model.attribution.journeys import require_columns
from coordkit.model.attribution.milestones import MILESTONE_MODELS, model_role_weights
from coordkit.model.attribution.models import MODELS, touch_weights
from coordkit.model.attribution.rules import DEFAULT_HALF_LIFE_HOURS
from coordkit.model.attribution.workspace_milestones import milestone_credit, milestone_journeys
from coordkit.model.link import link_touchpoints, normalise_utm

__all__ = ["JOIN_KEYS", "WORKSPACE_MODELS", "MilestoneWarning", "attribute_outcomes", "influenced_pipeline", "monday_utc", "sourced_attribution"]

JOIN_KEYS = ("contact", "account")
#: every model the workspace runs: the journey-file models plus those that need CRM dates
WORKSPACE_MODELS = (*MODELS, "full_path", "custom")
DEFAULT_LOOKBACK_DAYS = 90
RESULT_COLUMNS = [
    "outcome_id", "kind", "created_at", "week", "team", "output_id", "channel", "campaign",
    "credit", "amount",
]


def monday_utc(created_at: pd.Series) -> pd.Series:
    """Monday (UTC) of each timestamp's week, as a date.

    TODO(calendar): replace with the workspace calendar (time zone, week
    start) once ``coordkit.model.calendar`` lands; callers can already pass
    their own ``week_of``.
    """
    stamps = pd.to_datetime(created_at, utc=True)
    return (stamps.dt.tz_convert("UTC").dt.normalize() - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.date


def _key_column(by: str) -> str:
    if by not in JOIN_KEYS:
        raise ParameterError(allowed_values_message("by", by, JOIN_KEYS))
    return f"{by}_id"


def _touch_identity(table: ir.Table) -> ir.Value:
    # a deterministic id: the same row gets the same number in every branch
    # of the query (an unordered row_number need not)
    if "touchpoint_id" in table.columns:
        return table.touchpoint_id.cast("string")
    columns = [c for c in table.columns if not table[c].type().is_nested()]
    return ibis.row_number().over(order_by=columns).cast("string")


def _journey_pairs(linked: ir.Table, outcomes: ir.Table, key: str, lookback_days: float) -> ir.Table:
    """Each touch paired with the next outcome of its contact within the lookback."""
    o = outcomes.select(
        _o_key=outcomes[key].cast("string"),
        outcome_id=outcomes.outcome_id.cast("string"),
        _o_epoch=outcomes.created_at.epoch_seconds().cast("float64"),
        _o_amount=(outcomes.amount.cast("float64") if "amount" in outcomes.columns else ibis.literal(0.0, type="float64")),
    ).filter(lambda t: t._o_key.notnull())
    window = ibis.literal(float(lookback_days) * 86400.0, type="float64")
    pairs = linked.join(
        o,
        [linked._key == o._o_key, o._o_epoch >= linked._epoch, o._o_epoch - linked._epoch <= window],
    )
    # keep only the first outcome at or after the touch: later outcomes start afresh.
    # The window is a column first: filtering on a window expression directly
    # compiles to SQL that Spark cannot resolve (docs/scale.md)
    pairs = pairs.mutate(_o_first=pairs._o_epoch.min().over(ibis.window(group_by=pairs._touch)))
    return pairs.filter(pairs._o_epoch == pairs._o_first).drop("_o_first")


def attribute_outcomes(
    touchpoints: ir.Table,
    outcomes: ir.Table,
    outputs: ir.Table,
    model: str = "position",
    *,
    by: str = "contact",
    lookback_days: float = DEFAULT_LOOKBACK_DAYS,
    aliases: ir.Table | None = None,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    order: int = 1,
    week_of: Callable[[pd.Series], pd.Series] | None = None,
    outcome_contacts: ir.Table | None = None,
    acceleration: bool | None = None,
    custom_weights: dict | None = None,
) -> pd.DataFrame:
    """Credit every outcome's amount to the outputs that touched it.

    Returns one row per (outcome_id, output_id, channel, campaign) with
    ``credit`` (share of the outcome; per outcome the credits sum to 1) and
    ``amount`` (credit x outcome amount), plus kind, created_at, week and team
    for slicing. Markov and Shapley use their per-journey allocation here.
    ``week_of`` maps created_at to a week (default: Monday in UTC).

    Milestone models (``u_shaped``, ``w_shaped``, ``full_path``, ``custom``)
    find the lead-, opportunity-creation and closed-won touches from the
    data (:mod:`.workspace_milestones`): ``outcome_contacts`` adds every
    contact of a deal; ``acceleration`` counts touches after the
    opportunity's creation up to its close (default: on for models that
    credit the close, off otherwise); ``custom_weights`` are the ``custom``
    model's stage weights (``coordkit.yaml``: ``attribution_custom``). An
    open deal's closed-won share is a ``(pending)`` row.

    >>> # attribute_outcomes(ws.table("touchpoints"), ws.table("outcomes"), ws.table("outputs"), "linear")
    """
    if model not in WORKSPACE_MODELS:
        raise ParameterError(allowed_values_message("model", model, WORKSPACE_MODELS))
    key = _key_column(by)
    require_columns(touchpoints, (key, "touched_at"), "touchpoints")
    require_columns(outcomes, ("outcome_id", "created_at", key), "outcomes")
    require_columns(outputs, ("output_id", "channel", "campaign"), "outputs")
    if not lookback_days > 0:
        raise ParameterError(f"lookback_days must be positive; got {lookback_days!r}")

    linked = link_touchpoints(touchpoints, outputs, aliases)
    linked = linked.mutate(
        _key=linked[key].cast("string"),
        _epoch=linked.touched_at.epoch_seconds().cast("float64"),
        _touch=_touch_identity(linked),
        _channel=ibis.coalesce(linked.linked_channel, ibis.literal("unknown")),
    ).filter(lambda t: t._key.notnull())
    if model in MILESTONE_MODELS:
        credit = _milestone_credit(linked, outcomes, model, key, lookback_days, outcome_contacts, acceleration,
                                   custom_weights)
        return _with_outcome_facts(credit, outcomes, week_of)
    pairs = _journey_pairs(linked, outcomes, key, lookback_days)

    converting = pairs.select(
        journey_id=pairs.outcome_id,
        _epoch=pairs._epoch, _touch=pairs._touch, channel=pairs._channel,
        output_id=pairs.linked_output_id, campaign=pairs.linked_campaign,
        age_seconds=pairs._o_epoch - pairs._epoch,
        conversions=ibis.literal(1.0, type="float64"),
        conversion_value=pairs._o_amount.fill_null(0.0),
        non_conversions=ibis.literal(0.0, type="float64"),
    )
    paired = pairs.select(_paired=pairs._touch).distinct()
    loose = linked.left_join(paired, linked._touch == paired._paired).filter(lambda t: t._paired.isnull())
    last_epoch = loose._epoch.max().over(ibis.window(group_by=loose._key))
    open_journeys = loose.select(
        journey_id=ibis.literal("open:").concat(loose._key),
        _epoch=loose._epoch, _touch=loose._touch, channel=loose._channel,
        output_id=loose.linked_output_id, campaign=loose.linked_campaign,
        age_seconds=last_epoch - loose._epoch,
        conversions=ibis.literal(0.0, type="float64"),
        conversion_value=ibis.literal(0.0, type="float64"),
        non_conversions=ibis.literal(1.0, type="float64"),
    )
    touches = converting.union(open_journeys)
    journey = ibis.window(group_by=touches.journey_id)
    ordered = ibis.window(group_by=touches.journey_id, order_by=[touches._epoch, touches._touch])
    touches = touches.mutate(
        position=ibis.row_number().over(ordered).cast("int64"),
        n_touches=touches._touch.count().over(journey).cast("int64"),
    )
    weighted = touch_weights(touches, model, order=order, half_life_hours=half_life_hours)
    weighted = weighted.filter(weighted.conversions > 0)
    credit = weighted.group_by(["journey_id", "output_id", "channel", "campaign"]).aggregate(
        credit=weighted.weight.sum(), amount=(weighted.weight * weighted.conversion_value).sum()
    ).to_pandas().rename(columns={"journey_id": "outcome_id"})
    return _with_outcome_facts(credit, outcomes, week_of)


def _milestone_credit(linked, outcomes, model, key, lookback_days, outcome_contacts, acceleration, custom_weights):
    weights, _ = model_role_weights(model, custom_weights)
    if acceleration is None:
        acceleration = weights.get("closed_won", 0.0) > 0
    journeys = milestone_journeys(
        linked, outcomes, key=key, lookback_days=lookback_days, acceleration=bool(acceleration),
        outcome_contacts=outcome_contacts,
    )
    credit = milestone_credit(journeys, model, custom_weights)
    missing = {role: n for role, n in credit.attrs.get("missing_roles", {}).items() if n}
    if missing:
        import warnings

        warnings.warn(
            f"{model}: " + "; ".join(f"{n} outcome(s) have no {role.replace('_', '-')} touch" for role, n in missing.items())
            + " (no date, or no touch in the window): their other milestones share that weight",
            MilestoneWarning,
            stacklevel=3,
        )
    return credit


class MilestoneWarning(UserWarning):
    """Some outcomes lack a milestone touch; their credit was re-spread (docs/attribution.md)."""


def _with_outcome_facts(credit: pd.DataFrame, outcomes: ir.Table, week_of) -> pd.DataFrame:
    missing_roles = credit.attrs.get("missing_roles")
    extra = [c for c in ("kind", "team") if c in outcomes.columns]
    facts = outcomes.select(outcome_id=outcomes.outcome_id.cast("string"), created_at=outcomes.created_at, *extra).to_pandas()
    # Spark hands TIMESTAMP back without a zone (in its session zone, UTC for
    # coordkit): make every backend's created_at tz-aware UTC (docs/scale.md)
    facts["created_at"] = pd.to_datetime(facts["created_at"], utc=True)
    result = credit.merge(facts, on="outcome_id", how="left")
    for column in ("kind", "team"):
        if column not in result.columns:
            result[column] = None
    result["week"] = (week_of or monday_utc)(result["created_at"])
    result = result[RESULT_COLUMNS].sort_values(["outcome_id", "channel", "output_id"], kind="stable").reset_index(drop=True)
    if missing_roles is not None:
        result.attrs["missing_roles"] = missing_roles
    return result


def sourced_attribution(outcomes: ir.Table, outputs: ir.Table, aliases: ir.Table | None = None) -> pd.DataFrame:
    """Outcomes that carry a campaign (``campaign`` or ``utm_campaign``) credit it fully.

    Returns outcome_id, campaign (as the outputs spell it when it matches one,
    else the outcome's own value), channel (when the campaign has one), amount.
    """
    require_columns(outcomes, ("outcome_id",), "outcomes")
    raw = [outcomes[c] for c in ("utm_campaign", "campaign") if c in outcomes.columns]
    if not raw:
        raise ParameterError("sourced attribution needs a 'campaign' or 'utm_campaign' column on outcomes")
    o = outcomes.mutate(_campaign_raw=ibis.coalesce(*raw).cast("string") if len(raw) > 1 else raw[0].cast("string"))
    o = o.mutate(_norm=normalise_utm(o._campaign_raw)).filter(lambda t: t._norm.notnull())
    campaigns = outputs.group_by(_norm=normalise_utm(outputs.campaign)).aggregate(
        _campaign=outputs.campaign.max(), _channels=outputs.channel.nunique(), _channel=outputs.channel.max()
    )
    j = o.left_join(campaigns, o._norm == campaigns._norm)
    amount = j.amount.cast("float64").fill_null(0.0) if "amount" in j.columns else ibis.literal(0.0, type="float64")
    return j.select(
        outcome_id=j.outcome_id.cast("string"),
        campaign=ibis.coalesce(j._campaign, j._campaign_raw),
        channel=ibis.ifelse(j._channels == 1, j._channel, ibis.null("string")),
        amount=amount,
    ).to_pandas()


def influenced_pipeline(
    touchpoints: ir.Table, outcomes: ir.Table, outputs: ir.Table, *, by: str = "contact",
    lookback_days: float = DEFAULT_LOOKBACK_DAYS, aliases: ir.Table | None = None,
) -> pd.DataFrame:
    """Every campaign touched within an outcome's window gets the outcome's full amount.

    Influence is not additive (an outcome counts once per campaign that
    touched it); use it beside an attribution model, never summed with one.
    Returns campaign, outcomes, amount.
    """
    key = _key_column(by)
    require_columns(touchpoints, (key, "touched_at"), "touchpoints")
    require_columns(outcomes, ("outcome_id", "created_at", key), "outcomes")
    linked = link_touchpoints(touchpoints, outputs, aliases)
    linked = linked.mutate(_key=linked[key].cast("string"), _epoch=linked.touched_at.epoch_seconds().cast("float64"), _touch=_touch_identity(linked))
    pairs = _journey_pairs(linked, outcomes, key, lookback_days)
    per_outcome = pairs.select(
        campaign=ibis.coalesce(pairs.linked_campaign, ibis.literal("(unlinked)")),
        outcome_id=pairs.outcome_id, amount=pairs._o_amount.fill_null(0.0),
    ).distinct()
    return per_outcome.group_by("campaign").aggregate(
        outcomes=per_outcome.outcome_id.count(), amount=per_outcome.amount.sum()
    ).order_by("campaign").to_pandas()
