"""Multi-touch attribution: journeys, rule-based models, Markov and Shapley.

The engine-side work (journeys, windows, rule weights, transition counts,
channel sets) is Ibis; the small aggregated problems (absorbing chains,
Shapley values) are numpy/scipy. Conventions are in docs/attribution.md.
"""

from __future__ import annotations

from coordkit.model.attribution.files import event_journeys, path_journeys, read_events, read_paths
from coordkit.model.attribution.journeys import (
    distinct_paths,
    journey_summary,
    journeys_from_events,
    journeys_from_paths,
)
from coordkit.model.attribution.models import MODELS, credit_by_channel, touch_weights

__all__ = [
    "MODELS",
    "credit_by_channel",
    "distinct_paths",
    "event_journeys",
    "journey_summary",
    "journeys_from_events",
    "journeys_from_paths",
    "path_journeys",
    "read_events",
    "read_paths",
    "touch_weights",
]
