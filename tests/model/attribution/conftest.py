"""Small journey builders shared by the attribution tests (as fixtures)."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.model.attribution.files import event_journeys, path_journeys


def _events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["contact_id", "touched_at", "channel", "action", "conversion_value"])
    frame["touched_at"] = pd.to_datetime(frame["touched_at"], utc=True)
    return frame


def _paths(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["path", "conversions", "conversion_value", "non_conversions"])


@pytest.fixture
def event_touches():
    """Build a touch table from rows (contact, ISO time, channel, action, value)."""
    return lambda rows: event_journeys(_events(rows))


@pytest.fixture
def path_touches():
    """Build a touch table from rows (path tuple, conversions, value, non_conversions)."""
    return lambda rows: path_journeys(_paths(rows))


@pytest.fixture
def paths_of():
    """Build a distinct-paths frame from rows (path tuple, conversions, value, non_conversions)."""
    return _paths


@pytest.fixture
def events_file(shared_data):
    return shared_data / "attribution" / "events_si05.csv"


@pytest.fixture
def paths_file(shared_data):
    return shared_data / "attribution" / "paths_channelattribution.csv"
