"""GA4's default channel group, derived from a session's source, medium and campaign.

The rules and their order follow Google Analytics Help, "[GA4] Default channel
group" (support.google.com/analytics/answer/9756891): the first rule that
matches wins. GA4 matches sources against its own lists of search, social,
video and shopping sites; the lists below hold the common entries of those
lists (a source not listed falls through to the medium-only rules, as GA4 does
for an unknown site), so a rare site can land in "Referral" or "Unassigned"
where GA4 would name it: the GA4 export's own channel group column, when
present, is preferred to this derivation.
"""

from __future__ import annotations

import re

__all__ = ["ga4_channel_group"]

_PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
_SHOP_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
_EMAIL = re.compile(r"email|e-mail|e_mail|e mail")
_SOCIAL_MEDIUM = ("social", "social-network", "social-media", "sm", "social network", "social media")

_SEARCH_SITES = {
    "google", "bing", "yahoo", "baidu", "duckduckgo", "yandex", "ecosia", "naver", "ask", "aol", "qwant",
    "startpage", "search.brave.com", "brave", "seznam", "sogou", "so.com", "daum", "msn", "cn.bing.com",
    "search-results", "search.yahoo.com", "google-play", "perplexity",
}
_SOCIAL_SITES = {
    "facebook", "fb", "m.facebook.com", "l.facebook.com", "lm.facebook.com", "instagram", "ig", "l.instagram.com",
    "linkedin", "lnkd.in", "twitter", "t.co", "x", "x.com", "pinterest", "reddit", "tiktok", "snapchat", "threads",
    "threads.net", "quora", "whatsapp", "tumblr", "vk", "weibo", "wechat", "line", "mastodon", "bluesky", "bsky",
    "meta", "discord", "telegram", "messenger", "slack", "xing", "nextdoor",
}
_VIDEO_SITES = {"youtube", "m.youtube.com", "vimeo", "twitch", "dailymotion", "wistia", "youku", "ted"}
_SHOPPING_SITES = {
    "amazon", "ebay", "etsy", "shopify", "walmart", "alibaba", "aliexpress", "shopping.google", "google shopping",
    "shopping", "target", "wayfair", "igshopping",
}


def _site(source: str) -> str:
    """``www.linkedin.com`` -> ``linkedin``; kept whole when the full host is listed (``lnkd.in``)."""
    host = source.removeprefix("https://").removeprefix("http://").split("/")[0].removeprefix("www.")
    return host


def _in(source: str, sites: set[str]) -> bool:
    host = _site(source)
    if host in sites:
        return True
    parts = host.split(".")
    # linkedin.com, uk.linkedin.com, google.co.uk -> the registrable name's first label
    return any(part in sites for part in parts[:-1] if part) if len(parts) > 1 else False


def ga4_channel_group(source: str | None, medium: str | None, campaign: str | None = "") -> str:
    """The GA4 default channel group of a session.

    >>> ga4_channel_group("google", "cpc"), ga4_channel_group("linkedin.com", "paid_social")
    ('Paid Search', 'Paid Social')
    >>> ga4_channel_group("(direct)", "(none)"), ga4_channel_group("newsletter", "email")
    ('Direct', 'Email')
    >>> ga4_channel_group("google", "organic"), ga4_channel_group("partner.example", "referral")
    ('Organic Search', 'Referral')
    """
    source = (source or "").strip().lower()
    medium = (medium or "").strip().lower()
    campaign = (campaign or "").strip().lower()
    paid = bool(_PAID_MEDIUM.match(medium))
    if source == "(direct)" and medium in ("(not set)", "(none)", ""):
        return "Direct"
    if "cross-network" in campaign:
        return "Cross-network"
    if (_in(source, _SHOPPING_SITES) or _SHOP_CAMPAIGN.match(campaign)) and paid:
        return "Paid Shopping"
    if _in(source, _SEARCH_SITES) and paid:
        return "Paid Search"
    if _in(source, _SOCIAL_SITES) and paid:
        return "Paid Social"
    if _in(source, _VIDEO_SITES) and paid:
        return "Paid Video"
    if medium in ("display", "banner", "expandable", "interstitial", "cpm"):
        return "Display"
    if paid:
        return "Paid Other"
    if _in(source, _SHOPPING_SITES) or _SHOP_CAMPAIGN.match(campaign):
        return "Organic Shopping"
    if _in(source, _SOCIAL_SITES) or medium in _SOCIAL_MEDIUM:
        return "Organic Social"
    if _in(source, _VIDEO_SITES) or "video" in medium:
        return "Organic Video"
    if _in(source, _SEARCH_SITES) or medium == "organic":
        return "Organic Search"
    if medium in ("referral", "app", "link"):
        return "Referral"
    if _EMAIL.search(source) or _EMAIL.search(medium):
        return "Email"
    if medium == "affiliate":
        return "Affiliates"
    if medium == "audio":
        return "Audio"
    if source == "sms" or medium == "sms":
        return "SMS"
    if medium.endswith("push") or "mobile" in medium or "notification" in medium or source == "firebase":
        return "Mobile Push Notifications"
    return "Unassigned"
