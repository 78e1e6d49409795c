"""Shared fixtures.

Reference data lives in ``../shared/data`` beside the repository and is read
from there, never copied. Locally a missing folder skips the tests that need
it; in CI (``CI`` set) it is an error, so a broken checkout cannot pass green.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (see its SOURCES.md)."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"reference data not found at {SHARED_DATA}")
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory) -> Path:
    """A demo workspace built once per test session, through the real command (``coordkit demo --no-review``)."""
    from coordkit.cli import main

    directory = tmp_path_factory.mktemp("demo") / "workspace"
    assert main(["demo", str(directory), "--no-review"]) == 0
    return directory


@pytest.fixture(scope="session")
def ground_truth(demo_workspace) -> dict:
    """The demo generator's documented ground truth (``exports/ground_truth.json``)."""
    import json

    return json.loads((demo_workspace / "exports" / "ground_truth.json").read_text(encoding="utf-8"))
