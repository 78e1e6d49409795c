"""Dates stage: day/month order decided per column over the whole file; hand-computed cases."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.ingest.dates import decide_date_order, parse_dates


def _utc(text):
    return pd.Timestamp(text, tz="UTC")


def test_a_day_above_twelve_settles_the_order_for_the_whole_column():
    column = pd.Series(["12/10/2026", "14/10/2026"])
    decision = decide_date_order(column)
    assert decision.order == "dmy"
    values, bad, _naive, _bare = parse_dates(column, order=decision.order, fmt=None, zone="UTC")
    # 12/10 is read day-first like 14/10, not month-first value by value
    assert values.tolist() == [_utc("2026-10-12"), _utc("2026-10-14")]
    assert not bad.any()


def test_month_first_column():
    decision = decide_date_order(pd.Series(["10/14/2026", "03/04/2026"]))
    assert decision.order == "mdy"
    values = parse_dates(pd.Series(["03/04/2026"]), order="mdy", fmt=None, zone="UTC")[0]
    assert values.iloc[0] == _utc("2026-03-04")


def test_both_orders_in_one_column_name_a_row_of_each():
    decision = decide_date_order(pd.Series(["2026-01-01", "13/04/2026", "05/16/2026"]))
    assert decision.basis == "conflict"
    assert decision.evidence == {"dmy": (1, "13/04/2026"), "mdy": (2, "05/16/2026")}


def test_only_ambiguous_dates_are_undecided():
    decision = decide_date_order(pd.Series(["03/04/2026", "05/06/2026"]))
    assert decision.order is None and decision.basis == "undecided"
    assert decision.evidence["ambiguous"] == (0, "03/04/2026")


def test_iso_dates_have_no_order_question():
    decision = decide_date_order(pd.Series(["2026-03-04", "2026-11-16T09:30:00Z"]))
    assert decision.order is None and decision.basis == "values"


def test_bare_numbers_are_rejected_unless_declared():
    text = pd.Series(["46068", "1771116720000"])
    _values, bad, _naive, bare = parse_dates(text, order=None, fmt=None, zone="UTC")
    assert bare.tolist() == [True, True] and not bad.any()
    serial = parse_dates(pd.Series(["46068"]), order=None, fmt="excel", zone="UTC")[0]
    assert serial.iloc[0] == _utc("2026-02-15")  # 1899-12-30 + 46068 days
    epoch = parse_dates(pd.Series(["1771116720000"]), order=None, fmt="epoch_ms", zone="UTC")[0]
    assert epoch.iloc[0] == _utc("2026-02-15 00:52:00")


def test_naive_times_are_read_in_the_zone_and_flagged():
    values, _bad, naive, _bare = parse_dates(
        pd.Series(["2026-11-16 09:30", "2026-11-16T09:30:00+01:00", "2026-11-16"]), order=None, fmt=None, zone="Europe/Berlin"
    )
    assert values.tolist() == [_utc("2026-11-16 08:30"), _utc("2026-11-16 08:30"), _utc("2026-11-15 23:00")]
    assert naive.tolist() == [True, False, False]  # a calendar date is not "missing a zone"


@pytest.mark.parametrize("text", ["2026-02-30", "soon", "31/31/2026"])
def test_impossible_dates_are_bad(text):
    assert parse_dates(pd.Series([text]), order="dmy", fmt=None, zone="UTC")[1].iloc[0]


def test_month_names_and_two_digit_years():
    values = parse_dates(pd.Series(["Nov 16, 2026 02:30 PM", "16.11.26"]), order="dmy", fmt=None, zone="UTC")[0]
    assert values.tolist() == [_utc("2026-11-16 14:30"), _utc("2026-11-16")]


def test_two_digit_years_are_read_with_the_pivot_and_warned_about_once(tmp_path):
    """'11/16/26' is 2026 and '12/31/95' 1995 (the spreadsheet pivot), and the file says so: a guess is never silent."""
    from coordkit.ingest.validate import read_table

    path = tmp_path / "short.csv"
    path.write_text("outcome_id,kind,created_at,amount\n1,lead,11/16/26,100\n2,lead,12/31/95,200\n"
                    "3,lead,2026-11-17,300\n4,lead,11/18/2026,5\n", encoding="utf-8")
    result = read_table(path, "outcomes")
    assert result.accepted.sort_values("_source_row")["created_at"].dt.year.tolist() == [2026, 1995, 2026, 2026]
    warnings = [m for m in result.messages if m.level == "warning"]
    assert len(warnings) == 1
    assert (warnings[0].row, warnings[0].column, warnings[0].value) == (2, "created_at", "11/16/26")
    assert "2 date(s) write the year with two digits" in warnings[0].text and "is 2026-11-16" in warnings[0].text
    assert result.warnings == [warnings[0].text]  # plain: the CLI adds "warning:" once


def test_four_digit_and_declared_formats_give_no_two_digit_warning(tmp_path):
    from coordkit.ingest.validate import read_table

    path = tmp_path / "long.csv"
    path.write_text("outcome_id,kind,created_at,amount\n1,lead,11/16/2026,100\n2,lead,2026-11-17,300\n", encoding="utf-8")
    assert not [m for m in read_table(path, "outcomes").messages if m.level == "warning"]
