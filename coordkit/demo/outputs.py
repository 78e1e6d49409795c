"""Simulation, stage 1: campaigns and the outputs they publish (regular, brand, webinars, the script-injection row)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.demo.settings import (
    DAY,
    HOLIDAY_WEEKS,
    HOUR,
    MARKETERS,
    N_WEEKS,
    NO_OUTCOME_CAMPAIGN,
    NO_OUTCOME_TEAM,
    T_START,
    TEAM_HOURS,
    TEAM_PREFIX,
    TEAMS,
    WEBINAR_FIRST_WEEK,
    WEBINAR_PERIOD_WEEKS,
    XSS,
    XSS_CAMPAIGN,
    Campaign,
    pick,
    pick_from,
)

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


def build_campaigns() -> list[Campaign]:
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
        chosen = pick(rng, active[week])
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
            result[mask] = np.asarray(values, dtype=object)[pick_from(rng, probs, int(mask.sum()))]
    return result


def generate_outputs(rng, calendar, campaigns) -> pd.DataFrame:
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
