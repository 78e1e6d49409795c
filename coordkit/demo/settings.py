"""Calendar, cast and planted-fact constants of the demo, and the small helpers every stage shares."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coordkit.contract import CHANNELS

DEFAULT_SEED = 20261116
GENERATOR_VERSION = 3  # 2: stage history (outcome_stages.csv) and its planted facts; 3: lead lifecycle (lead_stages.csv)

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
def week_of(ts: np.ndarray) -> np.ndarray:
    """Index of the Monday-based week (0 = week of 2025-09-29) of UTC epoch seconds."""
    return (np.asarray(ts, dtype=np.int64) - T_START) // (7 * DAY)


def monday(week: int) -> str:
    return str(FIRST_MONDAY + 7 * int(week))


def iso_week(week: int) -> str:
    year, number, _ = _dt.date.fromisoformat(monday(week)).isocalendar()
    return f"{year}-W{number:02d}"


def iso(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SSZ`` strings (vectorised, locale-free)."""
    text = np.datetime_as_string(np.asarray(ts, dtype=np.int64).astype("datetime64[s]"), unit="s")
    return np.char.add(text, "Z")


def money(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v:.2f}" for v in values], dtype=object)


def count_text(values: np.ndarray) -> np.ndarray:
    """Integer counts as text; NaN (not applicable to this kind) as empty."""
    return np.array(["" if np.isnan(v) else str(int(v)) for v in values], dtype=object)


def pick(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x categories) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    draws = rng.random(len(probabilities))[:, None]
    return np.minimum((draws > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def pick_from(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """``size`` draws of indices into ``weights`` (vectorised inverse CDF)."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    return np.minimum(
        np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right"),
        len(cumulative) - 1,
    )


def day_calendar() -> pd.DataFrame:
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


