"""What the agent did with its time, measured as a trace's events stream by: idle time while
work was ready, and task neglect.

A task *could proceed* while it is active (its first sub-task started, its last one not yet
answered, not cancelled by the world) and none of its calls is in flight (issued, not yet
delivered, timed out or cancelled before or after execution). Between two consecutive event
times, with the state the earlier events left:

- ``idle_ready_ms`` grows by the span when some task could proceed, less the agent's think
  time within it (``[t, t + think_ms)`` of each ``decide``);
- ``neglect_ms`` grows by the span times the number of tasks that could proceed while the
  agent's last decision that acted (a call or an answer) acted on other tasks only.

The state is a few counters per task and the think spans not yet passed, so measuring a trace
of any length holds memory in proportion to its tasks and calls in flight, not its length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Activity", "CALL_END_KINDS", "ENDING_CANCEL_PHASES"]

CALL_END_KINDS = ("deliver", "timeout", "cancel")  # the events that can take a call out of flight
ENDING_CANCEL_PHASES = ("before_execution", "after_execution")  # a cancel that ended its call (others came too late)


class Activity:
    """A fold over events in trace order: ``add`` each one, then read ``idle_ready_ms`` and ``neglect_ms``.

    ``turns`` gives each task's number of turns (an answer to the last one ends the task).
    """

    def __init__(self, turns: Mapping[str, int]) -> None:
        self.turns = turns
        self.idle_ready_ms = 0
        self.neglect_ms = 0
        self._prev = 0
        self._active: set[str] = set()
        self._in_flight: dict[str, int] = {}  # task -> its calls in flight
        self._ready: set[str] = set()  # active tasks with no call in flight
        self._open: dict[str, str] = {}  # call id -> task, for calls not yet out of flight
        self._acted: set[str] = set()  # the tasks the last acting decision acted on
        self._thinking: list[tuple[int, int]] = []  # think spans [start, end), in decision order
        self._cursor = 0  # spans before it ended before the last measured span began

    def feed(self, events: Iterable[Mapping[str, Any]]) -> Activity:
        """``add`` every event; returns itself."""
        for e in events:
            self.add(e)
        return self

    def _think_overlap(self, a: int, b: int) -> int:
        thinking = self._thinking
        cursor = self._cursor
        while cursor < len(thinking) and thinking[cursor][1] <= a:
            cursor += 1
        if cursor > 256:  # spans behind the cursor are never looked at again
            del thinking[:cursor]
            cursor = 0
        self._cursor = cursor
        total, k = 0, cursor
        while k < len(thinking) and thinking[k][0] < b:
            start, end = thinking[k]
            total += max(0, min(b, end) - max(a, start))
            k += 1
        return total

    def _update(self, task: str) -> None:
        if task in self._active and self._in_flight.get(task, 0) == 0:
            self._ready.add(task)
        else:
            self._ready.discard(task)

    def _deactivate(self, task: Any) -> None:
        if task in self._active:
            self._active.discard(task)
            self._ready.discard(task)

    def add(self, e: Mapping[str, Any]) -> None:
        """Account for the time up to this event, then for the event itself."""
        t = int(e["t"])
        if t > self._prev:
            span = t - self._prev
            ready = self._ready
            if ready:
                self.idle_ready_ms += span - self._think_overlap(self._prev, t)
                if self._acted:
                    self.neglect_ms += span * (len(ready) - sum(1 for task in self._acted if task in ready))
            self._prev = t
        kind = e["kind"]
        if kind == "decide":
            self._acted = {a["task"] for a in e.get("actions") or [] if isinstance(a, Mapping)
                           and a.get("op") in ("call", "respond") and isinstance(a.get("task"), str)}
            if e.get("think_ms"):
                self._thinking.append((t, t + int(e.get("think_ms") or 0)))
        elif kind == "subtask_start" and e.get("reason") == "start":
            self._active.add(e["task"])
            self._update(e["task"])
        elif kind == "respond" and e["turn"] >= self.turns.get(e["task"], 0) - 1:
            self._deactivate(e["task"])
        elif kind == "fault" and e.get("fault") == "cancel_task" and e.get("effective"):
            self._deactivate(e.get("task"))
        elif kind == "issue":
            task = e["task"]
            self._in_flight[task] = self._in_flight.get(task, 0) + 1
            self._open[e["call_id"]] = task
            self._update(task)
        elif kind in CALL_END_KINDS:
            if kind == "cancel" and e.get("phase") not in ENDING_CANCEL_PHASES:
                return
            task = self._open.pop(e.get("call_id"), None)  # type: ignore[arg-type]
            if task is not None:
                self._in_flight[task] -= 1
                self._update(task)
