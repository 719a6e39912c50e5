"""The simulation clock: a SimPy environment in whole milliseconds.

Events at the same millisecond run in scheduling order (SimPy's FIFO). With a tie-shuffle
generator, same-ms events of equal priority run in a seeded random order instead, to flush
out races that depend on that order.
"""

from __future__ import annotations

from heapq import heappush

import numpy as np
import simpy
from simpy.core import NORMAL

__all__ = ["Clock", "make_clock"]


class Clock(simpy.Environment):
    """Integer-ms SimPy environment (time starts at 0; all delays are ints)."""


class ShuffledClock(Clock):
    """Same-ms ties broken by a seeded random key before SimPy's insertion order."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(0)
        self._tie_keys = iter(rng.integers(0, 2**62, size=1 << 16).tolist())
        self._rng = rng

    def _tie_key(self) -> int:
        try:
            return next(self._tie_keys)
        except StopIteration:
            self._tie_keys = iter(self._rng.integers(0, 2**62, size=1 << 16).tolist())
            return next(self._tie_keys)

    def schedule(self, event: simpy.Event, priority: int = NORMAL, delay: int = 0) -> None:  # type: ignore[override]
        heappush(self._queue, (self._now + delay, priority, (self._tie_key(), next(self._eid)), event))


def make_clock(tie_rng: np.random.Generator | None = None) -> Clock:
    return ShuffledClock(tie_rng) if tie_rng is not None else Clock(0)
