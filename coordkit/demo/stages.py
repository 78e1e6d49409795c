"""Simulation, stage 4: each opportunity's path through the sales pipeline (``outcome_stages.csv``).

The close date and result drawn in ``outcomes`` stay the skeleton: a closed
opportunity's cycle (created -> closed) is split between the stages it went
through, an open one sits in the stage its age puts it in. Two facts are
planted here, plus the realism the stage-history rules must cope with:

* ``SLUMP``: north-america opportunities created in June 2026 lose most of the
  deals that reach Proposal: 80 % of those that would have been won are lost
  at Proposal instead (``won`` flips, the close date stays);
* ``STALL``: opportunities sourced by ``apac-search-always-on`` stall in
  Discovery: a closed one spends most of its cycle there, an open one stays
  there until it is 75 days old (others move on at 30 days);
* some won deals skip Discovery, and some deals move back from Proposal to
  Discovery and forward again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.demo.settings import DAY, T_END, iso

PIPELINE = "New business"
STAGES = ("Qualification", "Discovery", "Proposal", "Negotiation")
WON, LOST = "Closed Won", "Closed Lost"
#: age (days) at which an open opportunity enters Discovery, Proposal, Negotiation
OPEN_THRESHOLDS = (14, 30, 60)
STALL_THRESHOLDS = (14, 75, 105)
#: relative share of the cycle spent in each stage (Dirichlet weights)
STAGE_WEIGHTS = np.array([1.0, 1.2, 1.5, 1.0])
STALL_DISCOVERY_WEIGHT = 12.0
LOST_AT_P = np.array([0.35, 0.30, 0.20, 0.15])  # stage a lost deal is lost at
SKIP_DISCOVERY_P = 0.08  # won deals that go straight from Qualification to Proposal
BACKWARD_P = 0.05  # deals past Proposal that went back to Discovery once

SLUMP = {"team": "north-america", "month": "2026-06", "flip_share": 0.8}
STALL = {"campaign": "apac-search-always-on", "stage": "Discovery"}


def _month(ts: np.ndarray) -> np.ndarray:
    return np.asarray(ts, dtype=np.int64).astype("datetime64[s]").astype("datetime64[M]").astype(str)


def plant_slump(rng, rows: pd.DataFrame) -> pd.DataFrame:
    """Flip most would-be wins of the slump cohort to losses (close date unchanged)."""
    rows = rows.copy()
    cohort = (
        (rows["kind"].to_numpy() == "opportunity")
        & (rows["team"].to_numpy() == SLUMP["team"])
        & (_month(rows["ts"].to_numpy()) == SLUMP["month"])
    )
    flip = cohort & rows["won"].to_numpy() & (rng.random(len(rows)) < SLUMP["flip_share"])
    rows["won"] = rows["won"].to_numpy() & ~flip
    rows["slump_flipped"] = flip
    stage = rows["stage"].to_numpy(dtype=object).copy()
    stage[flip] = LOST
    rows["stage"] = stage
    return rows


def _open_stage(age_days: np.ndarray, stalled: np.ndarray) -> np.ndarray:
    thresholds = np.where(stalled[:, None], STALL_THRESHOLDS, OPEN_THRESHOLDS)
    return (age_days[:, None] >= thresholds).sum(axis=1)  # 0 = Qualification ... 3 = Negotiation


def simulate_stage_history(rng, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (rows with slump flips and stalled open stages, canonical outcome_stages frame)."""
    rows = plant_slump(rng, rows)
    opp = np.flatnonzero(rows["kind"].to_numpy() == "opportunity")
    n = len(opp)
    created = rows["ts"].to_numpy()[opp]
    close = rows["close_ts"].to_numpy()[opp]
    closed = rows["closed"].to_numpy()[opp]
    won = rows["won"].to_numpy()[opp]
    flipped = rows["slump_flipped"].to_numpy()[opp]
    late_logged = rows["close_logged_late"].to_numpy()[opp]
    stalled = rows["campaign"].to_numpy(dtype=object)[opp] == STALL["campaign"]

    # furthest open stage reached (0..3) and how the path ends
    lost_at = np.minimum(
        np.searchsorted(np.cumsum(LOST_AT_P), rng.random(n) * LOST_AT_P.sum(), side="right"), 3
    )
    lost_at = np.where(flipped, 2, lost_at)  # flipped: lost at Proposal
    lost_at = np.where(late_logged, 3, lost_at)  # shown in Negotiation by the first export
    age_days = (T_END - created) / DAY
    # an open deal moves on with age, but never past the stage it will later be lost at
    will_win = rows["won_drawn"].to_numpy()[opp] & ~flipped
    open_stage = np.minimum(_open_stage(age_days, stalled), np.where(will_win, 3, lost_at))
    furthest = np.where(closed, np.where(won, 3, lost_at), open_stage)

    weights = rng.gamma(np.tile(STAGE_WEIGHTS, (n, 1)) * np.where(stalled[:, None], [1, STALL_DISCOVERY_WEIGHT, 1, 1], 1))
    skip = closed & won & ~stalled & (rng.random(n) < SKIP_DISCOVERY_P)
    backward = (furthest >= 2) & ~skip & (rng.random(n) < BACKWARD_P)
    jitter = rng.random((n, 3)) * 3 * DAY

    records = []
    stage_names = np.array(STAGES, dtype=object)
    for i in range(n):
        k = int(furthest[i])
        if closed[i]:
            share = weights[i, : k + 1] / weights[i, : k + 1].sum()
            starts = created[i] + np.concatenate([[0], np.cumsum(share[:-1])]) * (close[i] - created[i])
        else:
            thresholds = STALL_THRESHOLDS if stalled[i] else OPEN_THRESHOLDS
            starts = created[i] + np.concatenate([[0], np.array(thresholds[:k]) * DAY - jitter[i, :k]])
        starts = starts.astype(np.int64)
        for s in range(k + 1):
            if s == 1 and skip[i]:
                continue
            records.append((opp[i], s, starts[s]))
        if backward[i]:
            # back to Discovery a third of the way through Proposal, forward again at two thirds
            end = starts[3] if k >= 3 else (close[i] if closed[i] else T_END - DAY)
            span = max(int(end - starts[2]), 3 * 3600)
            records.append((opp[i], 1, starts[2] + span // 3))
            records.append((opp[i], 2, starts[2] + 2 * span // 3))
        if closed[i]:
            records.append((opp[i], 4 if won[i] else 5, close[i]))

    rec = np.array(records, dtype=np.int64)
    ids = rows["outcome_id"].to_numpy(dtype=object)[rec[:, 0]]
    names = np.concatenate([stage_names, [WON, LOST]])[rec[:, 1]]
    order = np.where(rec[:, 1] <= 4, (rec[:, 1] + 1).astype(str), "")
    frame = pd.DataFrame(
        {
            "outcome_id": ids,
            "stage": names,
            "entered_at": iso(rec[:, 2]),
            "stage_order": order,
            "pipeline": PIPELINE,
        }
    )
    frame = frame.iloc[np.lexsort((rec[:, 1], rec[:, 2], ids.astype(str)))].reset_index(drop=True)

    # an open opportunity's stage column says where it sits now
    stage = rows["stage"].to_numpy(dtype=object).copy()
    is_open = ~closed
    stage[opp[is_open]] = stage_names[open_stage[is_open]]
    rows = rows.copy()
    rows["stage"] = stage
    rows["stage_skip"] = False
    rows["stage_backward"] = False
    rows.loc[opp[skip], "stage_skip"] = True
    rows.loc[opp[backward], "stage_backward"] = True
    return rows, frame


def truth_stages(rows: pd.DataFrame, stages: pd.DataFrame) -> dict:
    """The planted stage facts, measured on the written stage history (first entry per stage)."""
    opp = rows[rows["kind"] == "opportunity"].set_index("outcome_id")
    order = pd.to_numeric(stages["stage_order"], errors="coerce")
    furthest = order.groupby(stages["outcome_id"]).max()
    month = pd.Series(_month(opp["ts"].to_numpy()), index=opp.index)
    team = opp["team"]

    def rates(mask):
        ids = opp.index[mask]
        far = furthest.reindex(ids)
        proposal = int((far >= 3).sum())
        return {
            "reached_proposal": proposal,
            "reached_negotiation": int((far >= 4).sum()),
            "won": int((far >= 5).sum()),
            "proposal_to_negotiation": round(float((far >= 4).sum() / proposal), 3) if proposal else None,
            "proposal_to_won": round(float((far >= 5).sum() / proposal), 3) if proposal else None,
        }

    in_team = (team == SLUMP["team"]).to_numpy()
    baseline_months = [f"2026-{m:02d}" for m in range(1, 10) if f"2026-{m:02d}" != SLUMP["month"]]
    per_month = {m: rates(in_team & (month == m).to_numpy()) for m in [*baseline_months, SLUMP["month"]]}
    baseline = [per_month[m]["proposal_to_negotiation"] for m in baseline_months]

    first = stages.assign(t=pd.to_datetime(stages["entered_at"], utc=True)).drop_duplicates(["outcome_id", "stage"])
    first = first.sort_values(["outcome_id", "t"], kind="stable")
    first["next"] = first.groupby("outcome_id")["t"].shift(-1)
    disc = first[(first["stage"] == STALL["stage"]) & first["next"].notna()]
    days = (disc["next"] - disc["t"]).dt.total_seconds() / 86_400
    campaign = opp["campaign"].reindex(disc["outcome_id"]).to_numpy()
    is_stall = campaign == STALL["campaign"]
    open_stall = opp[(opp["campaign"] == STALL["campaign"]) & ~opp["closed"]]
    return {
        "pipeline": PIPELINE,
        "stages": [*STAGES, WON],
        "rows": len(stages),
        "opportunities_with_history": int(stages["outcome_id"].nunique()),
        "proposal_slump": {
            "team": SLUMP["team"],
            "cohort_month": SLUMP["month"],
            "planted": f"{SLUMP['team']} opportunities created in {SLUMP['month']} lose {SLUMP['flip_share']:.0%} "
            "of the deals that would have been won: they are lost at Proposal instead (won flips, close date kept)",
            "wins_flipped_to_losses": int(rows["slump_flipped"].sum()),
            "cohort": per_month[SLUMP["month"]],
            "baseline_months": baseline_months,
            "baseline_proposal_to_negotiation_mean": round(float(np.mean(baseline)), 3),
            "per_month": per_month,
        },
        "discovery_stall": {
            "campaign": STALL["campaign"],
            "stage": STALL["stage"],
            "planted": f"opportunities sourced by {STALL['campaign']} spend most of their cycle in {STALL['stage']} "
            f"(weight {STALL_DISCOVERY_WEIGHT:g} instead of {STAGE_WEIGHTS[1]:g}); open ones stay there until "
            f"{STALL_THRESHOLDS[1]} days old (others move on at {OPEN_THRESHOLDS[1]})",
            "finished_stays": int(is_stall.sum()),
            "median_days_in_stage": round(float(np.median(days[is_stall])), 1),
            "median_days_in_stage_other_campaigns": round(float(np.median(days[~is_stall])), 1),
            "open_opportunities": len(open_stall),
            "open_in_stage": int((open_stall["stage"] == STALL["stage"]).sum()),
        },
        "skipped_discovery": int(rows["stage_skip"].sum()),
        "moved_backwards": int(rows["stage_backward"].sum()),
    }
