"""Funnel by creation cohort: how the outcomes created in a week (or month) moved through the stages.

Definitions (``docs/pipeline.md`` compares them with HubSpot's funnel reports):

* **cohort**: outcomes created in the period (``created_at``), per pipeline and
  segment; ``cohort_size`` = those with a stage history.
* **reached** a step: the outcome entered that stage or any later one (skipped
  stages are passed, ``coordkit.model.stage_history`` rule 2).
* **next-step conversion** of a step = reached the next step / reached this one.
* **cumulative conversion** of a step = reached this step / reached the first.
* **won conversion** of a step = reached the won step / reached this one
  (e.g. Proposal -> Closed Won).
* **days to reach**: median days from ``created_at`` to reaching the step.
* **still open**: reached the step, sits in it now, not closed; ``open_share``
  = still open / reached. A next-step rate with ``open_share`` above
  ``provisional_share`` (default 10 %) is *provisional*: those outcomes may
  still move on, so the rate is kept out of the XmR limits and its judgement;
  so is a rate from fewer than ``min_reached`` outcomes (default 5).
* **XmR judgement**: per pipeline, segment and step, the series of next-step
  rates of the settled cohorts, judged with ``compute_xmr`` (limits from all
  settled cohorts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.analysis.pipeline_data import (
    PipelineData,
    days_between,
    period_start,
    pipeline_orders,
    segments_of,
)
from coordkit.analysis.funnel_store import FUNNEL_COLUMNS
from coordkit.analysis.signals import compute_xmr
from coordkit.model.stage_history import won_step_of

__all__ = ["FUNNEL_COLUMNS", "compute_funnel", "funnel_signals"]

def compute_funnel(
    data: PipelineData,
    grain: str = "week",
    by: str | None = None,
    provisional_share: float = 0.10,
    min_reached: int = 5,
) -> pd.DataFrame:
    """One row per (pipeline, segment, cohort, step); columns :data:`FUNNEL_COLUMNS`."""
    outcomes = data.outcomes.assign(
        segment=segments_of(data.outcomes, by), cohort=period_start(data.outcomes["created_at"], grain)
    )
    hist = data.history.merge(outcomes[["outcome_id", "segment", "cohort", "created_at"]], on="outcome_id")
    if hist.empty:
        return pd.DataFrame(columns=FUNNEL_COLUMNS)
    hist["days_to_reach"] = days_between(hist["created_at"], hist["reached_at"])
    at_last = hist["step"] == hist["last_step"]
    hist["open_here"] = at_last & (hist["closed"] == "")
    hist["lost_here"] = at_last & (hist["closed"] == "lost")
    keys = ["pipeline", "segment", "cohort", "step"]
    grouped = hist.groupby(keys, sort=True).agg(
        stage=("stage", "first"),
        reached=("outcome_id", "size"),
        median_days_to_reach=("days_to_reach", "median"),
        still_open=("open_here", "sum"),
        lost_here=("lost_here", "sum"),
    )
    # every step of the pipeline for every cohort, even when nobody reached it
    orders = pipeline_orders(data)
    steps = {p: len(order) for p, order in orders.items()}
    names = {(p, i + 1): s for p, order in orders.items() for i, s in enumerate(order)}
    frames = []
    for (pipeline, segment, cohort), _ in hist.groupby(["pipeline", "segment", "cohort"], sort=True):
        frames.append(
            pd.DataFrame({"pipeline": pipeline, "segment": segment, "cohort": cohort, "step": np.arange(1, steps[pipeline] + 1)})
        )
    full = pd.concat(frames, ignore_index=True).merge(grouped.reset_index(), on=keys, how="left")
    full["stage"] = [names.get((p, s), "") for p, s in zip(full["pipeline"], full["step"])]
    for column in ("reached", "still_open", "lost_here"):
        full[column] = full[column].fillna(0).astype(int)
    group = full.groupby(["pipeline", "segment", "cohort"], sort=False)
    full["cohort_size"] = group["reached"].transform("first")
    full["advanced"] = group["reached"].shift(-1)
    full["next_stage"] = group["stage"].shift(-1).fillna("")
    with np.errstate(divide="ignore", invalid="ignore"):
        full["next_step_conversion"] = np.where(full["reached"] > 0, full["advanced"] / full["reached"], np.nan)
        full["cumulative_conversion"] = np.where(full["cohort_size"] > 0, full["reached"] / full["cohort_size"], np.nan)
        full["open_share"] = np.where(full["reached"] > 0, full["still_open"] / full["reached"], np.nan)
    last = full["advanced"].isna()
    full.loc[last, "next_step_conversion"] = np.nan
    full["advanced"] = full["advanced"].fillna(0).astype(int)
    won_step = {p: won_step_of(order) for p, order in orders.items()}
    is_won_step = full["step"].to_numpy() == full["pipeline"].map(won_step).to_numpy()
    won_reached = full["reached"].where(is_won_step).groupby([full["pipeline"], full["segment"], full["cohort"]]).transform("max")
    with np.errstate(divide="ignore", invalid="ignore"):
        full["won_conversion"] = np.where(full["reached"] > 0, won_reached.fillna(0) / full["reached"], np.nan)
    full["provisional"] = (full["open_share"] > provisional_share) | (full["reached"] < max(min_reached, 1))
    full = _judge(full)
    return full[list(FUNNEL_COLUMNS)].reset_index(drop=True)


def _judge(full: pd.DataFrame) -> pd.DataFrame:
    full = full.assign(xmr_centre=np.nan, xmr_lower=np.nan, xmr_upper=np.nan, xmr_rule="")
    settled = full[~full["provisional"] & full["next_step_conversion"].notna()]
    for _, series in settled.groupby(["pipeline", "segment", "step"], sort=False):
        if len(series) < 3:
            continue
        chart = compute_xmr(series["next_step_conversion"].to_numpy())
        index = series.index
        full.loc[index, "xmr_centre"] = chart["centre"].to_numpy()
        full.loc[index, "xmr_lower"] = chart["lower_limit"].to_numpy()
        full.loc[index, "xmr_upper"] = chart["upper_limit"].to_numpy()
        full.loc[index, "xmr_rule"] = chart["rule"].to_numpy()
    return full


def funnel_signals(funnel: pd.DataFrame, rule: str = "outside_limits") -> pd.DataFrame:
    """Settled cohort rates where ``rule`` fires (default: a point outside the natural process limits)."""
    hits = funnel[funnel["xmr_rule"].str.contains(rule, regex=False)]
    return hits.assign(direction=np.where(hits["next_step_conversion"] < hits["xmr_centre"], "down", "up"))
