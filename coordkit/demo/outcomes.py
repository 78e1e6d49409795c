"""Simulation, stage 3: touches become leads, leads become opportunities, opportunities close."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.demo.audience import TOUCH_VOLUME
from coordkit.demo.settings import (
    COLLAPSE_CHANNEL,
    COLLAPSE_TEAM,
    COLLAPSE_WEEK,
    DAY,
    HOUR,
    LEAD_REPEAT_GAP_DAYS,
    NO_OUTCOME_CAMPAIGN,
    SELLERS,
    T_END,
    TEAM_DEAL_MEDIAN,
    WEBINAR_ATTEND_LEAD_P,
    WEBINAR_LAG_WEEKS,
    WEBINAR_LEAD_OPP_P,
    week_of,
)

_ACTION_LEAD_P = {
    "view": 0.005,
    "open": 0.007,
    "click": 0.032,
    "visit": 0.025,
    "form": 0.30,
    "attend": 0.15,
}
_CHANNEL_LEAD_MULT = {
    "email": 0.8,
    "social": 0.5,
    "paid_search": 1.4,
    "paid_social": 3.0,
    "display": 0.5,
    "events": 1.0,
    "content": 1.0,
    "pr": 0.5,
}
#: share of a channel's leads that sales qualifies into an opportunity
_CHANNEL_OPP_RATE = {
    "email": 0.22,
    "social": 0.15,
    "paid_search": 0.38,
    "paid_social": 0.60,
    "display": 0.15,
    "events": 0.35,
    "content": 0.25,
    "pr": 0.20,
}


def _lead_triggers(rng, touches: pd.DataFrame, outputs: pd.DataFrame) -> pd.DataFrame:
    """Touches that tip their contact into becoming a lead (the causal link touches -> outcomes)."""
    out_row = touches["out_row"].to_numpy()
    action = touches["action"].to_numpy(dtype=object)
    kind = touches["kind"].to_numpy(dtype=object)
    channel = outputs["channel"].to_numpy(dtype=object)[out_row]
    # more touches would mean more leads; dividing by the volume factor keeps lead counts stable
    p = (
        pd.Series(action).map(_ACTION_LEAD_P).to_numpy(dtype=float)
        * pd.Series(channel).map(_CHANNEL_LEAD_MULT).to_numpy(dtype=float)
        / TOUCH_VOLUME
    )
    webinar_attend = (kind == "webinar") & (action == "attend")
    p[webinar_attend] = WEBINAR_ATTEND_LEAD_P
    p[(kind == "webinar") & (action == "form")] = 0.0  # webinar leads are created at attendance
    # planted: the brand campaign's touches have no effect at all
    p[outputs["campaign"].to_numpy()[out_row] == NO_OUTCOME_CAMPAIGN] = 0.0
    p[touches["account_only"].to_numpy()] = 0.0
    fired = rng.random(len(p)) < p
    instant = np.isin(action, ("form", "attend"))
    delay = np.where(
        instant, rng.random(len(p)) * 2 * HOUR, rng.exponential(1.5 * DAY, len(p))
    ).astype(np.int64)
    triggers = touches.loc[fired, ["out_row", "contact_row", "ts"]].copy()
    triggers["lead_ts"] = triggers["ts"].to_numpy() + delay[fired]
    triggers["webinar"] = webinar_attend[fired]
    return triggers[triggers["lead_ts"] < T_END].reset_index(drop=True)


def _dedupe_leads(triggers: pd.DataFrame) -> pd.DataFrame:
    """Keep a contact's first trigger, then the next one at least LEAD_REPEAT_GAP_DAYS later, and so on."""
    t = triggers.sort_values(["contact_row", "lead_ts"], kind="stable").reset_index(drop=True)
    contact, when = t["contact_row"].to_numpy(), t["lead_ts"].to_numpy()
    kept = np.zeros(len(t), dtype=bool)
    last_kept = np.full(
        int(contact.max()) + 1 if len(t) else 1, np.iinfo(np.int64).min // 2, dtype=np.int64
    )
    while True:  # at most N_DAYS / gap + 1 rounds
        eligible = np.flatnonzero(~kept & (when >= last_kept[contact] + LEAD_REPEAT_GAP_DAYS * DAY))
        if len(eligible) == 0:
            break
        _, first = np.unique(contact[eligible], return_index=True)
        chosen = eligible[first]
        kept[chosen] = True
        last_kept[contact[chosen]] = when[chosen]
    return t[kept].reset_index(drop=True)


def _systematic_select(rng, rate: np.ndarray, group: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Select each candidate with probability ``rate`` but spread evenly in time within each group.

    Sales qualifies a steady share of each channel's leads, so the count of
    opportunities tracks the lead volume closely instead of adding coin-flip noise.
    """
    selected = np.zeros(len(rate), dtype=bool)
    for g in sorted(set(group)):
        idx = np.flatnonzero(group == g)
        idx = idx[np.argsort(order[idx], kind="stable")]
        running = rng.random() + np.cumsum(rate[idx])
        selected[idx] = np.diff(np.floor(running), prepend=np.floor(running[0] - rate[idx][0])) >= 1
    return selected


def generate_outcomes(rng, touches, outputs, contacts) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leads from triggers; opportunities from leads (webinar route or channel route); deal fields."""
    leads = _dedupe_leads(_lead_triggers(rng, touches, outputs))
    src = leads["out_row"].to_numpy()
    channel = outputs["channel"].to_numpy(dtype=object)[src]
    team = contacts["team"].to_numpy(dtype=object)[leads["contact_row"].to_numpy()]
    webinar = leads["webinar"].to_numpy()
    n = len(leads)
    # webinar route: the planted two-week lag
    webinar_opp = webinar & (rng.random(n) < WEBINAR_LEAD_OPP_P)
    webinar_ts = (
        outputs["ts"].to_numpy()[src]
        + WEBINAR_LAG_WEEKS * 7 * DAY
        + (rng.random(n) * 20 * HOUR).astype(np.int64)
    )
    # channel route: qualified a few days to three weeks after the lead
    channel_ts = leads["lead_ts"].to_numpy() + ((3 + 15 * rng.random(n)) * DAY).astype(np.int64)
    rate = np.array([_CHANNEL_OPP_RATE[c] for c in channel])
    candidate = ~webinar & (channel_ts < T_END)
    channel_opp = np.zeros(n, dtype=bool)
    groups = np.array([f"{t}|{c}" for t, c in zip(team, channel)], dtype=object)
    channel_opp[candidate] = _systematic_select(
        rng, rate[candidate], groups[candidate], channel_ts[candidate]
    )
    opp_ts = np.where(webinar_opp, webinar_ts, channel_ts)
    is_opp = (webinar_opp | channel_opp) & (opp_ts < T_END)
    # planted collapse: north-america paid-social leads stop converting from the collapse week on
    collapsed = (
        (team == COLLAPSE_TEAM)
        & (channel == COLLAPSE_CHANNEL)
        & ~webinar
        & (week_of(opp_ts) >= COLLAPSE_WEEK)
    )
    leads["collapsed"] = is_opp & collapsed
    is_opp &= ~collapsed
    leads["team"], leads["channel"], leads["converted"] = team, channel, is_opp
    leads["opp_ts"] = np.where(is_opp, opp_ts, -1)
    leads["has_source"] = rng.random(n) < 0.85
    opps = leads[is_opp].reset_index(drop=True)
    return leads, opps


def deal_fields(rng, opps: pd.DataFrame) -> pd.DataFrame:
    """Amount, close date and result of each opportunity; open ones get an age-based stage."""
    n = len(opps)
    median = np.array([TEAM_DEAL_MEDIAN[t] for t in opps["team"]])
    amount = np.round(median * np.exp(0.4 * rng.standard_normal(n)) / 100) * 100
    close_ts = opps["opp_ts"].to_numpy() + (rng.gamma(2.0, 30.0, n) * DAY).astype(np.int64)
    won_p = np.where(
        np.isin(opps["channel"].to_numpy(dtype=object), ("events", "paid_search")), 0.38, 0.30
    )
    won = rng.random(n) < won_p
    closed = close_ts < T_END
    age_days = (T_END - opps["opp_ts"].to_numpy()) / DAY
    open_stage = np.select(
        [age_days < 14, age_days < 30, age_days < 60],
        ["Qualification", "Discovery", "Proposal"],
        "Negotiation",
    )
    opps = opps.copy()
    opps["amount"] = amount
    opps["closed"] = closed
    opps["won"] = won & closed
    opps["won_drawn"] = won  # an open deal's future result: keeps its stage history consistent
    opps["close_ts"] = np.where(closed, close_ts, -1)
    opps["stage"] = np.where(closed, np.where(won, "Closed Won", "Closed Lost"), open_stage)
    opps["owner"] = [SELLERS[t][i] for t, i in zip(opps["team"], rng.integers(0, 2, n))]
    opps["source_kept"] = opps["has_source"].to_numpy() & (rng.random(n) < 0.95)
    return opps


def _lead_stage(rng, leads: pd.DataFrame) -> np.ndarray:
    age_days = (T_END - leads["lead_ts"].to_numpy()) / DAY
    stale = np.where(rng.random(len(leads)) < 0.7, "Disqualified", "Nurture")
    return np.where(
        leads["converted"].to_numpy(), "Converted", np.where(age_days > 45, stale, "Working")
    )


def outcome_rows(rng, leads, opps, outputs, contacts) -> pd.DataFrame:
    """Leads and opportunities as one canonical outcomes table (plus contact_email), sorted by time."""
    out_cols = outputs[
        ["campaign", "utm_source", "utm_medium", "utm_campaign", "utm_content"]
    ].to_numpy(dtype=object)

    def block(frame, kind, ts, has_source):
        c = frame["contact_row"].to_numpy()
        source = out_cols[frame["out_row"].to_numpy()].copy()
        source[~has_source] = ""
        df = pd.DataFrame(
            {
                "kind": kind,
                "ts": ts,
                "contact_id": contacts["contact_id"].to_numpy(dtype=object)[c],
                "contact_email": contacts["email"].to_numpy(dtype=object)[c],
                "account_id": contacts["account_id"].to_numpy(dtype=object)[c],
                "team": frame["team"].to_numpy(dtype=object),
                "channel": frame["channel"].to_numpy(
                    dtype=object
                ),  # hidden: the generating channel
                "webinar": frame["webinar"].to_numpy(),
                "lead_key": frame.index.to_numpy()
                if kind == "lead"
                else frame["lead_key"].to_numpy(),
            }
        )
        for j, col in enumerate(
            ("campaign", "utm_source", "utm_medium", "utm_campaign", "utm_content")
        ):
            df[col] = source[:, j]
        return df

    lead_df = block(leads, "lead", leads["lead_ts"].to_numpy(), leads["has_source"].to_numpy())
    lead_df["amount"], lead_df["stage"] = np.nan, _lead_stage(rng, leads)
    lead_df["close_ts"], lead_df["won"], lead_df["closed"] = -1, False, False
    lead_df["won_drawn"] = False
    lead_df["owner"] = [SELLERS[t][0] for t in lead_df["team"]]  # the team's SDR works new leads
    opp_df = block(opps, "opportunity", opps["opp_ts"].to_numpy(), opps["source_kept"].to_numpy())
    for col in ("amount", "stage", "close_ts", "won", "won_drawn", "closed", "owner"):
        opp_df[col] = opps[col].to_numpy()
    rows = pd.concat([lead_df, opp_df], ignore_index=True).sort_values(
        ["ts", "kind", "contact_id"], kind="stable"
    )
    rows = rows.reset_index(drop=True)
    counter = rows.groupby("kind").cumcount() + 1
    rows["outcome_id"] = [
        f"{'LEAD' if k == 'lead' else 'OPP'}-{i:06d}" for k, i in zip(rows["kind"], counter)
    ]
    return rows


def opp_lead_key(leads: pd.DataFrame) -> pd.DataFrame:
    leads = leads.copy()
    leads["lead_key"] = leads.index.to_numpy()
    return leads


