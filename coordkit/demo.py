"""Deterministic synthetic demo workspace with planted, documented ground truth.

``generate_demo(directory)`` writes canonical CSVs (outputs, touchpoints,
outcomes, a later outcomes re-export, targets, spend plan) plus
``GROUND_TRUTH.md`` and ``ground_truth.json``. Later work (the weekly review,
"what moved", attribution) tests that it recovers what is planted here, so the
generator is a small causal simulation rather than random tables:

touches -> (per-touch chance) leads -> (per-channel qualification) opportunities

Everything derives from one seed through numpy's PCG64 generator; no clock,
locale or hash order is read, so the same seed gives byte-identical files.
See ``docs/demo-data.md`` for the story behind each number.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.contract import CHANNELS
from coordkit.errors import ParameterError

__all__ = ["DEFAULT_SEED", "generate_demo"]

DEFAULT_SEED = 20261116
GENERATOR_VERSION = 1

# ---------------------------------------------------------------- calendar
FIRST_MONDAY = np.datetime64("2025-09-29", "D")
N_WEEKS = 60
N_DAYS = 7 * N_WEEKS
DAY = 86_400
HOUR = 3_600
T_START = int(FIRST_MONDAY.astype("datetime64[s]").astype(np.int64))
T_END = T_START + N_DAYS * DAY  # exclusive: 2026-11-23T00:00:00Z; nothing happens after it
#: the first export is taken the Monday morning after the last complete week
BASE_EXPORT_AT = "2026-11-23T06:00:00Z"
UPDATE_EXPORT_AT = "2026-11-30T06:00:00Z"

# ---------------------------------------------------------------- cast
TEAMS = ("emea", "north-america", "apac")
TEAM_PREFIX = {"emea": "emea", "north-america": "na", "apac": "apac"}
# the contract's channels in its order, less the two a demo team does not run
CHANNELS_USED = tuple(c for c in CHANNELS if c not in ("direct_mail", "other"))
MARKETERS = {
    "emea": ("Sofia Marin", "Lukas Becker", "Amelie Dubois", "Tom Whitfield"),
    "north-america": ("Jordan Lee", "Maya Patel", "Chris Alvarez", "Dana Brooks"),
    "apac": ("Kenji Sato", "Priya Nair", "Liam Chen", "Aroha Ngata"),
}
SELLERS = {
    "emea": ("Elena Rossi", "Jonas Berg"),
    "north-america": ("Marcus Green", "Olivia Park"),
    "apac": ("Hiro Tanaka", "Mei Lin"),
}
#: UTC working-hour windows (start hour, length) so each team posts in its own daytime
TEAM_HOURS = {"emea": (7, 10), "north-america": (13, 10), "apac": (0, 10)}
TEAM_DEAL_MEDIAN = {"emea": 20_000.0, "north-america": 24_000.0, "apac": 15_000.0}

# ---------------------------------------------------------------- planted facts
WEBINAR_LAG_WEEKS = 2
WEBINAR_PERIOD_WEEKS = 5
WEBINAR_FIRST_WEEK = {"emea": 2, "north-america": 4, "apac": 1}
WEBINAR_ATTEND_LEAD_P = 0.30  # an attendee becomes a lead at the webinar ...
WEBINAR_LEAD_OPP_P = 0.25  # ... and such a lead becomes an opportunity exactly two weeks later
COLLAPSE_TEAM = "north-america"
COLLAPSE_CHANNEL = "paid_social"
COLLAPSE_WEEK = 58  # index of the week of Monday 2026-11-09 (ISO 2026-W46)
NO_OUTCOME_CAMPAIGN = "always-on-brand-awareness"
NO_OUTCOME_TEAM = "emea"
XSS = "<script>alert(1)</script>"
XSS_CAMPAIGN = f"apac-launch-teaser {XSS}"
LEAD_REPEAT_GAP_DAYS = 180  # a contact can become a lead again only after this long
LOOKBACK_DAYS = 90
HOLIDAY_WEEKS = (12, 13)  # 2025-12-22 and 2025-12-29: Christmas and New Year


@dataclass(frozen=True)
class Campaign:
    name: str
    team: str
    channel: str
    first_week: int
    last_week: int
    weight: float  # relative share of the team's regular outputs while active
    owner: str


# ================================================================ helpers
def _week_of(ts: np.ndarray) -> np.ndarray:
    """Index of the Monday-based week (0 = week of 2025-09-29) of UTC epoch seconds."""
    return (np.asarray(ts, dtype=np.int64) - T_START) // (7 * DAY)


def _monday(week: int) -> str:
    return str(FIRST_MONDAY + 7 * int(week))


def _iso_week(week: int) -> str:
    year, number, _ = _dt.date.fromisoformat(_monday(week)).isocalendar()
    return f"{year}-W{number:02d}"


def _iso(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SSZ`` strings (vectorised, locale-free)."""
    text = np.datetime_as_string(np.asarray(ts, dtype=np.int64).astype("datetime64[s]"), unit="s")
    return np.char.add(text, "Z")


def _money(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v:.2f}" for v in values], dtype=object)


def _count_text(values: np.ndarray) -> np.ndarray:
    """Integer counts as text; NaN (not applicable to this kind) as empty."""
    return np.array(["" if np.isnan(v) else str(int(v)) for v in values], dtype=object)


def _pick(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x categories) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    draws = rng.random(len(probabilities))[:, None]
    return np.minimum((draws > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _pick_from(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """``size`` draws of indices into ``weights`` (vectorised inverse CDF)."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    return np.minimum(
        np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right"),
        len(cumulative) - 1,
    )


def _day_calendar() -> pd.DataFrame:
    """Per day of the span: weekday, holiday flag and the seasonal activity level."""
    day = np.arange(N_DAYS)
    dates = FIRST_MONDAY + day
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    doy = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
    holiday = ((month == 12) & (dom >= 22)) | ((month == 1) & (dom <= 4))
    # summer dip centred on 20 July, slight growth across the span
    season = (1 - 0.35 * np.exp(-(((doy - 200) / 22.0) ** 2))) * (1 + 0.15 * day / N_DAYS)
    return pd.DataFrame({"day": day, "weekday": day % 7, "holiday": holiday, "season": season})


# ================================================================ campaigns
_ALWAYS_ON = (  # suffix, channel, weight
    ("newsletter", "email", 1.0),
    ("social-organic", "social", 1.0),
    ("search-always-on", "paid_search", 0.8),
    ("blog", "content", 0.7),
    ("press", "pr", 0.2),
    ("field-events", "events", 0.12),
    ("retargeting", "display", 0.5),
)
_PUSHES = (  # suffix, channel, first week, last week, weight
    ("q4-2025-prospecting", "paid_social", 0, 12, 1.2),
    ("q1-2026-product-launch", "paid_social", 14, 26, 1.2),
    ("q2-2026-abm", "display", 25, 38, 1.0),
    ("q3-2026-demand", "paid_social", 38, 49, 1.2),
    ("q4-2026-prospecting", "paid_social", 50, 59, 1.2),
)
#: how strongly each team leans on a channel; north-america is the paid-social team
_TEAM_CHANNEL_MULT = {
    "emea": {"email": 1.3, "content": 1.2, "paid_social": 0.6},
    "north-america": {"paid_social": 3.0},
    "apac": {"social": 1.3, "paid_search": 1.3, "paid_social": 0.6},
}


def _build_campaigns() -> list[Campaign]:
    """~40 campaigns: always-on programmes and quarterly pushes per team, plus the specials."""
    campaigns: list[Campaign] = []
    for team in TEAMS:
        prefix, mult = TEAM_PREFIX[team], _TEAM_CHANNEL_MULT[team]
        owners = MARKETERS[team]
        specs = [(s, c, 0, N_WEEKS - 1, w) for s, c, w in _ALWAYS_ON] + list(_PUSHES)
        for i, (suffix, channel, first, last, weight) in enumerate(specs):
            if team == "north-america" and suffix == "retargeting":
                channel = "paid_social"  # NA retargets on LinkedIn, not display
            campaigns.append(
                Campaign(
                    f"{prefix}-{suffix}",
                    team,
                    channel,
                    first,
                    last,
                    weight * mult.get(channel, 1.0),
                    owners[i % 4],
                )
            )
        # webinars are scheduled, not drawn, so weight 0 keeps regular outputs out of it
        campaigns.append(
            Campaign(f"{prefix}-webinar-series", team, "events", 0, N_WEEKS - 1, 0.0, owners[0])
        )
    campaigns.append(
        Campaign(
            NO_OUTCOME_CAMPAIGN, NO_OUTCOME_TEAM, "social", 0, N_WEEKS - 1, 0.0, "Amelie Dubois"
        )
    )
    campaigns.append(Campaign(XSS_CAMPAIGN, "apac", "social", 36, 36, 0.0, "Priya Nair"))
    return campaigns


# ================================================================ outputs
_KIND_BY_CHANNEL = {  # channel -> (kinds, probabilities)
    "email": (("email",), (1.0,)),
    "social": (("post", "video"), (0.9, 0.1)),
    "paid_search": (("ad",), (1.0,)),
    "paid_social": (("ad",), (1.0,)),
    "display": (("ad",), (1.0,)),
    "events": (("event",), (1.0,)),
    "content": (("blog", "video"), (0.8, 0.2)),
    "pr": (("press_release",), (1.0,)),
}
_PLATFORMS = {  # channel -> (platforms, probabilities)
    "email": (("Mailchimp",), (1.0,)),
    "social": (("LinkedIn", "X"), (0.7, 0.3)),
    "paid_search": (("Google Ads",), (1.0,)),
    "paid_social": (("LinkedIn Ads", "Meta Ads"), (0.7, 0.3)),
    "display": (("Google Display",), (1.0,)),
    "events": (("Eventbrite",), (1.0,)),
    "content": (("WordPress",), (1.0,)),
    "pr": (("PR Newswire",), (1.0,)),
}
_UTM_SOURCE = {
    "Mailchimp": "mailchimp",
    "LinkedIn": "linkedin",
    "X": "x",
    "Google Ads": "google",
    "LinkedIn Ads": "linkedin",
    "Meta Ads": "facebook",
    "Google Display": "google",
    "Eventbrite": "eventbrite",
    "Zoom": "zoom",
    "WordPress": "blog",
    "PR Newswire": "prnewswire",
}
_UTM_MEDIUM = {
    "email": "email",
    "social": "social",
    "paid_search": "cpc",
    "paid_social": "paid_social",
    "display": "display",
    "events": "event",
    "content": "content",
    "pr": "pr",
}
_COST_RANGE = {  # kind -> (low, high) cost per output
    "email": (40, 220),
    "post": (20, 150),
    "video": (900, 3500),
    "ad": (300, 2800),
    "event": (6000, 24000),
    "webinar": (1500, 4000),
    "blog": (250, 900),
    "press_release": (500, 1500),
}
_TOPICS = (
    "Pipeline forecasting",
    "Attribution, explained",
    "Q4 planning kit",
    "Customer story: Northwind",
    "Product update",
    "Data quality checklist",
    "ROI calculator",
    "Benchmark report 2026",
    "Campaign ops playbook",
    "Budget season",
    "Partner spotlight",
    "Integrations tour",
    "Analyst briefing",
    "Security & compliance",
    "Onboarding in a week",
    "Live demo",
)
_TEAM_HOURS_OFFSET = {t: TEAM_HOURS[t] for t in TEAMS}
_REGULAR_RATE = {
    "emea": 1.85,
    "north-america": 2.15,
    "apac": 1.5,
}  # outputs per full-season weekday
_BRAND_RATE = 1.1
_WEEKDAY_FACTOR = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.06, 0.04])
_HOLIDAY_OUTPUT_FACTOR = 0.03


def _daily_counts(rng, calendar: pd.DataFrame, rate: float) -> np.ndarray:
    level = rate * calendar["season"].to_numpy() * _WEEKDAY_FACTOR[calendar["weekday"].to_numpy()]
    level = np.where(calendar["holiday"].to_numpy(), level * _HOLIDAY_OUTPUT_FACTOR, level)
    return rng.poisson(level)


def _publish_seconds(rng, day: np.ndarray, team: str) -> np.ndarray:
    start, length = TEAM_HOURS[team]
    minutes = rng.integers(0, length * 60, size=len(day))
    return T_START + day.astype(np.int64) * DAY + start * HOUR + minutes * 60


def _regular_outputs(rng, calendar, campaigns: list[Campaign]) -> pd.DataFrame:
    """Outputs drawn per team and day, each assigned to one of the team's active campaigns."""
    frames = []
    for team in TEAMS:
        pool = [c for c in campaigns if c.team == team and c.weight > 0]
        day = np.repeat(
            calendar["day"].to_numpy(), _daily_counts(rng, calendar, _REGULAR_RATE[team])
        )
        week = day // 7
        active = np.array(
            [
                [c.weight if c.first_week <= w <= c.last_week else 0.0 for c in pool]
                for w in range(N_WEEKS)
            ]
        )
        chosen = _pick(rng, active[week])
        frames.append(
            pd.DataFrame(
                {
                    "team": team,
                    "campaign": [pool[i].name for i in chosen],
                    "channel": [pool[i].channel for i in chosen],
                    "owner_default": [pool[i].owner for i in chosen],
                    "ts": _publish_seconds(rng, day, team),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _brand_outputs(rng, calendar) -> pd.DataFrame:
    """The always-on brand campaign: a steady stream of organic posts (volume without outcomes)."""
    day = np.repeat(calendar["day"].to_numpy(), _daily_counts(rng, calendar, _BRAND_RATE))
    return pd.DataFrame(
        {
            "team": NO_OUTCOME_TEAM,
            "campaign": NO_OUTCOME_CAMPAIGN,
            "channel": "social",
            "owner_default": "Amelie Dubois",
            "ts": _publish_seconds(rng, day, NO_OUTCOME_TEAM),
        }
    )


def webinar_weeks(team: str) -> list[int]:
    """Week indices with a webinar: every fifth week from a team offset, none over the holidays."""
    weeks = range(WEBINAR_FIRST_WEEK[team], N_WEEKS, WEBINAR_PERIOD_WEEKS)
    return [w for w in weeks if w not in HOLIDAY_WEEKS]


def _webinar_outputs() -> pd.DataFrame:
    """Scheduled webinars: Wednesdays at 14:00 in the team's morning/afternoon."""
    rows = []
    for team in TEAMS:
        start, _ = TEAM_HOURS[team]
        for week in webinar_weeks(team):
            ts = T_START + (7 * week + 2) * DAY + (start + 4) * HOUR
            rows.append(
                (team, f"{TEAM_PREFIX[team]}-webinar-series", "events", MARKETERS[team][0], ts)
            )
    return pd.DataFrame(
        rows, columns=["team", "campaign", "channel", "owner_default", "ts"]
    ).assign(kind="webinar")


def _xss_output() -> pd.DataFrame:
    """One apac post whose campaign and title carry a script tag, to test report escaping."""
    ts = T_START + (7 * 36 + 2) * DAY + 3 * HOUR
    return pd.DataFrame(
        [("apac", XSS_CAMPAIGN, "social", "Priya Nair", ts, "post")],
        columns=["team", "campaign", "channel", "owner_default", "ts", "kind"],
    )


def _draw_by_channel(rng, channel: np.ndarray, table: dict) -> np.ndarray:
    result = np.empty(len(channel), dtype=object)
    for ch, (values, probs) in table.items():
        mask = channel == ch
        if mask.any():
            result[mask] = np.asarray(values, dtype=object)[_pick_from(rng, probs, int(mask.sum()))]
    return result


def _generate_outputs(rng, calendar, campaigns) -> pd.DataFrame:
    """All outputs with ids, kinds, owners, titles, costs and UTM-tagged URLs (delivery counts come later)."""
    drawn = pd.concat(
        [_regular_outputs(rng, calendar, campaigns), _brand_outputs(rng, calendar)],
        ignore_index=True,
    )
    channel = drawn["channel"].to_numpy(dtype=object)
    drawn["kind"] = _draw_by_channel(rng, channel, _KIND_BY_CHANNEL)
    out = pd.concat([drawn, _webinar_outputs(), _xss_output()], ignore_index=True)
    out = out.sort_values(["ts", "team", "campaign"], kind="stable").reset_index(drop=True)
    n = len(out)
    out["output_id"] = [f"OUT-{i:05d}" for i in range(1, n + 1)]
    channel = out["channel"].to_numpy(dtype=object)
    kind = out["kind"].to_numpy(dtype=object)
    platform = _draw_by_channel(rng, channel, _PLATFORMS)
    platform[kind == "webinar"] = "Zoom"
    out["platform"] = platform
    # the campaign owner ships most of its outputs; colleagues ship the rest
    colleague = np.array(
        [MARKETERS[t][i] for t, i in zip(out["team"], rng.integers(0, 4, n))], dtype=object
    )
    out["owner"] = np.where(
        rng.random(n) < 0.7, out["owner_default"].to_numpy(dtype=object), colleague
    )
    out["seq"] = out.groupby("campaign", sort=False).cumcount() + 1
    topic = np.asarray(_TOPICS, dtype=object)[rng.integers(0, len(_TOPICS), n)]
    label = pd.Series(kind).str.replace("_", " ").str.capitalize().to_numpy(dtype=object)
    out["title"] = [f"{lab}: {top} #{s}" for lab, top, s in zip(label, topic, out["seq"])]
    xss_row = out["campaign"] == XSS_CAMPAIGN
    out.loc[xss_row, "title"] = f"{XSS} Launch teaser"
    low = np.array([_COST_RANGE[k][0] for k in kind], dtype=float)
    high = np.array([_COST_RANGE[k][1] for k in kind], dtype=float)
    cost = np.round(low + (high - low) * rng.random(n), 2)
    out["cost"] = np.where(out["campaign"] == NO_OUTCOME_CAMPAIGN, np.round(cost * 0.6, 2), cost)
    out["utm_source"] = [_UTM_SOURCE[p] for p in platform]
    out["utm_medium"] = [_UTM_MEDIUM[c] for c in channel]
    out["utm_campaign"] = np.where(
        xss_row, "apac-launch-teaser", out["campaign"].to_numpy(dtype=object)
    )
    out["utm_content"] = [f"{k.replace('_', '-')}-{s:04d}" for k, s in zip(kind, out["seq"])]
    out["url"] = [
        f"https://www.brightwave.example/{c.split('-')[0]}/{k.replace('_', '-')}/{s}"
        f"?utm_source={us}&utm_medium={um}&utm_campaign={uc}&utm_content={ut}"
        for c, k, s, us, um, uc, ut in zip(
            out["utm_campaign"],
            kind,
            out["seq"],
            out["utm_source"],
            out["utm_medium"],
            out["utm_campaign"],
            out["utm_content"],
        )
    ]
    return out.drop(columns=["owner_default", "seq"])


# ================================================================ contacts
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


def _generate_contacts(rng) -> pd.DataFrame:
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
_TOUCH_VOLUME = 1.12  # scales every output's touches to land near 150k in all
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
        result[mask] = members[_pick_from(rng, weights, int(mask.sum()))]
    return result


def _generate_touchpoints(
    rng, outputs: pd.DataFrame, contacts: pd.DataFrame, calendar
) -> pd.DataFrame:
    """~150k touches on outputs by contacts of the output's team, with weekday and holiday rhythm."""
    kind = outputs["kind"].to_numpy(dtype=object)
    expected = np.array([_TOUCHES_PER_OUTPUT[k] for k in kind], dtype=float)
    expected[outputs["campaign"].to_numpy() == NO_OUTCOME_CAMPAIGN] = _BRAND_TOUCHES_PER_POST
    expected *= _TOUCH_VOLUME
    # some outputs land, some do not; paid ads run on steady budgets, so they vary less
    spread = np.where(kind == "ad", 0.15, 0.4)
    expected *= np.exp(spread * rng.standard_normal(len(kind)))
    n_touches = rng.poisson(expected)
    src = np.repeat(np.arange(len(outputs)), n_touches)
    t_kind = kind[src]
    action = np.empty(len(src), dtype=object)
    for k, (values, probs) in _ACTIONS.items():
        mask = t_kind == k
        action[mask] = np.asarray(values, dtype=object)[_pick_from(rng, probs, int(mask.sum()))]
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
        / _TOUCH_VOLUME
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


def _generate_outcomes(rng, touches, outputs, contacts) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        & (_week_of(opp_ts) >= COLLAPSE_WEEK)
    )
    leads["collapsed"] = is_opp & collapsed
    is_opp &= ~collapsed
    leads["team"], leads["channel"], leads["converted"] = team, channel, is_opp
    leads["opp_ts"] = np.where(is_opp, opp_ts, -1)
    leads["has_source"] = rng.random(n) < 0.85
    opps = leads[is_opp].reset_index(drop=True)
    return leads, opps


def _deal_fields(rng, opps: pd.DataFrame) -> pd.DataFrame:
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


def _outcome_rows(rng, leads, opps, outputs, contacts) -> pd.DataFrame:
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
    lead_df["owner"] = [SELLERS[t][0] for t in lead_df["team"]]  # the team's SDR works new leads
    opp_df = block(opps, "opportunity", opps["opp_ts"].to_numpy(), opps["source_kept"].to_numpy())
    for col in ("amount", "stage", "close_ts", "won", "closed", "owner"):
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


def _opp_lead_key(leads: pd.DataFrame) -> pd.DataFrame:
    leads = leads.copy()
    leads["lead_key"] = leads.index.to_numpy()
    return leads


# ================================================================ re-export
LATE_FIRST_WEEK, LATE_LAST_WEEK, LATE_SHARE = 50, 57, 0.05
UPDATE_FROM_WEEK = 48  # the re-export covers records created since 2026-08-31
LATE_CLOSE_SHARE = 0.5


def _plan_exports(rng, rows: pd.DataFrame) -> pd.DataFrame:
    """Mark late-arriving rows (missing from the first export) and closures logged late."""
    week = _week_of(rows["ts"].to_numpy())
    n = len(rows)
    rows = rows.copy()
    rows["late"] = (
        (week >= LATE_FIRST_WEEK) & (week <= LATE_LAST_WEEK) & (rng.random(n) < LATE_SHARE)
    )
    close_week = np.where(
        rows["close_ts"].to_numpy() >= 0, _week_of(rows["close_ts"].to_numpy()), -1
    )
    rows["close_logged_late"] = (
        rows["closed"].to_numpy()
        & (close_week >= COLLAPSE_WEEK)
        & ~rows["late"].to_numpy()
        & (rng.random(n) < LATE_CLOSE_SHARE)
    )
    return rows


def _canonical_outcomes(rows: pd.DataFrame, as_first_export: bool) -> pd.DataFrame:
    """Render rows in contract columns; the first export shows late-logged closures still open."""
    closed = rows["closed"].to_numpy().copy()
    stage = rows["stage"].to_numpy(dtype=object).copy()
    if as_first_export:
        hide = rows["close_logged_late"].to_numpy()
        closed[hide] = False
        stage[hide] = "Negotiation"
    close_ts = rows["close_ts"].to_numpy()
    is_opp = rows["kind"].to_numpy() == "opportunity"
    amount = rows["amount"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "outcome_id": rows["outcome_id"].to_numpy(dtype=object),
            "kind": rows["kind"].to_numpy(dtype=object),
            "created_at": _iso(rows["ts"].to_numpy()),
            "contact_id": rows["contact_id"].to_numpy(dtype=object),
            "contact_email": rows["contact_email"].to_numpy(dtype=object),
            "account_id": rows["account_id"].to_numpy(dtype=object),
            "amount": np.where(is_opp, ["" if np.isnan(a) else f"{a:.2f}" for a in amount], ""),
            "stage": stage,
            "closed_at": np.where(closed, _iso(np.maximum(close_ts, 0)), ""),
            "won": np.where(closed, np.where(rows["won"].to_numpy(), "true", "false"), ""),
            "team": rows["team"].to_numpy(dtype=object),
            "owner": rows["owner"].to_numpy(dtype=object),
            "campaign": rows["campaign"].to_numpy(dtype=object),
            "utm_source": rows["utm_source"].to_numpy(dtype=object),
            "utm_medium": rows["utm_medium"].to_numpy(dtype=object),
            "utm_campaign": rows["utm_campaign"].to_numpy(dtype=object),
            "utm_content": rows["utm_content"].to_numpy(dtype=object),
        }
    )


# ================================================================ canonical outputs / touchpoints
def _delivery_counts(rng, outputs: pd.DataFrame, touches: pd.DataFrame) -> pd.DataFrame:
    """Platform-reported counts, scaled up from the touches by known contacts (platforms see everyone)."""
    n = len(outputs)
    by_action = pd.crosstab(touches["out_row"], touches["action"]).reindex(range(n), fill_value=0)
    total = by_action.sum(axis=1).to_numpy(dtype=float)
    get = lambda a: by_action[a].to_numpy(dtype=float) if a in by_action else np.zeros(n)
    kind = outputs["kind"].to_numpy(dtype=object)
    u = lambda lo, hi: lo + (hi - lo) * rng.random(n)
    nan = np.full(n, np.nan)
    social, ad, email = np.isin(kind, ("post", "video")), kind == "ad", kind == "email"
    web, live = np.isin(kind, ("blog", "press_release")), np.isin(kind, ("event", "webinar"))
    impressions = np.where(social, total * u(40, 80), np.where(ad, total * u(80, 200), nan))
    reach = np.where(
        social | ad,
        impressions * u(0.4, 0.8),
        np.where(web, total * u(5, 10), np.where(live, get("attend") * 1.15, nan)),
    )
    clicks = np.where(social | ad | email, get("click") * u(1.5, 3.5), nan)
    opens = np.where(email, get("open") * u(2.5, 4.0), nan)
    engagements = np.where(social, clicks * u(1.5, 3.0), np.where(live, get("attend"), nan))
    counts = {
        "impressions": impressions,
        "reach": reach,
        "clicks": clicks,
        "opens": opens,
        "engagements": engagements,
    }
    return pd.DataFrame({k: _count_text(np.round(v)) for k, v in counts.items()})


def _canonical_outputs(rng, outputs, touches) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "output_id": outputs["output_id"],
            "published_at": _iso(outputs["ts"].to_numpy()),
            "channel": outputs["channel"],
            "kind": outputs["kind"],
            "campaign": outputs["campaign"],
            "platform": outputs["platform"],
            "owner": outputs["owner"],
            "team": outputs["team"],
            "title": outputs["title"],
            "cost": _money(outputs["cost"].to_numpy()),
            "url": outputs["url"],
            "utm_source": outputs["utm_source"],
            "utm_medium": outputs["utm_medium"],
            "utm_campaign": outputs["utm_campaign"],
            "utm_content": outputs["utm_content"],
        }
    )
    return pd.concat([frame, _delivery_counts(rng, outputs, touches)], axis=1)


def _canonical_touchpoints(rng, touches, outputs, contacts) -> pd.DataFrame:
    """Touches with three linking styles: output_id; UTM columns + URL; URL only (UTMs inside)."""
    n = len(touches)
    o, c = touches["out_row"].to_numpy(), touches["contact_row"].to_numpy()
    style = _pick_from(rng, (0.6, 0.25, 0.15), n)  # 0 = output_id, 1 = utm columns, 2 = url only
    account_only = touches["account_only"].to_numpy()
    utm = {
        col: outputs[col].to_numpy(dtype=object)[o]
        for col in ("utm_source", "utm_medium", "utm_campaign", "utm_content")
    }
    blank = np.full(n, "", dtype=object)
    frame = pd.DataFrame(
        {
            "touchpoint_id": np.char.add(
                "T-", np.char.zfill(np.arange(1, n + 1).astype(str), 7)
            ).astype(object),
            "contact_id": np.where(
                account_only, "", contacts["contact_id"].to_numpy(dtype=object)[c]
            ),
            "account_id": contacts["account_id"].to_numpy(dtype=object)[c],
            "touched_at": _iso(touches["ts"].to_numpy()),
            "output_id": np.where(style == 0, outputs["output_id"].to_numpy(dtype=object)[o], ""),
            "channel": np.where(style == 0, outputs["channel"].to_numpy(dtype=object)[o], ""),
            "url": np.where(style >= 1, outputs["url"].to_numpy(dtype=object)[o], ""),
            **{col: np.where(style == 1, values, "") for col, values in utm.items()},
            "action": touches["action"].to_numpy(dtype=object),
            "conversion_value": blank,
        }
    )
    return frame, account_only


# ================================================================ targets and spend
_METRICS = ("pipeline_created", "opportunities", "leads", "won_revenue")


def _weekly_metrics(rows: pd.DataFrame) -> pd.DataFrame:
    """Weekly leads, opportunities, pipeline created and won revenue per team (the final, clean state)."""
    week = _week_of(rows["ts"].to_numpy())
    is_opp = rows["kind"].to_numpy() == "opportunity"
    amount = np.nan_to_num(rows["amount"].to_numpy(dtype=float))
    created = pd.DataFrame(
        {
            "team": rows["team"],
            "week": week,
            "lead": ~is_opp,
            "opp": is_opp,
            "pipe": np.where(is_opp, amount, 0.0),
        }
    )
    agg = created.groupby(["team", "week"]).agg(
        leads=("lead", "sum"), opportunities=("opp", "sum"), pipeline_created=("pipe", "sum")
    )
    won = rows[rows["won"].to_numpy() & rows["closed"].to_numpy()]
    won_rev = pd.DataFrame(
        {"team": won["team"], "week": _week_of(won["close_ts"].to_numpy()), "w": won["amount"]}
    )
    won_rev = won_rev.groupby(["team", "week"])["w"].sum().rename("won_revenue")
    index = pd.MultiIndex.from_product([TEAMS, range(N_WEEKS)], names=["team", "week"])
    return agg.join(won_rev, how="outer").reindex(index).fillna(0.0)


def _targets(weekly: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """Plan = the team's average over the first 26 weeks, shaped by season, +10% ambition."""
    season = calendar.groupby(calendar["day"] // 7)["season"].mean().to_numpy()
    holiday_week = np.isin(np.arange(N_WEEKS), HOLIDAY_WEEKS)
    shape = np.where(holiday_week, 0.3, 1.0) * season / season[:26].mean()
    rows = []
    for team in (*TEAMS, "all"):
        series = weekly.groupby(level="week").sum() if team == "all" else weekly.loc[team]
        for metric in _METRICS:
            base = series[metric].to_numpy()[:26][~holiday_week[:26]].mean()
            for week in range(N_WEEKS):
                value = 1.1 * base * shape[week]
                value = (
                    round(value)
                    if metric in ("opportunities", "leads")
                    else round(value / 1000) * 1000
                )
                rows.append((_monday(week), metric, team, f"{float(value):.2f}"))
    return pd.DataFrame(rows, columns=["week", "metric", "team", "value"])


def _spend(rng, outputs: pd.DataFrame) -> pd.DataFrame:
    """Planned cost per week, team, channel and campaign: what was spent, give or take the plan's error."""
    week = _week_of(outputs["ts"].to_numpy())
    spent = (
        outputs.assign(week=week)
        .groupby(["week", "team", "channel", "campaign"], sort=True)["cost"]
        .sum()
        .reset_index()
    )
    planned = np.round(spent["cost"].to_numpy() * (0.85 + 0.3 * rng.random(len(spent))) / 50) * 50
    return pd.DataFrame(
        {
            "week": [_monday(w) for w in spent["week"]],
            "team": spent["team"],
            "channel": spent["channel"],
            "campaign": spent["campaign"],
            "planned_cost": _money(np.maximum(planned, 50.0)),
        }
    )


# ================================================================ messy rows
def _insert_rows(
    frame: pd.DataFrame, inserts: list[tuple[int, dict]]
) -> tuple[pd.DataFrame, list[int]]:
    """Insert rows before the given 0-based positions; return the frame and each row's spreadsheet row."""
    pieces, start, positions = [], 0, []
    for offset, (pos, row) in enumerate(sorted(inserts, key=lambda x: x[0])):
        pieces.append(frame.iloc[start:pos])
        pieces.append(pd.DataFrame([row], columns=frame.columns))
        positions.append(pos + offset + 2)  # header is row 1; earlier inserts shift later ones
        start = pos
    pieces.append(frame.iloc[start:])
    return pd.concat(pieces, ignore_index=True), positions


def _messy_outputs(outputs_csv: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    n = len(outputs_csv)
    template = outputs_csv.iloc[n // 3].to_dict()
    specs = [
        (
            n // 4,
            "published_at",
            "2026-02-30T10:00:00Z",
            "reject: unparseable date (30 February does not exist)",
        ),
        (n // 2, "cost", "-250.00", "reject: negative cost"),
        (
            3 * n // 4,
            "channel",
            "tiktok",
            "accept with a warning: unknown channel mapped to `other`",
        ),
    ]
    frame, log = _apply_messy("outputs.csv", outputs_csv, template, "output_id", "OUT-9", specs)
    # each extra row gets its own UTM tag, so linking touches by UTM stays unambiguous
    for entry in log:
        i = entry["row"] - 2
        tag = f"manual-{entry['id'].lower()}"
        frame.loc[i, "url"] = frame.loc[i, "url"].replace(template["utm_content"], tag)
        frame.loc[i, "utm_content"] = tag
    return frame, log


def _apply_messy(file, frame, template, id_col, id_prefix, specs):
    inserts = []
    for i, (pos, column, value, _) in enumerate(specs):
        row = dict(template)
        row[id_col] = f"{id_prefix}{i + 1:04d}"
        row[column] = value
        inserts.append((pos, row))
    frame, rows = _insert_rows(frame, inserts)
    log = [
        {
            "file": file,
            "row": r,
            "id": frame.iloc[r - 2][id_col],
            "column": column,
            "value": value,
            "expected": expected,
        }
        for r, (_, column, value, expected) in zip(rows, sorted(specs, key=lambda s: s[0]))
    ]
    return frame, log


def _messy_touchpoints(tp: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    n = len(tp)
    template = tp.iloc[n // 2].to_dict()
    specs = [
        (n // 5, "contact_id", "", "reject: neither contact_id nor account_id"),
        (3 * n // 5, "touched_at", "yesterday", "reject: unparseable date"),
        (4 * n // 5, "contact_id", "", "reject: neither contact_id nor account_id"),
    ]
    tp, log = _apply_messy("touchpoints.csv", tp, template, "touchpoint_id", "T-9", specs)
    for entry in log:
        if entry["column"] == "contact_id":
            tp.loc[entry["row"] - 2, "account_id"] = ""
            entry["column"], entry["value"] = "contact_id,account_id", ""
    return tp, log


def _messy_outcomes(oc: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    n = len(oc)
    opp_rows = np.flatnonzero(oc["kind"].to_numpy() == "opportunity")
    template = oc.iloc[opp_rows[len(opp_rows) // 2]].to_dict()
    specs = [
        (n // 5, "amount", "12k", "reject: unparseable number (write 12000)"),
        (
            2 * n // 5,
            "created_at",
            "2026-11-31T09:00:00Z",
            "reject: unparseable date (31 November does not exist)",
        ),
        (3 * n // 5, "amount", "-5000.00", "reject: negative amount"),
    ]
    oc, log = _apply_messy("outcomes.csv", oc, template, "outcome_id", "OPP-9", specs)
    # a duplicate id with a conflicting amount: an apac opportunity from spring 2026, re-listed later
    week = _week_of(rows["ts"].to_numpy())
    victim = rows[
        (rows["kind"] == "opportunity")
        & (rows["team"] == "apac")
        & (week >= 25)
        & (week <= 30)
        & ~rows["late"]
    ]
    first = oc.index[oc["outcome_id"] == victim["outcome_id"].iloc[0]][0]
    dup = oc.loc[first].to_dict()
    original_amount = dup["amount"]
    dup["amount"] = f"{float(original_amount) * 1.5:.2f}"
    pos = len(oc) - len(oc) // 10
    oc, (row,) = _insert_rows(oc, [(pos, dup)])
    log.append(
        {
            "file": "outcomes.csv",
            "row": row,
            "id": dup["outcome_id"],
            "column": "amount",
            "value": dup["amount"],
            "expected": f"reject: duplicate outcome_id with a conflicting amount (row {first + 2} has {original_amount}); "
            "keep the first",
            "first_row": int(first + 2),
        }
    )
    return oc, log


# ================================================================ ground truth
def _xmr(values: np.ndarray) -> dict:
    centre = float(np.mean(values))
    mr = float(np.mean(np.abs(np.diff(values))))
    return {
        "centre": round(centre, 2),
        "mean_moving_range": round(mr, 2),
        "lower_limit": round(centre - 2.66 * mr, 2),
        "upper_limit": round(centre + 2.66 * mr, 2),
    }


def _truth_collapse(weekly: pd.DataFrame, rows: pd.DataFrame, leads: pd.DataFrame) -> dict:
    team = weekly.loc[COLLAPSE_TEAM]
    baseline = range(COLLAPSE_WEEK - 12, COLLAPSE_WEEK)
    opp = rows[(rows["kind"] == "opportunity") & (rows["team"] == COLLAPSE_TEAM)]
    opp_week = _week_of(opp["ts"].to_numpy())
    ps = opp[opp["channel"] == COLLAPSE_CHANNEL]
    ps_week = _week_of(ps["ts"].to_numpy())
    return {
        "team": COLLAPSE_TEAM,
        "channel": COLLAPSE_CHANNEL,
        "from_week": _monday(COLLAPSE_WEEK),
        "from_iso_week": _iso_week(COLLAPSE_WEEK),
        "planted": "north-america leads whose source channel is paid_social are never qualified into an opportunity "
        "created on or after 2026-11-09 (conversion exactly 0)",
        "baseline_weeks": [_monday(baseline[0]), _monday(baseline[-1])],
        "paid_social_opportunities_per_week_baseline": round(
            float(np.mean([(ps_week == w).sum() for w in baseline])), 2
        ),
        "paid_social_opportunities_from_collapse_week": int((ps_week >= COLLAPSE_WEEK).sum()),
        "paid_social_share_of_team_opportunities_baseline": round(
            float(
                np.isin(ps_week, list(baseline)).sum()
                / max(1, np.isin(opp_week, list(baseline)).sum())
            ),
            3,
        ),
        "opportunities_suppressed": int(leads["collapsed"].sum()),
        "weekly": {
            metric: {
                _monday(w): float(team[metric].iloc[w]) for w in range(COLLAPSE_WEEK - 12, N_WEEKS)
            }
            for metric in ("opportunities", "pipeline_created")
        },
        "xmr_baseline_12_weeks": {
            metric: {
                **_xmr(team[metric].to_numpy()[list(baseline)]),
                "collapse_week_value": float(team[metric].iloc[COLLAPSE_WEEK]),
            }
            for metric in ("opportunities", "pipeline_created")
        },
    }


def _truth_webinars(weekly: pd.DataFrame, rows: pd.DataFrame, outputs: pd.DataFrame) -> dict:
    per_team, lifted, other, lifted_pipe, other_pipe = {}, [], [], [], []
    for team in TEAMS:
        weeks = webinar_weeks(team)
        per_team[team] = [_monday(w) for w in weeks]
        targets = {w + WEBINAR_LAG_WEEKS for w in weeks}
        for w in range(WEBINAR_LAG_WEEKS, N_WEEKS):
            if w in HOLIDAY_WEEKS or (team == COLLAPSE_TEAM and w >= COLLAPSE_WEEK):
                continue
            (lifted if w in targets else other).append(weekly.loc[(team, w), "opportunities"])
            (lifted_pipe if w in targets else other_pipe).append(
                weekly.loc[(team, w), "pipeline_created"]
            )
    webinar_opps = rows[(rows["kind"] == "opportunity") & rows["webinar"]]
    n_webinars = int((outputs["kind"] == "webinar").sum())
    return {
        "lag_weeks": WEBINAR_LAG_WEEKS,
        "webinar_weeks": per_team,
        "planted": f"each webinar attendee becomes a lead at the webinar with p={WEBINAR_ATTEND_LEAD_P} (if not a lead in "
        f"the last {LEAD_REPEAT_GAP_DAYS} days); such a lead becomes an opportunity with p={WEBINAR_LEAD_OPP_P}, created "
        f"exactly {WEBINAR_LAG_WEEKS} weeks (14 days + 0-20 h) after the webinar, same team",
        "webinars": n_webinars,
        "webinar_opportunities": len(webinar_opps),
        "webinar_opportunities_per_webinar": round(len(webinar_opps) / n_webinars, 2),
        "webinar_pipeline_per_webinar": round(float(webinar_opps["amount"].sum()) / n_webinars, 2),
        "comparison_note": "team-weeks from week 2 on, holidays and north-america from 2026-11-09 excluded",
        "mean_opportunities_two_weeks_after_webinar": round(float(np.mean(lifted)), 2),
        "mean_opportunities_other_weeks": round(float(np.mean(other)), 2),
        "mean_pipeline_two_weeks_after_webinar": round(float(np.mean(lifted_pipe)), 2),
        "mean_pipeline_other_weeks": round(float(np.mean(other_pipe)), 2),
    }


def _truth_no_outcome(outputs, touches, rows) -> dict:
    is_brand = outputs["campaign"].to_numpy() == NO_OUTCOME_CAMPAIGN
    counts = outputs.groupby("campaign").size().sort_values(ascending=False)
    return {
        "campaign": NO_OUTCOME_CAMPAIGN,
        "team": NO_OUTCOME_TEAM,
        "channel": "social",
        "outputs": int(is_brand.sum()),
        "outputs_rank_by_volume": int(list(counts.index).index(NO_OUTCOME_CAMPAIGN) + 1),
        "cost": round(float(outputs.loc[is_brand, "cost"].sum()), 2),
        "touchpoints": int(is_brand[touches["out_row"].to_numpy()].sum()),
        "outcomes_sourced": int((rows["campaign"] == NO_OUTCOME_CAMPAIGN).sum()),
        "outcomes_with_a_touch_in_lookback": 0,
        "planted": "its touches have zero effect on conversion and reach only a separate audience (2,500 contacts in "
        "650 accounts) that no other output touches, so no outcome shares a contact or account with it: zero credit "
        "under sourced, every touch-based model (90-day lookback) and account-level linking",
    }


def _iso_or_none(week: int) -> str:
    return f"{_monday(week)} ({_iso_week(week)})"


def _build_truth(
    seed, files, counts, weekly, weekly_base, rows, leads, outputs, touches, messy, calendar, extra
) -> dict:
    holiday_weeks = list(HOLIDAY_WEEKS)
    out_week = _week_of(outputs["ts"].to_numpy())
    out_weekday = ((outputs["ts"].to_numpy() - T_START) // DAY) % 7
    tp_weekday = ((touches["ts"].to_numpy() - T_START) // DAY) % 7
    month = outputs["ts"].to_numpy().astype("datetime64[s]").astype("datetime64[M]").astype(str)
    last = N_WEEKS - 1
    headline = lambda w: {t: {m: float(weekly.loc[(t, w), m]) for m in _METRICS} for t in TEAMS}
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "calendar": {
            "week_starts": "Monday",
            "time_zone": "UTC",
            "first_week": _monday(0),
            "last_week": _monday(last),
            "last_week_iso": _iso_week(last),
            "data_end": "2026-11-22T23:59:59Z",
            "weeks": N_WEEKS,
            "same_week_last_year": _monday(last - 52),
            "holiday_weeks": [_monday(w) for w in holiday_weeks],
            "first_export_at": BASE_EXPORT_AT,
            "update_export_at": UPDATE_EXPORT_AT,
        },
        "teams": list(TEAMS),
        "channels": list(CHANNELS_USED),
        "campaigns": int(outputs["campaign"].nunique()),
        "files": {k: Path(v).name for k, v in files.items()},
        "rows": counts,
        "contacts": extra["contacts"],
        "accounts": extra["accounts"],
        "planted": {
            "webinar_lift": _truth_webinars(weekly, rows, outputs),
            "paid_social_collapse": _truth_collapse(weekly, rows, leads),
            "activity_without_outcome": _truth_no_outcome(outputs, touches, rows),
        },
        "realism": {
            "output_share_on_weekends": round(float((out_weekday >= 5).mean()), 4),
            "touch_share_on_weekends": round(float((tp_weekday >= 5).mean()), 4),
            "outputs_in_holiday_weeks": {
                _monday(w): int((out_week == w).sum()) for w in holiday_weeks
            },
            "median_outputs_per_week": float(np.median(np.bincount(out_week, minlength=N_WEEKS))),
            "outputs_per_month": {m: int(c) for m, c in zip(*np.unique(month, return_counts=True))},
            "late_arriving_outcomes": extra["late"],
            "closures_logged_late": extra["late_closures"],
            "sourced_share_of_outcomes": round(float((rows["campaign"] != "").mean()), 3),
            "touchpoint_link_styles": extra["link_styles"],
            "account_only_touchpoints": extra["account_only"],
        },
        "messy_rows": messy,
        "special_rows": extra["special"],
        "weekly_metrics_note": "per team and week (created_at / closed_at in UTC, Monday weeks) after ingesting "
        "outcomes.csv then outcomes_update.csv, messy rows rejected, duplicate kept once",
        "headline_last_week": {"week": _monday(last), "metrics": headline(last)},
        "headline_same_week_last_year": {
            "week": _monday(last - 52),
            "metrics": headline(last - 52),
        },
        "weekly_metrics": {
            t: {m: [float(v) for v in weekly.loc[t][m].to_numpy()] for m in _METRICS} for t in TEAMS
        },
        "weekly_metrics_first_export_only": {
            t: {
                m: [float(v) for v in weekly_base.loc[t][m].to_numpy()]
                for m in ("leads", "opportunities", "pipeline_created")
            }
            for t in TEAMS
        },
    }


# ================================================================ markdown
def _truth_markdown(truth: dict) -> str:
    p = truth["planted"]
    web, col, aw = p["webinar_lift"], p["paid_social_collapse"], p["activity_without_outcome"]
    cal, rl = truth["calendar"], truth["realism"]
    xo, xp = (
        col["xmr_baseline_12_weeks"]["opportunities"],
        col["xmr_baseline_12_weeks"]["pipeline_created"],
    )
    lines = [
        "# Ground truth of the coordkit demo workspace",
        "",
        (
            f"Generated by `coordkit.demo.generate_demo` (seed {truth['seed']}, generator version "
            f"{truth['generator_version']}). Machine-readable twin: `ground_truth.json`. All weeks start on Monday, UTC."
        ),
        "",
        "## Calendar and size",
        (
            f"- {cal['weeks']} weeks from {cal['first_week']} to the week of {cal['last_week']} ({cal['last_week_iso']}), "
            f"data ends {cal['data_end']}; same week last year: {cal['same_week_last_year']}."
        ),
        f"- Christmas / New Year weeks {', '.join(cal['holiday_weeks'])} are almost empty.",
        f"- Teams: {', '.join(truth['teams'])}. Channels: {', '.join(truth['channels'])}. Campaigns: {truth['campaigns']}.",
        f"- Contacts touched: {truth['contacts']:,} in {truth['accounts']:,} accounts.",
        "",
        "| file | data rows | expected accepted | expected rejected |",
        "|---|---:|---:|---:|",
    ]
    for name, c in truth["rows"].items():
        lines.append(f"| {name} | {c['rows']:,} | {c['accepted']:,} | {c['rejected']:,} |")
    lines += [
        "",
        "## 1. Webinars lift pipeline two weeks later",
        f"- Planted: {web['planted']}.",
        (
            f"- Lag: **{web['lag_weeks']} weeks**. {web['webinars']} webinars (Wednesdays, channel `events`, kind `webinar`, "
            f"campaigns `*-webinar-series`) produced {web['webinar_opportunities']} opportunities: "
            f"{web['webinar_opportunities_per_webinar']} opportunities and {web['webinar_pipeline_per_webinar']:,.0f} of pipeline per webinar."
        ),
        (
            f"- Team-weeks two weeks after a webinar average {web['mean_opportunities_two_weeks_after_webinar']} opportunities "
            f"and {web['mean_pipeline_two_weeks_after_webinar']:,.0f} pipeline, other weeks {web['mean_opportunities_other_weeks']} "
            f"and {web['mean_pipeline_other_weeks']:,.0f} ({web['comparison_note']})."
        ),
        "- Leads jump in the webinar week itself (attendees become leads on the day).",
    ]
    for team, weeks in web["webinar_weeks"].items():
        lines.append(f"- {team} webinar weeks: {', '.join(weeks)}")
    lines += [
        "",
        "## 2. north-america paid_social conversion collapses in 2026-W46",
        f"- Planted: {col['planted']}; {col['opportunities_suppressed']} opportunities suppressed.",
        (
            f"- Baseline {col['baseline_weeks'][0]} .. {col['baseline_weeks'][1]}: paid_social gave "
            f"{col['paid_social_opportunities_per_week_baseline']} opportunities a week "
            f"({col['paid_social_share_of_team_opportunities_baseline']:.0%} of the team's); from {col['from_week']} "
            f"({col['from_iso_week']}) on: {col['paid_social_opportunities_from_collapse_week']}."
        ),
        (
            f"- XmR on the 12 baseline weeks: opportunities centre {xo['centre']}, limits {xo['lower_limit']} .. {xo['upper_limit']}; "
            f"week of {col['from_week']}: **{xo['collapse_week_value']:.0f}** (below the lower limit)."
        ),
        (
            f"- Pipeline created: centre {xp['centre']:,.0f}, lower limit {xp['lower_limit']:,.0f}; week of {col['from_week']}: "
            f"**{xp['collapse_week_value']:,.0f}** (below the lower limit)."
        ),
        "",
        "| week | opportunities | pipeline created |",
        "|---|---:|---:|",
    ]
    for week in col["weekly"]["opportunities"]:
        lines.append(
            f"| {week} | {col['weekly']['opportunities'][week]:.0f} | {col['weekly']['pipeline_created'][week]:,.0f} |"
        )
    lines += [
        "",
        f"## 3. Activity without outcome: `{aw['campaign']}`",
        (
            f"- Team {aw['team']}, channel {aw['channel']}: {aw['outputs']} outputs (rank {aw['outputs_rank_by_volume']} of all "
            f"campaigns by volume), {aw['touchpoints']:,} touchpoints, cost {aw['cost']:,.2f}, **0 outcomes**."
        ),
        f"- Planted: {aw['planted']}.",
        "",
        "## 4. Realism",
        f"- Weekends: {rl['output_share_on_weekends']:.1%} of outputs, {rl['touch_share_on_weekends']:.1%} of touchpoints.",
        (
            f"- Outputs in the holiday weeks: {rl['outputs_in_holiday_weeks']}; median week: {rl['median_outputs_per_week']:.0f}. "
            "Summer dip centred on 20 July (about -35%)."
        ),
        (
            f"- Late-arriving outcomes: {rl['late_arriving_outcomes']['count']} rows created {rl['late_arriving_outcomes']['created_from']} "
            f"to {rl['late_arriving_outcomes']['created_to']} are missing from outcomes.csv and first appear in outcomes_update.csv."
        ),
        (
            f"- Closures logged late: {rl['closures_logged_late']['count']} opportunities open in outcomes.csv are closed (won or lost, "
            f"closed_at in 2026-W46/W47) in outcomes_update.csv."
        ),
        (
            f"- outcomes_update.csv: {rl['late_arriving_outcomes']['update_rows']} rows = every record created or changed since "
            f"{rl['late_arriving_outcomes']['update_covers_from']} (unchanged, updated or new)."
        ),
        f"- Sourced attribution fields (campaign/UTM) on {rl['sourced_share_of_outcomes']:.0%} of outcomes.",
        f"- Touchpoint linking: {rl['touchpoint_link_styles']}; {rl['account_only_touchpoints']} account-only touches.",
        "",
        "## 5. Messy rows (spreadsheet row numbers, header = row 1)",
        "",
        "| file | row | id | column | value | expected |",
        "|---|---:|---|---|---|---|",
    ]
    for m in truth["messy_rows"]:
        lines.append(
            f"| {m['file']} | {m['row']} | {m['id']} | {m['column']} | `{m['value']}` | {m['expected']} |"
        )
    sp = truth["special_rows"]
    lines += [
        "",
        "## 6. Special rows",
        (
            f"- Script injection: outputs.csv row {sp['xss_output']['row']} ({sp['xss_output']['output_id']}) has campaign "
            f"and title containing `{XSS}`; reports must show it as text."
        ),
        (
            "- outcomes.csv and outcomes_update.csv carry `contact_email` (not in the contract); "
            "no rendered report may contain an e-mail address."
        ),
        "",
        f"## 7. Headline, week of {truth['headline_last_week']['week']} (after the update)",
        "",
        "| team | leads | opportunities | pipeline created | won revenue |",
        "|---|---:|---:|---:|---:|",
    ]
    for team, m in truth["headline_last_week"]["metrics"].items():
        lines.append(
            f"| {team} | {m['leads']:.0f} | {m['opportunities']:.0f} | {m['pipeline_created']:,.0f} | {m['won_revenue']:,.0f} |"
        )
    return "\n".join(lines) + "\n"


# ================================================================ entry point
def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def generate_demo(directory, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the demo workspace's CSVs and ground truth into ``directory``; return paths by table name.

    Keys: ``outputs``, ``touchpoints``, ``outcomes``, ``outcomes_update``,
    ``targets``, ``spend``, ``ground_truth`` (JSON) and ``ground_truth_md``.
    The same seed always gives byte-identical files.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative whole number; got {seed!r}")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ParameterError(
            f"{directory} exists and is not a folder; choose a folder for the demo data"
        )
    directory.mkdir(parents=True, exist_ok=True)

    # one independent stream per stage, so tuning one stage never reshuffles the others
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(12)]
    calendar = _day_calendar()
    campaigns = _build_campaigns()
    outputs = _generate_outputs(streams[0], calendar, campaigns)
    contacts = _generate_contacts(streams[1])
    touches = _generate_touchpoints(streams[2], outputs, contacts, calendar)
    leads, opps = _generate_outcomes(streams[3], touches, outputs, contacts)
    leads = _opp_lead_key(leads)
    opps = _deal_fields(
        streams[4], opps.assign(lead_key=leads.index[leads["converted"].to_numpy()])
    )
    rows = _plan_exports(streams[5], _outcome_rows(streams[6], leads, opps, outputs, contacts))

    outputs_csv, messy_out = _messy_outputs(_canonical_outputs(streams[7], outputs, touches))
    touch_csv, account_only = _canonical_touchpoints(streams[8], touches, outputs, contacts)
    touch_csv, messy_tp = _messy_touchpoints(touch_csv)
    base_rows = rows[~rows["late"].to_numpy()].reset_index(drop=True)
    outcomes_csv, messy_oc = _messy_outcomes(
        _canonical_outcomes(base_rows, as_first_export=True), base_rows
    )
    # the re-export holds every record created or changed since UPDATE_FROM_WEEK
    changed = (_week_of(rows["ts"].to_numpy()) >= UPDATE_FROM_WEEK) | rows[
        "close_logged_late"
    ].to_numpy()
    update_rows = rows[changed].reset_index(drop=True)
    update_csv = _canonical_outcomes(update_rows, as_first_export=False)
    weekly = _weekly_metrics(rows)
    weekly_base = _weekly_metrics(base_rows)
    targets_csv = _targets(weekly, calendar)
    spend_csv = _spend(streams[9], outputs)

    files = {
        name: directory / f"{name}.csv"
        for name in ("outputs", "touchpoints", "outcomes", "outcomes_update", "targets", "spend")
    }
    frames = {
        "outputs": outputs_csv,
        "touchpoints": touch_csv,
        "outcomes": outcomes_csv,
        "outcomes_update": update_csv,
        "targets": targets_csv,
        "spend": spend_csv,
    }
    for name, frame in frames.items():
        _write_csv(frame, files[name])

    messy = messy_out + messy_tp + messy_oc
    rejected = {
        f: sum(1 for m in messy if m["file"] == f and m["expected"].startswith("reject"))
        for f in ("outputs.csv", "touchpoints.csv", "outcomes.csv")
    }
    counts = {
        f"{name}.csv": {
            "rows": len(frame),
            "accepted": len(frame) - rejected.get(f"{name}.csv", 0),
            "rejected": rejected.get(f"{name}.csv", 0),
        }
        for name, frame in frames.items()
    }
    late = rows[rows["late"]]
    new_ids = set(update_csv["outcome_id"]) - set(outcomes_csv["outcome_id"])
    xss_row = int(np.flatnonzero(outputs_csv["campaign"].to_numpy() == XSS_CAMPAIGN)[0]) + 2
    extra = {
        "contacts": int(touches["contact_row"].nunique()),
        "accounts": int(contacts["account_id"].iloc[touches["contact_row"].unique()].nunique()),
        "late": {
            "count": len(late),
            "leads": int((late["kind"] == "lead").sum()),
            "opportunities": int((late["kind"] == "opportunity").sum()),
            "created_from": _monday(LATE_FIRST_WEEK),
            "created_to": str(FIRST_MONDAY + 7 * LATE_LAST_WEEK + 6),
            "update_rows": len(update_csv),
            "update_covers_from": _monday(UPDATE_FROM_WEEK),
            "new_in_update": len(new_ids),
        },
        "late_closures": {
            "count": int(rows["close_logged_late"].sum()),
            "won": int((rows["close_logged_late"] & rows["won"]).sum()),
            "outcome_ids": sorted(rows.loc[rows["close_logged_late"], "outcome_id"].tolist()),
        },
        "link_styles": {
            "output_id": int((touch_csv["output_id"] != "").sum()),
            "utm_columns_and_url": int((touch_csv["utm_campaign"] != "").sum()),
            "url_only": int(
                (
                    (touch_csv["output_id"] == "")
                    & (touch_csv["utm_campaign"] == "")
                    & (touch_csv["url"] != "")
                ).sum()
            ),
        },
        "account_only": int(account_only.sum()),
        "special": {
            "xss_output": {
                "row": xss_row,
                "output_id": outputs_csv.iloc[xss_row - 2]["output_id"],
                "campaign": XSS_CAMPAIGN,
            },
            "pii_column": {"file": "outcomes.csv", "column": "contact_email"},
        },
    }
    truth = _build_truth(
        seed,
        files,
        counts,
        weekly,
        weekly_base,
        rows,
        leads,
        outputs,
        touches,
        messy,
        calendar,
        extra,
    )
    files["ground_truth"] = directory / "ground_truth.json"
    files["ground_truth_md"] = directory / "GROUND_TRUTH.md"
    files["ground_truth"].write_text(
        json.dumps(truth, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    files["ground_truth_md"].write_text(_truth_markdown(truth), encoding="utf-8")
    return files
