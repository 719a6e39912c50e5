"""The records of an explanation: a run told per task, each call's life, each violation's chain.

They are plain frozen records (the structured form); ``simtool.explain.render`` turns them into
words, and ``as_dict`` into JSON for other tools (the HTML report reads that form).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from simtool.explain.states import StateCheck

__all__ = ["CallLife", "FaultStory", "Answer", "SubtaskStory", "TaskStory", "ViolationStory", "Explanation"]


@frozen
class CallLife:
    """One call from issue to its end, in simulated ms.

    ``end``: how it left flight (``delivered``, ``timeout``, ``cancelled``) or ``in_flight`` when
    the run ended first; ``outcome``: ``ok``/``error`` as delivered (``refused`` when the runtime
    or service refused it without executing). ``changes``: the state keys its execution changed
    (None when it did not execute or states could not be recomputed). ``retried_by``: what the
    agent did about a call that failed (error, refusal, timeout): the call that tried again.
    """

    call_id: str
    task: str
    turn: int
    epoch: int
    tool: str
    args: Mapping[str, Any]
    decision: int | None
    issued_ms: int
    executed_ms: int | None = None
    order: int | None = None
    executed_outcome: str | None = None
    refused_ms: int | None = None
    refused_reason: str | None = None
    delivered_ms: int | None = None
    timed_out_ms: int | None = None
    cancelled_ms: int | None = None
    cancelled_by: str | None = None
    cancel_phase: str | None = None
    end: str = "in_flight"
    outcome: str | None = None
    result: Any = None
    stale_reason: str | None = None
    leak: bool = False
    scope: str | None = None
    changes: tuple[str, ...] | None = None
    retried_by: str | None = None  # after an error, refusal or timeout: the next call of its task to the same tool

    @property
    def executed(self) -> bool:
        return self.executed_ms is not None

    @property
    def ended_ms(self) -> int | None:
        ends = [t for t in (self.delivered_ms, self.timed_out_ms, self.cancelled_ms) if t is not None]
        return min(ends) if ends else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for a in self.__attrs_attrs__:  # type: ignore[attr-defined]
            value = getattr(self, a.name)
            out[a.name] = list(value) if isinstance(value, tuple) else (dict(value) if isinstance(value, Mapping) else value)
        return out


@frozen
class FaultStory:
    """A world event, the calls it caught in flight, and what the agent did next about it."""

    t: int
    seq: int
    fault: str
    task: str | None
    effective: bool
    fields: Mapping[str, Any]
    caught: tuple[str, ...]  # calls of the task(s) in flight when it happened
    reaction: str  # the agent's next decision about it, in words

    def as_dict(self) -> dict[str, Any]:
        return {"t": self.t, "seq": self.seq, "fault": self.fault, "task": self.task, "effective": self.effective,
                "fields": dict(self.fields), "caught": list(self.caught), "reaction": self.reaction}


@frozen
class Answer:
    """A ``respond``: when, with which results, and how its two checks came out."""

    t: int
    seq: int
    epoch: int
    text: str
    uses: tuple[str, ...]
    pending: tuple[str, ...]
    state_ok: bool
    results_ok: bool
    state: StateCheck
    missing_results: tuple[Any, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"t": self.t, "seq": self.seq, "epoch": self.epoch, "text": self.text, "uses": list(self.uses),
                "pending": list(self.pending), "state_ok": self.state_ok, "results_ok": self.results_ok,
                "state": self.state.as_dict(), "missing_results": list(self.missing_results)}


@frozen
class SubtaskStory:
    """One turn of a task: its request(s) (one per epoch), gold, answer and verdict.

    ``verdict``: ``passed``, ``failed``, ``cancelled`` or ``unanswered`` (as scores count it).
    """

    task: str
    turn: int
    requests: tuple[Mapping[str, Any], ...]  # {epoch, t, reason, request, gold: [call strings]}
    answer: Answer | None
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "turn": self.turn, "requests": [dict(r) for r in self.requests],
                "answer": self.answer.as_dict() if self.answer else None, "verdict": self.verdict}


@frozen
class TaskStory:
    """A task's run: status, sub-tasks, calls in issue order, faults that touched it, agent errors."""

    task: str
    status: str
    subtasks: tuple[SubtaskStory, ...]
    calls: tuple[CallLife, ...]
    faults: tuple[FaultStory, ...]
    errors: tuple[Mapping[str, Any], ...]  # agent_error events on this task

    @property
    def passed(self) -> int:
        return sum(1 for s in self.subtasks if s.verdict == "passed")

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "status": self.status, "subtasks": [s.as_dict() for s in self.subtasks],
                "calls": [c.as_dict() for c in self.calls], "faults": [f.as_dict() for f in self.faults],
                "errors": [dict(e) for e in self.errors]}


@frozen
class ViolationStory:
    """One offence of a named invariant with its causal chain, step by step, to its consequence.

    ``race``: a hunt reports it too (its narrower meaning: a race with a consequence);
    ``consequence``: what became of the sub-task it touched, in words.
    """

    invariant: str
    t: int
    seq: int
    task: str | None
    why: str
    call_ids: tuple[str, ...]
    race: bool
    chain: tuple[str, ...]
    consequence: str | None
    state: StateCheck | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "t": self.t, "seq": self.seq, "task": self.task, "why": self.why,
                "call_ids": list(self.call_ids), "race": self.race, "chain": list(self.chain),
                "consequence": self.consequence, "state": self.state.as_dict() if self.state else None}


@frozen
class Explanation:
    """A run explained: what the header says, then per task its story, then every violation.

    ``counts``: violations per registered invariant (zeros included, as a score counts them);
    ``focus``: the task or call the explanation was narrowed to (None: the whole run).
    """

    world: str
    policy: str
    seed: int
    config_hash: str
    complete: bool
    makespan_ms: int
    end_reason: str | None
    tasks: tuple[TaskStory, ...]
    faults: tuple[FaultStory, ...]  # world events of no one task (outages, rate limits, revocations for all)
    violations: tuple[ViolationStory, ...]
    counts: Mapping[str, int]
    focus: Mapping[str, str] | None = None

    def text(self, *, violations_only: bool = False, limit: int | None = None,
             more: str = "simtool explain TRACE tells them all") -> str:
        """The explanation in words (see :func:`simtool.explain.render.render`)."""
        from simtool.explain.render import render

        return render(self, violations_only=violations_only, limit=limit, more=more)

    def as_dict(self) -> dict[str, Any]:
        return {"world": self.world, "policy": self.policy, "seed": self.seed, "config_hash": self.config_hash,
                "complete": self.complete, "makespan_ms": self.makespan_ms, "end_reason": self.end_reason,
                "tasks": [t.as_dict() for t in self.tasks], "faults": [f.as_dict() for f in self.faults],
                "violations": [v.as_dict() for v in self.violations], "counts": dict(self.counts),
                "focus": dict(self.focus) if self.focus else None}
