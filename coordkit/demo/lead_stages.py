"""Simulation, stage 5: each lead's lifecycle, Lead -> MQL -> SQL -> Opportunity -> Customer (``lead_stages.csv``).

The outcomes stay the skeleton (this stage draws from its own random stream,
so no other file changes): a lead that became an opportunity passed MQL and
SQL between its creation and its opportunity's, and becomes a Customer when
that opportunity is won (Disqualified when it is lost). A lead that never
became an opportunity stops at Lead, MQL or SQL; if the outcomes export shows
it Disqualified it was disqualified there, if Nurture it was moved to
HubSpot's ``Other`` lifecycle stage (out of the sales funnel), 20-45 days
after it came in; a Working lead is still open.

Planted fact, ``LAX``: emea's sales development accepted every MQL of the
leads created in April 2026 as SQL (a new SDR, a quota on accepted leads):
the MQLs that would not become opportunities were all accepted, against 15 %
otherwise. The lead-level funnel shows MQL -> SQL jump that month and
SQL -> Opportunity fall, while Lead -> opportunity conversion does not move:
more SQLs, not more pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.demo.settings import DAY, T_END, iso

PIPELINE = "Lead lifecycle"
STEPS = ("Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer")
LOST = "Disqualified"
MQL_P = 0.6  # a lead that never becomes an opportunity still becomes an MQL
SQL_P = 0.15  # ... and such an MQL is accepted as SQL
LAX = {"team": "emea", "month": "2026-04", "sql_p": 1.0}
NURTURE = "Other"  # HubSpot's lifecycle stage for contacts taken out of the sales funnel


def _month(ts: np.ndarray) -> np.ndarray:
    return np.asarray(ts, dtype=np.int64).astype("datetime64[s]").astype("datetime64[M]").astype(str)


def simulate_lead_lifecycle(rng, rows: pd.DataFrame) -> pd.DataFrame:
    """The canonical outcome_stages frame of every lead's lifecycle (pipeline ``Lead lifecycle``)."""
    is_lead = rows["kind"].to_numpy() == "lead"
    leads = rows[is_lead]
    opps = rows[~is_lead].drop_duplicates("lead_key").set_index("lead_key")
    n = len(leads)
    lead_ts = leads["ts"].to_numpy(dtype=np.int64)
    opp = opps.reindex(leads["lead_key"].to_numpy())
    converted = opp["ts"].notna().to_numpy()
    opp_ts = opp["ts"].fillna(-1).to_numpy(dtype=np.int64)
    opp_closed = opp["closed"].fillna(False).to_numpy(dtype=bool)
    opp_won = opp["won"].fillna(False).to_numpy(dtype=bool)
    close_ts = opp["close_ts"].fillna(-1).to_numpy(dtype=np.int64)
    lax = (leads["team"].to_numpy() == LAX["team"]) & (_month(lead_ts) == LAX["month"])

    # the draws are made for every lead, so a change to one rule never reshuffles the others
    u_mql, u_sql = rng.random(n), rng.random(n)
    mql_wait = (rng.gamma(2.0, 2.0, n) * DAY).astype(np.int64)
    sql_wait = (rng.gamma(2.0, 3.0, n) * DAY).astype(np.int64)
    split = rng.random((n, 2))
    disqualify_after = ((20 + 25 * rng.random(n)) * DAY).astype(np.int64)
    lead_stage = leads["stage"].to_numpy(dtype=object)
    disqualified = lead_stage == LOST
    stale = disqualified | (lead_stage == "Nurture")

    records = []
    ids = leads["outcome_id"].to_numpy(dtype=object)
    for i in range(n):
        start = lead_ts[i]
        records.append((ids[i], 0, start))
        if converted[i]:
            span = max(int(opp_ts[i] - start), 2)
            mql = start + max(int(span * 0.4 * split[i, 0]), 1)
            sql = mql + max(int((opp_ts[i] - mql) * (0.2 + 0.6 * split[i, 1])), 1)
            for step, at in ((1, mql), (2, sql)):
                if at < opp_ts[i]:  # an opportunity created with the lead skips them (rule 2 passes them)
                    records.append((ids[i], step, at))
            records.append((ids[i], 3, opp_ts[i]))
            if opp_closed[i]:
                records.append((ids[i], 4 if opp_won[i] else 5, close_ts[i]))
            continue
        end = start + disqualify_after[i] if stale[i] else T_END
        at = start
        for step, chance, wait in ((1, MQL_P, mql_wait[i]), (2, LAX["sql_p"] if lax[i] else SQL_P, sql_wait[i])):
            draw = u_mql[i] if step == 1 else u_sql[i]
            if draw >= chance or at + wait >= end:
                break
            at = at + wait
            records.append((ids[i], step, at))
        if stale[i]:
            records.append((ids[i], 5 if disqualified[i] else 6, end))

    rec = pd.DataFrame(records, columns=["outcome_id", "code", "ts"])
    rec = rec.sort_values(["outcome_id", "ts", "code"], kind="stable").reset_index(drop=True)
    names = np.array([*STEPS, LOST, NURTURE], dtype=object)
    code = rec["code"].to_numpy()
    return pd.DataFrame(
        {
            "outcome_id": rec["outcome_id"].to_numpy(dtype=object),
            "stage": names[code],
            "entered_at": iso(rec["ts"].to_numpy(dtype=np.int64)),
            "stage_order": np.where(code <= 4, (code + 1).astype(str), ""),
            "pipeline": PIPELINE,
        }
    )


def truth_lead_lifecycle(rows: pd.DataFrame, stages: pd.DataFrame) -> dict:
    """The planted lead-level fact, measured on the written lifecycle (furthest step per lead)."""
    leads = rows[rows["kind"] == "lead"].set_index("outcome_id")
    order = pd.to_numeric(stages["stage_order"], errors="coerce")
    furthest = order.groupby(stages["outcome_id"]).max().reindex(leads.index)
    month = pd.Series(_month(leads["ts"].to_numpy()), index=leads.index)
    in_team = (leads["team"] == LAX["team"]).to_numpy()

    def rates(mask) -> dict:
        far = furthest[mask]
        mql, sql, opp = int((far >= 2).sum()), int((far >= 3).sum()), int((far >= 4).sum())
        return {
            "leads": int(mask.sum()),
            "mql": mql,
            "sql": sql,
            "opportunities": opp,
            "mql_to_sql": round(sql / mql, 3) if mql else None,
            "sql_to_opportunity": round(opp / sql, 3) if sql else None,
            "lead_to_opportunity": round(opp / int(mask.sum()), 3) if mask.sum() else None,
        }

    baseline_months = [f"2026-{m:02d}" for m in range(1, 10) if f"2026-{m:02d}" != LAX["month"]]
    per_month = {m: rates(in_team & (month == m).to_numpy()) for m in [*baseline_months, LAX["month"]]}
    mean = lambda key: round(float(np.mean([per_month[m][key] for m in baseline_months])), 3)
    return {
        "pipeline": PIPELINE,
        "stages": list(STEPS),
        "lost_stages": [LOST, NURTURE],
        "rows": len(stages),
        "leads_with_history": int(stages["outcome_id"].nunique()),
        "customers": int((furthest >= 5).sum()),
        "lax_qualification": {
            "team": LAX["team"],
            "cohort_month": LAX["month"],
            "planted": f"{LAX['team']} leads created in {LAX['month']} that never became opportunities were accepted "
            f"as SQL at {LAX['sql_p']:.0%} of their MQLs instead of {SQL_P:.0%}: more SQLs, no more opportunities",
            "cohort": per_month[LAX["month"]],
            "baseline_months": baseline_months,
            "baseline_mql_to_sql_mean": mean("mql_to_sql"),
            "baseline_sql_to_opportunity_mean": mean("sql_to_opportunity"),
            "baseline_lead_to_opportunity_mean": mean("lead_to_opportunity"),
            "per_month": per_month,
        },
    }
