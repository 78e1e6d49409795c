"""One entry point per question: which weights, and how much credit per channel.

``touch_weights`` gives every touch its share of its journey's conversion
under any model; ``credit_by_channel`` sums credit per channel, the table the
``coordkit attribute`` command writes.
"""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from coordkit.errors import ParameterError, allowed_values_message
from coordkit.model.attribution import markov as markov_model
from coordkit.model.attribution import shapley as shapley_model
from coordkit.model.attribution.journeys import TOUCH_COLUMNS, require_columns
from coordkit.model.attribution.rules import DEFAULT_HALF_LIFE_HOURS, RULE_MODELS, rule_weights

__all__ = ["DEFAULT_ALLOCATION", "MODELS", "check_model", "credit_by_channel", "touch_weights"]

MODELS = (*RULE_MODELS, "markov", "shapley")
#: the allocation each data-driven model uses unless told otherwise
DEFAULT_ALLOCATION = {"markov": "global", "shapley": "journey"}
CREDIT_COLUMNS = ["channel", "conversions", "conversion_value"]


def check_model(model: str) -> str:
    """Return ``model`` if coordkit knows it, else raise ParameterError listing the models."""
    if model not in MODELS:
        raise ParameterError(allowed_values_message("model", model, MODELS))
    return model


def _check_allocation(model: str, allocation: str | None) -> str:
    allocation = allocation or DEFAULT_ALLOCATION[model]
    allowed = markov_model.ALLOCATIONS if model == "markov" else shapley_model.ALLOCATIONS
    if allocation not in allowed:
        raise ParameterError(allowed_values_message(f"{model} allocation", allocation, allowed))
    return allocation


def touch_weights(
    touches: ir.Table,
    model: str,
    *,
    order: int = 1,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    ordered: bool = False,
) -> ir.Table:
    """Return ``touches`` with a ``weight`` column (per journey the weights sum to 1).

    Markov and Shapley weights use the per-journey allocation, the only one
    that says how much of *one* conversion each touch earned.
    """
    check_model(model)
    require_columns(touches, TOUCH_COLUMNS, "touch table")
    if model in RULE_MODELS:
        return rule_weights(touches, model, half_life_hours)
    if model == "markov":
        transitions = markov_model.markov_transitions(touches, order)
        chain = markov_model.removal_effects(transitions, order)
        return markov_model.markov_journey_weights(touches, chain.effects)
    sets = shapley_model.channel_sets(touches, ordered)
    shares = shapley_model.shapley_shares(sets, ordered=ordered, allocation="journey")
    return shapley_model.shapley_journey_weights(touches, shares, ordered)


def _sum_weighted(weighted: ir.Table) -> pd.DataFrame:
    credit = weighted.group_by("channel").aggregate(
        conversions=(weighted.weight * weighted.conversions).sum(),
        conversion_value=(weighted.weight * weighted.conversion_value).sum(),
    )
    return _tidy(credit.to_pandas())


def _credited(touches: ir.Table) -> ir.Table:
    """The touches of journeys that carry credit (conversions or value).

    Conversions and value are constant within a journey, so this keeps whole
    journeys: per-journey windows (time decay, Markov per-journey shares) give
    the same weights on it, over a fraction of the rows (14 % of them on the
    synthetic benchmark). Every other touch adds ``weight * 0`` to its channel.
    """
    return touches.filter((touches.conversions != 0) | (touches.conversion_value != 0))


def _sum_credited(weighted: ir.Table, touches: ir.Table) -> pd.DataFrame:
    """``_sum_weighted`` of a weighted :func:`_credited` table, plus an explicit
    zero for every channel seen only in journeys without credit."""
    credit = _sum_weighted(weighted)
    channels = touches.select("channel").distinct().to_pandas()["channel"].astype(str)
    missing = sorted(set(channels) - set(credit["channel"]))
    if missing:
        zeros = pd.DataFrame({"channel": missing, "conversions": 0.0, "conversion_value": 0.0})
        credit = _tidy(pd.concat([credit, zeros], ignore_index=True))
    return credit


def _totals(touches: ir.Table) -> dict:
    """Total conversions and value: one row per journey has ``position == 0``
    (a filtered scan; ``journey_summary`` groups by journey, far slower)."""
    first = touches.filter(touches.position == 0)
    row = first.aggregate(
        conversions=first.conversions.sum(), conversion_value=first.conversion_value.sum()
    ).to_pandas()
    return {k: (0.0 if pd.isna(row[k].iloc[0]) else float(row[k].iloc[0])) for k in row.columns}


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[CREDIT_COLUMNS].copy()
    frame["channel"] = frame["channel"].astype(str)
    frame[["conversions", "conversion_value"]] = frame[["conversions", "conversion_value"]].astype("float64")
    return frame.sort_values("channel", kind="stable").reset_index(drop=True)


def credit_by_channel(
    touches: ir.Table,
    model: str,
    *,
    order: int = 1,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    allocation: str | None = None,
    ordered: bool = False,
) -> pd.DataFrame:
    """Attributed conversions and value per channel: ``channel, conversions, conversion_value``.

    >>> # credit_by_channel(journeys_from_events(events), "markov", order=2)
    """
    check_model(model)
    require_columns(touches, TOUCH_COLUMNS, "touch table")
    if model != "markov" and order != 1:
        raise ParameterError(f"order applies to the markov model only; got order={order!r} for {model!r}")
    if model == "time_decay":  # per-journey windows: run them on credited journeys only
        return _sum_credited(rule_weights(_credited(touches), model, half_life_hours), touches)
    if model in RULE_MODELS:
        return _sum_weighted(rule_weights(touches, model, half_life_hours))
    allocation = _check_allocation(model, allocation)
    if model == "markov":
        transitions = markov_model.markov_transitions(touches, order)
        chain = markov_model.removal_effects(transitions, order)
        if allocation == "journey":
            weighted = markov_model.markov_journey_weights(_credited(touches), chain.effects)
            return _sum_credited(weighted, touches)
        totals = _totals(touches)
        effects = chain.effects
        return _tidy(
            pd.DataFrame(
                {
                    "channel": effects["channel"],
                    "conversions": effects["share"] * totals["conversions"],
                    "conversion_value": effects["share"] * totals["conversion_value"],
                }
            )
        )
    sets = shapley_model.channel_sets(touches, ordered)
    shares = shapley_model.shapley_shares(sets, ordered=ordered, allocation=allocation)
    if allocation == "global":
        totals = sets[["conversions", "conversion_value"]].sum()
        credit = shares.assign(
            conversions=shares["share"] * totals["conversions"],
            conversion_value=shares["share"] * totals["conversion_value"],
        )
    else:
        credit = shares.merge(sets, on="key")
        credit = credit.assign(
            conversions=credit["share"] * credit["conversions"],
            conversion_value=credit["share"] * credit["conversion_value"],
        )
    credit = credit.groupby("channel", as_index=False)[["conversions", "conversion_value"]].sum()
    # channels seen only in non-converting journeys get an explicit zero
    seen = {c for key in sets["key"] for c in key}
    missing = sorted(seen - set(credit["channel"]))
    if missing:
        credit = pd.concat(
            [credit, pd.DataFrame({"channel": missing, "conversions": 0.0, "conversion_value": 0.0})]
        )
    return _tidy(credit)

