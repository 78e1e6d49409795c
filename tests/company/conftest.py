"""The Tallybook fixture company ingested once per test session (tests/fixtures/company)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

COMPANY = Path(__file__).resolve().parents[1] / "fixtures" / "company"
DOWNLOADS = COMPANY / "downloads"


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
    """The folder of downloads, ingested the way a new user would: one command, no flags."""
    from coordkit.cli import main

    assert main(["ingest", str(DOWNLOADS), "--workspace", str(folder), "--create"]) == 0


@pytest.fixture(scope="session")
def company_workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tallybook")
    ingest_company(folder)
    return folder
