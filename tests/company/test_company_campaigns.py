"""Tallybook from a folder of downloads to canonical campaigns, checked against the hand-written truth."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict

import pandas as pd
import pytest

from coordkit.cli import main
from tests.company.conftest import DOWNLOADS, truth_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def applied(company_workspace, tmp_path_factory):
    """A copy of the company with the suggestions applied unedited through the CLI."""
    folder = tmp_path_factory.mktemp("applied") / "ws"
    shutil.copytree(company_workspace, folder)
    out = folder.parent / "campaigns.csv"
    assert main(["campaigns", "suggest", "--workspace", str(folder), "--out", str(out)]) == 0
    assert main(["campaigns", "apply", str(out), "--workspace", str(folder)]) == 0
    return folder, pd.read_csv(out, dtype=str, keep_default_na=False)


def test_suggestions_file_has_the_contract_columns(applied):
    _, suggestions = applied
    assert list(suggestions.columns[:5]) == ["label", "source", "rows", "campaign", "confidence"]


def test_unedited_suggestions_put_every_label_in_its_campaign_and_merge_nothing_else(applied):
    _, suggestions = applied
    labels = suggestions.drop_duplicates("label").set_index("label")["campaign"]
    groups = defaultdict(set)  # truth id -> suggested campaigns
    for label, campaign in labels.items():
        expected = truth_of(label)
        if expected == "":
            assert campaign == "", f"{label!r} names no campaign but was put in {campaign!r}"
        else:
            assert campaign != "", f"{label!r} left undecided (truth: {expected})"
            groups[expected].add(campaign)
    for expected, campaigns in groups.items():
        assert len(campaigns) == 1, f"{expected} is split over {campaigns}"
    owners = defaultdict(set)
    for expected, campaigns in groups.items():
        owners[next(iter(campaigns))].add(expected)
    merged = {c: t for c, t in owners.items() if len(t) > 1}
    assert not merged, f"wrong merges: {merged}"
    assert len(groups) >= 8


def test_every_campaign_is_spelled_three_ways_in_the_downloads(applied):
    _, suggestions = applied
    named = suggestions[suggestions["campaign"] != ""]
    vendors = named.groupby("campaign")["file"].nunique()
    assert (vendors.sort_values(ascending=False).head(8) >= 3).all(), vendors


def _recount_sourced() -> dict[str, float]:
    """Sourced pipeline per true campaign from the raw CRM files, with the csv module only."""
    totals = defaultdict(float)
    with (DOWNLOADS / "hubspot-crm-exports-all-deals-2026-10-27.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            label = row["Original Source Data 2"].strip()
            totals[truth_of(label) if label else "(unattributed)"] += float(row["Amount"].replace(",", "") or 0)
    with (DOWNLOADS / "report1761571200000.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not (row.get("Opportunity ID") or "").strip():
                continue  # the report's footer lines
            label = row["Primary Campaign Source"].strip()
            totals[truth_of(label) if label else "(unattributed)"] += float(row["Amount"].replace(",", "") or 0)
    return dict(totals)


def test_sourced_pipeline_per_campaign_equals_a_recount_of_the_raw_files(applied, tmp_path):
    folder, suggestions = applied
    out = tmp_path / "credit.csv"
    assert main(["attribute", "--workspace", str(folder), "--model", "sourced", "--by", "campaign", "--out", str(out)]) == 0
    credit = pd.read_csv(out)
    assert {"campaign", "outcomes", "pipeline"} <= set(credit.columns)
    named = suggestions[suggestions["campaign"] != ""].drop_duplicates("campaign").set_index("campaign")["label"]
    got = {
        ("(unattributed)" if c == "(unattributed)" else truth_of(named[c])): p
        for c, p in zip(credit["campaign"], credit["pipeline"])
    }
    expected = _recount_sourced()
    assert got.keys() == expected.keys()
    for campaign, amount in expected.items():
        assert got[campaign] == pytest.approx(amount, abs=0.005), campaign


def test_without_the_map_the_same_pipeline_is_scattered_over_spellings(company_workspace, tmp_path):
    out = tmp_path / "raw.csv"
    assert main(["attribute", "--workspace", str(company_workspace), "--model", "sourced", "--out", str(out)]) == 0
    raw = pd.read_csv(out)
    assert len(raw) > len(set(_recount_sourced())) + 3  # one row per spelling, not per campaign


def test_a_later_ingest_leaves_only_its_new_labels_undecided(applied, tmp_path):
    folder, _ = applied
    extra = tmp_path / "posts.csv"
    extra.write_text(
        "output_id,published_at,channel,kind,campaign,url\n"
        "x1,2026-10-20T10:00:00Z,social,post,Spend Leak Report,https://t.example/?utm_campaign=spend-leak-report-2026\n"
        "x2,2026-10-21T10:00:00Z,social,post,Brand New Thing,\n",
        encoding="utf-8",
    )
    from coordkit.ingest.workspace import open_workspace
    from coordkit.model.campaigns_decide import campaign_suggestions

    with open_workspace(folder) as ws:
        ws.ingest(extra, "outputs")
    suggestions = campaign_suggestions(folder)
    new = set(suggestions.loc[suggestions["status"] == "new", "label"])
    assert new == {"Spend Leak Report", "Brand New Thing"}
    by_label = suggestions.drop_duplicates("label").set_index("label")["campaign"]
    assert by_label["Spend Leak Report"] == by_label["2026 Spend Leak Report"] != ""
    assert (suggestions.loc[suggestions["status"] == "decided", "confidence"] == 1.0).all()
