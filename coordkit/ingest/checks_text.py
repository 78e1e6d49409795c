"""The stage for text, booleans, weeks and months: closed sets (channels) checked, the rest parsed."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from coordkit.contract import CHANNELS, Column
from coordkit.ingest.batch import Batch
from coordkit.ingest.mapping import map_values
from coordkit.weeks import WEEK_PATTERN, week_start_of

__all__ = ["CHANNEL_SYNONYMS", "normalise_channel", "type_other_columns"]

#: Common ways exports spell the contract's channels (lower-case, spaces and dashes as `_`).
CHANNEL_SYNONYMS = {
    "e_mail": "email", "newsletter": "email", "mail": "email", "emails": "email",
    "organic_social": "social", "social_media": "social", "linkedin": "social", "twitter": "social",
    "x": "social", "facebook": "social", "instagram": "social",
    "ppc": "paid_search", "sem": "paid_search", "cpc": "paid_search", "google_ads": "paid_search",
    "search": "paid_search", "online_search": "paid_search",
    "paidsocial": "paid_social", "social_ads": "paid_social", "meta_ads": "paid_social", "facebook_ads": "paid_social",
    "banner": "display", "programmatic": "display", "online_display": "display", "video": "display",
    "event": "events", "webinar": "events", "webinars": "events", "trade_show": "events", "conference": "events",
    "blog": "content", "seo": "content", "organic": "content",
    "press": "pr", "public_relations": "pr",
    "directmail": "direct_mail", "postal": "direct_mail",
}
_TRUE = {"true", "t", "yes", "y", "1", "won", "closed won"}
_FALSE = {"false", "f", "no", "n", "0", "lost", "closed lost"}



def normalise_channel(value: str, extra_map: dict | None = None) -> str | None:
    """Map a channel label onto the contract's channels, or None when unknown.

    >>> normalise_channel("Paid Social"), normalise_channel("Newsletter"), normalise_channel("TikTok")
    ('paid_social', 'email', None)
    """
    key = re.sub(r"[\s\-/]+", "_", str(value).strip().lower())
    if extra_map and key in extra_map:
        return extra_map[key]
    if key in CHANNELS:
        return key
    return CHANNEL_SYNONYMS.get(key)


def type_other_columns(batch: Batch) -> Batch:
    """Strings (closed sets checked), booleans and weeks."""
    for column in batch.columns_of("string", "bool", "week", "month"):
        name, text, label = column.name, batch.text[column.name], batch.label(column.name)
        if column.dtype == "string":
            batch.typed[name] = _check_allowed(batch, column, text, label) if column.allowed else text
        elif column.dtype == "bool":
            mapped = map_values(text, lambda v: True if str(v).strip().lower() in _TRUE else (
                False if str(v).strip().lower() in _FALSE else None))
            batch.problems.add_many(text.notna() & mapped.isna(), label, text,
                                    lambda v: f"{v!r} is not true/false; use true, false, yes, no, 1 or 0", f"{name} is not true/false")
            batch.typed[name] = mapped.astype(object)
        elif column.dtype == "month":
            values, bad = _parse_months(text, batch.orders.get(name) == "dmy" or batch.preset.day_first or batch.date_order == "dmy")
            batch.problems.add_many(bad, label, text, lambda v: f"{v!r} is not a month; write 2026-11 or any date in the month",
                                    f"{name} is not a month")
            batch.typed[name] = values
        else:
            values, bad = _parse_weeks(text, batch.config.week_start, batch.orders.get(name) == "dmy"
                                       or batch.preset.day_first or batch.date_order == "dmy")
            batch.problems.add_many(bad, label, text, lambda v: f"{v!r} is not a week; write a date (2026-11-16) or an ISO week (2026-W47)",
                                    f"{name} is not a week")
            batch.typed[name] = values
    return batch


def _parse_weeks(text: pd.Series, week_start: str, day_first: bool) -> tuple[pd.Series, pd.Series]:
    present = text.notna()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    for index, value in text[present].items():
        value = str(value).strip()
        match = WEEK_PATTERN.match(value)
        try:
            if match:
                monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
                out[index] = week_start_of(monday, week_start) if week_start == "monday" else monday - dt.timedelta(days=1)
            else:
                day = pd.to_datetime(value, format="mixed", dayfirst=day_first).date()
                out[index] = week_start_of(day, week_start)
        except (ValueError, TypeError, OverflowError):
            pass
    return out, present & out.isna()


def _parse_months(text: pd.Series, day_first: bool) -> tuple[pd.Series, pd.Series]:
    present = text.notna()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    for index, value in text[present].items():
        value = str(value).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{1,2}", value):
                year, month = value.split("-")
                out[index] = dt.date(int(year), int(month), 1)
            else:
                out[index] = pd.to_datetime(value, format="mixed", dayfirst=day_first).date().replace(day=1)
        except (ValueError, TypeError, OverflowError):
            pass
    return out, present & out.isna()


def _check_allowed(batch: Batch, column: Column, values: pd.Series, label: str) -> pd.Series:
    present = values.notna()
    if column.name == "channel":
        if batch.channel_policy == "keep":
            return values
        extra = {re.sub(r"[\s\-/]+", "_", str(k).strip().lower()): v for k, v in batch.preset.values.get("channel", {}).items()}
        normalised = map_values(values, lambda v: normalise_channel(v, extra))
        unknown = present & normalised.isna()
        if unknown.any():
            if batch.channel_policy == "reject":
                batch.problems.add_many(
                    unknown, label, values,
                    lambda v: f"{v!r} is not a known channel; allowed: {', '.join(CHANNELS)}. "
                    "Map it in the preset's values.channel or use --channel-policy other",
                    "unknown channel",
                )
            else:
                counts = values[unknown].value_counts()
                shown = ", ".join(f"{value!r} ({count} rows)" for value, count in counts.head(5).items())
                batch.warn(f"channel: {int(unknown.sum())} rows with unknown channels were mapped to 'other': {shown}. "
                           "Map them in a preset's values.channel to keep them apart.", column="channel")
                normalised = normalised.mask(unknown, "other")
        return normalised
    allowed_lower = {a.lower(): a for a in column.allowed}
    normalised = map_values(values, lambda v: allowed_lower.get(str(v).strip().lower()))
    batch.problems.add_many(present & normalised.isna(), label, values,
                            lambda v: f"{v!r} is not allowed; use one of {', '.join(column.allowed)}", f"{column.name} is not allowed")
    return normalised
