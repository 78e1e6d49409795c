"""The Markov chain's three solvers agree: dense numpy, scipy's sparse LU, and
dense numpy as the fallback when the optional scipy extra is not installed."""

from __future__ import annotations

import numpy as np
import pytest

from coordkit.errors import AttributionError
from coordkit.model.attribution import chain


def _random_chain(size: int, seed: int = 7):
    """A random chain over ``size`` states; every state can reach an absorbing one."""
    rng = np.random.default_rng(seed)
    steps = size * 4
    frm = rng.integers(0, size, steps)
    to = rng.integers(1, size, steps)
    to_conversion = rng.random(steps) < 0.15
    to_null = (~to_conversion) & (rng.random(steps) < 0.25)
    # each state gets an exit so no transient state is closed
    frm = np.concatenate([frm, np.arange(size)])
    to = np.concatenate([to, np.zeros(size, dtype=int)])
    to_conversion = np.concatenate([to_conversion, np.zeros(size, dtype=bool)])
    to_null = np.concatenate([to_null, np.ones(size, dtype=bool)])
    count = rng.integers(1, 20, len(frm)).astype(float)
    dead_sets = [rng.random(size) < 0.05 for _ in range(3)]
    for dead in dead_sets:
        dead[0] = False
    return size, frm, to, count, to_conversion, to_null, dead_sets


def _dense_reference(size, frm, to, count, to_conversion, to_null, dead):
    """Absorption probability from (start) by the plain definition, no shared code."""
    out = np.zeros(size)
    np.add.at(out, frm, count)
    q = np.zeros((size, size))
    r = np.zeros(size)
    for f, t, c, conv, null in zip(frm, to, count, to_conversion, to_null):
        p = c / out[f]
        if conv:
            r[f] += p
        elif not null:
            q[f, t] += p
    if dead is not None:
        q[dead, :] = 0.0
        r[dead] = 0.0
    return float(np.linalg.solve(np.eye(size) - q, r)[0])


def test_sparse_solver_equals_the_dense_definition():
    pytest.importorskip("scipy")
    args = _random_chain(chain.DENSE_LIMIT + 100)
    base, without, _ = chain.removal_effect_arrays(*args)
    assert base == pytest.approx(_dense_reference(*args[:6], None), abs=1e-10)
    for dead, value in zip(args[6], without):
        assert value == pytest.approx(_dense_reference(*args[:6], dead), abs=1e-10)


def test_without_scipy_a_big_chain_is_still_solved_densely(monkeypatch):
    args = _random_chain(chain.DENSE_LIMIT + 100)
    monkeypatch.setattr(chain, "_scipy", lambda: None)
    base, without, _ = chain.removal_effect_arrays(*args)
    assert base == pytest.approx(_dense_reference(*args[:6], None), abs=1e-10)
    for dead, value in zip(args[6], without):
        assert value == pytest.approx(_dense_reference(*args[:6], dead), abs=1e-10)


def test_without_scipy_a_huge_chain_says_what_to_install(monkeypatch):
    monkeypatch.setattr(chain, "_scipy", lambda: None)
    monkeypatch.setattr(chain, "DENSE_FALLBACK_LIMIT", 50)
    with pytest.raises(AttributionError) as caught:
        chain.removal_effect_arrays(*_random_chain(60))
    assert "coordkit[scale]" in caught.value.hint and "60 states" in caught.value.message
