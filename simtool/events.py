"""Every kind of trace line and its fields, declared once.

A trace is JSON lines (``simtool.trace``): a ``header``, then events, then a ``footer``.
This module names each kind (``Kind``, a ``Literal``) and declares each kind's fields as a
``TypedDict``. The declarations cost nothing at run time: the writer, the history reader
(``simtool.scoring.history``), the run summary (``simtool.summary``) and the timeline use
them as annotations and as the constants they dispatch on, and a test checks every line of
the reference runs against them (``tests/engine/test_events.py``), so they cannot drift
from what the runtime writes.

Fields common to every event: ``t`` (simulated ms), ``seq`` (the line's position among the
events, from 0) and ``kind``.
"""

# no ``from __future__ import annotations``: TypedDict must see NotRequired itself
import sys
from collections.abc import Mapping
from typing import Any, Literal, TypedDict, get_args

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover - cattrs brings typing_extensions on 3.10
    from typing_extensions import NotRequired

__all__ = [
    "Kind",
    "EventKind",
    "KINDS",
    "EVENT_KINDS",
    "CALL_ENDS",
    "FIELDS",
    "Header",
    "Footer",
    "SubtaskStart",
    "AgentError",
    "Issue",
    "Execute",
    "Refuse",
    "Deliver",
    "Timeout",
    "Cancel",
    "Fault",
    "Decide",
    "Respond",
    "End",
    "CallAction",
    "CancelAction",
    "RespondAction",
    "Action",
    "Event",
    "Record",
    "fields_of",
]

EventKind = Literal[
    "subtask_start",  # a sub-task (turn) begins, or begins again after an amendment
    "agent_error",  # an action the runtime refused as malformed
    "issue",  # the agent issued a call
    "execute",  # the service executed a call, atomically
    "refuse",  # a call refused before it ran (permission, outage, rate limit, inactive task)
    "deliver",  # a call's result reached the agent
    "timeout",  # a call's deadline passed before delivery
    "cancel",  # a call cancelled (by the agent or the world), in some phase of its life
    "fault",  # a world event (cancel_task, amend, revoke, grant, outage, rate_limit)
    "decide",  # one decision of the policy: its actions and think time
    "respond",  # a sub-task answered, with the checks of its state and results
    "end",  # the run ended
]
Kind = Literal["header", "footer", EventKind]

EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
KINDS: tuple[str, ...] = ("header", "footer", *EVENT_KINDS)
CALL_ENDS: tuple[str, ...] = ("deliver", "timeout", "cancel")  # what can take a call out of flight


class Header(TypedDict):
    kind: Literal["header"]
    format: int
    simtool: str
    seed: int
    config: Mapping[str, Any]  # the fully resolved {world, policy}
    config_hash: str


class Footer(TypedDict):
    kind: Literal["footer"]
    lines: int  # lines before the footer
    digest: str  # sha256 of those lines


class _Event(TypedDict):
    t: int
    seq: int


class SubtaskStart(_Event):
    kind: Literal["subtask_start"]
    task: str
    turn: int
    epoch: int
    request: str
    gold: list[Mapping[str, Any]]  # the effective gold calls, with their drawn latencies
    reason: Literal["start", "next", "amend"]


class AgentError(_Event):
    kind: Literal["agent_error"]
    task: str | None
    reason: str  # unknown_tool, wrong_task_tool, bad_arguments, respond_inactive, ...
    detail: str
    raw: Any  # the action as the policy gave it


class Issue(_Event):
    kind: Literal["issue"]
    call_id: str
    task: str
    turn: int
    epoch: int
    tool: str
    service: str
    scope: str
    args: Mapping[str, Any]
    deadline: int | None
    perms: list[str]  # permissions in force at issue
    uses: list[str]
    req_ms: int
    svc_ms: int
    resp_ms: int
    occurrence: int  # how many times this task called this tool before
    task_status: str


class Execute(_Event):
    kind: Literal["execute"]
    call_id: str
    task: str
    turn: int
    epoch: int
    tool: str
    service: str
    outcome: Literal["ok", "error"]
    result: Any
    queued_ms: int
    order: int  # the task's n-th execution


class Refuse(_Event):
    kind: Literal["refuse"]
    call_id: str
    task: str
    reason: str
    result: Any


class Deliver(_Event):
    kind: Literal["deliver"]
    call_id: str
    task: str
    outcome: str
    result: Any
    executed: bool
    stale: bool
    stale_reason: str | None  # amended | cancelled
    perms: list[str]  # permissions in force at delivery
    leak: bool  # delivered ok while its permission was revoked
    withheld: bool


class Timeout(_Event):
    kind: Literal["timeout"]
    call_id: str
    task: str
    executed: bool


class Cancel(_Event):
    kind: Literal["cancel"]
    call_id: str
    task: str
    by: str  # agent | world
    phase: str  # before_execution | after_execution | after_delivery | ...
    executed: bool


class Fault(_Event):
    kind: Literal["fault"]
    fault: str  # the fault kind
    source: str  # scheduled | process:<index>
    index: int
    effective: bool
    task: NotRequired[str]
    scope: NotRequired[str]
    service: NotRequired[str]
    duration_ms: NotRequired[int]
    calls: NotRequired[int]
    per_ms: NotRequired[int]
    until: NotRequired[int]  # outage, rate_limit
    turn: NotRequired[int]  # amend
    epoch: NotRequired[int]  # amend
    request: NotRequired[str]  # amend


class CallAction(TypedDict):
    op: Literal["call"]
    task: str
    tool: str
    args: Mapping[str, Any]
    timeout_ms: int | None
    uses: list[str]


class CancelAction(TypedDict):
    op: Literal["cancel"]
    call_id: str


class RespondAction(TypedDict):
    op: Literal["respond"]
    task: str
    text: str
    uses: list[str]


Action = CallAction | CancelAction | RespondAction


class Decide(_Event):
    kind: Literal["decide"]
    decision: int
    think_ms: int
    actions: list[Action]
    wait: Mapping[str, Any] | None  # {call_ids, timeout_ms}
    seen: list[str]  # call ids whose outcome reached the agent since its previous decision
    note: Mapping[str, Any]


class Respond(_Event):
    kind: Literal["respond"]
    task: str
    turn: int
    epoch: int
    text: str
    uses: list[str]
    pending: list[str]  # calls of the turn not yet executed
    state_ok: bool
    state_diff: list[str]
    gold_results: list[Any]
    results_ok: bool


class End(_Event):
    kind: Literal["end"]
    reason: str
    tasks: Mapping[str, Mapping[str, Any]]  # task -> {status, turn, turns}
    in_flight: list[str]
    decisions: int
    think_ms: int
    policy: Any  # what the policy's close() returned


Event = SubtaskStart | AgentError | Issue | Execute | Refuse | Deliver | Timeout | Cancel | Fault | Decide | Respond | End
Record = Header | Footer | Event

_CLASSES: dict[str, Any] = {
    "header": Header, "footer": Footer, "subtask_start": SubtaskStart, "agent_error": AgentError, "issue": Issue,
    "execute": Execute, "refuse": Refuse, "deliver": Deliver, "timeout": Timeout, "cancel": Cancel, "fault": Fault,
    "decide": Decide, "respond": Respond, "end": End,
}


def fields_of(kind: str) -> tuple[frozenset[str], frozenset[str]]:
    """(required, optional) field names of a kind, read off its declaration."""
    cls = _CLASSES[kind]
    return frozenset(cls.__required_keys__), frozenset(cls.__optional_keys__)


FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {kind: fields_of(kind) for kind in KINDS}
