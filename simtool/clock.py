"""The simulation clock: a SimPy environment in whole milliseconds.

Events at the same millisecond run in scheduling order (SimPy's FIFO). With a tie-shuffle
generator, same-ms events of equal priority run in a seeded random order instead, to flush
out races that depend on that order.

The public surface: ``now``, ``after`` (a callback some ms from now), SimPy's ``process`` and
``timeout``, ``pause`` and ``run_until`` (step until a callback pauses the clock, the queue
runs dry, or the next event lies past a horizon). No other module touches the clock's
private attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT, EventPriority, StopSimulation

from simtool.rng import CounterStream

__all__ = ["Clock", "Timer", "Wake", "Either", "make_clock"]

_step = simpy.Environment.step


class Clock(simpy.Environment):
    """Integer-ms SimPy environment (time starts at 0; all delays are ints)."""

    # The current time, a plain attribute (SimPy's is a property: a call at each of the run's
    # thousands of reads). ``step`` sets it to the time of the event it is about to run.
    now: int = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(0)
        self._paused = False

    def step(self) -> None:
        queue = self._queue
        if queue:
            self.now = queue[0][0]
        _step(self)

    def pause(self) -> None:
        """Make the step now running (or, between steps, none at all) the last that ``run_until`` runs."""
        self._paused = True

    def run_until(self, horizon: int) -> str | None:
        """Step until a callback calls ``pause`` (None), or until no event is left (``stalled``) or
        the next one lies after ``horizon`` ms (``horizon``), leaving it unrun. A pause is used up
        by the call that sees it."""
        queue = self._queue  # what ``peek`` reads, read here without a call per step
        while not self._paused:
            if not queue:
                return "stalled"
            when = queue[0][0]
            if when > horizon:
                return "horizon"
            self.now = when  # what ``step`` does before SimPy's step
            # SimPy's ``Environment.step``, inlined: the loop runs once per event of the run
            self._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None
            try:
                for callback in callbacks:
                    callback(event)
            except StopSimulation:
                event.callbacks = callbacks[callbacks.index(callback) + 1:]
                self.schedule(event, EventPriority(-1))
                raise
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
        self._paused = False
        return None

    def after(self, delay: int, callback: Callable[[Any], Any], *, urgent: bool = False) -> None:
        """Call ``callback`` ``delay`` ms from now: scheduled as a SimPy timeout (or, ``urgent``,
        as a process start) would be, so ties break the same way, without the event's weight."""
        heappush(self._queue, (self._now + delay, URGENT if urgent else NORMAL, next(self._eid), Timer(callback)))


class ShuffledClock(Clock):
    """Same-ms ties broken by a seeded random key before SimPy's insertion order."""

    def __init__(self, rng: CounterStream) -> None:
        super().__init__()
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

    def after(self, delay: int, callback: Callable[[Any], Any], *, urgent: bool = False) -> None:
        self.schedule(Timer(callback), URGENT if urgent else NORMAL, delay)  # type: ignore[arg-type]


class Timer:
    """A scheduled callback: what the clock needs of an event (callbacks, ok), and no more."""

    __slots__ = ("callbacks", "_ok")

    def __init__(self, callback: Callable[[Any], Any]) -> None:
        self.callbacks: list[Callable[[Any], Any]] | None = [callback]
        self._ok = True


class Wake:
    """A wake-up that fires (is scheduled now) when something triggers it, like a SimPy event's ``succeed``."""

    __slots__ = ("callbacks", "_ok", "triggered", "_clock")

    def __init__(self, clock: simpy.Environment) -> None:
        self.callbacks: list[Callable[[Any], Any]] | None = []
        self._ok = True
        self.triggered = False
        self._clock = clock

    def succeed(self) -> None:
        self.triggered = True
        self._clock.schedule(self, NORMAL, 0)  # type: ignore[arg-type]


class Either:
    """Whichever of several wake-ups comes first; fires one step later, as a SimPy ``AnyOf`` does."""

    __slots__ = ("_clock", "_then", "fired")

    def __init__(self, clock: simpy.Environment, then: Callable[[Any], Any]) -> None:
        self._clock = clock
        self._then = then
        self.fired = False

    def check(self, _event: Any) -> None:
        if not self.fired:
            self.fired = True
            self._clock.schedule(Timer(self._then), NORMAL, 0)  # type: ignore[arg-type]


def make_clock(tie_rng: CounterStream | None = None) -> Clock:
    """The run's clock: FIFO ties, or ties shuffled by ``tie_rng``."""
    return ShuffledClock(tie_rng) if tie_rng is not None else Clock()
