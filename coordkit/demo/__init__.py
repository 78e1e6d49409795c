"""Deterministic synthetic demo workspace with planted, documented ground truth.

``generate_demo(directory)`` writes canonical CSVs (outputs, touchpoints,
outcomes, a later outcomes re-export, targets, spend plan) plus
``GROUND_TRUTH.md`` and ``ground_truth.json``. Later work (the weekly review,
"what moved", attribution) tests that it recovers what is planted here, so the
generator is a small causal simulation rather than random tables:

touches -> (per-touch chance) leads -> (per-channel qualification) opportunities

Everything derives from one seed through numpy's PCG64 generator; no clock,
locale or hash order is read, so the same seed gives byte-identical files.
See ``docs/demo-data.md`` for the story behind each number.

Modules, in the order ``generate_demo`` runs them: ``settings`` (calendar, cast,
planted-fact constants), the simulation (``outputs``, ``audience``,
``outcomes``), the exports (``exports``, ``messy``), the ground truth
(``truth`` + the ``ground_truth.md.j2`` template) and ``generate``.
"""

from __future__ import annotations

from coordkit.demo.generate import generate_demo
from coordkit.demo.outputs import webinar_weeks
from coordkit.demo.settings import DEFAULT_SEED, GENERATOR_VERSION

__all__ = ["DEFAULT_SEED", "GENERATOR_VERSION", "generate_demo", "webinar_weeks"]
