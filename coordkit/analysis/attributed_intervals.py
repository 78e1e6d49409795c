"""How sure the review's attributed tables are: bootstrap intervals on each row's 13-week credit.

:func:`attributed_intervals` is called by
:func:`coordkit.analysis.review.attributed_table`, the one function behind the
review's and the check-in's channel and campaign tables, so both show the same
interval. It resamples the *opportunities* of the 13-week window with
replacement (:func:`coordkit.model.attribution.workspace_intervals.credit_intervals`);
each opportunity keeps its split over outputs, and the part of it no output
touched goes to the :data:`NOT_CREDITED` row, so the shares of every
replicate add up to the whole as the table's do.

Resamples: :data:`REVIEW_RESAMPLES` (400). The bounds are percentiles of the
replicates; with 400 of them the Monte Carlo error of a 5th/95th percentile
of a share is about a tenth of the interval's half width (docs/attribution.md,
*Intervals in the review*), well under the whole percent the table shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.analysis.grouping import aggregate
from coordkit.model.attribution.intervals import DATA_DRIVEN_MODELS, MIN_DATA_DRIVEN_CONVERSIONS
from coordkit.model.attribution.workspace_intervals import bootstrap_columns, credit_intervals
from coordkit.numbers import MISSING, format_percent

__all__ = ["INTERVAL_LEVEL", "REVIEW_RESAMPLES", "attributed_intervals", "interval_rows", "share_text",
           "volume_note", "with_intervals"]

INTERVAL_LEVEL = 0.9
REVIEW_RESAMPLES = 400
#: the outcome columns of credit_intervals -> the table's 13-week columns
_NAMES = {"outcomes": "opportunities_13w", "amount": "pipeline_13w"}


def interval_rows(credit: pd.DataFrame, column: str, opportunities: pd.DataFrame | None,
                  not_credited: str) -> pd.DataFrame:
    """The rows the bootstrap draws from: the window's credit plus, per opportunity, the part no output holds.

    ``credit`` and ``opportunities`` are already cut to the window. Returns
    ``outcome_id``, ``column``, ``credit``, ``amount``.
    """
    # credit without a label is not in the table's rows (groupby drops it), so it counts as not credited
    rows = credit.loc[credit[column].notna(), ["outcome_id", column, "credit", "amount"]].copy()
    rows["amount"] = rows["amount"].astype("float64").fillna(0.0)
    if opportunities is None or opportunities.empty:
        return rows
    held = rows.groupby("outcome_id")[["credit", "amount"]].sum()
    whole = opportunities[["outcome_id", "amount"]].copy()
    whole["amount"] = whole["amount"].astype("float64").fillna(0.0)
    whole = aggregate(whole, "outcome_id", as_index=False, amount=("amount", "first"))
    whole = whole.join(held.rename(columns={"credit": "held", "amount": "held_amount"}), on="outcome_id")
    rest = pd.DataFrame({
        "outcome_id": whole["outcome_id"],
        column: not_credited,
        "credit": (1.0 - whole["held"].fillna(0.0)).clip(lower=0.0),
        "amount": (whole["amount"] - whole["held_amount"].fillna(0.0)).clip(lower=0.0),
    })
    rest = rest[(rest["credit"] > 1e-12) | (rest["amount"] > 1e-9)]
    return pd.concat([rows, rest], ignore_index=True) if not rest.empty else rows


def attributed_intervals(credit: pd.DataFrame, column: str, opportunities: pd.DataFrame | None, not_credited: str,
                         *, level: float = INTERVAL_LEVEL, resamples: int = REVIEW_RESAMPLES, seed: int = 0) -> pd.DataFrame:
    """Per ``column`` value: the 13-week opportunities, pipeline and their shares with ``level`` intervals.

    Columns: ``column``, ``opportunities_13w_low/high``, ``pipeline_13w_low/high``,
    ``opportunities_13w_share_low/high``, ``pipeline_13w_share_low/high`` and
    ``pipeline_13w_share_text`` ("41 % (33–49 %)").
    """
    bounds = [f"{name}_{end}" for name in ("outcomes", "amount", "outcomes_share", "amount_share") for end in ("low", "high")]
    if isinstance(resamples, int) and not isinstance(resamples, bool) and resamples >= 20:
        found = _coded_intervals(credit, column, opportunities, not_credited, level, resamples, seed)
    else:  # credit_intervals says what is wrong with the options
        rows = interval_rows(credit, column, opportunities, not_credited)
        found = None if rows.empty else credit_intervals(rows, column, level=level, resamples=resamples, seed=seed)
    if found is None:
        return pd.DataFrame(columns=[column, *[_renamed(b) for b in bounds], "pipeline_13w_share_text"])
    result = found[[column, *bounds]].rename(columns={b: _renamed(b) for b in bounds})
    result["pipeline_13w_share_text"] = [
        share_text(s, lo, hi) for s, lo, hi in zip(found["amount_share"], found["amount_share_low"], found["amount_share_high"])
    ]
    return result


def _coded_intervals(credit: pd.DataFrame, column: str, opportunities: pd.DataFrame | None, not_credited: str,
                     level: float, resamples: int, seed: int) -> pd.DataFrame | None:
    """``credit_intervals(interval_rows(...), column)`` on arrays: the same rows, codes and bootstrap, without the frames.

    The review computes two tables per (week, team) and the check-in one per
    picker change; on the review's few hundred rows the frame work of
    :func:`interval_rows` and :func:`credit_intervals` cost about ten times the
    bootstrap. None when there are no rows. ``tests/analysis/test_attributed_intervals.py``
    checks that the result equals the frame path's exactly.
    """
    keep = credit[column].notna().to_numpy()
    ids = credit["outcome_id"].to_numpy(dtype=object)[keep]
    labels = credit[column].to_numpy(dtype=object)[keep]
    shares = credit["credit"].to_numpy(dtype="float64")[keep]
    amounts = _zero_filled(credit["amount"])[keep]
    if opportunities is not None and not opportunities.empty:
        held = pd.DataFrame({"outcome_id": ids, "credit": shares, "amount": amounts}).groupby("outcome_id").sum()
        whole = pd.DataFrame({"outcome_id": opportunities["outcome_id"].to_numpy(dtype=object),
                              "amount": _zero_filled(opportunities["amount"])})
        whole = whole.groupby("outcome_id")["amount"].first()
        mine = held.reindex(whole.index)
        rest_credit = 1.0 - mine["credit"].fillna(0.0).to_numpy()
        rest_credit = np.where(rest_credit >= 0.0, rest_credit, 0.0)
        rest_amount = whole.to_numpy() - mine["amount"].fillna(0.0).to_numpy()
        rest_amount = np.where(rest_amount >= 0.0, rest_amount, 0.0)
        kept = (rest_credit > 1e-12) | (rest_amount > 1e-9)
        if kept.any():
            ids = np.concatenate([ids, whole.index.to_numpy(dtype=object)[kept]])
            labels = np.concatenate([labels, np.full(int(kept.sum()), not_credited, dtype=object)])
            shares = np.concatenate([shares, rest_credit[kept]])
            amounts = np.concatenate([amounts, rest_amount[kept]])
    if not len(ids):
        return None
    outcome_codes, outcomes = pd.factorize(ids, sort=True)
    group_codes, groups = pd.factorize(labels, sort=True)
    columns = bootstrap_columns(outcome_codes, len(outcomes), group_codes, len(groups), shares, amounts,
                                level=level, resamples=resamples, seed=seed)
    return pd.DataFrame({column: pd.Series(groups, dtype=object), **columns})


def _zero_filled(values: pd.Series) -> np.ndarray:
    values = values.astype("float64").to_numpy()
    return np.where(np.isnan(values), 0.0, values)


def with_intervals(table: pd.DataFrame, credit: pd.DataFrame, column: str, opportunities: pd.DataFrame | None,
                   not_credited: str, **options) -> pd.DataFrame:
    """``table`` (one row per ``column`` value) with the interval columns of :func:`attributed_intervals` added.

    A row the bootstrap never saw (cost, no credit) holds 0 in every replicate.
    """
    found = attributed_intervals(credit, column, opportunities, not_credited, **options)
    if not found.empty:
        # the left join by position (the bootstrap's groups are unique), unseen rows filled on arrays:
        # on the review's small tables the frame operations cost more than the bootstrap
        picked = found.set_index(column).reindex(table[column].to_numpy(dtype=object))
        unseen = picked["pipeline_13w_share_text"].isna().to_numpy()
        columns = {name: picked[name].to_numpy() for name in picked.columns}
        if unseen.any():
            for name, values in list(columns.items()):
                if name.endswith(("_low", "_high")):
                    columns[name] = np.where(unseen, 0.0, values)
            texts = columns["pipeline_13w_share_text"].astype(object)
            texts[unseen] = [share_text(s, 0.0, 0.0) for s in table["pipeline_13w_share"].to_numpy()[unseen]]
            columns["pipeline_13w_share_text"] = texts
        return table.assign(**columns)
    result = table.merge(found, on=column, how="left")
    unseen = result["pipeline_13w_share_text"].isna()
    if unseen.any():
        bounds = [c for c in found.columns if c.endswith(("_low", "_high"))]
        result.loc[unseen, bounds] = 0.0
        result.loc[unseen, "pipeline_13w_share_text"] = [
            share_text(s, 0.0, 0.0) for s in result.loc[unseen, "pipeline_13w_share"]]
    return result


def _renamed(name: str) -> str:
    for old, new in _NAMES.items():
        if name.startswith(old):
            return new + name[len(old):]
    return name


def share_text(share, low, high) -> str:
    """A share and its interval in plain words: ``41 % (33–49 %)``."""
    values = [share, low, high]
    if any(v is None or not np.isfinite(float(v)) for v in values):
        return format_percent(share) if share is not None else MISSING
    if low == high == share:  # nothing to draw (e.g. a row with cost and no credit): no range to show
        return format_percent(share)
    point, lower, upper = (format_percent(v).removesuffix(" %") for v in values)
    return f"{point} % ({lower}–{upper} %)"


def volume_note(model: str, opportunities: float) -> str | None:
    """A warning when a data-driven model's tables rest on fewer opportunities than the documented threshold."""
    if model not in DATA_DRIVEN_MODELS or opportunities >= MIN_DATA_DRIVEN_CONVERSIONS:
        return None
    return (f"The {model} model is data-driven and these tables rest on only {opportunities:,.0f} opportunities in "
            f"the 13 weeks (fewer than {MIN_DATA_DRIVEN_CONVERSIONS}, Google's minimum for data-driven attribution): "
            "its split can swing a lot with a few journeys. Read the ranges, or choose a rule-based model.")
