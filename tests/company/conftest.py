"""The Tallybook fixture company ingested once per test session (tests/fixtures/company)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

COMPANY = Path(__file__).resolve().parents[1] / "fixtures" / "company"
DOWNLOADS = COMPANY / "downloads"
PRESETS = COMPANY / "presets"
# (file, preset, table); stand-in presets until the shipped ones read these downloads (issue 11)
FILES = [
    ("Campaign report.csv", PRESETS / "google-ads-weekly.yaml", "outputs"),
    ("Tallybook-Campaigns-Jun-1-2026-Oct-25-2026.csv", PRESETS / "meta-weekly.yaml", "outputs"),
    ("hootsuite_post_performance.csv", PRESETS / "hootsuite-links.yaml", "outputs"),
    ("buffer-posts-export.csv", "buffer-posts", "outputs"),
    ("campaigns.csv", "mailchimp-campaigns", "outputs"),
    ("hubspot-crm-exports-all-contacts-2026-10-27.csv", PRESETS / "hubspot-contacts-touches.yaml", "touchpoints"),
    ("hubspot-crm-exports-all-deals-2026-10-27.csv", PRESETS / "hubspot-deals-utm.yaml", "outcomes"),
    ("report1761571200000.csv", "salesforce-opportunities", "outcomes"),
]


def truth() -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    """label -> campaign id ('' for labels that name no campaign), plus pattern rows."""
    exact, patterns = {}, []
    with (COMPANY / "truth.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["label"].startswith("re:"):
                patterns.append((re.compile(row["label"][3:]), row["campaign"]))
            else:
                exact[row["label"]] = row["campaign"]
    return exact, patterns


def truth_of(label: str) -> str:
    exact, patterns = truth()
    if label in exact:
        return exact[label]
    for pattern, campaign in patterns:
        if pattern.match(label):
            return campaign
    raise AssertionError(f"{label!r} is not in tests/fixtures/company/truth.csv")


def ingest_company(folder: Path) -> None:
    from coordkit.ingest.workspace import open_workspace

    with open_workspace(folder) as ws:
        for name, preset, table in FILES:
            report = ws.ingest(DOWNLOADS / name, table, str(preset))
            assert report.status == "ok", report.summary()


@pytest.fixture(scope="session")
def company_workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tallybook")
    ingest_company(folder)
    return folder
