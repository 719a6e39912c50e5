"""The agent loop: the inbox of events, decision points, think time, waits and wake-ups.

The agent's wake-ups are clock callbacks, not a SimPy process: each is scheduled exactly where
a process would have been resumed (start: urgent, at 0; think time: a timer; a wait: an event
that a matching notification triggers, or, with a timeout, whichever of the two comes first,
one step later), so same-ms ties break as they would. A wake-up only pauses the clock (it is
the last thing its step does): ``advance`` returns the observation right after that step,
before any other, and the caller's decision takes effect in ``submit`` at that same instant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any

import attrs

from simtool.clock import Clock, Either, Wake
from simtool.errors import SimtoolError
from simtool.policy import CallAction, Cancel, Decision, Event, Issued, Observation, Respond, Wait
from simtool.service import ToolSchema, normalize
from simtool.stamp import listed
from simtool.tasks import TaskBoard
from simtool.views import CallViews, TaskViews

__all__ = ["AgentLoop", "Inbox"]

_NONE_ISSUED: Mapping[str, Issued] = MappingProxyType({})
_ENDS = ("delivered", "timed_out", "cancelled")


def _matches(event: Event, wait: Wait | None) -> bool:
    if wait is None or not wait.call_ids:
        return True
    if event.call_id is None:
        return event.kind != "subtask_started"
    return event.call_id in wait.call_ids


def _action_record(action: Any) -> dict[str, Any]:
    if isinstance(action, CallAction):
        task, tool, timeout = action.task_id, action.tool, action.timeout_ms
        return {"op": "call", "task": task if type(task) is str else normalize(task),
                "tool": tool if type(tool) is str else normalize(tool), "args": normalize(action.args),
                "timeout_ms": timeout if timeout is None or type(timeout) is int else normalize(timeout),
                "uses": listed(action.uses)}
    if isinstance(action, Cancel):
        return {"op": "cancel", "call_id": normalize(action.call_id)}
    if isinstance(action, Respond):
        task, text, uses = action.task_id, action.text, action.uses
        return {"op": "respond", "task": task if type(task) is str else normalize(task),
                "text": text if type(text) is str else normalize(text), "uses": None if uses is None else listed(uses)}
    return {"op": "invalid", "raw": repr(action)[:500]}


def _wait_record(wait: Wait) -> dict[str, Any]:
    ids, timeout = wait.call_ids, wait.timeout_ms
    if not ids and (timeout is None or type(timeout) is int) and type(ids) is tuple:  # a plain wait: nothing to normalise
        return {"call_ids": [], "timeout_ms": timeout}
    return normalize({"call_ids": list(ids), "timeout_ms": timeout})  # type: ignore[no-any-return]


class Inbox:
    """The events the agent has not seen yet, and the wait it sleeps in: an event it waits for wakes it."""

    __slots__ = ("events", "wait", "wake", "_clock", "_emit")

    def __init__(self, clock: Clock, emit: Callable[..., None]) -> None:
        self.events: list[Event] = []
        self.wait: Wait | None = None
        self.wake: Wake | None = None
        self._clock = clock
        self._emit = emit

    def notify(self, event: Event) -> None:
        self.events.append(event)
        wake = self.wake
        if wake is not None and not wake.triggered:
            wait = self.wait
            if wait is None or not wait.call_ids or _matches(event, wait):  # waiting for anything: any event wakes
                wake.succeed()

    def reject(self, task_id: str | None, reason: str, detail: str, raw: Any) -> None:
        """An action the runtime refused as malformed: an ``agent_error`` event, and the agent is told."""
        self._emit("agent_error", task=task_id, reason=reason, detail=detail, raw=normalize(raw))
        self.notify(Event("rejected", self._clock.now, task_id, None, {"reason": reason, "detail": detail}))



class AgentLoop:
    """What the agent sees and when it decides; ``end_reason`` is set once the run is over."""

    def __init__(self, clock: Clock, inbox: Inbox, board: TaskBoard, calls: CallViews, in_flight: Mapping[str, None],
                 schemas: Mapping[str, Mapping[str, ToolSchema]], emit: Callable[..., None], *,
                 max_decisions: int, horizon_ms: int, fixed_think_ms: int | None = None) -> None:
        self._clock = clock
        self._fixed_think = fixed_think_ms  # the world's think_ms: what every thinking or acting decision costs
        self._inbox = inbox
        self._board = board
        self._calls = calls
        self._tasks = TaskViews(board.tasks)
        self._in_flight = in_flight
        self._schemas = schemas
        self._emit = emit
        self._max_decisions = max_decisions
        self._horizon = horizon_ms
        self._issued: dict[str, Issued] = {}  # ref -> outcome of a call action, until next observed
        self._asked: Observation | None = None  # the observation awaiting ``submit``
        self._act: Callable[[Any], Issued | None] | None = None
        self._thinking: Decision | None = None  # the decision in its think time: its calls are committed, not yet issued
        self.decisions = 0
        self.think_total = 0
        self.end_reason: str | None = None

    def observe(self) -> Observation:
        inbox = self._inbox
        events = inbox.events
        if events:
            events, inbox.events = tuple(events), []
        else:
            events = ()
        issued: Mapping[str, Issued] = _NONE_ISSUED
        if self._issued:
            issued, self._issued = self._issued, {}
        # positional (now, decision, tasks, calls, in_flight, events, schemas, issued): attrs' keyword path costs more
        return Observation(self._clock.now, self.decisions, self._tasks.all(), self._calls, tuple(self._in_flight), events,
                           self._schemas, issued)

    # ----------------------------------------------------------------- decision points
    def start(self, act: Callable[[Any], Issued | None]) -> None:
        """Schedule the first wake-up (at 0, where a process would start); ``act`` applies one action."""
        self._act = act
        self._clock.after(0, self._wake_up, urgent=True)

    def _wake_up(self, _event: Any = None) -> None:
        self._clock.pause()

    def advance(self) -> Observation | None:
        if self._asked is not None:
            raise SimtoolError("advance() called again before submit(): the last observation awaits a decision")
        while self.end_reason is None:
            stopped = self._clock.run_until(self._horizon)
            if stopped is not None:
                self.end_reason = stopped
            elif not self._board.active:
                self.end_reason = "all_done"
            elif self.decisions >= self._max_decisions:
                self.end_reason = "max_decisions"
            else:
                self._asked = self.observe()
                return self._asked
        return None

    def submit(self, decision: Any) -> None:
        obs = self._asked
        if obs is None:
            raise SimtoolError("submit() called with no observation awaiting a decision: call advance() first")
        self._asked = None
        if type(decision) is Decision and type(decision.think_ms) is int and decision.think_ms >= 0:
            checked: Decision | None = decision  # the common case, without a call to ``_check``
        else:
            checked = self._check(decision)
        self.decisions += 1
        if checked is None:
            checked = Decision()
        fixed = self._fixed_think
        if fixed is not None and (checked.think_ms or checked.actions or checked.errors):
            checked = attrs.evolve(checked, think_ms=fixed)
        seen = [e.call_id for e in obs.events if e.call_id is not None and e.kind in _ENDS]
        wait = checked.wait
        self._emit(
            "decide", decision=obs.decision, think_ms=checked.think_ms,
            actions=[_action_record(a) for a in checked.actions],
            wait=None if wait is None else _wait_record(wait),
            seen=seen, note=normalize(dict(note)) if (note := checked.note) else {},
        )
        if checked.think_ms:
            self.think_total += checked.think_ms
            self._thinking = checked
            self._clock.after(checked.think_ms, partial(self._after_think, checked))
        elif self._acted(checked):
            self._clock.pause()

    def stop(self) -> str:
        """The run ends now (an external agent stops early unless it is over already); the end reason."""
        if self.end_reason is None:
            self.end_reason = "stopped"
        self._asked = None
        return self.end_reason

    def _check(self, decision: Any) -> Decision | None:
        if not isinstance(decision, Decision):
            self._inbox.reject(None, "bad_decision", f"a policy must return a Decision, returned {type(decision).__name__}", repr(decision)[:500])
            return None
        if not isinstance(decision.think_ms, int) or isinstance(decision.think_ms, bool) or decision.think_ms < 0:
            self._inbox.reject(None, "bad_decision", f"think_ms must be an integer >= 0, found {decision.think_ms!r}", None)
            return None
        return decision

    def committed_calls(self, task_id: str) -> dict[str, int]:
        """Calls of ``task_id`` per tool that the decision now in its think time will issue."""
        counts: dict[str, int] = {}
        if self._thinking is not None:
            for action in self._thinking.actions:
                if isinstance(action, CallAction) and action.task_id == task_id:
                    counts[action.tool] = counts.get(action.tool, 0) + 1
        return counts

    def _after_think(self, decision: Decision, _event: Any = None) -> None:
        self._thinking = None
        if self._acted(decision):
            self._clock.pause()

    def _acted(self, decision: Decision) -> bool:
        """Apply a decision after its think time; True when the agent decides again at once."""
        inbox = self._inbox
        for error in decision.errors:
            inbox.reject(error.task_id, error.reason, error.detail, error.raw)
        act = self._act
        assert act is not None
        for action in decision.actions:
            issued = act(action)
            if issued is not None and issued.ref is not None:
                self._issued[issued.ref] = issued
        if decision.wait is None and decision.actions:
            return True
        wait = decision.wait or Wait()
        if inbox.events and (not wait.call_ids or any(_matches(e, wait) for e in inbox.events)):
            return True
        if wait.timeout_ms is not None and (not isinstance(wait.timeout_ms, int) or wait.timeout_ms <= 0):
            inbox.reject(None, "bad_wait", f"wait timeout_ms must be a positive integer, found {wait.timeout_ms!r}", None)
            wait = Wait(wait.call_ids)
        inbox.wait = wait
        wake = inbox.wake = Wake(self._clock)
        if wait.timeout_ms is None:
            wake.callbacks.append(self._woken)  # type: ignore[union-attr]
        else:
            either = Either(self._clock, self._woken_or_timed_out)
            wake.callbacks.append(either.check)  # type: ignore[union-attr]
            self._clock.after(wait.timeout_ms, either.check)
        return False

    def _woken(self, _event: Any) -> None:
        self._inbox.wake = None
        self._inbox.wait = None
        self._clock.pause()

    def _woken_or_timed_out(self, _event: Any) -> None:
        inbox = self._inbox
        assert inbox.wake is not None
        if not inbox.wake.triggered:
            inbox.events.append(Event("wait_timeout", self._clock.now))
        self._woken(_event)
