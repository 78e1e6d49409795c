"""Campaign coverage and the review of Tallybook, checked against recounts of the raw downloads."""

from __future__ import annotations

import csv
import shutil
from urllib.parse import parse_qs, urlparse

import pytest

from coordkit.cli import main
from tests.company.conftest import DOWNLOADS, truth_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def applied(company_workspace, tmp_path_factory):
    folder = tmp_path_factory.mktemp("coverage") / "ws"
    shutil.copytree(company_workspace, folder)
    out = folder.parent / "campaigns.csv"
    assert main(["campaigns", "suggest", "--workspace", str(folder), "--out", str(out)]) == 0
    assert main(["campaigns", "apply", str(out), "--workspace", str(folder)]) == 0
    return folder


def _rows(name, encoding="utf-8", skip=0):
    with (DOWNLOADS / name).open(encoding=encoding, newline="") as handle:
        for _ in range(skip):
            next(handle)
        yield from csv.DictReader(handle)


def _output_labels():
    """Every output's campaign label, read from the raw files with the csv module."""
    for row in _rows("Campaign report.csv", skip=2):
        if not row["Week"].startswith("Total"):
            yield row["Campaign"], float(row["Cost"].replace(",", ""))
    for row in _rows("Tallybook-Campaigns-Jun-1-2026-Oct-25-2026.csv", encoding="utf-8-sig"):
        if row["Campaign name"]:
            yield row["Campaign name"], float(row["Amount spent (USD)"])
    for row in _rows("hootsuite_post_performance.csv"):
        utm = parse_qs(urlparse(row["Link URL"]).query).get("utm_campaign", [""])[0]
        yield row["Tags"] or utm or "(untagged)", None
    for row in _rows("buffer-posts-export.csv"):
        yield row["Tags"], None
    for row in _rows("campaigns.csv"):
        yield row["Title"], None


def test_output_and_spend_shares_equal_a_recount_of_the_downloads(applied):
    from coordkit.model.campaigns_coverage import campaign_coverage

    labels = list(_output_labels())
    linked = [(label, cost) for label, cost in labels if truth_of(label) != ""]
    shares = campaign_coverage(applied).shares.set_index("measure")
    assert shares.loc["outputs", "total"] == len(labels)
    assert shares.loc["outputs", "linked"] == len(linked)
    assert shares.loc["spend", "total"] == pytest.approx(sum(c for _, c in labels if c))
    assert shares.loc["spend", "linked"] == pytest.approx(sum(c for _, c in linked if c))
    assert shares.loc["spend", "currency"] == "USD"


def test_pipeline_share_equals_a_recount_of_the_crm_files(applied):
    from coordkit.model.campaigns_coverage import campaign_coverage

    total = linked = 0.0
    for row in _rows("hubspot-crm-exports-all-deals-2026-10-27.csv", encoding="utf-8-sig"):
        amount = float(row["Amount"].replace(",", ""))
        total += amount
        linked += amount if row["Original Source Data 2"] and truth_of(row["Original Source Data 2"]) else 0.0
    for row in _rows("report1761571200000.csv"):
        if row.get("Opportunity ID"):
            amount = float(row["Amount"].replace(",", ""))
            total += amount
            linked += amount if row["Primary Campaign Source"] else 0.0
    shares = campaign_coverage(applied).shares.set_index("measure")
    assert shares.loc["pipeline", "total"] == pytest.approx(total)
    assert shares.loc["pipeline", "linked"] == pytest.approx(linked)


def test_status_names_the_largest_unlinked_labels(applied, capsys):
    assert main(["status", "--workspace", str(applied)]) == 0
    text = capsys.readouterr().out
    assert "of outputs linked to a campaign" in text
    assert "'TB_Retargeting_Video'" in text
    assert "0 new since the map was applied" in text


def test_review_links_outputs_to_outcomes_by_canonical_campaign(applied):
    from coordkit.analysis.review import compute_weekly_review

    review = compute_weekly_review(applied, week="2026-10-19", model="linear")
    campaigns = review.attributed_by_campaign
    assert campaigns["pipeline_13w"].sum() > 0
    from coordkit.analysis.review import NOT_CREDITED

    # the review's last row holds what no output touched (so shares add up); it is not a campaign
    credited = set(campaigns.loc[campaigns["pipeline_13w"] > 0, "campaign"]) - {NOT_CREDITED}
    # every credited campaign is a decided canonical campaign, not one tool's spelling
    mapping = (applied / "campaign-map.csv").read_text(encoding="utf-8")
    assert all(c in mapping for c in credited)
    assert not set(review.activity_without_outcome["campaign"]) & credited
    notes = " ".join(review.quality_notes)
    assert "of pipeline (USD) linked to a campaign" in notes


def test_editor_accepts_renames_and_splits(applied, tmp_path):
    pytest.importorskip("ipywidgets")
    import pandas as pd

    from coordkit.ingest.campaign_map import read_campaign_map
    from coordkit.present.campaigns_editor import campaign_editor

    folder = tmp_path / "ws"
    shutil.copytree(applied, folder)
    editor = campaign_editor(folder)
    groups = {g["key"]: g for g in editor._groups}
    summit = next(g for k, g in groups.items() if "Partner Summit" in k)
    summit["name"].value = "Partner Summit (Sep 2026)"  # rename the whole group
    audit = next(g for k, g in groups.items() if "Audit Readiness" in k)
    audit["fields"]["Replay - Q3 Audit Readiness webinar"].value = "Audit Readiness replay"  # split one label off
    editor.save()
    stored = read_campaign_map(folder).drop_duplicates("label").set_index("label")["campaign"]
    assert stored["PartnerSummit2026"] == stored["partner-summit-2026"] == "Partner Summit (Sep 2026)"
    assert stored["Replay - Q3 Audit Readiness webinar"] == "Audit Readiness replay"
    assert stored["AuditReadiness"] == audit["name"].value
    assert stored.get("(not set)", "") == ""
    outputs = pd.DataFrame(
        __import__("coordkit").open_workspace(folder, read_only=True).table("outputs").select("campaign").execute()
    )
    assert "Partner Summit (Sep 2026)" in set(outputs["campaign"])


def test_campaigns_notebook_runs_on_the_company(applied, tmp_path):
    papermill = pytest.importorskip("papermill")
    from coordkit.packaged import notebook_file

    out = tmp_path / "campaigns.ipynb"
    papermill.execute_notebook(str(notebook_file("campaigns.ipynb")), str(out), parameters={"workspace": str(applied)},
                               cwd=str(tmp_path), progress_bar=False)
    assert "of outputs linked to a campaign" in out.read_text(encoding="utf-8")


def test_ga4_sessions_read_as_canonical_campaigns_for_the_lagged_association(applied):
    from coordkit.analysis.sessions_lag import compute_sessions_lag

    table = compute_sessions_lag(applied, "2026-10-19", max_lag=2)
    campaigns = set(table["campaign"])
    mapping = (applied / "campaign-map.csv").read_text(encoding="utf-8")
    # GA4 spells campaigns as utm values; they arrive under their canonical names
    assert "spend-leak-report-2026" not in campaigns
    assert {"(organic)", "(direct)", "(not set)", "(referral)"} <= campaigns
    named = campaigns - {"(organic)", "(direct)", "(not set)", "(referral)"}
    assert len(named) == 10 and all(f",{c}," in mapping or f',"{c}",' in mapping for c in named)
    recount = 0.0
    for row in _rows("Traffic_acquisition_Session_campaign.csv", skip=9):
        recount += float(row["Sessions"])
    from coordkit.analysis.sessions_lag import weekly_sessions
    from coordkit.ingest.workspace import open_workspace

    with open_workspace(applied, read_only=True) as ws:
        assert weekly_sessions(ws)["sessions"].sum() == pytest.approx(recount)


def test_the_rendered_review_credits_campaigns_and_flags_only_the_campaign_no_crm_knows(applied, tmp_path):
    import json

    assert main(["review", "--workspace", str(applied), "--week", "2026-W42", "--out", str(tmp_path)]) == 0
    figures = json.loads((tmp_path / "2026-W42" / "all.json").read_text(encoding="utf-8"))
    assert sum(row["pipeline_13w"] for row in figures["attributed_by_channel"]) > 0
    # every campaign the CRM ties to deals earns outcomes; only the Meta decoy no CRM record names is flagged
    assert figures["activity_without_outcome"] == ["TB_Retargeting_Video"]
    html = (tmp_path / "2026-W42" / "all.html").read_text(encoding="utf-8")
    assert "of outputs linked to a campaign" in html
