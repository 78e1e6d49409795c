"""Shipped presets for real vendor exports, read through the validating loader.

Each fixture in ``tests/fixtures/exports/<preset>.csv`` is a small export with
the vendor's headers and quirks (BOMs, quoted thousands, title lines, totals
and footer lines, vendor date formats) and at least one bad row. Expected
values below were worked out by hand from the fixture text. (The realistic
downloads of every vendor, read without --preset, are tested in
test_presets_vendors.py.)

Row numbers are as a spreadsheet shows them with the header as row 1 (for
Google Ads the two title lines above the header are skipped first).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coordkit.config import WorkspaceConfig
from coordkit.contract import CHANNELS
from coordkit.ingest.presets import list_presets, load_preset
from coordkit.ingest.validate import read_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"

# name -> (table, rows read, accepted, rejected, merged duplicates); lines skipped as
# non-data (totals) or as not belonging to the table (Subscribers are not leads) are not read
EXPECTED_COUNTS = {
    "hubspot-deals": ("outcomes", 8, 6, 1, 1),
    "hubspot-contacts": ("outcomes", 8, 7, 1, 0),  # + 1 Subscriber skipped
    "mailchimp-campaigns": ("outputs", 6, 5, 1, 0),
    "google-ads-campaigns": ("outputs", 9, 8, 1, 0),  # + 3 totals lines skipped
    "meta-ads-campaigns": ("outputs", 7, 6, 1, 0),
    "utm-links": ("outputs", 7, 6, 1, 0),
}

# name -> (row, text naming the column, value) of the planted bad row
BAD_ROW = {
    "hubspot-deals": (6, "Amount", "-1500"),
    "hubspot-contacts": (7, "Became a Lead Date", "2026-13-05 16:20"),
    "mailchimp-campaigns": (5, "Send Date", "09/03/2026 09:00"),
    "google-ads-campaigns": (11, "Cost", "-12.50"),  # spreadsheet row: two title lines above the header
    "meta-ads-campaigns": (6, "Reporting starts", "03/04/2026"),
    "utm-links": (8, "Created", "2026-03-32"),
}

# Files whose non-data lines (totals) are skipped by the preset's prepare steps.
SUMMARY_LINES = {
    "google-ads-campaigns": {13: "Total: Account", 14: "Total: Search", 15: "Total: Display"},
}


def _read(name: str, **kwargs):
    table = EXPECTED_COUNTS[name][0]
    return read_table(FIXTURES / f"{name}.csv", table, preset=name, **kwargs)


def _row(result, column: str, value) -> pd.Series:
    match = result.accepted[result.accepted[column] == value]
    assert len(match) == 1, f"expected one accepted row with {column}={value!r}, got {len(match)}"
    return match.iloc[0]


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- every preset -------------------------------------------------------------


def test_every_vendor_preset_is_shipped_with_a_source():
    shipped = {p.name: p for p in list_presets()}
    for name, (table, *_rest) in EXPECTED_COUNTS.items():
        assert name in shipped, f"preset {name} is not shipped"
        preset = load_preset(name, table)
        assert preset.table == table
        assert preset.title
        assert len(preset.source) > 40, f"{name}: source should say where the column names come from"


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_counts_add_up(name):
    _table, read, accepted, rejected, merged = EXPECTED_COUNTS[name]
    result = _read(name)
    assert result.counts == {
        "rows_read": read,
        "accepted": accepted,
        "rejected": rejected,
        "merged_duplicates": merged,
    }
    assert result.rows_read == len(result.accepted) + len(result.rejected) + result.merged_duplicates


@pytest.mark.parametrize("name", sorted(BAD_ROW))
def test_bad_row_is_rejected_with_file_row_column_and_value(name):
    row, column_text, value = BAD_ROW[name]
    result = _read(name)
    hits = result.rejected[result.rejected["row"] == row]
    assert len(hits) == 1, result.rejected[["row", "reason"]].to_string()
    reject = hits.iloc[0]
    reason = reject["reason"]
    assert f"{name}.csv row {row}" in reason
    assert column_text in reason
    assert value in reason
    assert reject["value"] == value
    # the original cells are kept with the rejection
    assert value in reject["raw"]
    # and the row never reaches the accepted table
    assert row not in set(result.accepted["_source_row"])


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_accepted_rows_meet_the_contract(name):
    result = _read(name)
    accepted = result.accepted
    if result.table == "outputs":
        assert accepted["output_id"].is_unique
        assert accepted["output_id"].notna().all()
        assert set(accepted["channel"]) <= set(CHANNELS)
        assert accepted["campaign"].notna().all()
        time_column = "published_at"
    else:
        assert accepted["outcome_id"].is_unique
        time_column = "created_at"
    assert str(accepted[time_column].dt.tz) == "UTC"
    assert accepted[time_column].notna().all()


# --- summary lines (Google Ads totals, Salesforce footers) ---------------------


@pytest.mark.parametrize("name", sorted(SUMMARY_LINES))
def test_summary_lines_are_skipped_and_accounted_for(name):
    result = _read(name)
    # the reader's structure rules or the preset's prepare steps may skip them: either way with a reason
    skipped = dict(result.skipped_rows) | {s.row: s.reason for s in result.skipped if s.row in SUMMARY_LINES[name]}
    assert set(skipped) == set(SUMMARY_LINES[name])
    assert all("totals line" in reason for reason in skipped.values())
    assert any("3 row(s) not read into outputs" in w or "3 non-data line(s): totals line" in w for w in result.warnings)
    assert not set(SUMMARY_LINES[name]) & set(result.accepted["_source_row"])
    assert not set(SUMMARY_LINES[name]) & set(result.rejected["row"])


@pytest.mark.parametrize("name", sorted(SUMMARY_LINES))
def test_summary_lines_do_not_count_towards_the_bad_share(name):
    # 1 bad row of 9 data rows: a limit just above 1/9 passes (totals lines are not rows read)
    data_rows = EXPECTED_COUNTS[name][1]
    result = _read(name, max_bad_share=1.5 / data_rows)
    assert len(result.accepted) == EXPECTED_COUNTS[name][2]


# --- hand-checked values, one preset at a time ----------------------------------


def test_hubspot_deals_values():
    result = _read("hubspot-deals")
    won = _row(result, "outcome_id", "15012345678")
    assert won["kind"] == "opportunity"
    assert won["created_at"] == _utc("2026-02-02 09:15")
    assert won["closed_at"] == _utc("2026-03-20 14:05")
    assert won["amount"] == 24000.0  # "24,000"
    assert won["won"] == True
    assert won["stage"] == "Closed Won"
    assert won["owner"] == "Dana Lee"
    assert won["account_id"] == "8810001"  # Associated Company IDs (Primary)
    lost = _row(result, "outcome_id", "15012345679")
    assert lost["won"] == False
    open_deal = _row(result, "outcome_id", "15012345683")
    assert open_deal["amount"] == 7250.0  # "7,250.00"
    assert pd.isna(open_deal["won"])
    no_amount = _row(result, "outcome_id", "15012345681")
    assert pd.isna(no_amount["amount"])
    # the repeated Acme row (an overlapping second export) is merged, not doubled
    assert (result.accepted["outcome_id"] == "15012345678").sum() == 1


def test_hubspot_deals_read_in_the_workspace_time_zone():
    result = _read("hubspot-deals", config=WorkspaceConfig(timezone="America/New_York"))
    won = _row(result, "outcome_id", "15012345678")
    assert won["created_at"] == _utc("2026-02-02 14:15")  # 09:15 EST
    assert won["closed_at"] == _utc("2026-03-20 18:05")  # 14:05 EDT (after the 8 March switch)


def test_hubspot_contacts_are_leads_dated_when_they_became_a_lead():
    result = _read("hubspot-contacts")  # UTF-8 with BOM
    assert set(result.accepted["kind"]) == {"lead"}
    chloe = _row(result, "outcome_id", "9100003")
    assert chloe["contact_id"] == "9100003"
    # created 27 Feb, became a lead 3 Mar: the lead counts in the week of 3 Mar
    assert chloe["created_at"] == _utc("2026-03-03 08:00")
    assert chloe["stage"] == "Marketing Qualified Lead"
    assert chloe["account_id"] == "8810002"
    # a subscriber is not a lead: left out of this table with that reason, never dropped silently
    assert result.skipped_rows == [(6, "not a lead: lifecycle stage Subscriber")]
    assert 6 not in set(result.rejected["row"]) | set(result.accepted["_source_row"])


def test_salesforce_report_mixing_day_and_month_order_is_refused_naming_two_rows():
    # row 6 carries an en-GB date (31/03/2026) in an en-US report: never read value by value
    from coordkit.errors import SchemaError

    with pytest.raises(SchemaError, match=r"salesforce-opportunities.csv row 6, column Created Date: '31/03/2026' is day-first but row \d+.*month-first"):
        read_table(FIXTURES / "salesforce-opportunities.csv", "outcomes", preset="salesforce-opportunities")


def test_mailchimp_campaigns_values():
    result = _read("mailchimp-campaigns")
    invite = _row(result, "output_id", "b2c3d4e5f6")
    assert invite["published_at"] == _utc("2026-03-05 14:30")  # "Mar 05, 2026 02:30 pm"
    assert invite["channel"] == "email"
    assert invite["kind"] == "email"
    assert invite["platform"] == "Mailchimp"
    assert invite["campaign"] == "Webinar invite - Spring"
    assert invite["title"] == "Join our live demo on March 12"
    assert invite["reach"] == 4751
    assert invite["opens"] == 1620
    assert invite["clicks"] == 377
    first = _row(result, "output_id", "a1b2c3d4e5")
    assert first["published_at"] == _utc("2026-03-03 09:00")  # 09:00 am


def test_google_ads_campaigns_one_output_per_campaign_per_day():
    result = _read("google-ads-campaigns")
    brand = _row(result, "output_id", "20123456781:2026-03-02")
    assert brand["published_at"] == _utc("2026-03-02")
    assert brand["channel"] == "paid_search"
    assert brand["kind"] == "ad"
    assert brand["platform"] == "Google Ads"
    assert brand["campaign"] == "Brand - Search"
    assert brand["cost"] == pytest.approx(45.24)
    assert brand["impressions"] == 1204  # "1,204"
    assert brand["clicks"] == 87
    generic = _row(result, "output_id", "20123456782:2026-03-03")
    assert generic["cost"] == pytest.approx(1118.50)  # "1,118.50"
    display = _row(result, "output_id", "20123456783:2026-03-02")
    assert display["channel"] == "display"
    assert display["clicks"] == 0  # "--" in Avg. cost / Cost / conv. does not matter
    assert display["impressions"] == 18450
    # three campaigns x three days, minus the row with a negative cost
    assert len(result.accepted) == 8
    assert "20123456782:2026-03-04" not in set(result.accepted["output_id"])


def test_meta_ads_campaigns_values():
    result = _read("meta-ads-campaigns")  # UTF-8 with BOM
    leads = _row(result, "output_id", "120210000000000001:2026-03-02:2026-03-02")
    assert leads["published_at"] == _utc("2026-03-02")
    assert leads["channel"] == "paid_social"
    assert leads["platform"] == "Meta Ads"
    assert leads["campaign"] == "Spring Webinar - Leads"
    assert leads["cost"] == pytest.approx(114.90)  # Amount spent (USD)
    assert leads["impressions"] == 9845  # "9,845"
    assert leads["reach"] == 6210
    assert leads["clicks"] == 212  # Link clicks
    video = _row(result, "output_id", "120210000000000002:2026-03-02:2026-03-02")
    assert pd.isna(video["clicks"])  # Meta leaves the cell empty: missing, not 0


def test_utm_links_values():
    result = _read("utm-links")
    by_medium = dict(zip(result.accepted["utm_medium"], result.accepted["channel"]))
    assert by_medium == {
        "email": "email",
        "social": "social",
        "cpc": "paid_search",
        "paid_social": "paid_social",
        "display": "display",
        "sms": "other",
    }
    newsletter = _row(result, "utm_content", "nl1-cta")
    assert newsletter["output_id"] == newsletter["url"]
    assert "utm_campaign=spring-webinar" in newsletter["url"]
    assert newsletter["campaign"] == "spring-webinar"
    assert newsletter["utm_campaign"] == "spring-webinar"
    assert newsletter["utm_source"] == "mailchimp"
    assert newsletter["published_at"] == _utc("2026-03-02")
    assert newsletter["title"] == "Newsletter #1 - webinar CTA"
    assert any("sms" in w for w in result.warnings)


def test_google_ads_totals_in_another_column_are_still_dropped(tmp_path):
    # Without the Day segment first, Google Ads puts the "Total: ..." label in the first
    # column and "--" in Day; those lines must not become outputs either.
    export = tmp_path / "campaigns.csv"
    export.write_text(
        "Campaign report\n"
        '"March 2, 2026 - March 2, 2026"\n'
        "Campaign status,Campaign,Campaign ID,Day,Campaign type,Currency code,Impr.,Clicks,Cost\n"
        'Enabled,Brand - Search,20123456781,2026-03-02,Search,USD,"1,204",87,45.24\n'
        "Enabled,Remarketing - Display,20123456783,2026-03-02,Display,USD,900,3,2.10\n"
        "Enabled,Generic,20123456782,2026-03-02,Search,USD,500,20,30.00\n"
        "Enabled,Shopping - All,20123456784,2026-03-02,Shopping,USD,700,9,8.00\n"
        'Total: Account,--,--,--,--,USD,"3,304",119,85.34\n',
        encoding="utf-8",
    )
    result = read_table(export, "outputs", preset="google-ads-campaigns")
    assert result.counts == {"rows_read": 4, "accepted": 4, "rejected": 0, "merged_duplicates": 0}
    skipped = result.skipped_rows + [(s.row, s.reason) for s in result.skipped if s.row == 8]
    assert [row for row, _ in skipped] == [8] and "totals line" in skipped[0][1]
    assert _row(result, "output_id", "20123456784:2026-03-02")["channel"] == "paid_search"


# --- recognition and prepare steps of a user's own presets ------------------------


def _preset(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_preset(str(path))


def test_two_presets_fitting_equally_are_named_and_none_is_picked(tmp_path):
    from coordkit.ingest.recognise import RecognitionError, recognise

    body = "table: outcomes\nfingerprint: {header: [Deal, Opened]}\ncolumns: {outcome_id: Deal, created_at: Opened}\nconstants: {kind: deal}\n"
    a, b = _preset(tmp_path, "crm-a", "name: crm-a\n" + body), _preset(tmp_path, "crm-b", "name: crm-b\n" + body)
    export = tmp_path / "deals.csv"
    export.write_text("Deal,Opened\nD1,2026-03-02\n", encoding="utf-8")
    with pytest.raises(RecognitionError, match="fits several exports equally well: crm-a, crm-b") as caught:
        recognise(export, [a, b])
    assert "--preset" in caught.value.hint
    # a more specific fingerprint wins over a looser one
    c = _preset(tmp_path, "crm-c", "name: crm-c\n" + body.replace("[Deal, Opened]", "[Deal, Opened, Owner]"))
    export.write_text("Title line\nDeal,Opened,Owner\nD1,2026-03-02,Ana\n", encoding="utf-8")
    found = recognise(export, [a, c])
    assert [p.name for p in found.presets] == ["crm-c"]
    assert found.presets[0].read["skip_rows"] == 1  # the title line above the header
    result = read_table(export, "outcomes", found.presets[0])
    assert result.accepted["outcome_id"].tolist() == ["D1"]


@pytest.mark.parametrize(
    "prepare, message",
    [
        ("[{shuffle: {column: A}}]", r"prepare step 1: step must be one of .*; got 'shuffle'"),
        ("[{keep_rows: {column: A, colour: red}}]", r"prepare step 1 \(keep_rows\): option must be one of .*; got 'colour'"),
        ("{keep_rows: {column: A}}", r"'prepare' must be a list of steps"),
    ],
)
def test_a_bad_prepare_step_is_named(tmp_path, prepare, message):
    from coordkit.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        _preset(tmp_path, "bad", f"name: bad\ntable: outcomes\ncolumns: {{outcome_id: A}}\nprepare: {prepare}\n")


def test_keep_rows_and_explode_account_for_every_line(tmp_path):
    preset = _preset(tmp_path, "links", """
name: links
table: outcome_contacts
prepare:
  - keep_rows: {column: Contacts, not_empty: true, reason: "no contact"}
  - explode: {column: Contacts, sep: ";"}
columns: {outcome_id: Deal, contact_id: Contacts}
""")
    export = tmp_path / "deals.csv"
    export.write_text("Deal,Contacts\nD1,c1;c2; c3\nD2,\nD3,c1\n", encoding="utf-8")
    result = read_table(export, "outcome_contacts", preset)
    pairs = sorted(zip(result.accepted["outcome_id"], result.accepted["contact_id"]))
    assert pairs == [("D1", "c1"), ("D1", "c2"), ("D1", "c3"), ("D3", "c1")]
    assert sorted(set(result.accepted["_source_row"])) == [2, 4]  # each link keeps its source row
    assert result.skipped_rows == [(3, "no contact")]
