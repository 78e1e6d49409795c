"""The review's data-quality section names amounts kept apart for lack of an fx rate (issue 11)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import coordkit
from coordkit.cli import main
from coordkit.money import format_money

DEALS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors" / "hubspot" / "deals-export.csv"


def test_all_teams_review_names_each_currency_without_a_rate(tmp_path):
    with DEALS.open(encoding="utf-8-sig", newline="") as handle:
        rows = [(r["Deal currency code"], float(r["Amount"])) for r in csv.DictReader(handle)]
    counts, totals = Counter(c for c, _ in rows), defaultdict(float)
    for code, amount in rows:
        totals[code] += amount
    ws = tmp_path / "ws"
    assert main(["ingest", str(DEALS), "--workspace", str(ws), "--create"]) == 0
    notes = coordkit.compute_weekly_review(ws, team="all").quality_notes
    for code in ("EUR", "GBP"):
        wanted = f"{counts[code]} amount(s) in {code} totalling {format_money(totals[code], code)}"
        assert [n for n in notes if wanted in n and "kept apart" in n], (wanted, notes)
    assert not [n for n in notes if " in USD totalling" in n]  # the reporting currency is never "kept apart"
