"""Stage history from real vendor export shapes: HubSpot deals' "Date entered" columns and Salesforce opportunity history.

The expectation is recounted from the fixture files with the csv module and
the documented stage orders, independently of coordkit.model.stage_history.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from coordkit.analysis.pipeline_data import load_pipeline
from coordkit.ingest.workspace import open_workspace

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
HUBSPOT_ORDER = ["Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Decision Maker Bought-In",
                 "Contract Sent", "Closed Won"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vendors") / "ws"
    with open_workspace(folder, create=True) as ws:
        ws.ingest(VENDORS / "hubspot" / "deals-export.csv", "outcomes", preset="hubspot-deals")
        ws.ingest(VENDORS / "salesforce" / "opportunities-en-US.csv", "outcomes", preset="salesforce-opportunities")
        ws.ingest(VENDORS / "salesforce" / "opportunity-history-en-US.csv", "outcome_stages",
                  preset="salesforce-opportunity-history")
    return load_pipeline(folder)


def test_hubspot_furthest_stage_and_result_match_the_recount(data):
    with (VENDORS / "hubspot" / "deals-export.csv").open(encoding="utf-8-sig", newline="") as handle:
        deals = list(csv.DictReader(handle))
    history = data.history[data.history["pipeline"] == "Sales Pipeline"]
    got = history.groupby("outcome_id").agg(last=("last_step", "max"), closed=("closed", "first"))
    for deal in deals:
        entered = {m.group(1) for column, value in deal.items()
                   if value and (m := re.match(r'Date entered "(.+) \(Sales Pipeline\)"', column))}
        furthest = max((HUBSPOT_ORDER.index(s) + 1 for s in entered if s in HUBSPOT_ORDER), default=1)
        closed = "won" if "Closed Won" in entered or deal["Deal Stage"] == "Closed Won" else (
            "lost" if "Closed Lost" in entered or deal["Deal Stage"] == "Closed Lost" else "")
        assert got.loc[deal["Record ID"], "last"] == furthest, deal["Record ID"]
        assert got.loc[deal["Record ID"], "closed"] == closed, deal["Record ID"]


def test_salesforce_history_gives_each_opportunity_its_furthest_stage(data):
    order = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
             "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won"]
    with (VENDORS / "salesforce" / "opportunity-history-en-US.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if len(r["Opportunity ID"] or "") == 18]
    furthest = {}
    for r in rows:
        if r["To Stage"] in order:
            furthest[r["Opportunity ID"]] = max(furthest.get(r["Opportunity ID"], 1), order.index(r["To Stage"]) + 1)
    history = data.history[data.history["pipeline"] == "Salesforce opportunities"]
    got = history.groupby("outcome_id")["last_step"].max().to_dict()
    known = set(data.outcomes["outcome_id"])
    assert got == {k: v for k, v in furthest.items() if k in known}
    # every opportunity starts in Prospecting at its creation (rule 5), not as a skipped stage
    first = history[history["step"] == 1]
    assert not first["skipped"].any()


def test_amounts_in_other_currencies_are_not_added(data):
    assert any("EUR" in w and "kept apart" in w for w in data.warnings)
    eur = data.outcomes["currency"].eq("EUR") if "currency" in data.outcomes else None
    assert eur is not None and data.outcomes.loc[eur, "amount"].isna().all()
