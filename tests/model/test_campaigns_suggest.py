"""Suggested campaign groupings: hand-written spellings, each expected grouping written out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from coordkit.model.campaigns_suggest import ASSIGN_AT, suggest_campaigns
from coordkit.model.campaigns_tokens import is_placeholder, read_label, split_words

DAY = dt.date(2026, 9, 1)

# label, file, table, column, truth (None: must stay unassigned)
LABELS = [
    ("TB | Search | Spend Leak Report", "gads.csv", "outputs", "campaign", "leak-report"),
    ("TB_SpendLeakReport_LeadGen_2026", "meta.csv", "outputs", "campaign", "leak-report"),
    ("spend-leak-report-2026", "posts.csv", "outputs", "url:utm_campaign", "leak-report"),
    ("2026 Spend Leak Report", "deals.csv", "outcomes", "campaign", "leak-report"),
    ("TB | Search | Spend Leak Calculator", "gads.csv", "outputs", "campaign", "leak-calculator"),
    ("TB | Search | Brand", "gads.csv", "outputs", "campaign", "brand"),
    ("TB_PartnerSummit_Video_2026", "meta.csv", "outputs", "campaign", "summit"),
    ("Webinar invite - Q3 Audit Readiness", "mc.csv", "outputs", "campaign", "audit"),
    ("TB_AuditReadiness_Webinar", "meta.csv", "outputs", "campaign", "audit"),
    ("AuditReadiness", "posts.csv", "outputs", "campaign", "audit"),
    ("q3-audit-readiness-webinar", "posts.csv", "outputs", "url:utm_campaign", "audit"),
    ("Webinar invite - Q4 CFO Roundtable", "mc.csv", "outputs", "campaign", "cfo"),
    ("The Tally #41 | Sep 1", "mc.csv", "outputs", "campaign", "tally"),
    ("The Tally #42 | Sep 8", "mc.csv", "outputs", "campaign", "tally"),
    ("the-tally", "posts.csv", "outputs", "url:utm_campaign", "tally"),
    ("Expense Policy Template", "gads.csv", "outputs", "campaign", "policy"),
    ("expensepolicytemplate", "ga4.csv", "sessions", "campaign", "policy"),
    ("#closefaster", "posts.csv", "outputs", "campaign", "playbook"),
    ("month_end_close_playbook", "posts.csv", "outputs", "url:utm_campaign", "playbook"),
    ("(not set)", "ga4.csv", "sessions", "campaign", None),
    ("(organic)", "ga4.csv", "sessions", "campaign", None),
    ("(untagged)", "posts.csv", "outputs", "campaign", None),
    ("webinar", "posts.csv", "outputs", "campaign", None),
]
LINKS = [
    ("#closefaster", "month_end_close_playbook", 3),
    ("AuditReadiness", "q3-audit-readiness-webinar", 4),
    ("webinar", "q3-audit-readiness-webinar", 3),  # a generic tag is never evidence
]


def registry(labels=LABELS, first=DAY):
    return pd.DataFrame([
        {"label": label, "table": t, "column": c, "file": f, "vendor": "", "rows": 3, "first": first, "last": first, "campaign": ""}
        for label, f, t, c, _ in labels
    ])


def cooccurrence(links=LINKS):
    return pd.DataFrame([
        {"label": a, "other": b, "rows": n, "table": "outputs", "column": "campaign", "other_column": "url:utm_campaign"}
        for a, b, n in links
    ])


def assert_partition(suggestions: pd.DataFrame, labels) -> None:
    truth = {label: t for label, *_, t in labels}
    assigned = suggestions.drop_duplicates("label").set_index("label")["campaign"]
    for label, campaign in assigned.items():
        if truth[label] is None:
            assert campaign == "", f"{label!r} must stay unassigned, got {campaign!r}"
    by_truth = {}
    for label, t in truth.items():
        if t is not None:
            by_truth.setdefault(t, set()).add(assigned[label])
    for t, campaigns in by_truth.items():
        assert len(campaigns) == 1 and "" not in campaigns, f"{t}: labels split over {campaigns}"
    names = [next(iter(c)) for c in by_truth.values()]
    assert len({n.casefold() for n in names}) == len(names), f"two campaigns share a name: {names}"


def test_every_label_lands_in_its_campaign_and_nothing_else_merges():
    suggestions = suggest_campaigns(registry(), cooccurrence())
    assert_partition(suggestions, LABELS)
    crm = suggestions.set_index("label").loc["TB | Search | Spend Leak Report", "campaign"]
    assert crm == "2026 Spend Leak Report"  # the CRM's name is the canonical one


def test_required_columns_and_confidence_threshold():
    suggestions = suggest_campaigns(registry(), cooccurrence())
    for column in ("label", "source", "rows", "campaign", "confidence", "reason"):
        assert column in suggestions.columns
    assert ((suggestions["campaign"] != "") == (suggestions["confidence"] >= ASSIGN_AT)).all()
    assert (suggestions["reason"] != "").all()


def test_years_that_contradict_keep_campaigns_apart_and_an_unqualified_label_undecided():
    labels = LABELS + [("Spend Leak Report 2025", "deals.csv", "outcomes", "campaign", "leak-2025")]
    truth = [(lab, f, t, c, None if lab == "TB | Search | Spend Leak Report" else tr) for lab, f, t, c, tr in labels]
    suggestions = suggest_campaigns(registry(truth), cooccurrence()).drop_duplicates("label").set_index("label")
    assert suggestions.loc["TB | Search | Spend Leak Report", "campaign"] == ""
    assert "different periods" in suggestions.loc["TB | Search | Spend Leak Report", "reason"]
    assert suggestions.loc["Spend Leak Report 2025", "campaign"] != suggestions.loc["2026 Spend Leak Report", "campaign"]


def test_regions_are_markets_not_words_to_merge_on():
    labels = [
        ("emea-spend-leak-report", "a.csv", "outputs", "campaign", "emea"),
        ("EMEA | Spend Leak Report", "b.csv", "outputs", "campaign", "emea"),
        ("na-spend-leak-report", "a.csv", "outputs", "campaign", "na"),
        ("na-retargeting", "a.csv", "outputs", "campaign", "na-rt"),  # generic words + market: its own
        ("emea-retargeting", "a.csv", "outputs", "campaign", "emea-rt"),
    ]
    suggestions = suggest_campaigns(registry(labels))
    assert_partition(suggestions, labels)


def test_labels_active_years_apart_are_not_merged_silently():
    old = registry([("Partner Summit", "a.csv", "outputs", "campaign", "x")], first=dt.date(2023, 3, 1))
    new = registry([("partner-summit", "b.csv", "outputs", "utm_campaign", "x")])
    suggestions = suggest_campaigns(pd.concat([old, new], ignore_index=True))
    assert (suggestions["campaign"] == "").all()
    assert suggestions["reason"].str.contains("never active at the same time").all()


def test_a_persons_decision_wins_and_new_spellings_follow_it():
    decided = {"TB | Search | Spend Leak Report": "Spend Leak", "2026 Spend Leak Report": "Spend Leak"}
    suggestions = suggest_campaigns(registry(), cooccurrence(), decided).drop_duplicates("label").set_index("label")
    assert suggestions.loc["TB | Search | Spend Leak Report", "confidence"] == 1.0
    assert suggestions.loc["spend-leak-report-2026", "campaign"] == "Spend Leak"


@pytest.mark.parametrize("label, words", [
    ("TB_SpendLeakReport_LeadGen_2026", ["tb", "spend", "leak", "report", "lead", "gen", "2026"]),
    ("CFORoundtable", ["cfo", "roundtable"]),
    ("AuditReadinessQ3", ["audit", "readiness", "q3"]),
    ("spend+leak%20report", ["spend", "leak", "report"]),
])
def test_split_words(label, words):
    assert split_words(label) == words


def test_reading_drops_generic_words_and_keeps_qualifiers():
    reading = read_label("Webinar invite - Q3 Audit Readiness (FY26)")
    assert reading.core == ("audit", "readiness")
    assert reading.quarters == {"q3"} and reading.years == {"2026"}
    assert read_label("The Tally #41 | Sep 1").core == ("tally",)
    assert read_label("Last chance: LinkedIn Lead Gen").core == ()
    assert all(is_placeholder(x) for x in ("(not set)", "(organic)", "(direct)", "", None, " (none) "))
    assert not is_placeholder("Direct Mail Spring")


def test_a_lone_label_keeps_its_spelling_and_market_newsletters_stay_apart():
    labels = [
        ("na-webinar-series", "a.csv", "outputs", "campaign", "na-series"),
        ("emea-newsletter", "a.csv", "outputs", "utm_campaign", "emea-news"),
        ("EMEA Newsletter", "b.csv", "outputs", "campaign", "emea-news"),
        ("na-newsletter", "a.csv", "outputs", "campaign", "na-news"),
        ("newsletter", "a.csv", "outputs", "campaign", None),
    ]
    suggestions = suggest_campaigns(registry(labels))
    assert_partition(suggestions, labels)
    by_label = suggestions.set_index("label")["campaign"]
    assert by_label["na-webinar-series"] == "na-webinar-series"
    assert by_label["emea-newsletter"] == "EMEA Newsletter"
