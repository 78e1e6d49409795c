"""The absorbing Markov chain, solved exactly with numpy (scipy for big chains).

scipy is an optional extra (``coordkit[scale]``): it is 113 MB of the install
and only chains of more than :data:`DENSE_LIMIT` states need its sparse solver.
Without it, chains up to :data:`DENSE_FALLBACK_LIMIT` states are still solved
exactly with numpy's dense solver (slower, more memory); bigger ones stop with
an error that says what to install.

Shared by the Ibis engine (:mod:`.markov`) and the array engine
(:mod:`.array_models`), so both compute removal effects with one piece of
code. States are integers ``1..S`` (0 is ``(start)``); transitions into
``(conversion)`` and ``(null)`` are absorbing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DENSE_FALLBACK_LIMIT", "DENSE_LIMIT", "removal_effect_arrays"]

#: chains with at most this many states are solved densely (numpy.linalg);
#: bigger ones with scipy's sparse LU (scipy costs ~0.5 s to import)
DENSE_LIMIT = 400
#: without scipy, chains up to this many states are still solved densely
#: (a 2,500-state matrix is 50 MB; each solve takes about a second)
DENSE_FALLBACK_LIMIT = 2500


def _scipy():
    """scipy's sparse modules, or None when the optional extra is not installed."""
    try:
        import scipy.sparse as sp
        import scipy.sparse.linalg as spla
    except ImportError:
        return None
    return sp, spla


def removal_effect_arrays(
    size: int,
    frm: np.ndarray,
    to: np.ndarray,
    count: np.ndarray,
    to_conversion: np.ndarray,
    to_null: np.ndarray,
    dead_sets: list[np.ndarray],
) -> tuple[float, np.ndarray, np.ndarray]:
    """Conversion probability, and per removal its probability and removal effect.

    ``frm`` / ``to`` are state indices (``to`` ignored where the step is
    absorbing), ``count`` the journey mass of each step. ``dead_sets[i]`` is
    the boolean mask of states that channel ``i``'s removal turns into dead
    ends. Returns ``(base, without, effect)``.
    """
    out_total = np.bincount(frm, weights=count, minlength=size)
    prob = count / out_total[frm]
    transient = ~(to_conversion | to_null)
    r = np.bincount(frm[to_conversion], weights=prob[to_conversion], minlength=size)
    sparse = None if size <= DENSE_LIMIT else _scipy()
    if sparse is None and size > DENSE_FALLBACK_LIMIT:
        from coordkit.errors import AttributionError

        raise AttributionError(
            f"this Markov chain has {size:,} states; chains over {DENSE_FALLBACK_LIMIT:,} states "
            "need scipy's sparse solver, which is not installed",
            hint="pip install 'coordkit[scale]' (adds scipy), or use a lower Markov order",
        )
    if sparse is None:
        q = np.zeros((size, size))
        np.add.at(q, (frm[transient], to[transient]), prob[transient])
        eye = np.eye(size)

        def solve(dead):
            if dead is None:
                return float(np.linalg.solve(eye - q, r)[0])
            live = (~dead).astype(np.float64)
            return float(np.linalg.solve(eye - q * live[:, None], r * live)[0])

    else:
        sp, spla = sparse
        qs = sp.csr_matrix((prob[transient], (frm[transient], to[transient])), shape=(size, size))
        ident = sp.identity(size, format="csc")

        def solve(dead):
            q_used, r_used = qs, r
            if dead is not None and dead.any():
                q_used, r_used = sp.diags((~dead).astype(np.float64)) @ qs, np.where(dead, 0.0, r)
            return float(spla.spsolve((ident - q_used).tocsc(), r_used)[0])

    base = solve(None)
    without = np.array([solve(dead) for dead in dead_sets], dtype=np.float64)
    effect = 1.0 - without / base if base > 0 else np.zeros(len(dead_sets))
    return base, without, effect
