"""A call's life: ``issue -> (request leg) -> arrive -> [queue for capacity] -> (service leg)
-> execute atomically -> (response leg) -> deliver``.

What cancelled means (one meaning, kept everywhere):
- cancelled before execution: the call is withdrawn and never executes (no effect);
- cancelled after execution, before delivery: the effect stands, the result is dropped, and
  the trace says ``executed: true``;
- cancelled after delivery (or twice): nothing changes; recorded as a no-op.
A timeout is a cancellation by the deadline, with the same meaning, and the agent is told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import simpy

from simtool.clock import Clock
from simtool.gate import ServiceGate
from simtool.latency import LatencyDraws
from simtool.policy import CallAction, Event, Issued
from simtool.records import CallRun, TaskRun, stale_reason
from simtool.service import check_args, normalize
from simtool.stamp import listed

__all__ = ["CallLife"]

Reject = Callable[[str | None, str, str, Any], None]


class CallLife:
    """Every call of the run, from issue to delivery, timeout or cancellation."""

    def __init__(self, clock: Clock, tasks: dict[str, TaskRun], gate: ServiceGate, draws: LatencyDraws,
                 emit: Callable[..., None], notify: Callable[[Event], None], reject: Reject, *,
                 enforcement: str, default_timeout_ms: int | None) -> None:
        self.calls: dict[str, CallRun] = {}
        self.in_flight: dict[str, None] = {}  # call ids, in issue order
        self._clock = clock
        self._tasks = tasks
        self._gate = gate
        self._draws = draws
        self._emit = emit
        self._notify = notify
        self._reject = reject
        self._enforcement = enforcement
        self._default_timeout = default_timeout_ms
        self._next_call = 0

    # ----------------------------------------------------------------- issue
    def _refuse(self, action: CallAction, task_id: str | None, reason: str, detail: str) -> Issued:
        self._reject(task_id, reason, detail, {"task": action.task_id, "tool": action.tool, "args": action.args})
        return Issued(action.ref, None, reason, detail)  # type: ignore[arg-type]

    def issue(self, action: CallAction) -> Issued:
        """Start a call (its id in the outcome), or refuse the action (the reason in the outcome)."""
        tasks = self._tasks
        task = tasks.get(action.task_id)
        if task is None:
            return self._refuse(action, action.task_id, "unknown_task", f"no task '{action.task_id}' (tasks: {', '.join(tasks)})")
        schema = task.spec.tools.get(action.tool)
        if schema is None:
            owner = next((t for t, other in tasks.items() if action.tool in other.spec.tools), None)
            reason = "wrong_task_tool" if owner else "unknown_tool"
            detail = f"task '{task.task_id}' has no tool '{action.tool}'" + (f" (task '{owner}' has)" if owner else "")
            return self._refuse(action, task.task_id, reason, detail)
        if not isinstance(action.args, dict) and not hasattr(action.args, "items"):
            return self._refuse(action, task.task_id, "bad_arguments", f"arguments must be an object, found {type(action.args).__name__}")
        args = dict(action.args)
        problem = check_args(schema, args)
        if problem:
            return self._refuse(action, task.task_id, "bad_arguments", problem)
        timeout = action.timeout_ms if action.timeout_ms is not None else self._default_timeout
        if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
            return self._refuse(action, task.task_id, "bad_timeout", f"timeout_ms must be a positive integer, found {timeout!r}")
        now = self._clock.now
        call_id = f"c{self._next_call}"
        self._next_call += 1
        occurrence = task.occurrences.get(action.tool, 0)
        task.occurrences[action.tool] = occurrence + 1
        req, svc, resp = self._draws.nth(task.task_id, schema.service, action.tool, occurrence)
        # positional, in CallRun's field order (call_id, task_id, tool, service, scope, args, turn, epoch,
        # issued_at, deadline, req_ms, svc_ms, resp_ms): attrs' keyword path costs more
        call = CallRun(call_id, task.task_id, action.tool, schema.service, schema.scope, args, task.turn, task.epoch, now,
                       now + timeout if timeout is not None else None, req, svc, resp)
        self.calls[call_id] = call
        task.add_call(call)
        self.in_flight[call_id] = None
        uses = action.uses
        status = task.status
        self._emit(
            "issue", call_id=call_id, task=task.task_id, turn=call.turn, epoch=call.epoch, tool=call.tool,
            service=call.service, scope=call.scope, args=normalize(args), deadline=call.deadline, perms=task.perms,
            uses=listed(uses), req_ms=req, svc_ms=svc, resp_ms=resp,
            occurrence=occurrence, task_status=status,
        )
        if status != "active":
            self._answer(call, {"error": f"task {task.task_id} is {status}"}, refused="task_" + status)
            self._deliver(call)
        elif self._enforcement == "issue" and call.scope not in task.permissions:
            self._answer(call, {"error": f"permission denied: {call.scope}"}, refused="permission")
            self._deliver(call)
        else:
            after = self._clock.after
            after(req, partial(self._arrive, call))
            if call.deadline is not None:
                after(timeout, partial(self._expire, call))
        return Issued(action.ref, call_id)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- to the service and back
    def _arrive(self, call: CallRun, _event: Any = None) -> None:
        if call.status != "in_flight":
            return
        now = self._clock.now
        refused = self._gate.refusal(call.service, now)
        if refused is not None:
            self._answer(call, refused[1], refused=refused[0])
            self._respond_later(call)
            return
        slots = self._gate.slots(call.service)
        if slots is None:
            if call.svc_ms:
                self._clock.after(call.svc_ms, partial(self._execute, call, now))
            else:
                self._execute(call, now)
            return
        self._clock.process(self._queued(call, slots, now))

    def _queued(self, call: CallRun, slots: simpy.Resource, arrived: int) -> Iterator[simpy.Event]:
        request = slots.request()
        call.slot = request
        # a call withdrawn while queued leaves the queue (``_end``) and never resumes here
        yield request
        try:
            if call.status == "in_flight":
                if call.svc_ms:
                    yield self._clock.timeout(call.svc_ms)
                self._execute(call, arrived)
        finally:
            slots.release(request)
            call.slot = None

    def _execute(self, call: CallRun, arrived: int, _event: Any = None) -> None:
        if call.status != "in_flight":
            return
        task = self._tasks[call.task_id]
        if self._enforcement == "execution" and call.scope not in task.permissions:
            self._answer(call, {"error": f"permission denied: {call.scope}"}, refused="permission")
            self._respond_later(call)
            return
        result = task.services[call.service].invoke(call.tool, call.args)
        task.executed_count += 1
        call.answer("error" if result.error else "ok", normalize(result.value), executed=True)
        self._emit(
            "execute", call_id=call.call_id, task=call.task_id, tool=call.tool, service=call.service,
            outcome=call.outcome, result=call.result, queued_ms=self._clock.now - arrived - call.svc_ms,
            order=task.executed_count, turn=call.turn, epoch=call.epoch,
        )
        self._respond_later(call)

    def _answer(self, call: CallRun, result: dict[str, Any], *, refused: str) -> None:
        call.answer("error", result)
        self._emit("refuse", call_id=call.call_id, task=call.task_id, reason=refused, result=result)

    def _respond_later(self, call: CallRun) -> None:
        if call.resp_ms:
            self._clock.after(call.resp_ms, partial(self._deliver, call))
        else:
            self._deliver(call)

    def _deliver(self, call: CallRun, _event: Any = None) -> None:
        if call.status != "in_flight":
            return
        task = self._tasks[call.task_id]
        withheld = self._enforcement == "delivery" and call.scope not in task.permissions and call.outcome == "ok"
        if withheld:
            call.answer("error", {"error": f"permission revoked: {call.scope}"})
        leak = call.outcome == "ok" and call.scope not in task.permissions
        stale = stale_reason(call, task)
        now = self._clock.now
        call.end(call.outcome or "error", now)
        del self.in_flight[call.call_id]
        self._emit(
            "deliver", call_id=call.call_id, task=call.task_id, outcome=call.status, result=call.result,
            executed=call.executed, stale=stale is not None, stale_reason=stale, perms=task.perms,
            leak=leak, withheld=withheld,
        )
        self._notify(Event("delivered", now, call.task_id, call.call_id, {"outcome": call.status}))

    # ----------------------------------------------------------------- ends before delivery
    def _expire(self, call: CallRun, _event: Any = None) -> None:
        if call.status != "in_flight":
            return
        self._end(call, "timeout")
        self._emit("timeout", call_id=call.call_id, task=call.task_id, executed=call.executed)
        self._notify(Event("timed_out", self._clock.now, call.task_id, call.call_id, {"executed": call.executed}))

    def _end(self, call: CallRun, status: str) -> None:
        call.end(status, self._clock.now)
        self.in_flight.pop(call.call_id, None)
        if call.slot is not None and not call.slot.triggered:
            call.slot.cancel()

    def cancel(self, call_id: str, by: str) -> None:
        """Cancel a call ``by`` the ``agent`` or the ``world`` (see the module's meaning of cancelled)."""
        call = self.calls.get(call_id)
        if call is None:
            self._reject(None, "unknown_call", f"no call '{call_id}' to cancel", {"cancel": call_id})
            return
        if call.status == "in_flight":
            phase = "after_execution" if call.executed else "before_execution"
            self._end(call, "cancelled")
        else:
            phase = "already_cancelled" if call.status == "cancelled" else "after_delivery"
        self._emit("cancel", call_id=call_id, task=call.task_id, by=by, phase=phase, executed=call.executed)
        if by == "world" and phase in ("before_execution", "after_execution"):
            self._notify(Event("cancelled", self._clock.now, call.task_id, call_id, {"phase": phase}))
