"""Journeys as numpy arrays: the in-memory engine for data that fits one process.

The Ibis touch table (:mod:`.journeys`) is the portable form that runs on
DuckDB, Spark and warehouses. For a file or an in-process DuckDB table, the
same journeys fit in a handful of numpy arrays, and every rule model, Markov
and the bootstrap are then vectorised passes over them with no query
compilation and no pandas import (``coordkit attribute`` on a 62k-row file
starts and finishes in about a second). Results equal the Ibis engine's to
1e-9 (tests/model/attribution/test_arrays.py checks every model on both
shared files).

Layout (T touches, J journeys, touches of a journey contiguous and in order):

==================  =======  ==============================================
``channels``        tuple    channel names, sorted; a touch's code indexes it
``channel``         int32 T  channel code of each touch
``starts``          int64 J  index of each journey's first touch
``n_touches``       int64 J  touches per journey (>= 1)
``age_seconds``     f8 T     seconds from the touch to its journey's end, or None
``conversions``     f8 J     conversions the journey stands for
``conversion_value`` f8 J    their value
``non_conversions`` f8 J     non-converting journeys it stands for
``end_seconds``     f8 J     epoch seconds of the journey's end, or None
==================  =======  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = ["TouchArrays", "from_paths", "from_sorted_events"]


@dataclass(frozen=True)
class TouchArrays:
    """One set of journeys in array form (see the module docstring)."""

    channels: tuple
    channel: np.ndarray
    starts: np.ndarray
    n_touches: np.ndarray
    age_seconds: np.ndarray | None
    conversions: np.ndarray
    conversion_value: np.ndarray
    non_conversions: np.ndarray
    end_seconds: np.ndarray | None = None
    #: optional per-journey milestone positions (-1: unknown), keyed by role
    milestones: dict = field(default_factory=dict)

    @property
    def n_journeys(self) -> int:
        return len(self.starts)

    # computed once per journey set: every model reads them (cached_property writes the
    # instance __dict__ directly, which a frozen dataclass allows)
    @cached_property
    def journey(self) -> np.ndarray:
        """Journey index of every touch."""
        return np.repeat(np.arange(self.n_journeys), self.n_touches)

    @cached_property
    def position(self) -> np.ndarray:
        """0-based position of every touch in its journey."""
        return np.arange(len(self.channel)) - np.repeat(self.starts, self.n_touches)

    @cached_property
    def touch_n(self) -> np.ndarray:
        """Journey length, repeated for every touch."""
        return np.repeat(self.n_touches, self.n_touches)

    @cached_property
    def credited(self) -> TouchArrays:
        """The journeys that carry credit (conversions or value), computed once.

        Rule models weight each journey on its own, so credit sums over these
        only (a fraction of the touches at scale); Markov needs them all.
        """
        keep = (self.conversions != 0) | (self.conversion_value != 0)
        return self if keep.all() else self.subset(keep)

    def subset(self, keep: np.ndarray) -> TouchArrays:
        """The journeys selected by the boolean or index array ``keep``, in that order."""
        index = np.flatnonzero(keep) if keep.dtype == bool else np.asarray(keep)
        n = self.n_touches[index]
        touch = _touch_index(self.starts[index], n)
        starts = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.int64) if len(n) else n
        return TouchArrays(
            channels=self.channels,
            channel=self.channel[touch],
            starts=starts,
            n_touches=n,
            age_seconds=None if self.age_seconds is None else self.age_seconds[touch],
            conversions=self.conversions[index],
            conversion_value=self.conversion_value[index],
            non_conversions=self.non_conversions[index],
            end_seconds=None if self.end_seconds is None else self.end_seconds[index],
            milestones={k: v[index] for k, v in self.milestones.items()},
        )

    def paths(self) -> list[tuple]:
        """Channel names of every journey, in order (for reports; Python objects)."""
        names = np.array(self.channels, dtype=object)[self.channel]
        return [tuple(names[s : s + n]) for s, n in zip(self.starts.tolist(), self.n_touches.tolist())]


def _touch_index(starts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Indices of the touches of journeys starting at ``starts`` with ``n`` touches."""
    if not len(n):
        return np.zeros(0, dtype=np.int64)
    offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return np.repeat(starts, n) + offsets


def from_sorted_events(
    new_contact: np.ndarray,
    epoch_us: np.ndarray,
    is_conversion: np.ndarray,
    channel: np.ndarray,
    value: np.ndarray,
    channels: tuple,
) -> TouchArrays:
    """Journeys of event rows already sorted by contact, time, conversion flag, channel.

    Same rule as :func:`.journeys.journeys_from_events`: a journey ends at,
    and includes, each conversion row; touches after a contact's last
    conversion form one non-converting journey. ``new_contact`` is True on each
    contact's first row; ``epoch_us`` are microseconds since the epoch.
    """
    rows = len(channel)
    if rows == 0:
        empty = np.zeros(0)
        return TouchArrays(channels, channel.astype(np.int32), empty.astype(np.int64), empty.astype(np.int64),
                           empty, empty, empty, empty, empty)
    conv = is_conversion.astype(bool)
    begins = new_contact.astype(bool).copy()
    begins[0] = True
    begins[1:] |= conv[:-1]  # the row after a conversion opens the next journey
    starts = np.flatnonzero(begins).astype(np.int64)
    ends = np.concatenate((starts[1:], [rows])) - 1  # last row of each journey
    n_touches = ends - starts + 1
    converted = conv[ends]
    seconds = epoch_us.astype(np.int64).astype(np.float64) / 1e6
    # a journey ends at its conversion, else at its last touch: either way its last row
    end_seconds = seconds[ends]
    age = np.repeat(end_seconds, n_touches) - seconds
    return TouchArrays(
        channels=tuple(channels),
        channel=channel.astype(np.int32),
        starts=starts,
        n_touches=n_touches.astype(np.int64),
        age_seconds=age,
        conversions=converted.astype(np.float64),
        conversion_value=np.where(converted, value[ends].astype(np.float64), 0.0),
        non_conversions=(~converted).astype(np.float64),
        end_seconds=end_seconds,
    )


def from_paths(paths, conversions, conversion_value, non_conversions) -> TouchArrays:
    """Journeys of path rows (each a sequence of channel names, weighted); no times."""
    channels = tuple(sorted({c for p in paths for c in p}))
    code = {c: i for i, c in enumerate(channels)}
    n_touches = np.array([len(p) for p in paths], dtype=np.int64)
    flat = np.fromiter((code[c] for p in paths for c in p), dtype=np.int32, count=int(n_touches.sum()))
    starts = np.concatenate(([0], np.cumsum(n_touches)[:-1])).astype(np.int64) if len(paths) else n_touches
    return TouchArrays(
        channels=channels,
        channel=flat,
        starts=starts,
        n_touches=n_touches,
        age_seconds=None,
        conversions=np.asarray(conversions, dtype=np.float64),
        conversion_value=np.asarray(conversion_value, dtype=np.float64),
        non_conversions=np.asarray(non_conversions, dtype=np.float64),
    )
