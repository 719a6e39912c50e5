"""Mutable run state, kept in few named places: a call in flight and a task in progress."""

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
    occurrences: dict[str, int] = field(factory=dict)
    executed_count: int = 0
    perms: tuple[str, ...] = ()  # the permissions, sorted: kept in step by ``set_permissions``

    def __attrs_post_init__(self) -> None:
        self.perms = tuple(sorted(self.permissions))

    def set_permissions(self, scope: str, granted: bool) -> None:
        if granted:
            self.permissions.add(scope)
        else:
            self.permissions.discard(scope)
        self.perms = tuple(sorted(self.permissions))

    @property
    def task_id(self) -> str:
        return self.spec.task_id

    @property
    def epoch(self) -> int:
        return self.epochs[self.turn] if self.turn < len(self.epochs) else 0


def stale_reason(call: CallRun, task: TaskRun) -> str | None:
    """Why a call's result no longer answers its task (None: it still does)."""
    if task.status == "cancelled":
        return "task_cancelled"
    if call.turn < len(task.epochs) and task.epochs[call.turn] != call.epoch:
        return "amended"
    return None
