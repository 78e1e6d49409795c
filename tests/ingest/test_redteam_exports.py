"""Red team: vendor exports coordkit's fixtures do not cover, built from the vendors' documented formats.

- Meta Ads Manager names the ad account's currency in the spend header, "Amount spent (CHF)",
  for every currency it bills in, not only USD/EUR/GBP/CAD/AUD.
- LinkedIn Campaign Manager downloads are UTF-16 with tabs; saved again by some tools they lose
  the byte-order mark, and the file must still be recognised (the reader already reads it).
- A Salesforce multi-currency report writes the currency in the Amount cell ("USD 12,000.00")
  and in "Opportunity Currency": when the two disagree, which is right is a guess.
"""

from __future__ import annotations

import csv
import io

import pytest

from coordkit.ingest.recognise import recognise
from coordkit.ingest.validate import read_table

META_HEADER = ("Reporting starts,Reporting ends,Campaign name,Campaign delivery,Reach,Impressions,"
               "Amount spent ({code}),Link clicks\n")


@pytest.mark.parametrize("code", ["CHF", "NOK", "PLN", "NZD"])
def test_meta_export_in_any_billing_currency_is_recognised_and_keeps_its_currency(tmp_path, code):
    path = tmp_path / "meta.csv"
    path.write_text(META_HEADER.format(code=code)
                    + "2026-10-01,2026-10-31,Herbst,active,3000,12000,617.28,200\n", encoding="utf-8")
    assert [p.name for p in recognise(path).presets] == ["meta-ads-campaigns"]
    result = read_table(path, "outputs", "meta-ads-campaigns")
    row = result.accepted.iloc[0]
    assert (row["cost"], row["currency"], row["impressions"]) == (617.28, code, 12000.0)


def test_linkedin_utf16_without_byte_order_mark_is_recognised(tmp_path):
    text = ("Start Date (in UTC)\tAccount Name\tCampaign Name\tCampaign ID\tCurrency\tTotal Spent\tImpressions\tClicks\r\n"
            "10/1/2026\tAcme\tBrand Video\t123456\tUSD\t\"1,234.56\"\t\"45,000\"\t321\r\n")
    path = tmp_path / "linkedin.csv"
    path.write_bytes(text.encode("utf-16-le"))  # no BOM
    presets = recognise(path).presets
    assert [p.name for p in presets] == ["linkedin-ads-campaigns"]
    row = read_table(path, "outputs", presets[0]).accepted.iloc[0]
    expected = next(csv.reader(io.StringIO(text.splitlines()[1]), delimiter="\t"))
    assert row["cost"] == float(expected[5].replace(",", ""))
    assert row["impressions"] == float(expected[6].replace(",", ""))


def test_amount_cell_naming_another_currency_than_its_row_is_rejected_not_relabelled(tmp_path):
    path = tmp_path / "opportunities.csv"
    path.write_text(
        '"Opportunity Owner","Opportunity ID","Account Name","Opportunity Name","Stage","Opportunity Currency",'
        '"Amount","Close Date","Created Date"\n'
        '"Anna","0071","Acme","A","Closed Won","EUR","USD 12,000.00","11/5/2026","9/1/2026"\n'
        '"Anna","0072","Beta","B","Prospecting","USD","USD 3,500.50","11/30/2026","9/15/2026"\n'
        '"Ben","0073","Gamma","C","Prospecting","EUR","EUR 800.00","11/30/2026","9/15/2026"\n',
        encoding="utf-8")
    result = read_table(path, "outcomes", "salesforce-opportunities", max_bad_share=1)
    stored = {r.outcome_id: (r.amount, r.currency) for r in result.accepted.itertuples()}
    assert stored == {"0072": (3500.5, "USD"), "0073": (800.0, "EUR")}
    rejected = result.rejected.set_index("row")
    assert list(rejected.index) == [2]
    assert rejected.loc[2, "value"] == "USD 12,000.00"
    assert "USD" in rejected.loc[2, "reason"] and "EUR" in rejected.loc[2, "reason"]
    # the kept-apart warning counts only stored EUR amounts (the one of 0073), not the rejected row
    warnings = [m.text for m in result.messages if m.level == "warning" and "kept apart" in m.text]
    assert any("1 row(s) have amount in EUR" in w for w in warnings)


@pytest.mark.parametrize("number_format, expected", [
    ("#,##0.00 [$€-407]", "EUR"),  # Excel's German euro format
    ('"GBP" #,##0.00', "GBP"),
    ("[$CHF] #,##0.00", "CHF"),
    ('"$"#,##0.00', "USD"),  # a bare $ names no one currency: the workspace's is used
])
def test_xlsx_amounts_keep_the_currency_their_cell_format_shows(tmp_path, number_format, expected):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Opportunity Owner", "Opportunity ID", "Account Name", "Opportunity Name", "Stage", "Amount",
                  "Close Date", "Created Date"])
    sheet.append(["Anna", "0081", "Acme", "A", "Closed Won", 12000, dt.date(2026, 11, 5), dt.date(2026, 9, 1)])
    sheet.append(["Ben", "0082", "Beta", "B", "Prospecting", 3500.5, dt.date(2026, 11, 30), dt.date(2026, 9, 15)])
    for (cell,) in sheet.iter_rows(min_row=2, min_col=6, max_col=6):
        cell.number_format = number_format
    path = tmp_path / "opportunities.xlsx"
    book.save(path)
    accepted = read_table(path, "outcomes", "salesforce-opportunities").accepted
    assert accepted["amount"].tolist() == [12000.0, 3500.5]
    assert accepted["currency"].tolist() == [expected, expected]
