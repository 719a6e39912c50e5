"""Mutable run state, kept in few named places: a call in flight and a task in progress.

Each record changes only through its own methods, and those drop the agent's view of what
they changed (``view``: rebuilt by ``simtool.views`` when a policy next looks). That is the
one place views are kept in sync: a task that is cancelled or amended drops the views of its
calls too, since their staleness changed.
"""

from __future__ import annotations

from typing import Any

from attrs import define, field

from simtool.service import Service
from simtool.world import TaskSpec, Turn

__all__ = ["CallRun", "TaskRun", "stale_reason"]


@define(slots=True)
class CallRun:
    call_id: str
    task_id: str
    tool: str
    service: str
    scope: str
    args: dict[str, Any]
    turn: int
    epoch: int
    issued_at: int
    deadline: int | None
    req_ms: int
    svc_ms: int
    resp_ms: int
    status: str = "in_flight"  # in_flight | ok | error | timeout | cancelled
    executed: bool = False
    result: Any = None
    outcome: str | None = None  # ok | error, once the service (or the runtime) answered
    ended_at: int | None = None
    slot: Any = None  # a capacity request, while queued or holding a slot
    result_text: str | None = None  # canonical JSON of the result, once a respond has needed it
    view: Any = None  # the agent's view (simtool.views), None until looked at or after a change

    def answer(self, outcome: str, result: Any, *, executed: bool = False) -> None:
        """The service (``executed``) or the runtime answered; the call is still in flight."""
        self.outcome = outcome
        self.result = result
        if executed:
            self.executed = True
        self.view = None

    def end(self, status: str, now: int) -> None:
        """The call left flight: delivered (``ok``/``error``), ``timeout`` or ``cancelled``."""
        self.status = status
        self.ended_at = now
        self.view = None


@define(slots=True)
class TaskRun:
    spec: TaskSpec
    services: dict[str, Service]
    permissions: set[str]
    status: str = "active"  # active | done | cancelled
    turn: int = 0
    epochs: list[int] = field(factory=list)  # per turn: how many times it was amended
    current: Turn | None = None  # the turn's request and gold as now in force
    history: list[tuple[int, int]] = field(factory=list)  # (turn, epoch) of each responded sub-task
    call_ids: list[str] = field(factory=list)
    calls: list[CallRun] = field(factory=list)  # the same calls, in issue order
    occurrences: dict[str, int] = field(factory=dict)
    executed_count: int = 0
    perms: tuple[str, ...] = ()  # the permissions, sorted: kept in step by ``set_permissions``
    view: Any = None  # the agent's view (simtool.views), None until looked at or after a change
    task_id: str = field(init=False, default="")  # the spec's, kept here: read at every step of every call

    def __attrs_post_init__(self) -> None:
        self.perms = tuple(sorted(self.permissions))
        self.task_id = self.spec.task_id

    @property
    def epoch(self) -> int:
        return self.epochs[self.turn] if self.turn < len(self.epochs) else 0

    def add_call(self, call: CallRun) -> None:
        """A new call of the task (its view lists call ids live: it needs no rebuilding)."""
        self.call_ids.append(call.call_id)
        self.calls.append(call)

    def set_permissions(self, scope: str, granted: bool) -> None:
        if granted:
            self.permissions.add(scope)
        else:
            self.permissions.discard(scope)
        self.perms = tuple(sorted(self.permissions))
        self.view = None

    def set_status(self, status: str) -> None:
        self.status = status
        self.view = None
        if status == "cancelled":
            self._calls_changed()

    def amend(self, amendment: Turn) -> None:
        """The user changed the current turn's request: a new epoch, whose results make older ones stale."""
        self.epochs[self.turn] += 1
        self.current = amendment
        self.view = None
        self._calls_changed()

    def next_turn(self) -> bool:
        """The current sub-task was answered: move to the next turn; False when there is none."""
        self.history.append((self.turn, self.epoch))
        self.turn += 1
        self.view = None
        more = self.turn < len(self.spec.turns)
        self.current = self.spec.turns[self.turn] if more else None
        return more

    def _calls_changed(self) -> None:
        for call in self.calls:
            call.view = None


def stale_reason(call: CallRun, task: TaskRun) -> str | None:
    """Why a call's result no longer answers its task (None: it still does)."""
    if task.status == "cancelled":
        return "task_cancelled"
    if call.turn < len(task.epochs) and task.epochs[call.turn] != call.epoch:
        return "amended"
    return None
