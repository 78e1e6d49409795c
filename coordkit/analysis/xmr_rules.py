"""The three XmR run rules on one series, in plain Python (no numpy, so the funnel's
store path can use it without importing the array stack).

``coordkit.analysis.signals`` documents the rules; this module is their one
implementation, shared by :func:`coordkit.analysis.signals.compute_xmr` and the
funnel's per-cohort judgement (``coordkit.analysis.funnel_store``).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["XMR_RULES", "rules_fired"]

XMR_RULES = ("outside_limits", "three_of_four", "run_of_eight")
RUN_LENGTH = 8
WINDOW = 4
WINDOW_HITS = 3


def rules_fired(values: Sequence[float], centre: float, lower: float, upper: float) -> list[str]:
    """The rules each point fires, joined with ``;`` ("" when none).

    >>> rules_fired([1, 1, 1, 1, 1, 1, 1, 1, 9], centre=0.5, lower=-5, upper=8)
    ['run_of_eight', 'run_of_eight', 'run_of_eight', 'run_of_eight', 'run_of_eight', 'run_of_eight', 'run_of_eight', 'run_of_eight', 'outside_limits;run_of_eight']
    """
    values = [float(v) for v in values]
    count = len(values)
    fired = {rule: [False] * count for rule in XMR_RULES}
    fired["outside_limits"] = [v > upper or v < lower for v in values]
    upper_midway, lower_midway = centre + (upper - centre) / 2, centre - (centre - lower) / 2
    for beyond in ([v > upper_midway for v in values], [v < lower_midway for v in values]):
        for start in range(count - WINDOW + 1):
            if sum(beyond[start : start + WINDOW]) >= WINDOW_HITS:
                # only the points that are themselves beyond the midway carry the flag
                for i in range(start, start + WINDOW):
                    fired["three_of_four"][i] |= beyond[i]
    for side in ([v > centre for v in values], [v < centre for v in values]):
        for start, end in _runs(side):
            if end - start >= RUN_LENGTH:
                for i in range(start, end):
                    fired["run_of_eight"][i] = True
    return [";".join(rule for rule in XMR_RULES if fired[rule][i]) for i in range(count)]


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """``(start, end)`` of every stretch of consecutive true flags (end exclusive)."""
    runs, start = [], None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index))
            start = None
    return runs
