"""Validation: every rule gives a message naming file, row, column and value; counts always add up."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.config import WorkspaceConfig
from coordkit.errors import ParameterError, SchemaError, ValidationError
from coordkit.ingest.validate import normalise_channel, read_table

OUTCOMES_HEADER = "outcome_id,kind,created_at,contact_id,amount\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def accounting_holds(result):
    c = result.counts
    return c["rows_read"] == c["accepted"] + c["rejected"] + c["merged_duplicates"]


def test_missing_required_column_fails_the_file_naming_it(tmp_path):
    path = write(tmp_path, "deals.csv", "outcome_id,amount\n1,100\n")
    with pytest.raises(SchemaError, match=r"deals.csv: missing column 'kind'"):
        read_table(path, "outcomes")


def test_missing_column_through_a_preset_names_the_vendor_header(tmp_path):
    path = write(tmp_path, "pipe.csv", "opportunity_id,deal_stage\nA,Won\n")
    with pytest.raises(SchemaError, match=r"pipe.csv: missing column 'created_at' \(preset 'maven-crm' reads it from 'engage_date'\)"):
        read_table(path, "outcomes", preset="maven-crm")


def test_wrong_delimiter_is_diagnosed(tmp_path):
    path = write(tmp_path, "deals.csv", "outcome_id;kind;created_at\n1;lead;2026-11-16\n")
    with pytest.raises(SchemaError) as info:
        read_table(path, "outcomes", delimiter=",")
    assert "missing column 'outcome_id'" in info.value.message
    assert "separated by ';'" in info.value.hint


def test_unparseable_date_and_number_are_rejected_with_location(tmp_path):
    path = write(
        tmp_path, "deals.csv",
        OUTCOMES_HEADER + "1,lead,2026-11-16,c1,100\n2,lead,2026-13-45,c2,100\n3,lead,2026-11-17,c3,12k\n",
    )
    result = read_table(path, "outcomes", max_bad_share=1)
    assert result.accepted["outcome_id"].tolist() == ["1"]
    reasons = result.rejected.set_index("row")["reason"]
    assert reasons[3] == (
        "deals.csv row 3, column created_at: '2026-13-45' is not a valid date; "
        "expected a date such as 2026-11-16 or 2026-11-16T09:30:00Z"
    )
    assert "deals.csv row 4, column amount: '12k' is not a number" in reasons[4]
    assert result.rejected.set_index("row")["value"].to_dict() == {3: "2026-13-45", 4: "12k"}
    assert accounting_holds(result)


def test_impossible_date_with_an_explicit_format_is_rejected_not_kept_as_text(tmp_path):
    path = write(tmp_path, "pipe.csv", "opportunity_id,deal_stage,engage_date,close_value\nA,Won,2016-02-30,10\nB,Won,2016-02-28,10\n")
    result = read_table(path, "outcomes", preset="maven-crm", max_bad_share=1)
    assert result.accepted["outcome_id"].tolist() == ["B"]
    assert "row 2, column created_at ('engage_date'): '2016-02-30' is not a valid date; expected the format '%Y-%m-%d'" in result.rejected["reason"].iloc[0]


def test_negative_amount_is_rejected(tmp_path):
    path = write(tmp_path, "deals.csv", OUTCOMES_HEADER + "1,lead,2026-11-16,c1,-5\n" + "".join(f"{i},lead,2026-11-16,c,1\n" for i in range(2, 6)))
    result = read_table(path, "outcomes")
    assert result.rejected["reason"].iloc[0] == (
        "deals.csv row 2, column amount: '-5' is negative; amount cannot be below zero: fix the value or leave it empty"
    )


def test_money_formats_are_understood(tmp_path):
    path = write(tmp_path, "deals.csv", OUTCOMES_HEADER + '1,lead,2026-11-16,c1,"$1,234.50"\n2,lead,2026-11-16,c1,--\n3,lead,2026-11-16,c1,€ 7\n')
    result = read_table(path, "outcomes")
    assert result.accepted["amount"].tolist()[0] == 1234.5
    assert pd.isna(result.accepted["amount"].iloc[1])
    assert result.accepted["amount"].iloc[2] == 7


def test_duplicate_ids_identical_rows_merge_and_conflicting_later_rows_are_rejected(tmp_path):
    path = write(
        tmp_path, "deals.csv",
        OUTCOMES_HEADER
        + "1,lead,2026-11-16,c1,100\n1,lead,2026-11-16,c1,100\n"  # identical: merged
        + "2,lead,2026-11-16,c2,100\n2,lead,2026-11-16,c2,120\n"  # conflicting: the later row is rejected
        + "".join(f"{i},lead,2026-11-16,c,1\n" for i in range(3, 9)),
    )
    result = read_table(path, "outcomes")
    assert result.merged_duplicates == 1
    assert result.rejected["row"].tolist() == [5]
    assert result.rejected["reason"].iloc[0].startswith(
        "deals.csv row 5, column amount: outcome_id '2' already appears in row 4 with a different amount "
        "('100.0' there, '120.0' here); the first row was kept"
    )
    assert result.accepted.set_index("outcome_id").loc["2", "amount"] == 100
    assert result.counts == {"rows_read": 10, "accepted": 8, "rejected": 1, "merged_duplicates": 1}


def test_unknown_channel_maps_to_other_with_a_warning_or_is_rejected_by_policy(tmp_path):
    header = "output_id,published_at,channel,kind,campaign\n"
    rows = "o1,2026-11-16,Paid Social,ad,c\no2,2026-11-16,TikTok,post,c\no3,2026-11-16,newsletter,email,c\n"
    path = write(tmp_path, "outputs.csv", header + rows)
    result = read_table(path, "outputs")
    assert result.accepted["channel"].tolist() == ["paid_social", "other", "email"]
    assert any("'TikTok' (1 rows)" in w and "'other'" in w for w in result.warnings)
    strict = read_table(path, "outputs", channel_policy="reject", max_bad_share=1)
    assert strict.rejected["reason"].iloc[0].startswith("outputs.csv row 3, column channel: 'TikTok' is not a known channel; allowed: email, social")


def test_naive_timestamps_read_in_the_workspace_zone_or_rejected_by_policy(tmp_path):
    header = "outcome_id,kind,created_at,contact_id\n"
    path = write(tmp_path, "d.csv", header + "1,lead,2026-11-16 09:30,c\n2,lead,2026-11-16T09:30:00Z,c\n3,lead,2026-11-16,c\n")
    berlin = WorkspaceConfig(timezone="Europe/Berlin")
    result = read_table(path, "outcomes", config=berlin)
    stamps = result.accepted.set_index("outcome_id")["created_at"]
    assert stamps["1"] == pd.Timestamp("2026-11-16T08:30:00Z")  # 09:30 in Berlin (UTC+1)
    assert stamps["2"] == pd.Timestamp("2026-11-16T09:30:00Z")
    assert stamps["3"] == pd.Timestamp("2026-11-15T23:00:00Z")  # midnight in Berlin
    strict = read_table(path, "outcomes", config=berlin.replace(naive_timestamps="reject"), max_bad_share=1)
    assert strict.rejected["row"].tolist() == [2]
    assert "'2026-11-16 09:30' has a time but no time zone" in strict.rejected["reason"].iloc[0]


def test_touchpoint_without_contact_or_account_is_rejected(tmp_path):
    path = write(tmp_path, "t.csv", "contact_id,account_id,touched_at\nc1,,2026-11-16\n,,2026-11-16\n" + "c2,,2026-11-17\n" * 3)
    result = read_table(path, "touchpoints")
    assert result.rejected["reason"].iloc[0] == (
        "t.csv row 3: contact_id and account_id are all empty; fill at least one so the row can be linked"
    )


def test_touchpoint_ids_are_derived_stably_and_repeated_rows_are_kept(tmp_path):
    path = write(tmp_path, "t.csv", "contact_id,touched_at,action\nc1,2026-11-16T10:00:00Z,click\nc1,2026-11-16T10:00:00Z,click\n")
    first = read_table(path, "touchpoints")
    again = read_table(path, "touchpoints")
    assert first.accepted["touchpoint_id"].tolist() == again.accepted["touchpoint_id"].tolist()
    assert first.accepted["touchpoint_id"].nunique() == 2  # two real clicks, not one merged


def test_too_many_bad_rows_fail_the_whole_file(tmp_path):
    path = write(tmp_path, "deals.csv", OUTCOMES_HEADER + "1,lead,bad,c,1\n2,lead,bad,c,1\n3,lead,2026-11-16,c,1\n")
    with pytest.raises(ValidationError, match=r"deals.csv: 2 of 3 rows are invalid \(67%, more than the allowed 25%\); nothing was ingested"):
        read_table(path, "outcomes")


def test_unmapped_columns_are_kept_in_extras(tmp_path):
    path = write(tmp_path, "deals.csv", "outcome_id,kind,created_at,contact_id,Product\n1,lead,2026-11-16,c,GTX\n")
    result = read_table(path, "outcomes")
    assert result.accepted["extras"].iloc[0] == '{"Product": "GTX"}'


def test_unknown_preset_lists_the_shipped_ones(tmp_path):
    path = write(tmp_path, "d.csv", OUTCOMES_HEADER + "1,lead,2026-11-16,c,1\n")
    with pytest.raises(ParameterError, match=r"preset must be one of 'canonical', .*'maven-crm'.*; got 'hubspot-dealz'"):
        read_table(path, "outcomes", preset="hubspot-dealz")


def test_targets_accept_iso_weeks_and_dates(tmp_path):
    path = write(tmp_path, "t.csv", "week,metric,team,value\n2026-W47,leads,emea,10\n2026-11-19,pipeline_created,emea,5000\n2026-W47,mqls,emea,3\n")
    result = read_table(path, "targets", max_bad_share=1)
    assert [str(w) for w in result.accepted["week"]] == ["2026-11-16", "2026-11-16"]
    assert "'mqls' is not allowed; use one of pipeline_created, opportunities, leads, won_revenue" in result.rejected["reason"].iloc[0]


def test_input_frames_are_not_mutated_by_channel_normalisation():
    assert normalise_channel(" Paid-Search ") == "paid_search"
    assert normalise_channel("Unknown Thing") is None


def test_maven_crm_file_is_fully_accounted_for(shared_data):
    result = read_table(shared_data / "crm" / "sales_pipeline.csv", "outcomes", preset="maven-crm")
    assert result.rows_read == 8800
    assert accounting_holds(result)
    # independent reference: the 500 Prospecting deals have no engage_date (SOURCES.md)
    source = pd.read_csv(shared_data / "crm" / "sales_pipeline.csv")
    assert len(result.rejected) == int(source["engage_date"].isna().sum()) == 500
    assert all("created_at" in r and "Prospecting opportunity has no engage_date" in r for r in result.rejected["reason"])
    won = result.accepted[result.accepted["won"] == True]  # noqa: E712 - object column
    assert len(won) == int((source["deal_stage"] == "Won").sum())
    assert won["amount"].sum() == pytest.approx(source.loc[source["deal_stage"] == "Won", "close_value"].sum())


# --- machine-readable results, grouped messages, the write lock --------------------------------


def _cli_json(tmp_path, args):
    import contextlib
    import io
    import json as _json

    from coordkit.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
    return code, [_json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


def test_validate_json_accounts_for_every_line_and_locates_messages(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deals report\n"
        "outcome_id,kind,created_at,amount\n"
        "1,lead,2026-11-16,100\n"
        "2,lead,,200\n"
        "2,lead,,200\n"
        "3,lead,2026-11-17,300\n"
        "3,lead,2026-11-17,300\n"
        "Total,,,900\n",
        encoding="utf-8",
    )
    code, objects = _cli_json(tmp_path, ["validate", str(path), "--as", "outcomes", "--json", "--max-bad-share", "0.5"])
    assert code == 0 and len(objects) == 1
    result = objects[0]
    # 5 data records (rows 3-7): 1 and 3 accepted, the repeat of 3 merged, both rows of 2 rejected
    # (empty created_at); the title (row 1) and the totals line (row 8) skipped
    assert (result["read"], result["accepted"], result["rejected"], result["merged"], result["skipped"]) == (5, 2, 2, 1, 2)
    assert result["read"] == result["accepted"] + result["rejected"] + result["merged"]
    errors = [m for m in result["messages"] if m["level"] == "error"]
    assert [(m["row"], m["column"]) for m in errors] == [(4, "created_at"), (5, "created_at")]
    skipped = sorted(m["row"] for m in result["messages"] if m["level"] == "info")
    assert skipped == [1, 8]


def test_a_file_rejected_whole_exits_non_zero_with_a_located_json_message(tmp_path):
    path = tmp_path / "amounts.csv"
    path.write_text("outcome_id,kind,created_at,amount\n1,lead,2026-11-16,\"1,234\"\n2,lead,2026-11-16,\"2,000\"\n", encoding="utf-8")
    code, objects = _cli_json(tmp_path, ["validate", str(path), "--as", "outcomes", "--json"])
    assert code != 0
    message = objects[0]["messages"][0]
    assert objects[0]["status"] == "rejected"
    assert (message["level"], message["row"], message["column"], message["value"]) == ("error", 2, "amount", "1,234")
    assert "--locale" in objects[0]["messages"][-1]["text"]
    code, objects = _cli_json(tmp_path, ["validate", str(path), "--as", "outcomes", "--json", "--locale", "de"])
    assert code == 0 and objects[0]["accepted"] == 2


def test_repeated_messages_are_grouped_with_their_rows():
    from coordkit.ingest.messages import Message, group_messages

    messages = [Message("error", row, "created_at", "", f"f.csv row {row}: created_at is empty", "created_at is empty")
                for row in (12, 15, 19, 20, 21, 22, 23, 24, 25)]
    messages.append(Message("error", 30, "amount", "x", "f.csv row 30: 'x' is not a number", "amount is not a number"))
    lines = group_messages(messages)
    assert lines == [
        "9 rows: created_at is empty (column created_at) — rows 12, 15, 19, 20, 21, 22, 23, 24, …",
        "f.csv row 30: 'x' is not a number",
    ]


@pytest.mark.hostile
def test_lock_message_says_how_long_it_waited_and_which_setting_to_raise(tmp_path):
    from filelock import FileLock

    from coordkit.errors import WorkspaceLockedError
    from coordkit.ingest.workspace import open_workspace

    (tmp_path / "coordkit.yaml").write_text("lock_timeout_seconds: 0.5\n", encoding="utf-8")
    with open_workspace(tmp_path) as ws:
        other = FileLock(str(tmp_path / ".coordkit" / "write.lock"))
        other.acquire()
        try:
            with pytest.raises(WorkspaceLockedError) as caught, ws.write_lock():
                pass
        finally:
            other.release()
    assert "waited" in caught.value.message and "lock_timeout_seconds" in caught.value.hint
