"""Rule-based credit weights, written once as Ibis expressions.

Each function takes the touch table of :mod:`.journeys` and returns it with a
``weight`` column: the share of its journey's conversion that the touch gets.
Within every journey the weights sum to 1, so attributed conversions
(``weight * conversions``) and values (``weight * conversion_value``) add up
to the journey's own.

Conventions (see docs/attribution.md):

* ``first`` / ``last``: all credit to the first / last touch.
* ``linear``: ``1 / n`` per touch; a channel touched twice gets two shares.
* ``time_decay``: ``0.5 ** (age / half_life)`` with the age measured back from
  the conversion, continuous (no day steps), normalised per journey.
* ``position`` (U-shaped): 40 % first, 40 % last, 20 % spread over the middle;
  one touch 100 %, two touches 50/50.
* ``u_shaped``: 40 % first, 40 % lead-creation touch (``lead_position``,
  else the last touch: in a journey file the conversion creates the lead),
  20 % spread over the rest (:mod:`.milestones`).
* ``w_shaped``: 30 % each on the first, lead-creation and
  opportunity-creation touches, 10 % spread over the others. When the lead /
  opportunity touches are unknown (columns ``lead_position`` /
  ``opportunity_position`` absent or null) the lead touch falls back to the
  middle touch (0-based ``(n - 1) // 2``) and the opportunity touch to the
  last touch; journeys of up to three touches then split equally.
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir

from coordkit.errors import AttributionError, ParameterError, allowed_values_message
from coordkit.model.attribution.journeys import TOUCH_COLUMNS, require_columns
from coordkit.model.attribution.milestones import milestone_weights_ibis, model_role_weights

__all__ = ["DEFAULT_HALF_LIFE_HOURS", "RULE_MODELS", "rule_weights"]

RULE_MODELS = ("first", "last", "linear", "time_decay", "position", "u_shaped", "w_shaped")
DEFAULT_HALF_LIFE_HOURS = 7 * 24.0


def _f64(value) -> ir.Value:
    return ibis.literal(value, type="float64")


def _first(t: ir.Table) -> ir.Value:
    return ibis.ifelse(t.position == 0, _f64(1.0), _f64(0.0))


def _last(t: ir.Table) -> ir.Value:
    return ibis.ifelse(t.position == t.n_touches - 1, _f64(1.0), _f64(0.0))


def _linear(t: ir.Table) -> ir.Value:
    return _f64(1.0) / t.n_touches.cast("float64")


def _position(t: ir.Table) -> ir.Value:
    n = t.n_touches
    is_end = (t.position == 0) | (t.position == n - 1)
    middle_share = _f64(0.2) / (n - 2).cast("float64")
    return ibis.cases(
        (n == 1, _f64(1.0)),
        (n == 2, _f64(0.5)),
        (is_end, _f64(0.4)),
        else_=middle_share,
    )


def _time_decay(t: ir.Table, half_life_hours: float) -> ir.Table:
    # one cheap scan: a converting touch without a time would silently get no credit
    undated = t.filter(t.age_seconds.isnull() & (t.conversions > 0)).count().to_pyarrow().as_py()
    if undated:
        raise AttributionError(
            f"time_decay needs touch times; {undated} touch(es) of converting journeys have none "
            "(path files carry no times)",
            hint="use an event-level file, or another model",
        )
    half_life_seconds = _f64(float(half_life_hours) * 3600.0)
    journey = ibis.window(group_by=t.journey_id)
    # Ages are shifted so the newest touch of each journey has age 0: the
    # normalised weights are unchanged, but a journey of very old touches can
    # no longer underflow to 0 / 0.
    t = t.mutate(_relative_age=t.age_seconds - t.age_seconds.min().over(journey))
    # exp(-ln2 * a / h) == 0.5 ** (a / h); exp avoids literal.pow type trouble
    t = t.mutate(_raw=(t._relative_age * _f64(-math.log(2.0)) / half_life_seconds).exp())
    journey = ibis.window(group_by=t.journey_id)
    return t.mutate(weight=t._raw / t._raw.sum().over(journey)).drop("_relative_age", "_raw")


def _w_shaped(t: ir.Table) -> ir.Value:
    n = t.n_touches
    middle = (n - 1) // 2
    lead = t.lead_position.cast("int64") if "lead_position" in t.columns else ibis.null("int64")
    opportunity = (
        t.opportunity_position.cast("int64")
        if "opportunity_position" in t.columns
        else ibis.null("int64")
    )
    known = lead.notnull() | opportunity.notnull()
    lead = lead.fill_null(middle)
    opportunity = opportunity.fill_null(n - 1)
    # how many of the three key roles this touch plays (they may coincide)
    roles = (
        (t.position == 0).cast("int64")
        + (t.position == lead).cast("int64")
        + (t.position == opportunity).cast("int64")
    )
    # distinct key positions in the journey, to know how many touches share the 10 %
    distinct_keys = (
        1
        + ibis.ifelse(lead != 0, 1, 0)
        + ibis.ifelse((opportunity != 0) & (opportunity != lead), 1, 0)
    )
    others = n - distinct_keys
    spread = ibis.ifelse(
        roles > 0,
        _f64(0.3) * roles.cast("float64"),
        _f64(0.1) / others.cast("float64"),
    )
    # no other touch to take the 10 %: the key roles share everything, 1/3 a role
    no_others = roles.cast("float64") / _f64(3.0)
    with_milestones = ibis.ifelse(others > 0, spread, no_others)
    equal = _f64(1.0) / n.cast("float64")
    return ibis.ifelse(~known & (n <= 3), equal, with_milestones)


def _u_shaped(t: ir.Table) -> ir.Table:
    # lead-creation touch: ``lead_position`` when known, else the conversion's own (last) touch
    lead = t.lead_position.cast("int64") if "lead_position" in t.columns else ibis.null("int64")
    t = t.mutate(_u_first=ibis.literal(0, type="int64"), _u_lead=ibis.coalesce(lead, t.n_touches - 1))
    weights, rest = model_role_weights("u_shaped")
    roles = {"first_touch": "_u_first", "lead_creation": "_u_lead"}
    return milestone_weights_ibis(t, roles, weights, rest).drop("_u_first", "_u_lead")


def rule_weights(
    touches: ir.Table, model: str, half_life_hours: float = DEFAULT_HALF_LIFE_HOURS
) -> ir.Table:
    """Return ``touches`` with a ``weight`` column for a rule-based ``model``.

    >>> # rule_weights(journeys_from_events(events), "position")
    """
    require_columns(touches, TOUCH_COLUMNS, "touch table")
    if model not in RULE_MODELS:
        raise ParameterError(allowed_values_message("rule-based model", model, RULE_MODELS))
    if model == "time_decay":
        if not (isinstance(half_life_hours, (int, float)) and half_life_hours > 0):
            raise ParameterError(f"half_life_hours must be a positive number; got {half_life_hours!r}")
        return _time_decay(touches, half_life_hours)
    if model == "u_shaped":
        return _u_shaped(touches)
    if model == "w_shaped":
        weight = _w_shaped(touches)
    else:
        weight = {"first": _first, "last": _last, "linear": _linear, "position": _position}[model](
            touches
        )
    return touches.mutate(weight=weight)
