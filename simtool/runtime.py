"""The runtime: a SimPy clock, the tasks' services, the calls' lives, the faults, the policy loop.

A call's life: ``issue -> (request leg) -> arrive -> [queue for capacity] -> (service leg)
-> execute atomically -> (response leg) -> deliver``.

What cancelled means (one meaning, kept everywhere):
- cancelled before execution: the call is withdrawn and never executes (no effect);
- cancelled after execution, before delivery: the effect stands, the result is dropped, and
  the trace says ``executed: true``;
- cancelled after delivery (or twice): nothing changes; recorded as a no-op.
A timeout is a cancellation by the deadline, with the same meaning, and the agent is told.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import simpy

from simtool.clock import Either, Wake, make_clock
from simtool.errors import SimtoolError
from simtool.gold import GoldBook, shared_expectations
from simtool.latency import LatencyDraws
from simtool.policy import (
    CallAction,
    Cancel,
    Decision,
    Event,
    Issued,
    Observation,
    Oracle,
    PolicyAbort,
    PolicyContext,
    Respond,
    Wait,
)
from simtool.records import CallRun, TaskRun, stale_reason
from simtool.registry import service_class
from simtool.rng import stream
from simtool.service import Service, ServiceContext, check_args, normalize
from simtool.trace import TraceWriter, canonical
from simtool.views import CallViews, TaskViews
from simtool.world import Fault, FaultProcess, TaskSpec, World

__all__ = ["Runtime", "PolicyAbort"]  # PolicyAbort lives in simtool.policy; re-exported for old imports

AGENT_VISIBLE = {"delivered", "timed_out", "cancelled", "task_cancelled", "amended", "revoked", "granted",
                 "subtask_started", "rejected", "wait_timeout"}


_NONE_ISSUED: Mapping[str, Issued] = MappingProxyType({})


class Runtime:
    """One deterministic run of a world under a policy, writing its trace."""

    def __init__(self, world: World, seed: int, writer: TraceWriter) -> None:
        self.world = world
        self.seed = seed
        self.trace = writer
        self._write = writer.write
        self.clock = make_clock(stream(seed, "ties") if world.tie_shuffle else None)
        self._seq = 0
        self._draws = LatencyDraws(world.latency, seed)
        self.tasks: dict[str, TaskRun] = {}
        self.calls: dict[str, CallRun] = {}
        self._in_flight: dict[str, None] = {}
        self._inbox: list[Event] = []
        self._issued: dict[str, Issued] = {}  # ref -> outcome of a call action, until next observed
        self._wait: Wait | None = None
        self._wake: Wake | None = None
        self._due = False  # the agent is at a decision point: ``advance`` hands back an observation
        self._asked: Observation | None = None  # the observation awaiting ``submit``
        self._decisions = 0
        self._think_total = 0
        self._next_call = 0
        self._slots: dict[str, simpy.Resource] = {
            name: simpy.Resource(self.clock, capacity=lim.capacity) for name, lim in world.limits.items() if lim.capacity
        }
        self._rate_window: dict[str, deque[int]] = {}
        self._rate_override: dict[str, tuple[int, int, int]] = {}  # service -> (calls, per_ms, until)
        self._outages: dict[str, list[tuple[int, int]]] = {name: list(lim.outages) for name, lim in world.limits.items()}
        self.end_reason: str | None = None
        self._schemas = MappingProxyType({t.task_id: MappingProxyType(dict(t.tools)) for t in world.tasks})
        self._call_views = CallViews(self.calls, self.tasks)
        self._task_views = TaskViews(self.tasks)
        for spec in world.tasks:
            self.tasks[spec.task_id] = TaskRun(
                spec=spec,
                services=self._instantiate(spec),
                permissions=set(spec.permissions),
                epochs=[0] * len(spec.turns),
                current=spec.turns[0],
            )
        self.gold = GoldBook({t.task_id: t for t in world.tasks}, self._draws, self._instantiate, seed, shared_expectations(world))
        self._active = len(self.tasks)  # tasks neither done nor cancelled

    # ----------------------------------------------------------------- set-up helpers
    def _service_ctx(self, task_id: str, service: str) -> ServiceContext:
        seed = self.seed
        return ServiceContext(task_id, lambda name: stream(seed, "service", task_id, service, name))

    def _instantiate(self, spec: TaskSpec, contexts: list[ServiceContext] | None = None) -> dict[str, Service]:
        """Fresh services for a task (their contexts appended to ``contexts`` when given)."""
        out = {}
        for name in spec.services:
            ctx = self._service_ctx(spec.task_id, name)
            if contexts is not None:
                contexts.append(ctx)
            instance = service_class(name)(ctx)
            instance.load_scenario(normalize(spec.initial_config.get(name) or {}))
            out[name] = instance
        return out

    def _emit(self, kind: str, **fields: Any) -> None:
        fields["t"] = self.clock._now
        fields["seq"] = self._seq
        fields["kind"] = kind
        self._seq += 1
        self._write(fields)

    def _notify(self, event: Event) -> None:
        if event.kind not in AGENT_VISIBLE:
            return
        self._inbox.append(event)
        wake = self._wake
        if wake is not None and not wake.triggered and self._matches(event, self._wait):
            wake.succeed()

    @staticmethod
    def _matches(event: Event, wait: Wait | None) -> bool:
        if wait is None or not wait.call_ids:
            return True
        if event.call_id is None:
            return event.kind != "subtask_started"
        return event.call_id in wait.call_ids

    def _view(self, call: CallRun) -> None:
        """The call changed: the agent's view of it is rebuilt when next looked at."""
        self._call_views.changed(call.call_id)

    # ----------------------------------------------------------------- sub-tasks
    def _start_subtask(self, task: TaskRun, reason: str) -> None:
        turn = task.current
        assert turn is not None
        gold = self.gold.chain(task.task_id, turn)
        self._emit("subtask_start", task=task.task_id, turn=task.turn, epoch=task.epoch, request=turn.request, gold=gold, reason=reason)
        self._notify(Event("subtask_started", self.clock._now, task.task_id, None, {"turn": task.turn, "epoch": task.epoch, "reason": reason}))

    # ----------------------------------------------------------------- a call's life
    def _reject(self, task_id: str | None, reason: str, detail: str, raw: Any) -> None:
        self._emit("agent_error", task=task_id, reason=reason, detail=detail, raw=normalize(raw))
        self._notify(Event("rejected", self.clock._now, task_id, None, {"reason": reason, "detail": detail}))

    def _refuse(self, action: CallAction, task_id: str | None, reason: str, detail: str) -> Issued:
        self._reject(task_id, reason, detail, {"task": action.task_id, "tool": action.tool, "args": action.args})
        return Issued(action.ref, None, reason, detail)

    def issue(self, action: CallAction) -> Issued:
        """Start a call (its id in the outcome), or refuse the action (the reason in the outcome)."""
        task = self.tasks.get(action.task_id)
        if task is None:
            return self._refuse(action, action.task_id, "unknown_task", f"no task '{action.task_id}' (tasks: {', '.join(self.tasks)})")
        schema = task.spec.tools.get(action.tool)
        if schema is None:
            owner = next((t for t, other in self.tasks.items() if action.tool in other.spec.tools), None)
            reason = "wrong_task_tool" if owner else "unknown_tool"
            detail = f"task '{task.task_id}' has no tool '{action.tool}'" + (f" (task '{owner}' has)" if owner else "")
            return self._refuse(action, task.task_id, reason, detail)
        if not isinstance(action.args, dict) and not hasattr(action.args, "items"):
            return self._refuse(action, task.task_id, "bad_arguments", f"arguments must be an object, found {type(action.args).__name__}")
        args = dict(action.args)
        problem = check_args(schema, args)
        if problem:
            return self._refuse(action, task.task_id, "bad_arguments", problem)
        timeout = action.timeout_ms if action.timeout_ms is not None else self.world.default_timeout_ms
        if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
            return self._refuse(action, task.task_id, "bad_timeout", f"timeout_ms must be a positive integer, found {timeout!r}")
        now = self.clock._now
        call_id = f"c{self._next_call}"
        self._next_call += 1
        occurrence = task.occurrences.get(action.tool, 0)
        task.occurrences[action.tool] = occurrence + 1
        req, svc, resp = self._draws.nth(task.task_id, schema.service, action.tool, occurrence)
        call = CallRun(
            call_id=call_id, task_id=task.task_id, tool=action.tool, service=schema.service,
            scope=schema.scope, args=args, turn=task.turn, epoch=task.epoch, issued_at=now,
            deadline=now + timeout if timeout is not None else None, req_ms=req, svc_ms=svc, resp_ms=resp,
        )
        self.calls[call_id] = call
        task.call_ids.append(call_id)  # the task's view shows it: its call ids are live
        self._in_flight[call_id] = None
        self._emit(
            "issue", call_id=call_id, task=task.task_id, turn=call.turn, epoch=call.epoch, tool=call.tool,
            service=call.service, scope=call.scope, args=normalize(args), deadline=call.deadline, perms=task.perms,
            uses=normalize(list(action.uses)), req_ms=req, svc_ms=svc, resp_ms=resp, occurrence=occurrence,
            task_status=task.status,
        )
        self._view(call)
        if task.status != "active":
            self._answer(call, {"error": f"task {task.task_id} is {task.status}"}, refused="task_" + task.status)
            self._deliver(call)
            return Issued(action.ref, call_id)
        if self.world.enforcement == "issue" and call.scope not in task.permissions:
            self._answer(call, {"error": f"permission denied: {call.scope}"}, refused="permission")
            self._deliver(call)
            return Issued(action.ref, call_id)
        self.clock.after(req, lambda _e: self._arrive(call))
        if call.deadline is not None:
            self.clock.after(timeout, lambda _e: self._expire(call))
        return Issued(action.ref, call_id)

    def _outage_end(self, service: str, now: int) -> int | None:
        for start, end in self._outages.get(service, ()):
            if start <= now < end:
                return end
        return None

    def _rate_limited(self, service: str, now: int) -> int | None:
        """ms until the service takes another call, or None when it takes this one (and counts it)."""
        limit = self.world.limits.get(service)
        calls, per = (limit.rate_calls, limit.rate_per_ms) if limit else (None, None)
        override = self._rate_override.get(service)
        if override and now < override[2]:
            calls, per = override[0], override[1]
        if not calls or not per:
            return None
        window = self._rate_window.setdefault(service, deque())
        while window and window[0] <= now - per:
            window.popleft()
        if len(window) >= calls:
            return window[0] + per - now
        window.append(now)
        return None

    def _arrive(self, call: CallRun) -> None:
        if call.status != "in_flight":
            return
        now = self.clock._now
        end = self._outage_end(call.service, now)
        if end is not None:
            self._answer(call, {"error": f"{call.service} unavailable", "retry_after_ms": end - now}, refused="outage")
            self._respond_later(call)
            return
        wait = self._rate_limited(call.service, now)
        if wait is not None:
            self._answer(call, {"error": f"{call.service} rate limited", "retry_after_ms": wait}, refused="rate_limited")
            self._respond_later(call)
            return
        slots = self._slots.get(call.service)
        if slots is None:
            if call.svc_ms:
                self.clock.after(call.svc_ms, lambda _e: self._execute(call, now))
            else:
                self._execute(call, now)
            return
        self.clock.process(self._queued(call, slots, now))

    def _queued(self, call: CallRun, slots: simpy.Resource, arrived: int) -> Iterator[simpy.Event]:
        request = slots.request()
        call.slot = request
        # a call withdrawn while queued leaves the queue (``_end_call``) and never resumes here
        yield request
        try:
            if call.status == "in_flight":
                if call.svc_ms:
                    yield self.clock.timeout(call.svc_ms)
                self._execute(call, arrived)
        finally:
            slots.release(request)
            call.slot = None

    def _execute(self, call: CallRun, arrived: int) -> None:
        if call.status != "in_flight":
            return
        task = self.tasks[call.task_id]
        if self.world.enforcement == "execution" and call.scope not in task.permissions:
            self._answer(call, {"error": f"permission denied: {call.scope}"}, refused="permission")
            self._respond_later(call)
            return
        result = task.services[call.service].invoke(call.tool, call.args)
        call.executed = True
        task.executed_count += 1
        call.outcome = "error" if result.error else "ok"
        call.result = normalize(result.value)
        self._emit(
            "execute", call_id=call.call_id, task=call.task_id, tool=call.tool, service=call.service,
            outcome=call.outcome, result=call.result, queued_ms=self.clock._now - arrived - call.svc_ms,
            order=task.executed_count, turn=call.turn, epoch=call.epoch,
        )
        self._respond_later(call)

    def _answer(self, call: CallRun, result: dict[str, Any], *, refused: str) -> None:
        call.outcome = "error"
        call.result = result
        self._emit("refuse", call_id=call.call_id, task=call.task_id, reason=refused, result=result)

    def _respond_later(self, call: CallRun) -> None:
        if call.resp_ms:
            self.clock.after(call.resp_ms, lambda _e: self._deliver(call))
        else:
            self._deliver(call)

    def _deliver(self, call: CallRun) -> None:
        if call.status != "in_flight":
            return
        task = self.tasks[call.task_id]
        withheld = self.world.enforcement == "delivery" and call.scope not in task.permissions and call.outcome == "ok"
        if withheld:
            call.outcome = "error"
            call.result = {"error": f"permission revoked: {call.scope}"}
        leak = call.outcome == "ok" and call.scope not in task.permissions
        stale = stale_reason(call, task)
        call.status = call.outcome or "error"
        call.ended_at = self.clock._now
        del self._in_flight[call.call_id]
        self._emit(
            "deliver", call_id=call.call_id, task=call.task_id, outcome=call.status, result=call.result,
            executed=call.executed, stale=stale is not None, stale_reason=stale, perms=task.perms,
            leak=leak, withheld=withheld,
        )
        self._view(call)
        self._notify(Event("delivered", self.clock._now, call.task_id, call.call_id, {"outcome": call.status}))

    def _expire(self, call: CallRun) -> None:
        if call.status != "in_flight":
            return
        self._end_call(call, "timeout")
        self._emit("timeout", call_id=call.call_id, task=call.task_id, executed=call.executed)
        self._view(call)
        self._notify(Event("timed_out", self.clock._now, call.task_id, call.call_id, {"executed": call.executed}))

    def _end_call(self, call: CallRun, status: str) -> None:
        call.status = status
        call.ended_at = self.clock._now
        self._in_flight.pop(call.call_id, None)
        if call.slot is not None and not call.slot.triggered:
            call.slot.cancel()

    def cancel(self, call_id: str, by: str) -> None:
        call = self.calls.get(call_id)
        if call is None:
            self._reject(None, "unknown_call", f"no call '{call_id}' to cancel", {"cancel": call_id})
            return
        if call.status == "in_flight":
            phase = "after_execution" if call.executed else "before_execution"
            self._end_call(call, "cancelled")
        else:
            phase = "already_cancelled" if call.status == "cancelled" else "after_delivery"
        self._emit("cancel", call_id=call_id, task=call.task_id, by=by, phase=phase, executed=call.executed)
        self._view(call)
        if by == "world" and phase in ("before_execution", "after_execution"):
            self._notify(Event("cancelled", self.clock._now, call.task_id, call_id, {"phase": phase}))

    # ----------------------------------------------------------------- respond
    @staticmethod
    def _result_text(call: CallRun) -> str:
        if call.result_text is None:
            call.result_text = canonical(call.result)
        return call.result_text

    def respond(self, action: Respond) -> None:
        task = self.tasks.get(action.task_id)
        raw = {"respond": action.task_id, "text": action.text}
        if task is None:
            self._reject(action.task_id, "unknown_task", f"no task '{action.task_id}'", raw)
            return
        if task.status != "active":
            self._reject(task.task_id, "respond_inactive", f"task '{task.task_id}' is {task.status}", raw)
            return
        if action.uses is None:
            uses = [c for c in task.call_ids if self.calls[c].status in ("ok", "error")]
        else:
            uses = list(action.uses)
        path = tuple(task.history) + ((task.turn, task.epoch),)
        gold_state, gold_results = self.gold.expectation(task.task_id, path)
        actual = {name: s.state() for name, s in task.services.items()}
        diff = [f"{name}.{key}" for name in sorted(actual) for key in sorted(set(actual[name]) | set(gold_state[name]))
                if actual[name].get(key) != gold_state[name].get(key)]
        have = {self._result_text(self.calls[c]) for c in uses if c in self.calls and self.calls[c].status in ("ok", "error")}
        want = [canonical(r) for r in gold_results[-1]]
        pending = [c for c in task.call_ids if self.calls[c].turn == task.turn and not self.calls[c].executed and self.calls[c].status == "in_flight"]
        self._emit(
            "respond", task=task.task_id, turn=task.turn, epoch=task.epoch, text=action.text, uses=uses,
            pending=pending, state_ok=not diff, state_diff=diff[:10], gold_results=gold_results[-1],
            results_ok=all(w in have for w in want),
        )
        task.history.append((task.turn, task.epoch))
        task.turn += 1
        self._task_views.changed(task)
        if task.turn >= len(task.spec.turns):
            self._set_status(task, "done")
            task.current = None
        else:
            task.current = task.spec.turns[task.turn]
            self._start_subtask(task, "next")

    # ----------------------------------------------------------------- world events
    def _fault_record(self, fault: Fault, source: str) -> dict[str, Any]:
        rec: dict[str, Any] = {"fault": fault.kind, "source": source, "index": fault.index}
        for key in ("task", "scope", "service", "duration_ms", "calls", "per_ms"):
            value = getattr(fault, key)
            if value is not None:
                rec[key] = value
        return rec

    def apply_fault(self, fault: Fault, source: str) -> None:
        now = self.clock._now
        rec = self._fault_record(fault, source)
        targets = [self.tasks[fault.task]] if fault.task else list(self.tasks.values())
        if fault.kind == "cancel_task":
            task = targets[0]
            if task.status != "active":
                self._emit("fault", **rec, effective=False)
                return
            self._set_status(task, "cancelled")
            self._emit("fault", **rec, effective=True)
            for call_id in [c for c in task.call_ids if self.calls[c].status == "in_flight"]:
                self.cancel(call_id, "world")
            self._call_views.task_changed(task)
            self._notify(Event("task_cancelled", now, task.task_id))
        elif fault.kind == "amend":
            task = targets[0]
            if task.status != "active" or fault.amendment is None:
                self._emit("fault", **rec, effective=False)
                return
            task.epochs[task.turn] += 1
            self._task_views.changed(task)
            self.gold.amend(task.task_id, task.turn, task.epoch, fault.amendment)
            task.current = fault.amendment
            self._emit("fault", **rec, effective=True, turn=task.turn, epoch=task.epoch, request=fault.amendment.request)
            self._call_views.task_changed(task)
            self._notify(Event("amended", now, task.task_id, None, {"turn": task.turn, "epoch": task.epoch}))
            self._start_subtask(task, "amend")
        elif fault.kind in ("revoke", "grant"):
            assert fault.scope is not None
            for task in targets:
                task.set_permissions(fault.scope, fault.kind == "grant")
                self._task_views.changed(task)
            self._emit("fault", **rec, effective=True)
            for task in targets:
                self._notify(Event("revoked" if fault.kind == "revoke" else "granted", now, task.task_id, None, {"scope": fault.scope}))
        elif fault.kind == "outage":
            assert fault.service is not None and fault.duration_ms is not None
            self._outages.setdefault(fault.service, []).append((now, now + fault.duration_ms))
            self._emit("fault", **rec, effective=True, until=now + fault.duration_ms)
        elif fault.kind == "rate_limit":
            assert fault.service is not None and fault.calls and fault.per_ms
            until = now + fault.duration_ms if fault.duration_ms else self.world.horizon_ms
            self._rate_override[fault.service] = (fault.calls, fault.per_ms, until)
            self._emit("fault", **rec, effective=True, until=until)

    def _scheduled_faults(self) -> Iterator[simpy.Event]:
        for fault in self.world.faults:
            delay = fault.at_ms - self.clock._now
            if delay > 0:
                yield self.clock.timeout(delay)
            self.apply_fault(fault, "scheduled")

    def _fault_process(self, proc: FaultProcess) -> Iterator[simpy.Event]:
        rng = stream(self.seed, "faults", str(proc.index), proc.kind)
        count = 0
        if proc.start_ms > self.clock._now:
            yield self.clock.timeout(proc.start_ms - self.clock._now)
        while count < proc.max_count:
            gap = max(1, int(round(rng.exponential(proc.mean_interval_ms))))
            if self.clock._now + gap >= proc.end_ms:
                return
            yield self.clock.timeout(gap)
            template = proc.choices[int(rng.integers(len(proc.choices)))]
            self.apply_fault(template, f"process:{proc.index}")
            count += 1

    # ----------------------------------------------------------------- the policy loop
    def observe(self) -> Observation:
        events, self._inbox = tuple(self._inbox), []
        issued: Mapping[str, Issued] = _NONE_ISSUED
        if self._issued:
            issued, self._issued = self._issued, {}
        return Observation(
            now=self.clock._now,
            decision=self._decisions,
            tasks=self._task_views.all(),
            calls=self._call_views,
            in_flight=tuple(self._in_flight),
            events=events,
            schemas=self._schemas,
            issued=issued,
        )

    def _finished(self) -> bool:
        return self._active == 0

    def _set_status(self, task: TaskRun, status: str) -> None:
        if task.status == "active" and status != "active":
            self._active -= 1
        task.status = status
        self._task_views.changed(task)

    def _check_decision(self, decision: Any) -> Decision | None:
        if not isinstance(decision, Decision):
            self._reject(None, "bad_decision", f"a policy must return a Decision, returned {type(decision).__name__}", repr(decision)[:500])
            return None
        if not isinstance(decision.think_ms, int) or isinstance(decision.think_ms, bool) or decision.think_ms < 0:
            self._reject(None, "bad_decision", f"think_ms must be an integer >= 0, found {decision.think_ms!r}", None)
            return None
        return decision

    @staticmethod
    def _action_record(action: Any) -> dict[str, Any]:
        if isinstance(action, CallAction):
            return {"op": "call", "task": normalize(action.task_id), "tool": normalize(action.tool), "args": normalize(action.args),
                    "timeout_ms": normalize(action.timeout_ms), "uses": normalize(list(action.uses))}
        if isinstance(action, Cancel):
            return {"op": "cancel", "call_id": normalize(action.call_id)}
        if isinstance(action, Respond):
            return {"op": "respond", "task": normalize(action.task_id), "text": normalize(action.text),
                    "uses": None if action.uses is None else normalize(list(action.uses))}
        return {"op": "invalid", "raw": repr(action)[:500]}

    def _apply(self, action: Any) -> None:
        if isinstance(action, CallAction):
            issued = self.issue(action)
            if action.ref is not None:
                self._issued[action.ref] = issued
        elif isinstance(action, Cancel):
            self.cancel(action.call_id, "agent")
        elif isinstance(action, Respond):
            self.respond(action)
        else:
            self._reject(None, "bad_action", f"unknown action {type(action).__name__}", repr(action)[:500])

    # The agent's wake-ups are clock callbacks, not a SimPy process: each is scheduled exactly
    # where a process would have been resumed (start: urgent, at 0; think time: a timer; a wait:
    # an event that a matching notification triggers, or, with a timeout, whichever of the two
    # comes first, one step later), so same-ms ties break the same way. A wake-up only marks a
    # decision point (it is the last thing its step does); ``advance`` returns right after that
    # step, before any other, and the caller's decision takes effect in ``submit`` at that instant.
    def _decision_point(self, _event: Any = None) -> None:
        self._due = True

    def start(self) -> None:
        """Start every task's first sub-task, schedule the faults and the agent's first wake-up (at 0)."""
        for task in self.tasks.values():
            self._start_subtask(task, "start")
        if self.world.faults:
            self.clock.process(self._scheduled_faults())
        for proc in self.world.fault_processes:
            self.clock.process(self._fault_process(proc))
        self.clock.after(0, self._decision_point, urgent=True)  # where a process would start

    def advance(self) -> Observation | None:
        """Run the clock to the agent's next decision point and return its observation; None
        once the run is over (``end_reason`` says why)."""
        if self._asked is not None:
            raise SimtoolError("advance() called again before submit(): the last observation awaits a decision")
        horizon = self.world.horizon_ms
        queue = self.clock._queue
        step = self.clock.step
        while self.end_reason is None:
            if self._due:
                self._due = False
                if self._finished():
                    self.end_reason = "all_done"
                elif self._decisions >= self.world.max_decisions:
                    self.end_reason = "max_decisions"
                else:
                    self._asked = self.observe()
                    return self._asked
            elif not queue:
                self.end_reason = "stalled"
            elif queue[0][0] > horizon:
                self.end_reason = "horizon"
            else:
                step()
        return None

    def submit(self, decision: Decision) -> None:
        """The agent's decision on the last observation: recorded now, its actions applied after
        its think time. A malformed decision is recorded as an ``agent_error`` and taken as a
        decision to wait for anything."""
        obs = self._asked
        if obs is None:
            raise SimtoolError("submit() called with no observation awaiting a decision: call advance() first")
        self._asked = None
        checked = self._check_decision(decision)
        self._decisions += 1
        if checked is None:
            checked = Decision()
        seen = [e.call_id for e in obs.events if e.call_id is not None and e.kind in ("delivered", "timed_out", "cancelled")]
        self._emit(
            "decide", decision=obs.decision, think_ms=checked.think_ms,
            actions=[self._action_record(a) for a in checked.actions],
            wait=None if checked.wait is None else normalize({"call_ids": list(checked.wait.call_ids), "timeout_ms": checked.wait.timeout_ms}),
            seen=seen, note=normalize(dict(checked.note)),
        )
        if checked.think_ms:
            self._think_total += checked.think_ms
            self.clock.after(checked.think_ms, lambda _e, d=checked: self._after_think(d))
        elif self._acted(checked):
            self._due = True

    def _after_think(self, decision: Decision) -> None:
        if self._acted(decision):
            self._due = True

    def _acted(self, decision: Decision) -> bool:
        """Apply a decision after its think time; True when the policy decides again at once."""
        for error in decision.errors:
            self._reject(error.task_id, error.reason, error.detail, error.raw)
        for action in decision.actions:
            self._apply(action)
        if decision.wait is None and decision.actions:
            return True
        wait = decision.wait or Wait()
        if any(self._matches(e, wait) for e in self._inbox):
            return True
        if wait.timeout_ms is not None and (not isinstance(wait.timeout_ms, int) or wait.timeout_ms <= 0):
            self._reject(None, "bad_wait", f"wait timeout_ms must be a positive integer, found {wait.timeout_ms!r}", None)
            wait = Wait(wait.call_ids)
        self._wait = wait
        wake = self._wake = Wake(self.clock)
        if wait.timeout_ms is None:
            wake.callbacks.append(self._woken)
        else:
            either = Either(self.clock, self._woken_or_timed_out)
            wake.callbacks.append(either.check)
            self.clock.after(wait.timeout_ms, either.check)
        return False

    def _woken(self, _event: Any) -> None:
        self._wake = None
        self._wait = None
        self._due = True

    def _woken_or_timed_out(self, _event: Any) -> None:
        assert self._wake is not None
        if not self._wake.triggered:
            self._inbox.append(Event("wait_timeout", self.clock._now))
        self._woken(_event)

    def finish(self, policy_summary: Mapping[str, Any] | None = None) -> str:
        """End the run: emit the ``end`` event (with the policy's summary) and return the end reason.

        Called before the run is over (an external agent stopping early), the reason is ``stopped``.
        """
        if self.end_reason is None:
            self.end_reason = "stopped"
        self._asked = None
        tasks = {t.task_id: {"status": t.status, "turn": t.turn, "turns": len(t.spec.turns)} for t in self.tasks.values()}
        self._emit(
            "end", reason=self.end_reason, tasks=tasks, in_flight=list(self._in_flight), decisions=self._decisions,
            think_ms=self._think_total, policy=dict(policy_summary or {}),
        )
        return self.end_reason

    def policy_context(self) -> PolicyContext:
        """What a policy gets at reset: its seeded streams, the gold oracle, the seed and world name."""
        return PolicyContext(seed=self.seed, rng=self.policy_rng, oracle=self.oracle(), world_name=self.world.name)

    def policy_rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, "policy", name)

    def oracle(self) -> Oracle:
        return Oracle(self.gold.steps, {t.task_id: len(t.turns) for t in self.world.tasks})
