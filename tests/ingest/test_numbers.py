"""Numbers stage: one locale per column, decided over the whole file; hand-computed cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from coordkit.errors import ParameterError
from coordkit.ingest.numbers import decide_locale, locale_from_options, parse_numbers


@pytest.mark.parametrize(
    "text, locale, expected",
    [
        ("1,234.50", "en", 1234.5),
        ("1.234,50", "de", 1234.5),
        ("24\u00a0000,00", "fr", 24000.0),  # no-break space thousands (French)
        ("1 234,50", "de", 1234.5),
        ("1'234.50", "ch", 1234.5),
        ("$1,200.50", "en", 1200.5),
        ("USD 12,000.00", "en", 12000.0),
        ("US$ 5", "en", 5.0),
        ("€ 1.000,00", "de", 1000.0),
        ("£12,000.00", "en", 12000.0),
        ("(3.50)", "en", -3.5),
        ("-12.5", "en", -12.5),
        ("7%", "en", 7.0),
    ],
)
def test_values_read_in_their_locale(text, locale, expected):
    values, blank = parse_numbers(pd.Series([text]), locale)
    assert values.iloc[0] == pytest.approx(expected)
    assert not blank.iloc[0]


@pytest.mark.hostile
@pytest.mark.parametrize(
    "text, locale",
    [
        ("480,00", "en"),  # a decimal comma is not a thousands separator: never 48000
        ("1.234,50", "en"),
        ("12.5", "de"),  # a dot in German groups thousands, in threes
        ("12k", "en"),
        ("+44 20 7946 0958", "en"),  # a phone number is not money
        ("20 7946 0958", "en"),
    ],
)
def test_values_that_do_not_fit_the_locale_are_not_numbers(text, locale):
    values, blank = parse_numbers(pd.Series([text]), locale)
    assert math.isnan(values.iloc[0]) and not blank.iloc[0]


@pytest.mark.parametrize("text", ["", "NULL", "N/A", "#N/A", "None", "-", "--", "(not set)", "  n/a "])
def test_null_spellings_are_empty(text):
    values, blank = parse_numbers(pd.Series([text]), "en")
    assert blank.iloc[0] and math.isnan(values.iloc[0])


def test_locale_is_decided_by_the_values_that_settle_it():
    assert decide_locale(pd.Series(["1,234", "2,50"])).locale == "de"  # 2,50 settles it
    assert decide_locale(pd.Series(["1,234", "2.50"])).locale == "en"
    assert decide_locale(pd.Series(["1'234.50", "3"])).locale == "ch"
    plain = decide_locale(pd.Series(["100", "200", ""]))
    assert plain.locale is None and plain.basis == "values"


def test_only_ambiguous_values_leave_the_column_undecided_and_name_the_first():
    decision = decide_locale(pd.Series(["", "1,234", "2,000"]))
    assert decision.basis == "undecided"
    assert decision.evidence["ambiguous"] == (1, "1,234")


def test_the_majority_decides_and_a_tie_is_a_conflict():
    assert decide_locale(pd.Series(["12,000.00", "1,500.00", "480,00"])).locale == "en"
    tie = decide_locale(pd.Series(["12,000.00", "480,00"]))
    assert tie.basis == "conflict"
    assert tie.evidence == {"dot": (0, "12,000.00"), "comma": (1, "480,00")}


def test_locale_from_preset_keys_and_option():
    assert locale_from_options({"decimal": ".", "thousands": ","}) == "en"
    assert locale_from_options({"decimal": ",", "thousands": "."}) == "de"
    assert locale_from_options({"locale": "auto"}) is None
    assert locale_from_options({}, "de_DE") == "de"
    assert locale_from_options({"decimal": "."}, "fr") == "fr"  # --locale wins over the preset
    with pytest.raises(ParameterError, match="number locale must be one of"):
        locale_from_options({}, "xx")
