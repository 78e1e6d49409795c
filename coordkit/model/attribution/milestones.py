"""Milestone models: credit on the first, lead-creation, opportunity-creation and closed touches.

A milestone *role* is played by one touch of a journey (its position), or by
none (-1 / null). The shared rule, written once for numpy and once for Ibis:

* a touch gets the sum of the weights of the roles it plays;
* the ``rest`` weight is spread equally over the touches that play no role;
* when every touch plays a role, or a role has no touch, the weights found
  are scaled up so the journey's credit still sums to 1 (a touch playing two
  roles of W-shaped then gets 60 %, three roles alone 100 %);
* a ``pending`` share per journey (the closed-won share of an open deal in
  ``full_path``) is kept off the touches: the touches share ``1 - pending``.

Models (docs/attribution.md compares them with HubSpot and Marketo Measure):

=============  ==========================================================
``u_shaped``   40 first / 40 lead creation / 20 spread over the rest
``w_shaped``   30 first / 30 lead creation / 30 opportunity creation / 10
``full_path``  22.5 each on first, lead, opportunity, closed-won / 10
``custom``     stage weights from ``coordkit.yaml`` (``attribution_custom``)
=============  ==========================================================

Event files carry no lead or opportunity dates: there the lead-creation touch
of ``u_shaped`` is the conversion's own touch (the last), and ``w_shaped``
keeps its documented fallback (middle touch, last touch; journeys of up to
three touches split equally). ``full_path`` and ``custom`` need the
workspace's dates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coordkit.errors import AttributionError, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

__all__ = [
    "MILESTONE_MODELS",
    "ROLES",
    "check_custom_weights",
    "milestone_model_roles",
    "milestone_weights_ibis",
    "milestone_weights_numpy",
    "model_role_weights",
]

#: roles a touch can play, in journey order
ROLES = ("first_touch", "lead_creation", "opportunity_creation", "closed_won")
MILESTONE_MODELS = ("u_shaped", "w_shaped", "full_path", "custom")
_FIXED = {
    "u_shaped": ({"first_touch": 0.4, "lead_creation": 0.4}, 0.2),
    "w_shaped": ({"first_touch": 0.3, "lead_creation": 0.3, "opportunity_creation": 0.3}, 0.1),
    "full_path": (
        {"first_touch": 0.225, "lead_creation": 0.225, "opportunity_creation": 0.225, "closed_won": 0.225},
        0.1,
    ),
}


def check_custom_weights(weights, where: str = "coordkit.yaml, attribution_custom") -> tuple[dict, float]:
    """Validate a custom model's stage weights; return ``(role weights, rest)``.

    ``weights`` maps roles (``first_touch``, ``lead_creation``,
    ``opportunity_creation``, ``closed_won``) and ``other`` (spread over the
    remaining touches) to non-negative numbers summing to 1.
    """
    if not isinstance(weights, dict) or not weights:
        raise ParameterError(
            f"{where}: the custom model needs stage weights, e.g. "
            "{first_touch: 0.25, lead_creation: 0.25, opportunity_creation: 0.4, other: 0.1}",
            hint="add attribution_custom to coordkit.yaml",
        )
    allowed = (*ROLES, "other")
    parsed = {}
    for key, value in weights.items():
        if key not in allowed:
            raise ParameterError(f"{where}: unknown stage {key!r}; allowed stages are {', '.join(allowed)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ParameterError(f"{where}: weight of {key!r} must be a number >= 0; got {value!r}")
        parsed[key] = float(value)
    total = sum(parsed.values())
    if abs(total - 1.0) > 1e-9:
        raise ParameterError(f"{where}: stage weights must sum to 1; they sum to {total:.6g}")
    rest = parsed.pop("other", 0.0)
    return parsed, rest


def model_role_weights(model: str, custom: dict | None = None) -> tuple[dict, float]:
    """``(weights per role, rest)`` of a milestone model."""
    if model == "custom":
        return check_custom_weights(custom)
    if model not in _FIXED:
        raise ParameterError(f"{model!r} is not a milestone model; use one of {', '.join(MILESTONE_MODELS)}")
    return dict(_FIXED[model][0]), _FIXED[model][1]


def milestone_model_roles(model: str, n_touches: np.ndarray, milestones: dict):
    """Role positions per journey for an *event-file* journey set (array engine).

    Returns ``(positions, weights, rest, equal_small)``; ``equal_small`` marks
    journeys that split equally (the W-shaped fallback) or is None.
    """
    unknown = np.full(len(n_touches), -1, dtype=np.int64)
    lead = milestones.get("lead_creation", unknown)
    if model == "u_shaped":
        lead = np.where(lead >= 0, lead, n_touches - 1)
        return [np.zeros_like(n_touches), lead], [0.4, 0.4], 0.2, None
    if model == "w_shaped":
        opportunity = milestones.get("opportunity_creation", unknown)
        known = (lead >= 0) | (opportunity >= 0)
        lead = np.where(lead >= 0, lead, (n_touches - 1) // 2)
        opportunity = np.where(opportunity >= 0, opportunity, n_touches - 1)
        return [np.zeros_like(n_touches), lead, opportunity], [0.3, 0.3, 0.3], 0.1, ~known & (n_touches <= 3)
    raise AttributionError(
        f"the {model} model needs lead, opportunity and close dates, which a journey file does not have",
        hint="run it on a workspace (attribute_outcomes), or use u_shaped / w_shaped",
    )


def milestone_weights_numpy(
    position: np.ndarray,
    n_touches: np.ndarray,
    role_positions: list,
    weights: list,
    rest: float,
    pending: np.ndarray | None = None,
) -> np.ndarray:
    """Touch weights under the milestone rule (module docstring).

    ``position`` is per touch (journeys contiguous, restarting at 0);
    ``n_touches``, each array of ``role_positions`` (-1: no touch) and
    ``pending`` are per journey. A journey's total is known in closed form
    (each present role adds its weight once, the rest is added when some
    touch plays no role), so no segment sums are needed.
    """
    n = n_touches.astype(np.int64)
    roles = np.stack([np.asarray(p, dtype=np.int64) for p in role_positions]) if role_positions else np.zeros((0, len(n)), np.int64)
    present = roles >= 0
    # distinct touches playing a role, per journey
    ordered = np.sort(np.where(present, roles, -1), axis=0)
    distinct = ((ordered >= 0) & np.vstack([np.ones((1, len(n)), bool), ordered[1:] != ordered[:-1]])).sum(axis=0)
    others = n - distinct
    role_weights = np.asarray(weights, dtype=np.float64)[:, None]
    total = (role_weights * present).sum(axis=0) + np.where(others > 0, rest, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(others > 0, rest / others, 0.0)
    role_weight = np.zeros(len(position))
    is_key = np.zeros(len(position), dtype=bool)
    for where, weight in zip(roles, weights):
        plays = position == np.repeat(where, n)
        role_weight += np.where(plays, weight, 0.0)
        is_key |= plays
    raw = np.where(is_key, role_weight, np.repeat(spread, n))
    keep = 1.0 if pending is None else 1.0 - np.repeat(pending, n)
    total_t = np.repeat(total, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total_t > 0, raw / total_t, 1.0 / np.repeat(n, n).astype(np.float64)) * keep


def milestone_weights_ibis(t: "ir.Table", role_columns: dict, weights: dict, rest: float, pending=None) -> "ir.Table":
    """The same rule in Ibis: ``t`` with a ``weight`` column.

    ``role_columns`` maps a role to the name of a column of ``t`` holding the
    position that plays it in the touch's journey (null: no touch plays it);
    ``pending`` optionally names a column with the journey's pending share.
    Window sums run in separate steps (SQL cannot nest window functions).
    """
    import ibis  # here: the array engine never needs it
    f64 = lambda v: ibis.literal(float(v), type="float64")  # noqa: E731 (Spark: no DECIMAL literals)
    role_weight = f64(0.0)
    is_key = ibis.literal(False)
    for role, column in role_columns.items():
        plays = (t.position == t[column]).fill_null(False)
        role_weight = role_weight + ibis.ifelse(plays, f64(weights[role]), f64(0.0))
        is_key = is_key | plays
    t = t.mutate(_m_role=role_weight, _m_key=is_key)
    t = t.mutate(_m_others=t.n_touches.cast("float64") - t._m_key.cast("float64").sum().over(group_by=t.journey_id))
    spread = ibis.ifelse(~t._m_key & (t._m_others > 0), f64(rest) / t._m_others, f64(0.0))
    t = t.mutate(_m_raw=t._m_role + spread)
    t = t.mutate(_m_total=t._m_raw.sum().over(group_by=t.journey_id))
    keep = f64(1.0) if pending is None else f64(1.0) - t[pending]
    equal = f64(1.0) / t.n_touches.cast("float64")
    weight = ibis.ifelse(t._m_total > 0, t._m_raw / t._m_total, equal) * keep
    return t.mutate(weight=weight).drop("_m_role", "_m_key", "_m_others", "_m_raw", "_m_total")
