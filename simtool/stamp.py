"""Trace stamping: every event of a run gets the clock's time, the next sequence number and its kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simtool.clock import Clock
from simtool.service import normalize
from simtool.trace import TraceWriter

__all__ = ["TraceStamp", "listed"]


def listed(items: Any) -> list[Any]:
    """A sequence as the trace records it: a JSON list (normalised, unless every item is text)."""
    for item in items:
        if type(item) is not str:
            return normalize(list(items))  # type: ignore[no-any-return]
    return list(items)


class TraceStamp:
    """Writes a run's events in order: ``emit(kind, **fields)`` adds ``t``, ``seq`` and ``kind``.

    Writing to a :class:`~simtool.trace.TraceWriter`, ``emit`` is the writer's own stamped
    write (:meth:`~simtool.trace.TraceWriter.stamped`): one call per event of the run, not two.
    """

    __slots__ = ("_clock", "_write", "_seq", "emit")

    def __init__(self, clock: Clock, write: Callable[[Mapping[str, Any]], None]) -> None:
        self._clock = clock
        self._write = write
        self._seq = 0
        writer = getattr(write, "__self__", None)
        if isinstance(writer, TraceWriter) and getattr(write, "__func__", None) is TraceWriter.write:
            self.emit: Callable[..., None] = writer.stamped(clock)
        else:
            self.emit = self._emit

    def _emit(self, kind: str, **fields: Any) -> None:
        fields["t"] = self._clock.now
        fields["seq"] = self._seq
        fields["kind"] = kind
        self._seq += 1
        self._write(fields)
