"""Simulation, stage 2: the contacts and the touches outputs earn from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.demo.settings import (
    DAY,
    HOUR,
    N_DAYS,
    NO_OUTCOME_CAMPAIGN,
    T_END,
    T_START,
    pick_from,
)

_CONTACT_POOLS = (  # pool name, team, contacts, accounts
    ("emea", "emea", 5200, 850),
    ("north-america", "north-america", 7000, 1150),
    ("apac", "apac", 5300, 850),
    ("brand-audience", "emea", 2500, 650),  # reached only by the always-on brand campaign
)
_FIRST = (
    "ana",
    "ben",
    "chloe",
    "david",
    "emma",
    "farid",
    "grace",
    "hugo",
    "ines",
    "jack",
    "keiko",
    "leo",
    "mia",
    "noah",
    "olga",
    "pablo",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "umar",
    "vera",
    "will",
    "yuki",
    "zoe",
)
_LAST = (
    "adams",
    "bauer",
    "costa",
    "dubois",
    "evans",
    "fischer",
    "garcia",
    "hansen",
    "ito",
    "jensen",
    "kim",
    "lopez",
    "moreau",
    "nguyen",
    "okafor",
    "patel",
    "quist",
    "rossi",
    "smith",
    "tanaka",
    "ueda",
    "weber",
)
_ORG = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
)


def generate_contacts(rng) -> pd.DataFrame:
    """~20k contacts in accounts; each contact belongs to one pool (team) and has an engagement level."""
    frames, account_offset = [], 0
    for pool, team, n_contacts, n_accounts in _CONTACT_POOLS:
        # skewed account sizes: a few big accounts, many small ones
        account = account_offset + np.floor(n_accounts * rng.random(n_contacts) ** 1.6).astype(
            np.int64
        )
        frames.append(
            pd.DataFrame(
                {
                    "pool": pool,
                    "team": team,
                    "account_n": account,
                    "engagement": rng.gamma(0.7, 1.0, n_contacts),
                }
            )
        )
        account_offset += n_accounts
    contacts = pd.concat(frames, ignore_index=True)
    n = len(contacts)
    # ids are shuffled so they do not reveal the pool
    contacts["contact_id"] = np.array([f"C-{i:06d}" for i in rng.permutation(n) + 1], dtype=object)
    contacts["account_id"] = np.array(
        [f"ACC-{a + 1:05d}" for a in contacts["account_n"]], dtype=object
    )
    first = np.asarray(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last = np.asarray(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
    org = np.asarray(_ORG, dtype=object)[contacts["account_n"].to_numpy() % len(_ORG)]
    contacts["email"] = [
        f"{f}.{l}{i % 97}@{o}{a}.example"
        for f, l, o, a, i in zip(first, last, org, contacts["account_n"], range(n))
    ]
    return contacts


# ================================================================ touchpoints
_TOUCHES_PER_OUTPUT = {  # kind -> expected touches by known contacts
    "email": 150,
    "post": 30,
    "video": 35,
    "ad": 85,
    "event": 70,
    "webinar": 130,
    "blog": 45,
    "press_release": 30,
}
_BRAND_TOUCHES_PER_POST = 55
TOUCH_VOLUME = 1.12  # scales every output's touches to land near 150k in all
_ACTIONS = {  # kind -> (actions, probabilities)
    "email": (("open", "click"), (0.72, 0.28)),
    "post": (("view", "click"), (0.6, 0.4)),
    "video": (("view", "click"), (0.7, 0.3)),
    "ad": (("view", "click", "form"), (0.5, 0.45, 0.05)),
    "event": (("attend",), (1.0,)),
    "webinar": (("form", "attend"), (0.42, 0.58)),  # registrations before, attendance on the day
    "blog": (("visit", "view", "form"), (0.8, 0.15, 0.05)),
    "press_release": (("visit",), (1.0,)),
}
_MEAN_DELAY_DAYS = {"email": 0.8, "post": 1.0, "video": 3.0, "blog": 10.0, "press_release": 3.0}
_AD_FLIGHT_DAYS = 28


def _touch_delays(rng, kind: np.ndarray, action: np.ndarray) -> np.ndarray:
    """Seconds between an output going out and a touch on it, by kind."""
    n = len(kind)
    delay = np.zeros(n)
    for k, mean in _MEAN_DELAY_DAYS.items():
        mask = kind == k
        delay[mask] = np.minimum(rng.exponential(mean * DAY, int(mask.sum())), 120 * DAY)
    ads = kind == "ad"
    delay[ads] = (
        rng.random(int(ads.sum())) * _AD_FLIGHT_DAYS * DAY
    )  # ads run for a four-week flight
    live = (kind == "event") | ((kind == "webinar") & (action == "attend"))
    delay[live] = rng.random(int(live.sum())) * 2 * HOUR
    registration = (kind == "webinar") & (action == "form")
    delay[registration] = -(1 + 9 * rng.random(int(registration.sum()))) * DAY
    return delay.astype(np.int64)


def _assign_contacts(rng, team_pool: np.ndarray, contacts: pd.DataFrame) -> np.ndarray:
    """Row index into ``contacts`` for each touch, drawn from its pool by engagement."""
    result = np.empty(len(team_pool), dtype=np.int64)
    for pool in sorted(set(team_pool)):
        mask = team_pool == pool
        members = np.flatnonzero(contacts["pool"].to_numpy() == pool)
        weights = contacts["engagement"].to_numpy()[members]
        result[mask] = members[pick_from(rng, weights, int(mask.sum()))]
    return result


def generate_touchpoints(
    rng, outputs: pd.DataFrame, contacts: pd.DataFrame, calendar
) -> pd.DataFrame:
    """~150k touches on outputs by contacts of the output's team, with weekday and holiday rhythm."""
    kind = outputs["kind"].to_numpy(dtype=object)
    expected = np.array([_TOUCHES_PER_OUTPUT[k] for k in kind], dtype=float)
    expected[outputs["campaign"].to_numpy() == NO_OUTCOME_CAMPAIGN] = _BRAND_TOUCHES_PER_POST
    expected *= TOUCH_VOLUME
    # some outputs land, some do not; paid ads run on steady budgets, so they vary less
    spread = np.where(kind == "ad", 0.15, 0.4)
    expected *= np.exp(spread * rng.standard_normal(len(kind)))
    n_touches = rng.poisson(expected)
    src = np.repeat(np.arange(len(outputs)), n_touches)
    t_kind = kind[src]
    action = np.empty(len(src), dtype=object)
    for k, (values, probs) in _ACTIONS.items():
        mask = t_kind == k
        action[mask] = np.asarray(values, dtype=object)[pick_from(rng, probs, int(mask.sum()))]
    ts = outputs["ts"].to_numpy()[src] + _touch_delays(rng, t_kind, action)
    # people touch less at weekends and over the holidays; live events happen when scheduled
    day = (ts - T_START) // DAY
    in_span = (ts >= T_START) & (ts < T_END)
    day_c = np.clip(day, 0, N_DAYS - 1)
    scheduled = np.isin(t_kind, ("event", "webinar"))
    keep_p = np.where(calendar["weekday"].to_numpy()[day_c] >= 5, 0.3, 1.0)
    keep_p = np.where(calendar["holiday"].to_numpy()[day_c], keep_p * 0.3, keep_p)
    keep = in_span & ((rng.random(len(src)) < keep_p) | scheduled)
    src, action, ts, t_kind = src[keep], action[keep], ts[keep], t_kind[keep]
    team = outputs["team"].to_numpy(dtype=object)[src]
    pool = np.where(
        outputs["campaign"].to_numpy()[src] == NO_OUTCOME_CAMPAIGN, "brand-audience", team
    )
    contact_row = _assign_contacts(rng, pool, contacts)
    # ABM display impressions are known only at account level; they cannot make a person a lead
    account_only = (outputs["channel"].to_numpy(dtype=object)[src] == "display") & (
        action == "view"
    )
    account_only &= rng.random(len(src)) < 0.5
    touches = pd.DataFrame(
        {
            "out_row": src,
            "contact_row": contact_row,
            "ts": ts,
            "action": action,
            "kind": t_kind,
            "account_only": account_only,
        }
    )
    return touches.sort_values(["ts", "out_row", "contact_row"], kind="stable").reset_index(
        drop=True
    )


# ================================================================ outcomes
