"""A trace read as a history: the calls, decisions, sub-tasks, answers and faults, indexed once.

Scores and invariants are functions over this record of what happened (as Jepsen's
checkers are over a history); they never reach into a live run. Everything here comes from
the trace's lines: the header's resolved config and the events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import define, field

from simtool import events as ev
from simtool.jsonl import loads
from simtool.trace import Trace, read_trace

__all__ = ["CallRecord", "History", "history_of", "trace_from_lines"]

Event = Mapping[str, Any]  # one of simtool.events.Event, read from JSON


@define
class CallRecord:
    """One call's life as the trace tells it: its issue event and how (and when) it ended."""

    call_id: str
    task: str
    turn: int
    epoch: int
    tool: str
    args: Mapping[str, Any]
    issue: ev.Issue
    execute: ev.Execute | None = None
    deliver: ev.Deliver | None = None
    refuse: ev.Refuse | None = None
    timeout: ev.Timeout | None = None
    cancel: ev.Cancel | None = None  # the cancel event that ended it (before or after execution)

    @property
    def ended(self) -> Event | None:
        """The event that took the call out of flight (deliver, timeout or cancel), if any."""
        ends: list[Event] = [e for e in (self.deliver, self.timeout, self.cancel) if e is not None]  # ev.CALL_ENDS
        return min(ends, key=lambda e: e["seq"]) if ends else None

    def in_flight_at(self, seq: int) -> bool:
        """Issued before ``seq`` and not yet out of flight at ``seq``."""
        end = self.ended
        return self.issue["seq"] < seq and (end is None or end["seq"] > seq)

    @property
    def stale_delivery(self) -> bool:
        return self.deliver is not None and bool(self.deliver.get("stale"))


@define
class History:
    """Indexed trace events. ``tasks``: task ids in the world's order; ``turns``: their turn counts."""

    header: Mapping[str, Any]
    events: tuple[Event, ...]
    complete: bool
    path: str | None = None
    tasks: tuple[str, ...] = ()
    turns: dict[str, int] = field(factory=dict)
    calls: dict[str, CallRecord] = field(factory=dict)  # in issue order
    decisions: list[ev.Decide] = field(factory=list)
    starts: dict[tuple[str, int], list[ev.SubtaskStart]] = field(factory=dict)  # (task, turn) -> subtask_start events
    responds: list[ev.Respond] = field(factory=list)
    faults: list[ev.Fault] = field(factory=list)
    agent_errors: list[ev.AgentError] = field(factory=list)
    cancelled: dict[str, ev.Fault] = field(factory=dict)  # task -> its effective cancel_task fault
    end: ev.End | None = None

    @property
    def config(self) -> Mapping[str, Any]:
        return self.header.get("config") or {}

    @property
    def world(self) -> Mapping[str, Any]:
        return self.config.get("world") or {}

    @property
    def policy(self) -> str:
        return str((self.config.get("policy") or {}).get("name", "?"))

    @property
    def seed(self) -> int:
        return int(self.header.get("seed", 0))

    @property
    def makespan_ms(self) -> int:
        """The ``end`` event's time; for an incomplete trace, the last event's time."""
        if self.end is not None:
            return int(self.end["t"])
        return max((int(e["t"]) for e in self.events), default=0)

    def effective_gold(self, task: str, turn: int) -> list[Mapping[str, Any]]:
        """The gold calls of a sub-task's last epoch (what its answer is checked against)."""
        starts = self.starts.get((task, turn))
        return list(starts[-1]["gold"]) if starts else []

    def started_turns(self, task: str) -> list[int]:
        return sorted(turn for (t, turn) in self.starts if t == task)

    def cancelled_before(self, task: str, seq: int) -> bool:
        """The task was cancelled by the world before the event numbered ``seq``."""
        fault = self.cancelled.get(task)
        return fault is not None and fault["seq"] < seq

    def task_of(self, call_id: Any) -> str | None:
        call = self.calls.get(call_id) if isinstance(call_id, str) else None
        return call.task if call is not None else None


def _world_tasks(header: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, int]]:
    tasks = ((header.get("config") or {}).get("world") or {}).get("tasks") or []
    ids: list[str] = []
    turns: dict[str, int] = {}
    for t in tasks:
        if isinstance(t, Mapping) and isinstance(t.get("id"), str):
            ids.append(t["id"])
            turns[t["id"]] = len(t.get("turns") or [])
    return tuple(ids), turns


def history_of(source: Trace | History | str | Path) -> History:
    """Index a trace (a ``Trace``, or a path to one; a ``History`` is returned as is)."""
    if isinstance(source, History):
        return source
    trace = source if isinstance(source, Trace) else read_trace(source, keep_lines=False)
    ids, turns = _world_tasks(trace.header)
    h = History(header=trace.header, events=tuple(trace.events), complete=trace.complete, path=trace.path,
                tasks=ids, turns=turns)
    extra: list[str] = []
    for e in trace.events:  # dispatch on simtool.events.EventKind
        kind = e.get("kind")
        if kind == "issue":
            h.calls[e["call_id"]] = CallRecord(e["call_id"], e["task"], e["turn"], e["epoch"], e["tool"], e.get("args") or {}, e)
        elif kind in ("execute", "deliver", "refuse", "timeout"):
            call = h.calls.get(e.get("call_id"))
            if call is not None and getattr(call, kind) is None:
                setattr(call, kind, e)
        elif kind == "cancel":
            call = h.calls.get(e.get("call_id"))
            if call is not None and call.cancel is None and e.get("phase") in ("before_execution", "after_execution"):
                call.cancel = e
        elif kind == "decide":
            h.decisions.append(e)
        elif kind == "subtask_start":
            h.starts.setdefault((e["task"], e["turn"]), []).append(e)
            if e["task"] not in h.turns and e["task"] not in extra:
                extra.append(e["task"])
        elif kind == "respond":
            h.responds.append(e)
        elif kind == "fault":
            h.faults.append(e)
            if e.get("fault") == "cancel_task" and e.get("effective") and e.get("task") not in h.cancelled:
                h.cancelled[e["task"]] = e
        elif kind == "agent_error":
            h.agent_errors.append(e)
        elif kind == "end":
            h.end = e
    if extra:  # a header without the world's tasks (hand-made traces): fall back on what the events say
        h.tasks = h.tasks + tuple(extra)
        ends = (h.end or {}).get("tasks") or {}
        for task in extra:
            h.turns[task] = int((ends.get(task) or {}).get("turns") or len(h.started_turns(task)))
    return h


def trace_from_lines(lines: Sequence[str] | Iterable[str], path: str = "<memory>") -> Trace:
    """A ``Trace`` from canonical lines held in memory (e.g. ``RunResult.lines``)."""
    lines = tuple(lines)
    records = [loads(line) for line in lines]
    footer = records[-1] if records and records[-1].get("kind") == "footer" else None
    body = records[1:-1] if footer else records[1:]
    return Trace(path, records[0], tuple(body), footer, lines)
