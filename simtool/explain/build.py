"""``explain``: a trace told as a story, per task, with every violation's causal chain.

Violations are found by the scoring invariants (``simtool.scoring.violations``, one source of
truth) and marked ``race`` when a hunt's narrower check reports them too
(``simtool.hunting.invariants``); this module only tells them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simtool.callstring import format_call
from simtool.errors import SpecError
from simtool.explain.chains import chain_of, offence_turn
from simtool.explain.facts import Facts, ms
from simtool.explain.story import (
    Answer,
    CallLife,
    Explanation,
    FaultStory,
    SubtaskStory,
    TaskStory,
    ViolationStory,
)
from simtool.scoring.history import CallRecord, History, history_of, trace_from_lines
from simtool.scoring.violations import Offence, find_violations
from simtool.trace import Trace

__all__ = ["explain", "explanation_json", "as_history", "Source"]

Source = Trace | History | str | Path | Sequence[Mapping[str, Any]] | Sequence[str]


def as_history(source: Source) -> History:
    """A ``History`` from any trace source ``explain`` takes (a path, a ``Trace``, its records or lines)."""
    if isinstance(source, (Trace, History, str, Path)):
        return history_of(source)
    items = list(source)
    if items and isinstance(items[0], str):
        return history_of(trace_from_lines(items))
    if not items or not isinstance(items[0], Mapping) or items[0].get("kind") != "header":
        raise SpecError("explain needs a trace: a header record first, then its events",
                        expected="kind 'header' first", found=(items[0].get("kind") if items and isinstance(items[0], Mapping) else None))
    footer = items[-1] if items[-1].get("kind") == "footer" else None
    body = items[1:-1] if footer else items[1:]
    return history_of(Trace("<events>", items[0], tuple(body), footer, ()))


def _retry(f: Facts, c: CallRecord, outcome: str | None) -> str | None:
    """The next call of the task to the same tool, issued after ``c`` failed (error, refusal, timeout)."""
    end = c.ended
    if end is None or not (outcome in ("error", "refused") or end.get("kind") == "timeout"):
        return None
    later = f.calls_after(c.task, c.tool, int(end["seq"]))
    return later[0].call_id if later else None


def _life(f: Facts, c: CallRecord) -> CallLife:
    d = f.decision_of(c.issue["seq"])
    end, outcome, result = "in_flight", None, None
    ended = c.ended
    if ended is not None:
        end = {"deliver": "delivered", "timeout": "timeout", "cancel": "cancelled"}[ended["kind"]]
    if c.deliver is not None:
        outcome, result = c.deliver.get("outcome"), c.deliver.get("result")
    if c.refuse is not None:
        outcome, result = "refused", c.refuse.get("result")
    return CallLife(
        call_id=c.call_id, task=c.task, turn=c.turn, epoch=c.epoch, tool=c.tool, args=dict(c.args),
        decision=d.get("decision") if d else None, issued_ms=int(c.issue["t"]),
        executed_ms=c.execute["t"] if c.execute else None, order=c.execute.get("order") if c.execute else None,
        executed_outcome=c.execute.get("outcome") if c.execute else None,
        refused_ms=c.refuse["t"] if c.refuse else None, refused_reason=c.refuse.get("reason") if c.refuse else None,
        delivered_ms=c.deliver["t"] if c.deliver else None, timed_out_ms=c.timeout["t"] if c.timeout else None,
        cancelled_ms=c.cancel["t"] if c.cancel else None, cancelled_by=c.cancel.get("by") if c.cancel else None,
        cancel_phase=c.cancel.get("phase") if c.cancel else None, end=end, outcome=outcome, result=result,
        stale_reason=c.deliver.get("stale_reason") if c.deliver and c.deliver.get("stale") else None,
        leak=bool(c.deliver.get("leak")) if c.deliver else False, scope=c.issue.get("scope"),
        changes=f.states.changes(c.call_id), retried_by=_retry(f, c, outcome),
    )


def _reaction(f: Facts, e: Mapping[str, Any], caught: list[str]) -> str:
    if not e.get("effective"):
        return "no effect (its task was no longer active)"
    d = f.next_decision(int(e["seq"]))
    if d is None:
        return "the agent decided nothing after it"
    task = e.get("task")
    acted = f.actions_about(d, task)
    head = f"decision {d.get('decision')} at {ms(d['t'])}"
    if acted:
        return f"{head}: " + "; ".join(acted)
    if caught and e.get("fault") in ("revoke", "cancel_task", "amend"):
        return f"{head} left {', '.join(caught)} running"
    return f"{head} took no action on {task}" if task else f"{head}: " + ("; ".join(f.actions_about(d, None)) or "no action")


def _fault_story(f: Facts, e: Mapping[str, Any]) -> FaultStory:
    caught = f.in_flight(int(e["seq"]), [e["task"]] if e.get("task") else None)  # None: every task
    if e.get("fault") == "revoke":
        caught = [c for c in caught if f.h.calls[c].issue.get("scope") == e.get("scope")]
    elif e.get("fault") in ("outage", "rate_limit"):
        caught = [c for c in caught if f.h.calls[c].issue.get("service") == e.get("service")]
    fields = {k: v for k, v in e.items() if k not in ("kind", "t", "seq", "fault", "task", "effective")}
    return FaultStory(int(e["t"]), int(e["seq"]), str(e.get("fault")), e.get("task"), bool(e.get("effective")),
                      fields, tuple(caught), _reaction(f, e, caught))


def _subtasks(f: Facts, task: str) -> list[SubtaskStory]:
    out = []
    for turn in range(max(f.h.turns.get(task, 0), max(f.h.started_turns(task), default=-1) + 1)):
        requests = tuple(
            {"epoch": s.get("epoch"), "t": s["t"], "reason": s.get("reason"), "request": s.get("request"),
             "gold": [format_call(g["tool"], g.get("args") or {}) for g in s.get("gold") or []]}
            for s in f.h.starts.get((task, turn), [])
        )
        r = f.answers.get((task, turn))
        answer = None
        if r is not None:
            answer = Answer(int(r["t"]), int(r["seq"]), int(r.get("epoch", 0)), str(r.get("text", "")), tuple(r.get("uses") or ()),
                            tuple(r.get("pending") or ()), bool(r.get("state_ok")), bool(r.get("results_ok")),
                            f.state_check(r), tuple(f.missing_results(r)))
        out.append(SubtaskStory(task, turn, requests, answer, f.verdict(task, turn)))
    return out


def _races(h: History, registered: Sequence[str]) -> set[tuple[str, int, int | None]]:
    """(invariant, seq, action) of the offences a hunt reports (its narrower meaning of a race): its
    hunted checks and the users' own registered invariants, as a hunt checks them by default."""
    from simtool.hunting.invariants import HUNT_INVARIANTS, check_trace
    from simtool.scoring.invariants import family  # a narrower check's offences are those of its family
    from simtool.scoring.violations import VIOLATIONS

    names = tuple(HUNT_INVARIANTS) + tuple(n for n in registered if n not in VIOLATIONS and n not in HUNT_INVARIANTS)
    found = check_trace(h, names)
    return {(family(o.invariant), o.seq, o.action) for offences in found.values() for o in offences}


def _violation(f: Facts, o: Offence, races: set[tuple[str, int, int | None]]) -> ViolationStory:
    task, turn = offence_turn(f, o)
    consequence, check = f.consequence(task, turn)
    return ViolationStory(o.invariant, o.t, o.seq, o.task, o.why, tuple(o.call_ids), (o.invariant, o.seq, o.action) in races,
                          tuple(chain_of(o.invariant)(f, o)), consequence, check)


def _involves(o: Offence, call: str) -> bool:
    return call in o.call_ids or o.event.get("call_id") == call or any(
        isinstance(a, Mapping) and call in (a.get("uses") or []) for a in (o.event.get("actions") or [])[o.action or 0:][:1])


def explain(events: Source, task: str | None = None, call: str | None = None) -> Explanation:
    """Explain a run from its trace (a path, a ``Trace``, a ``History``, or its records or lines, header first).

    ``task``: tell only that task (and its violations); ``call``: only that call's life, the
    violations it is part of, and the sub-task it served. Unknown names are a ``SpecError``.
    """
    h = as_history(events)
    f = Facts(h)
    tasks = list(h.tasks)
    focus: dict[str, str] = {}
    if call is not None:
        if call not in h.calls:
            raise SpecError("no such call in the trace", key="--call", expected=" | ".join(list(h.calls)[:20]) or "a call id",
                            found=call)
        owner = h.calls[call].task
        if task is not None and task != owner:
            raise SpecError(f"call {call} belongs to task {owner}", key="--task", expected=owner, found=task)
        task = owner
        focus["call"] = call
    if task is not None:
        if task not in tasks:
            raise SpecError("no such task in the trace", key="--task", expected=" | ".join(tasks), found=task)
        tasks = [task]
        focus["task"] = task
    stories = []
    task_faults = [e for e in h.faults if e.get("task")]
    for t in tasks:
        calls = [c for c in h.calls.values() if c.task == t and (call is None or c.call_id == call)]
        faults = tuple(_fault_story(f, e) for e in task_faults if e.get("task") == t)
        errors = tuple(e for e in h.agent_errors if e.get("task") == t and call is None)
        outcome = f.outcomes.get(t)
        subtasks = _subtasks(f, t)
        if call is not None:
            subtasks = [s for s in subtasks if s.turn == h.calls[call].turn]
        stories.append(TaskStory(t, outcome.status if outcome else "active", tuple(subtasks),
                                 tuple(_life(f, c) for c in calls), faults, errors))
    world_faults = tuple(_fault_story(f, e) for e in h.faults if not e.get("task"))
    found = find_violations(h)
    counts = {name: len(offences) for name, offences in found.items()}
    races = _races(h, tuple(found))
    offences = sorted((o for offences in found.values() for o in offences), key=lambda o: (o.seq, o.action or 0, o.invariant))
    offences = [o for o in offences if (task is None or o.task == task) and (call is None or _involves(o, call))]
    return Explanation(
        world=str(h.world.get("name", "world")), policy=h.policy, seed=h.seed, config_hash=str(h.header.get("config_hash", "")),
        complete=h.complete, makespan_ms=h.makespan_ms, end_reason=h.end.get("reason") if h.end else None,
        tasks=tuple(stories), faults=world_faults, violations=tuple(_violation(f, o, races) for o in offences),
        counts=counts, focus=focus or None,
    )


def explanation_json(e: Explanation) -> str:
    """The structured form as indented JSON text (keys sorted)."""
    return json.dumps(e.as_dict(), indent=1, sort_keys=True, ensure_ascii=False, default=str)
