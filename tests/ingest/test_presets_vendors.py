"""Every vendor download in tests/fixtures/vendors is recognised without --preset and lands in the right tables.

Expected counts and money totals are not taken from coordkit: each file is
recounted here with the plain ``csv`` module (openpyxl for the one Excel-only
export), using the rules a person reading the download would apply (skip the
preamble, the totals, summary and footer lines; a Subscriber is not a lead).
Money is summed per currency and compared per currency: amounts of two
currencies are never added, here or in coordkit.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from coordkit.cli import main
from coordkit.ingest.recognise import RecognitionError, plan_ingest, recognise
from coordkit.ingest.validate import read_table
from coordkit.ingest.workspace import open_workspace

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
#: the en-GB Salesforce report as a German-locale user exports it (tests/fixtures/locale-variants/README.md)
DE_DE = "../locale-variants/salesforce-opportunities-de-DE.csv"


# --- an independent recount ------------------------------------------------------


def records(name: str, header_first: str, *, encoding: str = "utf-8-sig", delimiter: str = ",", occurrence: int = 1):
    """Data records as dicts: the lines after the ``occurrence``-th header line that starts with ``header_first``."""
    text = (VENDORS / name).read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    seen = 0
    for index, row in enumerate(rows):
        if row and row[0].lstrip("\ufeff") == header_first:
            seen += 1
            if seen == occurrence:
                header = [h.lstrip("\ufeff") for h in row]
                body = rows[index + 1 :]
                break
    else:
        raise AssertionError(f"{name}: no header starting with {header_first!r}")
    out = []
    for row in body:
        if not any(cell.strip() for cell in row):
            if occurrence > 1 or header_first.startswith("Session"):
                break  # GA4: a blank line ends the table
            continue
        out.append(dict(zip(header, row + [""] * (len(header) - len(row)))))
    return out


def only_first_cell(record: dict) -> bool:
    values = list(record.values())
    return bool(values[0].strip()) and not any(v.strip() for v in values[1:])


def number(text: str, decimal_comma: bool = False) -> float:
    if text.strip() in ("", "--"):
        return 0.0
    return float(text.replace(".", "").replace(",", ".")) if decimal_comma else float(text.replace(",", ""))


def money(recs, column: str, currency_column: str | None = None, currency: str | None = None) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for r in recs:
        # a German-locale report writes 95.000,00
        decimal_comma = bool(re.fullmatch(r"[\d.]+,\d{2}", r[column].strip()))
        totals[r[currency_column] if currency_column else currency] += number(r[column], decimal_comma)
    return dict(totals)


def google(name, **kw):
    return [r for r in records(name, "Campaign status", **kw) if not r["Campaign status"].startswith("Total")]


def salesforce(name, first="Opportunity Owner"):
    return [r for r in records(name, first) if not only_first_cell(r)]


def utm_campaign(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("utm_campaign", [""])[0]


def hubspot_contacts():
    return records("hubspot/contacts-export.csv", "Record ID")


def latest_touch(r) -> bool:
    last = r["Last Touch Converting Campaign"]
    return bool(last) and last not in (r["First Touch Converting Campaign"], r["Original Source Drill-Down 2"])


def deal_contact_pairs(recs):
    return {(r["Record ID"], c.strip()) for r in recs for c in r["Associated Contact IDs"].split(";") if c.strip()}


def monday_items():
    import openpyxl

    sheet = openpyxl.load_workbook(VENDORS / "monday/q1-marketing-launches.xlsx", read_only=True).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    return [r for r in rows if r[0] not in (None, "Name") and any(v is not None for v in r[1:])]


# file -> {preset: (table, expected rows, {currency: money total} or None, money column)}
CASES = {
    "google-ads/campaign-report-day.csv": {"google-ads-campaigns": ("outputs", google("google-ads/campaign-report-day.csv"), "Cost", "Currency code")},
    "google-ads/campaign-report-day-excel.csv": {"google-ads-campaigns": (
        "outputs", google("google-ads/campaign-report-day-excel.csv", encoding="utf-16", delimiter="\t"), "Cost", "Currency code")},
    "google-ads/campaign-report-week.csv": {"google-ads-campaigns": ("outputs", google("google-ads/campaign-report-week.csv"), "Cost", "Currency code")},
    "microsoft-ads/campaign-performance-daily.csv": {"microsoft-ads-campaigns": (
        "outputs", [r for r in records("microsoft-ads/campaign-performance-daily.csv", "TimePeriod") if not only_first_cell(r)],
        "Spend", "CurrencyCode")},
    "linkedin-ads/campaign-performance-report.csv": {"linkedin-ads-campaigns": (
        "outputs", records("linkedin-ads/campaign-performance-report.csv", "Start Date (in UTC)", encoding="utf-16", delimiter="\t"),
        "Total Spent", "Currency")},
    "tiktok-ads/campaign-report.csv": {"tiktok-ads-campaigns": ("outputs", records("tiktok-ads/campaign-report.csv", "Campaign name"), "Cost", "Currency")},
    "x-ads/campaign-report.csv": {"x-ads-campaigns": ("outputs", records("x-ads/campaign-report.csv", "Time period"), "Spend", "Currency")},
    "meta-ads/campaigns-by-day.csv": {"meta-ads-campaigns": (
        "outputs", [r for r in records("meta-ads/campaigns-by-day.csv", "Reporting starts") if r["Campaign name"]],
        "Amount spent (USD)", "=USD")},
    "meta-ads/campaigns-eu-account-eur.csv": {"meta-ads-campaigns": (
        "outputs", [r for r in records("meta-ads/campaigns-eu-account-eur.csv", "Reporting starts") if r["Campaign name"]],
        "Amount spent (EUR)", "=EUR")},
    "hootsuite/post-performance.csv": {"hootsuite-posts": ("outputs", records("hootsuite/post-performance.csv", "Date (GMT)"), None, None)},
    "buffer/posts-export.csv": {"buffer-posts": ("outputs", records("buffer/posts-export.csv", "Date"), None, None)},
    "sprout-social/post-performance.csv": {"sprout-social-posts": ("outputs", records("sprout-social/post-performance.csv", "Date"), None, None)},
    "later/posts-analytics.csv": {"later-posts": ("outputs", records("later/posts-analytics.csv", "Date Published"), None, None)},
    "mailchimp/campaign-reports.csv": {"mailchimp-campaigns": ("outputs", records("mailchimp/campaign-reports.csv", "Title"), None, None)},
    "hubspot/contacts-export.csv": {
        "hubspot-contacts": ("outcomes", [r for r in hubspot_contacts() if r["Lifecycle Stage"] != "Subscriber"], None, None),
        "hubspot-contacts-first-touch": ("touchpoints", hubspot_contacts(), None, None),
        "hubspot-contacts-latest-touch": ("touchpoints", [r for r in hubspot_contacts() if latest_touch(r)], None, None),
    },
    "hubspot/deals-export.csv": {
        "hubspot-deals": ("outcomes", records("hubspot/deals-export.csv", "Record ID"), "Amount", "Deal currency code"),
        "hubspot-deals-contacts": ("outcome_contacts", sorted(deal_contact_pairs(records("hubspot/deals-export.csv", "Record ID"))), None, None),
    },
    "salesforce/opportunities-en-US.csv": {"salesforce-opportunities": (
        "outcomes", salesforce("salesforce/opportunities-en-US.csv"), "Amount", "Opportunity Currency")},
    "salesforce/opportunities-en-GB.csv": {"salesforce-opportunities": (
        "outcomes", salesforce("salesforce/opportunities-en-GB.csv"), "Amount", "Opportunity Currency")},
    DE_DE: {"salesforce-opportunities": ("outcomes", salesforce(DE_DE), "Amount", "Opportunity Currency")},
    "salesforce/opportunity-contact-roles-en-US.csv": {"salesforce-contact-roles": (
        "outcome_contacts", salesforce("salesforce/opportunity-contact-roles-en-US.csv", "Opportunity ID"), None, None)},
    "ga4/traffic-acquisition-source-medium.csv": {"ga4-traffic-acquisition": (
        "sessions", records("ga4/traffic-acquisition-source-medium.csv", "Session source / medium"), "Total revenue", "=USD")},
    "ga4/traffic-acquisition-channels-two-tables.csv": {"ga4-traffic-acquisition": (
        "sessions", records("ga4/traffic-acquisition-channels-two-tables.csv", "Session primary channel group (Default Channel Group)"),
        "Total revenue", "=USD")},
    "salesforce/opportunity-history-en-US.csv": {"salesforce-opportunity-history": (
        "outcome_stages", salesforce("salesforce/opportunity-history-en-US.csv", "Opportunity ID"), None, None)},
    "asana/q1-marketing-launches.csv": {"asana-tasks": ("deliverables", records("asana/q1-marketing-launches.csv", "Task ID"), None, None)},
    "trello/q1-marketing-launches.csv": {"trello-cards": ("deliverables", records("trello/q1-marketing-launches.csv", "Card ID"), None, None)},
    "monday/q1-marketing-launches.xlsx": {"monday-items": ("deliverables", monday_items(), None, None)},
}
#: the same export in another format: merges with its twin instead of adding rows
TWINS = {
    "hubspot/deals-export-second-sheet.xlsx": "hubspot/deals-export.csv",
    "salesforce/opportunities-en-US-formatted.xlsx": "salesforce/opportunities-en-US.csv",
}
#: downloads no shipped preset reads into the data contract (no table for campaign influence yet)
NOT_READ = {"salesforce/campaign-influence-en-US.csv"}
MONEY_COLUMN = {"outputs": "cost", "outcomes": "amount", "sessions": "revenue"}


def test_every_vendor_fixture_is_covered():
    on_disk = {str(p.relative_to(VENDORS)) for p in VENDORS.rglob("*") if p.suffix in (".csv", ".xlsx")}
    assert on_disk - set(CASES) - set(TWINS) - NOT_READ == set()


def test_every_preset_has_a_vendor_fixture_read_without_preset():
    from coordkit.ingest.presets import list_presets

    covered = {preset for case in CASES.values() for preset in case}
    own = {"journey-events", "maven-crm", "utm-links"}  # files of coordkit's own or public data sets
    assert {p.name for p in list_presets()} - covered - own == set()


@pytest.mark.parametrize("name", sorted(CASES))
def test_recognised_without_preset_and_counted_like_the_plain_csv_recount(name):
    path = VENDORS / name
    expected = CASES[name]
    recognised = recognise(path)
    assert sorted(p.name for p in recognised.presets) == sorted(expected)
    for preset in recognised.presets:
        table, recs, money_column, currency_column = expected[preset.name]
        assert preset.table == table
        result = read_table(path, table, preset)
        # every data record of the download is accepted (these fixtures hold no bad rows), and
        # nothing that is not a record is; only a stage history repeats keys (edits that left the
        # stage unchanged), which merge
        counts = result.counts
        assert (counts["rows_read"], counts["rejected"]) == (len(recs), 0), result.warnings
        assert counts["accepted"] + counts["merged_duplicates"] == len(recs)
        if table != "outcome_stages":
            assert counts["merged_duplicates"] == 0
        if money_column:
            if currency_column.startswith("="):
                want = money(recs, money_column, currency=currency_column[1:])
            else:
                want = money(recs, money_column, currency_column)
            accepted = result.accepted
            column = MONEY_COLUMN[table]
            got = accepted.groupby("currency")[column].sum().to_dict() if accepted[column].notna().any() else {}
            want = {c: v for c, v in want.items() if v or c in got}
            assert got.keys() == want.keys()
            for currency, total in want.items():
                assert got[currency] == pytest.approx(total, abs=1e-6), currency


@pytest.mark.parametrize("twin, original", sorted(TWINS.items()))
def test_excel_twin_is_recognised_and_reads_the_same_rows(twin, original):
    a = {p.name: read_table(VENDORS / original, p.table, p).accepted for p in recognise(VENDORS / original).presets}
    b = {p.name: read_table(VENDORS / twin, p.table, p).accepted for p in recognise(VENDORS / twin).presets}
    assert a.keys() == b.keys()
    for name, rows in a.items():
        key = next(c for c in rows.columns if c.endswith("_id"))
        assert sorted(rows[key]) == sorted(b[name][key]), name


def test_not_read_downloads_are_named_with_candidates():
    with pytest.raises(RecognitionError, match="campaign-influence-en-US.csv: not recognised.*closest"):
        recognise(VENDORS / "salesforce/campaign-influence-en-US.csv")


# --- hand-checked values ----------------------------------------------------------


def _read(name: str, preset: str):
    path = VENDORS / name
    found = {p.name: p for p in recognise(path).presets}
    return read_table(path, found[preset].table, found[preset])


def test_social_posts_keep_untagged_posts_and_read_the_campaign_from_the_link():
    recs = records("hootsuite/post-performance.csv", "Date (GMT)")
    result = _read("hootsuite/post-performance.csv", "hootsuite-posts")
    by_id = result.accepted.set_index("output_id")
    for r in recs:
        row = by_id.loc[r["Post ID"]]
        expected = r["Tags"].split(",")[0].strip() or utm_campaign(r["Link URL"])
        assert (row["campaign"] if pd.notna(row["campaign"]) else "") == expected
        assert row["title"] == r["Post Message"]
    untagged = [r for r in recs if not r["Tags"] and not utm_campaign(r["Link URL"])]
    assert untagged  # the hiring post
    assert by_id["campaign"].isna().sum() == len(untagged)


def test_buffer_ids_are_stable_and_distinct_although_posts_share_links():
    first = _read("buffer/posts-export.csv", "buffer-posts").accepted["output_id"]
    again = _read("buffer/posts-export.csv", "buffer-posts").accepted["output_id"]
    assert first.is_unique and list(first) == list(again)
    links = [r["Link"] for r in records("buffer/posts-export.csv", "Date")]
    assert len(set(links)) < len(links)


@pytest.mark.hostile
def test_hubspot_contacts_store_no_names_emails_or_phones():
    path = VENDORS / "hubspot/contacts-export.csv"
    text = path.read_text(encoding="utf-8-sig")
    emails = [r["Email"] for r in records("hubspot/contacts-export.csv", "Record ID")]
    for preset in recognise(path).presets:
        result = read_table(path, preset.table, preset)
        stored = result.accepted.to_csv(index=False)
        assert not any(e in stored for e in emails if e)
        assert "First Name" not in stored and "Phone Number" not in stored
        assert any("not stored (personal data" in w for w in result.warnings)
    assert "@" in text  # the download itself does carry them


def test_hubspot_deals_keep_each_currency_and_the_original_source_utm():
    result = _read("hubspot/deals-export.csv", "hubspot-deals")
    acme = result.accepted.set_index("outcome_id").loc["15890012001"]
    assert (acme["currency"], acme["amount"], acme["utm_campaign"], acme["utm_source"]) == ("USD", 12000.0, "spend-leak-report-2026", "google")
    assert acme["contact_id"] == "51002301"  # the first of "51002301;51002378"
    globex = result.accepted.set_index("outcome_id").loc["15890012222"]
    assert (globex["currency"], globex["won"]) == ("EUR", True)


def test_salesforce_en_us_en_gb_and_de_de_read_the_same_dates_and_amounts():
    us = _read("salesforce/opportunities-en-US.csv", "salesforce-opportunities").accepted.set_index("outcome_id")
    gb = _read("salesforce/opportunities-en-GB.csv", "salesforce-opportunities").accepted.set_index("outcome_id")
    # de-DE: 28.02.2026 and 95.000,00 (the same report exported by a German-locale user)
    de = _read(DE_DE, "salesforce-opportunities").accepted.set_index("outcome_id")
    assert us.loc["0065g00000Ab000QAA", "created_at"] == pd.Timestamp("2026-02-28", tz="UTC")
    assert us.loc["0065g00000Ab000QAA", "closed_at"] == pd.Timestamp("2026-05-13", tz="UTC")
    assert de.loc["0065g00000Ab000QAA", "amount"] == 95000.0
    for other in (gb, de):
        for column in ("created_at", "closed_at", "amount", "currency"):
            pd.testing.assert_series_equal(us[column].sort_index(), other[column].sort_index())


def test_ga4_sessions_carry_the_period_and_the_default_channel_group():
    result = _read("ga4/traffic-acquisition-source-medium.csv", "ga4-traffic-acquisition").accepted
    assert set(result["period_start"]) == {pd.Timestamp("2026-03-02", tz="UTC")}
    assert set(result["period_end"]) == {pd.Timestamp("2026-03-15", tz="UTC")}
    by_pair = {(s, m): (g, c) for s, m, g, c in zip(result["source"], result["medium"], result["channel_group"], result["channel"])}
    # GA4 default channel group rules, worked out by hand from Google's definitions
    assert by_pair[("google", "cpc")] == ("Paid Search", "paid_search")
    assert by_pair[("facebook", "paid_social")] == ("Paid Social", "paid_social")
    assert by_pair[("mailchimp", "email")] == ("Email", "email")
    assert by_pair[("linkedin", "social")] == ("Organic Social", "social")
    assert by_pair[("google", "organic")] == ("Organic Search", "content")
    assert by_pair[("(direct)", "(none)")] == ("Direct", "other")
    assert by_pair[("chatgpt.com", "referral")] == ("Referral", "other")
    recs = records("ga4/traffic-acquisition-source-medium.csv", "Session source / medium")
    assert result["sessions"].sum() == sum(int(r["Sessions"]) for r in recs)


def test_deliverables_say_what_is_done():
    asana = _read("asana/q1-marketing-launches.csv", "asana-tasks").accepted.set_index("deliverable_id")
    recs = records("asana/q1-marketing-launches.csv", "Task ID")
    assert {r["Task ID"] for r in recs if r["Completed At"]} == set(asana.index[asana["done"] == True])
    trello = _read("trello/q1-marketing-launches.csv", "trello-cards").accepted.set_index("deliverable_id")
    assert trello.loc["65f10000c0ffee000000", "campaign"] == "2026 Spend Leak Report"
    assert trello.loc["65f10000c0ffee000000", "done"] == True
    monday = _read("monday/q1-marketing-launches.xlsx", "monday-items").accepted
    assert (monday["done"] == True).sum() == sum(1 for r in monday_items() if r[3] == "Done")


# --- one folder, one command, twice -------------------------------------------------


def _table_counts(workspace: Path) -> dict[str, int]:
    with open_workspace(workspace, read_only=True) as ws:
        return {name: int(ws.table(name).count().execute()) for name in
                ("outputs", "touchpoints", "outcomes", "outcome_contacts", "outcome_stages", "sessions", "deliverables")}


@pytest.mark.slow
def test_a_folder_of_every_download_ingests_with_one_command_twice_with_identical_counts(tmp_path, capsys):
    folder = tmp_path / "downloads"
    for name in [*CASES, *TWINS]:
        target = folder / name.replace("../", "")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(VENDORS / name, target)
    workspace = tmp_path / "ws"
    assert main(["ingest", str(folder), "--workspace", str(workspace), "--create"]) == 0
    first_out = capsys.readouterr().out
    assert "recognised as google-ads-campaigns" in first_out
    first = _table_counts(workspace)
    assert main(["ingest", str(folder), "--workspace", str(workspace)]) == 0
    assert _table_counts(workspace) == first
    # what the recount expects, with the same export in two formats or locales merged into one
    expected: dict[str, set] = defaultdict(set)
    for name, presets in CASES.items():
        for preset, (table, _recs, _m, _c) in presets.items():
            result = read_table(VENDORS / name, table, next(p for p in recognise(VENDORS / name).presets if p.name == preset))
            key = {"outcome_contacts": ["outcome_id", "contact_id"], "outcome_stages": ["outcome_id", "stage", "entered_at"]}.get(table)
            if table == "sessions":
                key = ["period_start", "period_end", "channel_group", "source", "medium", "campaign"]
            key = key or [c for c in result.accepted.columns if c.endswith("_id")][:1]
            expected[table] |= set(map(tuple, result.accepted[key].astype(str).to_numpy()))
    # distinct keys over all downloads: the UTF-16 twin of the Google Ads report and the en-GB copy of
    # the Salesforce report merge with their originals instead of adding rows
    assert first == {table: len(expected[table]) for table in first}


def test_the_same_export_as_csv_and_xlsx_merges_in_the_workspace(tmp_path):
    workspace = tmp_path / "ws"
    csv_path, xlsx_path = VENDORS / "hubspot/deals-export.csv", VENDORS / "hubspot/deals-export-second-sheet.xlsx"
    assert main(["ingest", str(csv_path), "--workspace", str(workspace), "--create"]) == 0
    once = _table_counts(workspace)
    assert main(["ingest", str(xlsx_path), "--workspace", str(workspace)]) == 0
    assert _table_counts(workspace) == once
    assert once["outcomes"] == len(records("hubspot/deals-export.csv", "Record ID"))


def test_utf8_and_utf16_downloads_of_one_report_merge(tmp_path):
    workspace = tmp_path / "ws"
    for name in ("google-ads/campaign-report-day.csv", "google-ads/campaign-report-day-excel.csv"):
        assert main(["ingest", str(VENDORS / name), "--workspace", str(workspace), "--create"]) == 0
    assert _table_counts(workspace)["outputs"] == len(google("google-ads/campaign-report-day.csv"))


def test_plan_lists_each_file_of_a_folder_with_its_tables(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    shutil.copy(VENDORS / "hubspot/contacts-export.csv", folder / "contacts.csv")
    shutil.copy(VENDORS / "salesforce/campaign-influence-en-US.csv", folder / "influence.csv")
    (folder / ".hidden.csv").write_text("a,b\n1,2\n")
    planned = {p.path.name: p for p in plan_ingest([folder])}
    assert set(planned) == {"contacts.csv", "influence.csv"}
    assert sorted(planned["contacts.csv"].targets) == [
        ("outcomes", "hubspot-contacts"), ("touchpoints", "hubspot-contacts-first-touch"), ("touchpoints", "hubspot-contacts-latest-touch")]
    assert planned["influence.csv"].error is not None


def test_presets_command_shows_vendor_report_and_download_steps(capsys):
    from coordkit.ingest.presets import list_presets

    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for preset in list_presets():
        assert preset.name in out
        if preset.vendor:
            assert f"{preset.vendor}: {preset.report}" in out
            assert f"download: {preset.download}" in out
            assert preset.source, preset.name
    assert out.count("best guess") == sum(p.best_guess for p in list_presets())


def test_docs_show_every_shipped_vendor_preset():
    from coordkit.ingest.presets import list_presets

    text = (Path(__file__).resolve().parents[2] / "docs" / "presets.md").read_text(encoding="utf-8")
    for preset in list_presets():
        assert f"`{preset.name}`" in text, preset.name


def test_validate_without_flags_checks_every_table_of_the_recognised_export(capsys):
    assert main(["validate", str(VENDORS / "hubspot/contacts-export.csv")]) == 0
    out = capsys.readouterr().out
    leads = [r for r in hubspot_contacts() if r["Lifecycle Stage"] != "Subscriber"]
    assert "recognised as hubspot-contacts" in out
    assert f"-> outcomes (preset hubspot-contacts): {len(leads)} read, {len(leads)} accepted" in out
    assert f"-> touchpoints (preset hubspot-contacts-first-touch): {len(hubspot_contacts())} read" in out
    assert "not a lead: lifecycle stage Subscriber" in out


def test_ga4_table_below_a_long_chart_series_is_found(tmp_path):
    # a year of daily chart rows for 8 channel groups puts the table ~3,000 lines down
    source = (VENDORS / "ga4/traffic-acquisition-channels-two-tables.csv").read_text(encoding="utf-8").splitlines()
    chart_header = source.index("Nth day,Session primary channel group (Default Channel Group),Sessions")
    series = [f"{day:04d},{group},{(day * 7 + len(group)) % 300}" for day in range(365)
              for group in ("Paid Search", "Paid Social", "Organic Search", "Direct", "Email", "Referral", "Organic Social", "Display")]
    end_of_series = source.index("", chart_header)
    long_file = tmp_path / "traffic.csv"
    long_file.write_text("\n".join([*source[: chart_header + 1], *series, *source[end_of_series:]]) + "\n", encoding="utf-8")
    found = recognise(long_file)
    assert [p.name for p in found.presets] == ["ga4-traffic-acquisition"]
    result = read_table(long_file, "sessions", found.presets[0])
    recs = records("ga4/traffic-acquisition-channels-two-tables.csv", "Session primary channel group (Default Channel Group)")
    assert len(result.accepted) == len(recs)
    assert result.accepted["sessions"].sum() == sum(int(r["Sessions"]) for r in recs)


def test_ga4_tables_after_the_main_table_are_skipped_and_counted(tmp_path, monkeypatch):
    """Main table first, then the chart series and the main table again, each after its own # block."""
    source = (VENDORS / "ga4/traffic-acquisition-channels-two-tables.csv").read_text(encoding="utf-8").splitlines()
    chart_header = source.index("Nth day,Session primary channel group (Default Channel Group),Sessions")
    block = source[chart_header - 4 : chart_header]  # "", "# All Users", "# Start date", "# End date"
    assert block[0] == "" and all(line.startswith("#") for line in block[1:])
    main_header = source.index("Session primary channel group (Default Channel Group),Sessions,Engaged sessions,"
                               "Engagement rate,Key events,Total revenue")
    series = source[chart_header : chart_header + 43]  # its header and 42 rows
    main = source[main_header:]
    wide = ["", "# All Users", "Device category,Sessions,Engaged sessions,Engagement rate,Key events,Total revenue,Views",
            "desktop,100,60,0.6,3,0,400", "mobile,80,40,0.5,1,0,200"]  # wider than the main header
    lines = [*source[:chart_header], *main[:4], *block, *series, *wide, *block, *main, *block, *main[:1], *main[4:]]
    path = tmp_path / "ga4-main-first.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = recognise(path)
    assert [p.name for p in found.presets] == ["ga4-traffic-acquisition"]
    result = read_table(path, "sessions", found.presets[0])
    assert result.rejected.empty
    # rows 1-3 of the main table, then all 7 after the series, then rows 4-7 once more (the same keys: merged)
    assert result.rows_read == 3 + 7 + 4 and len(result.accepted) == 7 and result.merged_duplicates == 7
    other = [s for s in result.skipped if s.reason.startswith("another table of the report")]
    assert len(other) == 43 + 3  # the series with its header, and the wider table with its header
    starts = {lines.index(series[0]) + 1, lines.index(wide[2]) + 1}
    assert {s.reason.split(":")[0] for s in other} == {f"another table of the report (its header is row {row}" for row in starts}
    assert {s.row for s in other} == {row for start in starts for row in range(start, start + (43 if start == min(starts) else 3))}
    # every line is read or skipped, exactly once (+ the header)
    assert result.rows_read + len(result.skipped) + 1 == len(lines)
    # a file big enough for the bulk path still goes to the reader that knows the sections
    from coordkit.ingest import bulk_path

    monkeypatch.setenv("COORDKIT_BULK_MIN_BYTES", "0")
    again = read_table(path, "sessions", found.presets[0])
    assert "read.sections" in bulk_path.LAST_FALLBACK
    assert again.skipped == result.skipped and again.rows_read == result.rows_read


def test_without_read_sections_a_table_after_a_comment_is_still_read_as_rows(tmp_path):
    """Other exports keep the rule: a row after a # line is data (it may be all text), never skipped unseen."""
    path = tmp_path / "outputs.csv"
    path.write_text("output_id,published_at,channel,kind,title\n"
                    "a,2026-11-02,email,email,Launch\n"
                    "# a note somebody typed\n"
                    "b,2026-11-03,email,email,Follow-up\n", encoding="utf-8")
    result = read_table(path, "outputs")
    assert sorted(result.accepted["output_id"]) == ["a", "b"]
    assert [s.reason for s in result.skipped] == ["comment line"]
