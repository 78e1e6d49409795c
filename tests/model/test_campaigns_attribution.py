"""Workspace attribution through a deal's contacts, and sourced credit by canonical campaign; hand-computed."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.ingest.workspace import open_workspace
from coordkit.model.campaigns_attribution import attribute_workspace, credit_summary


@pytest.fixture
def workspace(tmp_path):
    files = {
        "outputs": "output_id,published_at,channel,kind,campaign,utm_campaign\n"
                   "o1,2026-09-01T10:00:00Z,email,email,Report,report\n"
                   "o2,2026-09-01T10:00:00Z,paid_social,ad,Summit,summit\n",
        "touchpoints": "touchpoint_id,contact_id,touched_at,utm_campaign\n"
                       "t1,c1,2026-09-02T10:00:00Z,report\n"
                       "t2,c2,2026-09-03T10:00:00Z,summit\n",
        "outcomes": "outcome_id,kind,created_at,contact_id,amount,campaign\n"
                    "d1,opportunity,2026-09-10T10:00:00Z,c1,1000,Summit\n"
                    "d2,opportunity,2026-09-11T10:00:00Z,,500,\n",
        "outcome_contacts": "outcome_id,contact_id\nd1,c1\nd1,c2\n",
    }
    folder = tmp_path / "ws"
    with open_workspace(folder, create=True) as ws:
        for table, text in files.items():
            path = tmp_path / f"{table}.csv"
            path.write_text(text, encoding="utf-8")
            report = ws.ingest(path, table)
            assert report.status == "ok" and report.rejected == 0, report.summary()
    return folder


def test_a_deals_journey_holds_the_touches_of_all_its_contacts(workspace):
    with open_workspace(workspace, read_only=True) as ws:
        credit = attribute_workspace(ws, "linear")
        summary = credit_summary(ws, credit, "campaign").set_index("campaign")
    d1 = credit[credit["outcome_id"] == "d1"].set_index("campaign")
    # c1 touched Report, c2 (the deal's second contact) touched Summit: half each
    assert d1.loc["Report", "credit"] == pytest.approx(0.5) and d1.loc["Summit", "credit"] == pytest.approx(0.5)
    assert d1["amount"].sum() == pytest.approx(1000)
    assert summary.loc["Report", "pipeline"] == pytest.approx(500)


def test_sourced_credit_counts_every_outcome_once(workspace):
    with open_workspace(workspace, read_only=True) as ws:
        credit = attribute_workspace(ws, "sourced")
        summary = credit_summary(ws, credit, "campaign").set_index("campaign")
    assert summary.loc["Summit", "pipeline"] == 1000 and summary.loc["Summit", "outcomes"] == 1
    assert summary.loc["(unattributed)", "pipeline"] == 500
    assert summary["pipeline"].sum() == 1500


def test_amounts_in_several_currencies_are_kept_apart(workspace, tmp_path):
    path = tmp_path / "more.csv"
    path.write_text("outcome_id,kind,created_at,amount,currency,campaign\n"
                    "d3,opportunity,2026-09-12T10:00:00Z,700,EUR,Summit\n", encoding="utf-8")
    with open_workspace(workspace) as ws:
        ws.ingest(path, "outcomes")
    with open_workspace(workspace, read_only=True) as ws:
        summary = credit_summary(ws, attribute_workspace(ws, "sourced"), "campaign")
    summit = summary[summary["campaign"] == "Summit"].set_index("currency")["pipeline"]
    assert summit.to_dict() == {"USD": 1000, "EUR": 700}
    assert isinstance(summary, pd.DataFrame) and "currency" in summary.columns
