"""Multi-touch attribution: journeys, rule-based and milestone models, Markov and Shapley.

Two engines compute the same credit (docs/attribution.md): Ibis (the touch
table of :mod:`.journeys`, portable to Spark and warehouses) and numpy arrays
(:mod:`.arrays`, for files and in-process DuckDB tables: no query compilation,
no pandas). Names are imported lazily so that ``coordkit attribute`` loads
only the engine it uses.
"""

from __future__ import annotations

import importlib

# public name -> module that defines it
_PUBLIC = {
    "MODELS": "coordkit.model.attribution.models",
    "credit_by_channel": "coordkit.model.attribution.models",
    "touch_weights": "coordkit.model.attribution.models",
    "distinct_paths": "coordkit.model.attribution.journeys",
    "journey_summary": "coordkit.model.attribution.journeys",
    "journeys_from_events": "coordkit.model.attribution.journeys",
    "journeys_from_paths": "coordkit.model.attribution.journeys",
    "event_journeys": "coordkit.model.attribution.files",
    "path_journeys": "coordkit.model.attribution.files",
    "read_events": "coordkit.model.attribution.files",
    "read_paths": "coordkit.model.attribution.files",
    "read_event_arrays": "coordkit.model.attribution.duck",
    "read_path_arrays": "coordkit.model.attribution.duck",
    "channel_credit": "coordkit.model.attribution.array_models",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
