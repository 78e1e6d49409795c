"""Narrative: sentence content, currency formatting, escaping, 2-5 sentences."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from coordkit.analysis.narrative import (
    describe_change,
    escape_markdown,
    format_amount,
    format_change,
)
from coordkit.analysis.signals import compute_xmr
from coordkit.errors import ParameterError


def explanation():
    return pd.DataFrame(
        {
            "segment": ["team=north-america & channel=paid_social", "channel=events", "remainder"],
            "contribution": [-420_000.0, 30_000.0, -2_500.0],
        }
    )


def sentence_count(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (1_234_567, "USD", "$1.2M"),
        (2_000_000, "USD", "$2M"),
        (548_200, "EUR", "€548k"),
        (-1_500, "GBP", "-£1.5k"),
        (999, "USD", "$999"),
        (12_500, "SEK", "SEK 12k"),
        (3_200_000_000, "JPY", "¥3.2B"),
        (1234, None, "1,234"),
        (2.5, None, "2.5"),
    ],
)
def test_format_amount(value, currency, text):
    assert format_amount(value, currency) == text


def test_format_change_signs():
    assert format_change(12_000, "USD") == "+$12k"
    assert format_change(-3_400_000, "USD") == "-$3.4M"


def test_full_story_in_five_sentences():
    signal = compute_xmr([500_000, 520_000, 480_000, 510_000, 100_000], baseline=4)
    bridge = pd.DataFrame({"effect": ["volume", "conversion", "deal size"], "contribution": [10_000.0, -420_000.0, 17_500.0]})
    lag = pd.DataFrame({"channel": ["webinar"], "lag": [2], "output_week": ["2026-11-02"], "output_change": [-3.0],
                        "outcome_change": [-392_500.0], "correlation": [0.51], "weeks": [56]})
    text = describe_change(explanation(), "Pipeline", 500_000, 107_500, currency="USD", signal=signal, bridge_summary=bridge, lag=lag)
    assert text.startswith("Pipeline fell from $500k to $108k (-$392k, -78.5 %). This is a signal, not noise (outside the natural process limits")
    assert "Most of the change came from team=north-america & channel=paid\\_social (-$420k) and channel=events (+$30k); the rest (-$2.5k)" in text
    assert "By driver: volume +$10k, conversion -$420k, deal size +$18k." in text
    assert "Two weeks earlier, webinar outputs fell (-3)" in text and "association, not proof" in text
    assert sentence_count(text) == 5


def test_routine_week_and_counts():
    signal = compute_xmr([20, 22, 19, 21, 20])
    text = describe_change(explanation().iloc[[2]], "Opportunities", 21, 20, currency=None, signal=signal)
    assert text.startswith("Opportunities fell from 21 to 20 (-1, -4.8 %). This is routine variation")
    assert 2 <= sentence_count(text) <= 5


def test_at_least_two_sentences_without_segments():
    text = describe_change(pd.DataFrame({"segment": ["remainder"], "contribution": [0.0]}), "Leads", 10, 10, currency=None)
    assert text == "Leads held at 10. No single segment stands out: the change is spread across the data."


@pytest.mark.hostile
def test_user_strings_are_escaped():
    hostile = pd.DataFrame({"segment": ["campaign=<script>alert(1)</script>", "remainder"], "contribution": [5.0, 0.0]})
    text = describe_change(hostile, "*pipeline*", 0, 5, currency=None)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert text.startswith("\\*pipeline\\* rose from 0 to 5 (+5).")
    assert escape_markdown("- not a list") == "\\- not a list"


def test_wrong_frame_is_named():
    with pytest.raises(ParameterError, match=r"missing 'contribution'"):
        describe_change(pd.DataFrame({"segment": []}), "Pipeline", 1, 2)
