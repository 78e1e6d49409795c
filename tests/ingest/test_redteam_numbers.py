"""Red team: numbers grouped in threes by a dot (``24.000``) in a column whose locale nobody settled.

The presets say how a vendor writes numbers by default (en: ``1,234.50``), but a
download made from an account set to German, or re-saved by a German Excel, writes
``24.000`` for twenty-four thousand. Read in the preset's en that is 24: a wrong
number stored with exit 0. Such a value must be rejected with its row, column and
value unless the column's own values settle the locale; a count (impressions,
clicks, reach, sessions) is never a fraction, so ``1.234`` impressions is a misread.
Fixtures follow the vendors' documented headers (docs/presets.md samples:
Google Ads "Campaign report" download, HubSpot deals export, Meta Ads Manager export).
"""

from __future__ import annotations

import csv

import pytest

from coordkit.ingest.validate import read_table

GOOGLE_ADS = (
    "Campaign report\n"
    '"October 1, 2026 - October 7, 2026"\n'
    "Campaign status,Campaign,Campaign type,Day,Currency code,Impr.,Clicks,Cost\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def data_rows(path, header_line):
    """Rows below the header, recounted with the plain csv module (independent of coordkit's reader)."""
    with open(path, newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    return lines[header_line:]


def test_dot_grouped_impressions_under_the_english_preset_are_rejected_not_read_as_fractions(tmp_path):
    path = write(tmp_path, "campaigns.csv", GOOGLE_ADS
                 + "Enabled,Brand Search,Search,2026-10-01,EUR,1.234,56,49.84\n"
                 + "Enabled,Brand Search,Search,2026-10-02,EUR,3.000,60,51.00\n"
                 + "Enabled,Brand Search,Search,2026-10-03,EUR,870,41,38.10\n")
    result = read_table(path, "outputs", preset="google-ads-campaigns", max_bad_share=1)
    # only the row with a plain count is stored, with the value the file says
    assert result.accepted["impressions"].tolist() == [870.0]
    rejected = result.rejected.set_index("row")
    assert sorted(rejected.index) == [4, 5]
    assert rejected.loc[4, "value"] == "1.234" and "impressions" in rejected.loc[4, "reason"]
    assert rejected.loc[5, "value"] == "3.000"
    assert "3000" in rejected.loc[5, "reason"] and "--locale" in rejected.loc[5, "reason"]
    counts = result.counts
    assert counts["rows_read"] == len(data_rows(path, 3)) == counts["accepted"] + counts["rejected"]


def test_with_locale_de_the_same_file_reads_thousands(tmp_path):
    path = write(tmp_path, "campaigns.csv", GOOGLE_ADS
                 + "Enabled,Brand Search,Search,2026-10-01,EUR,1.234,56,\"49,84\"\n"
                 + "Enabled,Brand Search,Search,2026-10-02,EUR,3.000,60,\"1.051,00\"\n")
    result = read_table(path, "outputs", preset="google-ads-campaigns", locale="de")
    assert result.accepted["impressions"].tolist() == [1234.0, 3000.0]
    assert result.accepted["cost"].tolist() == [49.84, 1051.0]


def test_a_fraction_in_a_count_is_rejected_even_when_the_file_settles_the_locale(tmp_path):
    # Cost 49.84 settles en for the file; impressions inherit it, and 2.5 impressions is a misread
    path = write(tmp_path, "campaigns.csv",
                 "published_at,channel,kind,output_id,cost,impressions\n"
                 "2026-10-01,paid_search,ad,a,49.84,2.500\n"
                 "2026-10-02,paid_search,ad,b,51.00,900\n")
    result = read_table(path, "outputs", max_bad_share=1)
    assert result.accepted["output_id"].tolist() == ["b"]
    assert result.rejected["value"].tolist() == ["2.500"]


@pytest.mark.parametrize("locale_arg", [None, "de"])
def test_hubspot_amount_24_000_is_not_stored_as_24(tmp_path, locale_arg):
    # a HubSpot deals export re-saved in German: 1.234,50 and 24.000 in the same Amount column
    path = write(tmp_path, "deals.csv",
                 "Record ID;Deal Name;Deal Stage;Amount;Create Date;Close Date\n"
                 "101;Acme;Closed Won;1.234,50;2026-10-14;2026-10-30\n"
                 "103;Gamma;Closed Lost;24.000;2026-10-03;2026-11-05\n")
    result = read_table(path, "outcomes", preset="hubspot-deals", max_bad_share=1, locale=locale_arg)
    stored = dict(zip(result.accepted["outcome_id"], result.accepted["amount"]))
    if locale_arg == "de":
        assert stored == {"101": 1234.5, "103": 24000.0}
    else:
        # both rows are rejected, each with its value; nothing is stored as 24
        assert stored == {}
        assert sorted(result.rejected["value"]) == ["1.234,50", "24.000"]


def test_a_column_that_settles_en_keeps_its_three_decimals(tmp_path):
    # 1,500.25 settles en for the Amount column: 2.125 is then two and an eighth, read as written
    path = write(tmp_path, "deals.csv",
                 "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date\n"
                 "1,A,Closed Won,\"1,500.25\",2026-10-14,2026-10-30\n"
                 "2,B,Closed Won,2.125,2026-10-14,2026-10-30\n")
    result = read_table(path, "outcomes", preset="hubspot-deals")
    assert result.accepted["amount"].tolist() == [1500.25, 2.125]


def test_a_percentage_in_a_money_or_count_column_is_rejected_not_read_as_its_number(tmp_path):
    # e.g. a Google Ads "Search impr. share" or "Conv. rate" column mapped onto cost or clicks by mistake
    path = write(tmp_path, "outputs.csv",
                 "published_at,channel,kind,output_id,cost,clicks\n"
                 "2026-10-14,paid_search,ad,a,5%,10\n"
                 "2026-10-15,paid_search,ad,b,10.50,12%\n"
                 "2026-10-16,paid_search,ad,c,7.25,3\n")
    result = read_table(path, "outputs", max_bad_share=1)
    assert result.accepted[["output_id", "cost", "clicks"]].values.tolist() == [["c", 7.25, 3.0]]
    assert result.rejected.set_index("row")["value"].to_dict() == {2: "5%", 3: "12%"}


@pytest.mark.parametrize("bulk", [True])
def test_the_bulk_path_rejects_what_the_exact_path_rejects(tmp_path, monkeypatch, bulk):
    monkeypatch.setenv("COORDKIT_BULK_MIN_BYTES", "0" if bulk else str(10**15))
    lines = ["published_at,channel,kind,output_id,cost,impressions"]
    lines += [f"2026-10-01,paid_search,ad,a{i},49.84,{'3.000' if i % 2 else '870'}" for i in range(200)]
    path = write(tmp_path, "outputs.csv", "\n".join(lines) + "\n")
    result = read_table(path, "outputs", max_bad_share=1)
    assert result.counts["rejected"] == 100
    assert set(result.accepted["impressions"]) == {870.0}
