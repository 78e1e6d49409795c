"""Currencies are kept apart: converted only with ingested monthly rates, otherwise named and never added."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from coordkit.analysis.metrics import outcome_facts
from coordkit.analysis.narrative import format_amount
from coordkit.cli import main
from coordkit.config import load_config
from coordkit.errors import ParameterError, WorkspaceError
from coordkit.ingest.currency import amounts_kept_apart
from coordkit.ingest.workspace import open_workspace
from coordkit.money import currency_in_text, currency_symbol, format_money

DEALS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors" / "hubspot" / "deals-export.csv"


def _recount() -> dict[str, dict[str, float]]:
    """deal id -> (currency, amount), read with the plain csv module."""
    with DEALS.open(encoding="utf-8-sig", newline="") as handle:
        return {r["Record ID"]: (r["Deal currency code"], float(r["Amount"])) for r in csv.DictReader(handle)}


def _by_currency(deals) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for currency, amount in deals.values():
        totals[currency] += amount
    return dict(totals)


def test_amounts_without_a_rate_are_named_and_left_out_of_every_total(tmp_path, capsys):
    deals = _recount()
    totals = _by_currency(deals)
    assert set(totals) == {"USD", "EUR", "GBP"}
    ws_dir = tmp_path / "ws"
    assert main(["ingest", str(DEALS), "--workspace", str(ws_dir), "--create"]) == 0
    out = capsys.readouterr().out
    for code in ("EUR", "GBP"):
        count = sum(1 for c, _ in deals.values() if c == code)
        assert f"outcomes.amount: {count} amount(s) in {code} totalling {format_money(totals[code], code)}" in out
        assert "kept apart and not added to USD totals" in out
    with open_workspace(ws_dir, read_only=True) as ws:
        facts = outcome_facts(ws).set_index("outcome_id")
    for deal, (code, amount) in deals.items():
        if code == "USD":
            assert facts.loc[deal, "amount"] == amount
        else:
            assert facts.loc[deal, "amount"] != facts.loc[deal, "amount"]  # empty: not converted, not added
    assert facts["amount"].sum() == pytest.approx(totals["USD"])


def test_ingested_rates_convert_by_month_and_only_the_currency_without_rate_stays_apart(tmp_path, capsys):
    deals = _recount()
    ws_dir = tmp_path / "ws"
    assert main(["ingest", str(DEALS), "--workspace", str(ws_dir), "--create"]) == 0
    rates = tmp_path / "rates.csv"
    rates.write_text("month,currency,rate\n" + "".join(f"2026-{m:02d},EUR,1.10\n" for m in range(1, 13)), encoding="utf-8")
    capsys.readouterr()
    assert main(["ingest", str(rates), "--as", "fx_rates", "--workspace", str(ws_dir)]) == 0
    out = capsys.readouterr().out
    assert "in EUR" not in out and "in GBP" in out
    with open_workspace(ws_dir, read_only=True) as ws:
        facts = outcome_facts(ws).set_index("outcome_id")
        assert [w for w in amounts_kept_apart(ws) if "EUR" in w] == []
    expected = sum(a * (1.10 if c == "EUR" else 1.0) for c, a in deals.values() if c != "GBP")
    assert facts["amount"].sum() == pytest.approx(expected)


def test_a_rate_to_another_reporting_currency_is_not_used(tmp_path):
    ws_dir = tmp_path / "ws"
    assert main(["ingest", str(DEALS), "--workspace", str(ws_dir), "--create"]) == 0
    rates = tmp_path / "rates.csv"
    rates.write_text("month,currency,rate,to_currency\n2026-02,EUR,0.85,GBP\n2026-03,EUR,0.85,GBP\n", encoding="utf-8")
    assert main(["ingest", str(rates), "--as", "fx_rates", "--workspace", str(ws_dir)]) == 0
    with open_workspace(ws_dir, read_only=True) as ws:
        assert any("in EUR" in w for w in amounts_kept_apart(ws))


def test_reporting_currency_setting_and_symbols(tmp_path):
    (tmp_path / "coordkit.yaml").write_text("reporting_currency: EUR\n", encoding="utf-8")
    config = load_config(tmp_path)
    assert config.reporting_currency == "EUR"
    assert format_amount(270_000, config.currency) == "€270k"  # what the review prints
    (tmp_path / "coordkit.yaml").write_text("reporting_currency: euro\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="ISO 4217"):
        load_config(tmp_path)
    (tmp_path / "coordkit.yaml").write_text("reporting_currency: EUR\ncurrency: USD\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="disagree"):
        load_config(tmp_path)
    assert (currency_symbol("GBP"), currency_symbol("SEK")) == ("£", "SEK ")
    assert format_money(13800, "USD") == "$13,800"
    assert format_money(270000, "EUR") == "€270,000"


@pytest.mark.parametrize(
    "text, code",
    [("Amount spent (EUR)", "EUR"), ("USD 12,000.00", "USD"), ("12.000,00 EUR", "EUR"), ("£1,200", "GBP"),
     ("$1,200", None), ("Cost", None), ("Total Spent", None)],
)
def test_currency_named_in_a_header_or_cell(text, code):
    assert currency_in_text(text) == code


def test_an_export_with_no_currency_is_in_the_reporting_currency(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "coordkit.yaml").write_text("reporting_currency: GBP\n", encoding="utf-8")
    export = tmp_path / "deals.csv"
    export.write_text("outcome_id,kind,created_at,amount\nD1,opportunity,2026-03-02,100\nD2,opportunity,2026-03-02,\n", encoding="utf-8")
    assert main(["ingest", str(export), "--as", "outcomes", "--workspace", str(tmp_path / "ws"), "--create"]) == 0
    with open_workspace(tmp_path / "ws", read_only=True) as ws:
        stored = ws.table("outcomes").select("outcome_id", "currency").to_pandas().set_index("outcome_id")["currency"]
    assert stored["D1"] == "GBP"
    assert stored["D2"] is None or stored["D2"] != stored["D2"]  # no amount, no currency


def test_a_bad_currency_code_rejects_its_row_naming_the_value(tmp_path):
    from coordkit.ingest.validate import read_table

    export = tmp_path / "deals.csv"
    export.write_text("outcome_id,kind,created_at,amount,currency\nD1,opportunity,2026-03-02,100,usd\nD2,opportunity,2026-03-02,5,Euro\n", encoding="utf-8")
    result = read_table(export, "outcomes", max_bad_share=1)
    assert list(result.accepted["currency"]) == ["USD"]
    assert "deals.csv row 3, column currency: 'Euro' is not a currency code" in result.rejected["reason"].iloc[0]


def test_contact_ids_are_stored_as_keyed_hashes_that_still_join(tmp_path):
    from coordkit.privacy import SECRET_FILE, contact_key

    vendors = DEALS.parents[1]
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    (ws_dir / "coordkit.yaml").write_text("hash_contact_ids: true\n", encoding="utf-8")
    for name in ("hubspot/contacts-export.csv", "hubspot/deals-export.csv"):
        assert main(["ingest", str(vendors / name), "--workspace", str(ws_dir), "--create"]) == 0
    secret_path = ws_dir / ".coordkit" / SECRET_FILE
    assert secret_path.stat().st_mode & 0o077 == 0  # owner only
    secret = secret_path.read_text(encoding="utf-8").strip()
    with DEALS.open(encoding="utf-8-sig", newline="") as handle:
        deal_contacts = {c for r in csv.DictReader(handle) for c in r["Associated Contact IDs"].split(";") if c}
    with open_workspace(ws_dir, read_only=True) as ws:
        links = ws.table("outcome_contacts").to_pandas()
        touches = ws.table("touchpoints").to_pandas()
        outcomes = ws.table("outcomes").to_pandas()
        extras = " ".join(outcomes["extras"].fillna(""))
    assert not deal_contacts & set(outcomes["outcome_id"])  # leads are keyed by their contact's key
    assert set(links["contact_id"]) == {contact_key(c, secret) for c in deal_contacts}
    assert not any(c in set(links["contact_id"]) | set(touches["contact_id"]) for c in deal_contacts)
    assert not any(c in extras for c in deal_contacts)
    # the same person has the same key in every table: deals' contacts meet their touchpoints
    assert set(links["contact_id"]) & set(touches["contact_id"])
