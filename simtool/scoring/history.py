"""A trace read as a history: the calls, decisions, sub-tasks, answers and faults, indexed once.

Scores and invariants are functions over this record of what happened (as Jepsen's
checkers are over a history); they never reach into a live run. Everything here comes from
the trace's lines: the header's resolved config and the events.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import define, field

from simtool import events as ev
from simtool.jsonl import loads
from simtool.scoring.activity import ENDING_CANCEL_PHASES, Activity
from simtool.trace import Trace, read_trace

__all__ = ["CallRecord", "History", "history_of", "slim_history", "trace_from_lines", "SCORED_KEYS"]

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
    """Indexed trace events. ``tasks``: task ids in the world's order; ``turns``: their turn counts.

    A *slim* history (``slim_history``, what ``score_trace`` reads a file into) has no
    ``events``, and its calls' and decisions' events hold only the keys scores read.
    ``activity``: a slim history's idle time and neglect, measured while indexing (None for a
    whole history, and for a trace whose header does not list every task: ``coordination``
    then measures them over ``events``).
    """

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
    last_t: int = 0  # the largest event time
    activity: Activity | None = None
    slim: bool = False
    derived: dict[str, Any] = field(factory=dict, eq=False, repr=False)  # views several checks share, computed once

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
        return self.last_t

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


# What scores read of each kind of event; a slim history keeps only these keys (the rest:
# results, states, permissions, and what the call record holds: id, task, turn, epoch, tool,
# arguments, is left behind).
SCORED_KEYS: dict[str, tuple[str, ...]] = {
    "issue": ("kind", "seq", "t", "service", "scope", "req_ms", "svc_ms", "resp_ms"),
    "execute": ("kind", "seq", "t"),
    "deliver": ("kind", "seq", "t", "stale", "leak"),
    "refuse": ("kind", "seq", "t"),
    "timeout": ("kind", "seq", "t"),
    "cancel": ("kind", "seq", "t", "phase"),
    "decide": ("kind", "seq", "t", "think_ms", "seen"),
    "respond": ("kind", "seq", "t", "task", "turn", "state_ok", "results_ok", "pending"),
    "subtask_start": ("kind", "seq", "t", "task", "turn", "epoch", "reason", "gold"),
}
_ACTION_KEYS = ("op", "task", "uses")
_EMPTY_IS_ABSENT = ("seen", "uses", "pending")  # scores read these with ``.get(...) or []``


def _packed_after(after: Any) -> Any:
    """A gold step's ``after`` in 4 bytes an index (a chain's lists grow with the square of its length)."""
    if isinstance(after, list):
        try:
            return array("I", after)
        except (TypeError, OverflowError):  # not indices (a hand-made trace): kept as they are
            pass
    return after


class _Slimmer:
    """Cuts events to ``SCORED_KEYS``, one copy of each repeated name (kinds, ids, tools)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def name(self, value: Any) -> Any:
        """One shared copy of a repeated string (other values as they are)."""
        return self._names.setdefault(value, value) if type(value) is str else value

    def _pick(self, e: Event, keys: tuple[str, ...]) -> dict[str, Any]:
        name = self.name
        return {k: name(e[k]) for k in keys if k in e and (e[k] or k not in _EMPTY_IS_ABSENT)}

    def event(self, e: Event) -> Event:
        keys = SCORED_KEYS.get(e["kind"])
        if keys is None:
            return e  # faults, agent errors, the end: few, and read whole
        out = self._pick(e, keys)
        kind = out["kind"]
        if kind == "decide":
            actions = e.get("actions")
            if isinstance(actions, list):
                out["actions"] = [self._pick(a, _ACTION_KEYS) if isinstance(a, Mapping) else a for a in actions]
            elif actions is not None:
                out["actions"] = actions
        elif kind == "subtask_start" and isinstance(out.get("gold"), list):
            out["gold"] = [{k: _packed_after(v) if k == "after" else self.name(v) for k, v in g.items()} if isinstance(g, Mapping) else g
                           for g in out["gold"]]
        return out


def _same(value: Any) -> Any:
    return value


class _Indexer:
    """Indexes events one at a time into the parts of a ``History`` (one pass, in trace order)."""

    def __init__(self, header: Mapping[str, Any], *, keep_events: bool) -> None:
        self.header = header
        self.keep_events = keep_events
        self.tasks, self.turns = _world_tasks(header)
        self.calls: dict[str, CallRecord] = {}
        self.decisions: list[ev.Decide] = []
        self.starts: dict[tuple[str, int], list[ev.SubtaskStart]] = {}
        self.responds: list[ev.Respond] = []
        self.faults: list[ev.Fault] = []
        self.agent_errors: list[ev.AgentError] = []
        self.cancelled: dict[str, ev.Fault] = {}
        self.end: ev.End | None = None
        self.extra: list[str] = []  # tasks the events name that the header does not list
        self.last_t = 0
        self.activity: Activity | None = None if keep_events else Activity(self.turns)  # a whole history measures it when asked
        self._slim = _Slimmer()

    def add(self, e: Event) -> None:
        """Index one event (the next in trace order)."""
        self.add_all((e,))

    def add_all(self, events: Iterable[Event]) -> None:  # dispatch on simtool.events.EventKind
        """Index events in trace order (an iterator is consumed once), the commonest kinds tested first."""
        calls, decisions, starts, responds = self.calls, self.decisions, self.starts, self.responds
        slim = None if self.keep_events else self._slim
        name = _same if slim is None else slim.name
        activity = self.activity
        last_t = self.last_t
        try:
            for e in events:
                kept = e if slim is None else slim.event(e)
                if activity is not None:
                    activity.add(e)
                t = e["t"]
                if type(t) is not int:
                    t = int(t)
                if t > last_t:
                    last_t = t
                kind = e.get("kind")
                if kind == "decide":
                    decisions.append(kept)
                elif kind == "issue":
                    call_id = name(e["call_id"])
                    calls[call_id] = CallRecord(call_id, name(e["task"]), e["turn"], e["epoch"], name(e["tool"]),
                                                e.get("args") or {}, kept)
                elif kind == "execute":
                    call = calls.get(e.get("call_id"))
                    if call is not None and call.execute is None:
                        call.execute = kept
                elif kind == "deliver":
                    call = calls.get(e.get("call_id"))
                    if call is not None and call.deliver is None:
                        call.deliver = kept
                elif kind == "subtask_start":
                    task = e["task"]
                    starts.setdefault((task, e["turn"]), []).append(kept)
                    if task not in self.turns and task not in self.extra:
                        self.extra.append(task)
                elif kind == "respond":
                    responds.append(kept)
                elif kind == "cancel":
                    call = calls.get(e.get("call_id"))
                    if call is not None and call.cancel is None and e.get("phase") in ENDING_CANCEL_PHASES:
                        call.cancel = kept
                elif kind == "refuse" or kind == "timeout":
                    call = calls.get(e.get("call_id"))
                    if call is not None and getattr(call, kind) is None:
                        setattr(call, kind, kept)
                elif kind == "fault":
                    self.faults.append(e)
                    if e.get("fault") == "cancel_task" and e.get("effective") and e.get("task") not in self.cancelled:
                        self.cancelled[e["task"]] = e
                elif kind == "agent_error":
                    self.agent_errors.append(e)
                elif kind == "end":
                    self.end = e
        finally:
            self.last_t = last_t

    def history(self, *, complete: bool, path: str | None, events: tuple[Event, ...] = ()) -> History:
        h = History(header=self.header, events=events, complete=complete,
                    path=path, tasks=self.tasks, turns=self.turns, calls=self.calls, decisions=self.decisions,
                    starts=self.starts, responds=self.responds, faults=self.faults, agent_errors=self.agent_errors,
                    cancelled=self.cancelled, end=self.end, last_t=self.last_t, activity=self.activity, slim=not self.keep_events)
        if self.extra:  # a header without the world's tasks (hand-made traces): fall back on what the events say
            h.tasks = h.tasks + tuple(self.extra)
            ends = (h.end or {}).get("tasks") or {}
            for task in self.extra:
                h.turns[task] = int((ends.get(task) or {}).get("turns") or len(h.started_turns(task)))
            h.activity = None  # the answers that end these tasks were known only at the end: not measured in the pass
        return h


def history_of(source: Trace | History | str | Path) -> History:
    """Index a trace (a ``Trace``, or a path to one; a ``History`` is returned as is), events and all."""
    if isinstance(source, History):
        return source
    trace = source if isinstance(source, Trace) else read_trace(source, keep_lines=False)
    index = _Indexer(trace.header, keep_events=True)
    index.add_all(trace.events)
    return index.history(complete=trace.complete, path=trace.path, events=tuple(trace.events))


def slim_history(header: Mapping[str, Any], events: Iterable[Event], *, complete: Callable[[], bool],
                 path: str | None = None) -> History:
    """A history for scores, indexed in one pass over ``events`` (an iterator is consumed once).

    It keeps no list of events, and of each call and decision only what scores read
    (``SCORED_KEYS``): its memory grows with the run's calls, decisions and tasks, not with the
    size of their results. ``complete`` is asked once the events are used up (a streamed file
    knows only then whether it had its footer). Checks that need whole events (a user's own
    invariant) need ``history_of``; so does ``History.activity`` of a trace whose header does not
    list every task (it is None here).
    """
    index = _Indexer(header, keep_events=False)
    index.add_all(events)
    return index.history(complete=complete(), path=path)


def trace_from_lines(lines: Sequence[str] | Iterable[str], path: str = "<memory>") -> Trace:
    """A ``Trace`` from canonical lines held in memory (e.g. ``RunResult.lines``)."""
    lines = tuple(lines)
    records = [loads(line) for line in lines]
    footer = records[-1] if records and records[-1].get("kind") == "footer" else None
    body = records[1:-1] if footer else records[1:]
    return Trace(path, records[0], tuple(body), footer, lines)
