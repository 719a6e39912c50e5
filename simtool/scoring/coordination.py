"""Coordination: how well the agent used the time, measured against what the run's own draws allowed.

- ``makespan_ms``: time of the ``end`` event (of the last event, for an incomplete trace).
- chain of a task: the sum, over the sub-tasks the trace started for it, of its effective
  gold calls' latencies ``req_ms + svc_ms + resp_ms`` as the ``subtask_start`` event gives
  them: the same common-random-number draws the agent's own calls got.
- critical path of a sub-task: the longest path through its gold path's partial order (each
  gold step's ``after``, ``simtool.dependencies``; a trace without ``after`` is a chain), each
  step taking its drawn latency. Sub-tasks of a task run one after another (the next starts
  when the previous one is answered), so the task's work is the sum of its critical paths.
- a task's bound: its work; raised, where a sub-task was amended at time ``t``, to ``t`` plus
  the work from that sub-task on (the new gold path could not start earlier); lowered, for a
  task the world cancelled at time ``t``, to at most ``t`` (the task ended there anyway), and
  likewise for a revocation at ``t`` of a scope some gold step of the task needs (the step's
  ``scope``), while the task was still unanswered: the rest of its work became impossible, so
  a correct agent may give up there. Both cuts count only while the task was active (the run
  then lasted at least until ``t``), so the bound stays below the makespan.
- ``lower_bound_ms``: the largest task bound, or the agent's total think time (thinking is
  serial), whichever is larger. No agent could finish sooner on these draws.
- ``sequential_ms``: the sum of the chains: a blocking agent that thinks for free.
- ``coordination_efficiency``: ``lower_bound_ms / makespan_ms`` (1.0 for a zero makespan).
- ``idle_ready_ms``: time the agent was neither thinking (``[t, t + think_ms)`` of each
  ``decide``) nor acting while some task could proceed: active (started, not finished, not
  cancelled) with none of its calls in flight.
- ``task_switches``: consecutive actions (calls and answers, in decision order) on different
  tasks; ``same_task_streak``: the mean length of maximal runs of actions on one task;
  ``longest_streak``: the longest such run.
- ``parallel_calls``: calls issued while another call of the same task was in flight (the
  ``same_task_overlap`` check's offences): a neutral statistic of asynchrony, not a fault.
- ``neglect_ms``: AsyncTool's task neglect: summed over tasks, the time a task could proceed
  (active, none of its calls in flight) while the agent's last decision that acted (a call or
  an answer) acted on other tasks only. Time after a decision that only waited is not neglect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simtool.dependencies import critical_path_ms
from simtool.scoring.history import History
from simtool.scoring.violations import same_task_overlap

__all__ = ["coordination"]


def _step_ms(g: Mapping[str, Any]) -> int:
    return int(g.get("req_ms", 0)) + int(g.get("svc_ms", 0)) + int(g.get("resp_ms", 0))


def _latency(gold: list[Mapping[str, Any]]) -> int:
    return sum(_step_ms(g) for g in gold)


def _critical_path(gold: list[Mapping[str, Any]]) -> int:
    edges = tuple(tuple(int(i) for i in g["after"]) if "after" in g else tuple(range(j)) for j, g in enumerate(gold))
    return critical_path_ms(edges, [_step_ms(g) for g in gold])


def _answered_at(h: History, task: str) -> int | None:
    """The ``seq`` of the answer to the task's last sub-task (None: never answered)."""
    last = h.turns.get(task, 0) - 1
    return next((int(r["seq"]) for r in h.responds if r["task"] == task and r["turn"] >= last), None)


def _impossible_at(h: History, task: str) -> int | None:
    """The first revocation, while the task was unanswered, of a scope one of its gold steps needs."""
    scopes = {g["scope"] for turn in h.started_turns(task) for g in h.effective_gold(task, turn) if "scope" in g}
    answered = _answered_at(h, task)
    for f in h.faults:
        if (f.get("fault") == "revoke" and f.get("effective") and f.get("scope") in scopes
                and f.get("task") in (None, task) and (answered is None or int(f["seq"]) < answered)):
            return int(f["t"])
    return None


def _task_chain(h: History, task: str) -> tuple[int, int]:
    """(chain, bound) of one task."""
    turns = h.started_turns(task)
    per_turn = {turn: _critical_path(h.effective_gold(task, turn)) for turn in turns}
    chain = sum(_latency(h.effective_gold(task, turn)) for turn in turns)
    bound = sum(per_turn.values())
    for turn in turns:
        last = h.starts[(task, turn)][-1]
        if last.get("reason") == "amend":
            bound = max(bound, int(last["t"]) + sum(v for k, v in per_turn.items() if k >= turn))
    if task in h.cancelled:
        bound = min(bound, int(h.cancelled[task]["t"]))
    revoked = _impossible_at(h, task)
    if revoked is not None:
        bound = min(bound, revoked)
    return chain, bound


def _actions(h: History) -> list[str]:
    return [a["task"] for d in h.decisions for a in d.get("actions") or []
            if isinstance(a, Mapping) and a.get("op") in ("call", "respond") and isinstance(a.get("task"), str)]


def _neglect(h: History) -> int:
    """Time some task could proceed (active, none of its calls in flight) while the agent's last
    acting decision acted on other tasks only: summed over tasks."""
    active: dict[str, None] = {}
    in_flight: dict[str, int] = {}
    acted: set[str] = set()
    neglect = 0
    prev = 0
    for e in h.events:
        t = int(e["t"])
        if t > prev:
            if acted:
                neglect += (t - prev) * sum(1 for task in active if in_flight.get(task, 0) == 0 and task not in acted)
            prev = t
        kind = e["kind"]
        if kind == "decide":
            acted = {a["task"] for a in e.get("actions") or [] if isinstance(a, Mapping) and a.get("op") in ("call", "respond")
                     and isinstance(a.get("task"), str)}
        elif kind == "subtask_start" and e.get("reason") == "start":
            active[e["task"]] = None
        elif kind == "respond" and e["turn"] >= h.turns.get(e["task"], 0) - 1:
            active.pop(e["task"], None)
        elif kind == "fault" and e.get("fault") == "cancel_task" and e.get("effective"):
            active.pop(e.get("task"), None)
        elif kind == "issue":
            in_flight[e["task"]] = in_flight.get(e["task"], 0) + 1
        elif kind in ("deliver", "timeout", "cancel"):
            call = h.calls.get(e.get("call_id"))
            ended = call.ended if call is not None else None
            if ended is not None and ended["seq"] == e["seq"]:
                in_flight[call.task] -= 1  # type: ignore[union-attr]
    return neglect


def _idle_ready(h: History) -> int:
    thinking = [(int(d["t"]), int(d["t"]) + int(d.get("think_ms") or 0)) for d in h.decisions if d.get("think_ms")]
    cursor = 0

    def think_overlap(a: int, b: int) -> int:
        nonlocal cursor
        while cursor < len(thinking) and thinking[cursor][1] <= a:
            cursor += 1
        total, k = 0, cursor
        while k < len(thinking) and thinking[k][0] < b:
            total += max(0, min(b, thinking[k][1]) - max(a, thinking[k][0]))
            k += 1
        return total

    active: dict[str, None] = {}
    in_flight: dict[str, int] = {}
    idle = 0
    prev = 0
    for e in h.events:
        t = int(e["t"])
        if t > prev:
            if any(in_flight.get(task, 0) == 0 for task in active):
                idle += (t - prev) - think_overlap(prev, t)
            prev = t
        kind = e["kind"]
        if kind == "subtask_start" and e.get("reason") == "start":
            active[e["task"]] = None
        elif kind == "respond" and e["turn"] >= h.turns.get(e["task"], 0) - 1:
            active.pop(e["task"], None)
        elif kind == "fault" and e.get("fault") == "cancel_task" and e.get("effective"):
            active.pop(e.get("task"), None)
        elif kind == "issue":
            in_flight[e["task"]] = in_flight.get(e["task"], 0) + 1
        elif kind in ("deliver", "timeout", "cancel"):
            call = h.calls.get(e.get("call_id"))
            ended = call.ended if call is not None else None
            if ended is not None and ended["seq"] == e["seq"]:
                in_flight[call.task] -= 1  # type: ignore[union-attr]
    return idle


def coordination(h: History) -> dict[str, Any]:
    chains = {task: _task_chain(h, task) for task in h.tasks}
    think = sum(int(d.get("think_ms") or 0) for d in h.decisions)
    makespan = h.makespan_ms
    bound = max([b for _, b in chains.values()] + [think])
    sequential = sum(c for c, _ in chains.values())
    tasks = _actions(h)
    runs: list[int] = []
    for i, task in enumerate(tasks):
        if i and tasks[i - 1] == task:
            runs[-1] += 1
        else:
            runs.append(1)
    return {
        "makespan_ms": makespan,
        "lower_bound_ms": bound,
        "sequential_ms": sequential,
        "think_ms": think,
        "coordination_efficiency": bound / makespan if makespan else 1.0,
        "speedup_vs_sequential": sequential / makespan if makespan else None,
        "idle_ready_ms": _idle_ready(h),
        "task_switches": max(0, len(runs) - 1),
        "same_task_streak": len(tasks) / len(runs) if runs else 0.0,
        "longest_streak": max(runs, default=0),
        "parallel_calls": len(same_task_overlap(h)),
        "neglect_ms": _neglect(h),
        "chains_ms": {task: c for task, (c, _) in chains.items()},
    }
