"""Every model conserves credit: per journey weights sum to 1, totals are kept."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordkit.model.attribution import MODELS, credit_by_channel, touch_weights
from coordkit.model.attribution.files import event_journeys

CHANNELS = ["a", "b", "c", "d"]

touch = st.tuples(
    st.sampled_from(["c1", "c2", "c3"]),
    st.integers(min_value=0, max_value=60 * 86400),  # seconds into the period
    st.sampled_from(CHANNELS),
    st.booleans(),
    st.floats(min_value=0.0, max_value=1000.0, allow_nan=False),
)


def _events(rows) -> pd.DataFrame:
    start = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "contact_id": [r[0] for r in rows],
            "touched_at": [start + pd.Timedelta(seconds=r[1]) for r in rows],
            "channel": [r[2] for r in rows],
            "action": ["conversion" if r[3] else "impression" for r in rows],
            "conversion_value": [r[4] if r[3] else 0.0 for r in rows],
        }
    )


journeys = st.lists(touch, min_size=1, max_size=25).filter(lambda rows: any(r[3] for r in rows))
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(rows=journeys)
def test_weights_sum_to_one_per_converting_journey(model, rows):
    weighted = touch_weights(event_journeys(_events(rows)), model).to_pandas()
    converting = weighted[weighted["conversions"] > 0]
    sums = converting.groupby("journey_id")["weight"].sum()
    assert sums.to_numpy() == pytest.approx([1.0] * len(sums), abs=1e-9)
    assert (weighted["weight"] >= -1e-12).all()


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(rows=journeys)
def test_credit_adds_up_to_conversions_and_value(model, rows):
    events = _events(rows)
    credit = credit_by_channel(event_journeys(events), model)
    converted = events["action"] == "conversion"
    assert credit["conversions"].sum() == pytest.approx(converted.sum(), rel=1e-9)
    assert credit["conversion_value"].sum() == pytest.approx(
        events.loc[converted, "conversion_value"].sum(), rel=1e-9, abs=1e-9
    )
