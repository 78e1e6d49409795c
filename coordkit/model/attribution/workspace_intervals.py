"""Intervals on workspace credit (channel, campaign, ROAS): a bootstrap over outcomes.

``credit_intervals`` takes the rows of :func:`.outcomes.attribute_outcomes`
(one per outcome and output / channel / campaign) and resamples *outcomes*
with replacement: each replicate sums the credit and amount of the drawn
outcomes per group. The per-outcome split is held fixed, so for rule and
milestone models the interval is the full sampling uncertainty; for Markov
and Shapley (whose split is itself fitted on the journeys) it leaves out the
refit and is narrower than the journey-file bootstrap of
:mod:`.intervals`, which refits. ROAS is attributed amount / cost with the
cost taken as known, so its bounds are the amount's bounds over the cost.

This is the function the review and check-in tables call
(``credit_intervals(rows, by="channel", cost=spend)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.errors import ParameterError
from coordkit.model.attribution.intervals import DEFAULT_RESAMPLES, percentile_interval

__all__ = ["bootstrap_columns", "credit_intervals"]


def credit_intervals(
    credit: pd.DataFrame,
    by: str | list[str] = "channel",
    *,
    level: float = 0.9,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    cost: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Credit and amount per group with percentile intervals from a bootstrap over outcomes.

    ``credit`` has ``outcome_id``, ``credit``, ``amount`` and the ``by``
    columns. ``cost`` (optional) has the ``by`` columns and ``cost``; then
    ``roas``, ``roas_low``, ``roas_high`` are added (empty where cost is 0 or
    missing). Returns one row per group: the ``by`` columns, ``outcomes``
    (credited outcomes: the sum of credit), ``outcomes_low/high``,
    ``amount``, ``amount_low/high``, and each group's share of all groups'
    credit and amount with its interval (``outcomes_share``,
    ``outcomes_share_low/high``, ``amount_share``, ``amount_share_low/high``;
    the share is recomputed in every replicate, so its bounds are not the
    count's bounds over the total; empty when the total is 0).

    >>> # credit_intervals(attribute_outcomes(tp, oc, out, "w_shaped"), by=["channel", "campaign"])
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in ("outcome_id", "credit", "amount", *by) if c not in credit.columns]
    if missing:
        raise ParameterError(f"credit_intervals: the credit rows have no column(s) {missing}; "
                             "pass the result of attribute_outcomes")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 20:
        raise ParameterError(f"resamples must be a whole number of at least 20; got {resamples!r}")
    rows = credit.copy()
    for column in by:  # missing labels are a group of their own, not dropped
        rows[column] = rows[column].astype("object").where(rows[column].notna(), "(none)")
    groups = rows[by].drop_duplicates().sort_values(by, kind="stable").reset_index(drop=True)
    group_index = pd.MultiIndex.from_frame(groups)
    outcome_codes, outcomes = pd.factorize(rows["outcome_id"], sort=True)
    group_codes = group_index.get_indexer(pd.MultiIndex.from_frame(rows[by]))
    columns = bootstrap_columns(outcome_codes, len(outcomes), group_codes, len(groups),
                                rows["credit"].to_numpy(dtype="float64"), rows["amount"].to_numpy(dtype="float64"),
                                level=level, resamples=resamples, seed=seed)
    result = groups.copy()
    for name, values in columns.items():
        result[name] = values
    if cost is not None:
        if "cost" not in cost.columns or any(c not in cost.columns for c in by):
            raise ParameterError(f"credit_intervals: cost needs columns {by + ['cost']}; it has {list(cost.columns)}")
        spend = cost.groupby(by, dropna=False)["cost"].sum().reset_index()
        result = result.merge(spend, on=by, how="left")
        positive = result["cost"] > 0
        for name in ("", "_low", "_high"):
            result[f"roas{name}"] = (result[f"amount{name}"] / result["cost"]).where(positive)
    return result


def bootstrap_columns(outcome_codes: np.ndarray, n_outcomes: int, group_codes: np.ndarray, n_groups: int,
                      credit: np.ndarray, amount: np.ndarray, *, level: float, resamples: int, seed: int) -> dict:
    """The bootstrap of :func:`credit_intervals` on coded rows: result column -> one value per group.

    Row ``i`` gives ``credit[i]`` and ``amount[i]`` of outcome
    ``outcome_codes[i]`` to group ``group_codes[i]`` (codes count from 0 in
    sorted order). Callers that already hold coded rows (the review's tables)
    skip the frame work of :func:`credit_intervals` and get the same numbers.
    """
    shape = (n_outcomes, n_groups)
    credit_matrix = np.zeros(shape)
    amount_matrix = np.zeros(shape)
    np.add.at(credit_matrix, (outcome_codes, group_codes), credit)
    np.add.at(amount_matrix, (outcome_codes, group_codes), amount)
    rng = np.random.default_rng(seed)
    n = n_outcomes
    counts = _resample_counts(rng, n, resamples)
    reps_credit, reps_amount = counts @ credit_matrix, counts @ amount_matrix
    columns = {"outcomes": credit_matrix.sum(axis=0)}
    columns["outcomes_low"], columns["outcomes_high"] = percentile_interval(reps_credit, level)
    columns["amount"] = amount_matrix.sum(axis=0)
    columns["amount_low"], columns["amount_high"] = percentile_interval(reps_amount, level)
    for name, reps in (("outcomes", reps_credit), ("amount", reps_amount)):
        columns[f"{name}_share"], columns[f"{name}_share_low"], columns[f"{name}_share_high"] = \
            _share_interval(columns[name], reps, level)
    return columns


def _resample_counts(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """How often each of ``n`` outcomes is drawn in each of ``resamples`` bootstrap samples of size ``n``.

    The counts of ``n`` uniform draws with replacement, i.e. Multinomial(n, 1/n) per resample, built
    with one ``integers`` call and one ``bincount``: 4-5 times faster than ``rng.multinomial`` for the
    review's tables (measured at n = 300-3,000), which matters on every check-in click.
    """
    if not n:
        return np.zeros((resamples, 0))
    draws = rng.integers(0, n, size=(resamples, n)) + (np.arange(resamples) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float64)


def _share_interval(point: np.ndarray, replicates: np.ndarray, level: float) -> tuple:
    """Share of the total and its percentile interval, the share taken within each replicate."""
    total = point.sum()
    share = point / total if total > 0 else np.full(point.shape, np.nan)
    totals = replicates.sum(axis=1, keepdims=True)
    usable = totals[:, 0] > 0
    if not usable.any():
        empty = np.full(point.shape, np.nan)
        return share, empty, empty.copy()
    low, high = percentile_interval(replicates[usable] / totals[usable], level)
    return share, low, high
