"""What the agent may see of the run, built when first looked at and kept until it changes.

A view is kept on its record (``CallRun.view``, ``TaskRun.view``) and dropped by the record's
own methods when it changes (see ``simtool.records``); it is rebuilt only when a policy next
asks for it, so a decision that reads one call pays for one view.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

from simtool.policy import CallView, TaskView
from simtool.records import CallRun, TaskRun, stale_reason

__all__ = ["CallViews", "TaskViews", "CallIds"]

_RESULT_STATUSES = ("ok", "error")


def call_view(call: CallRun, task: TaskRun) -> CallView:
    return CallView(
        call_id=call.call_id,
        task_id=call.task_id,
        turn=call.turn,
        epoch=call.epoch,
        tool=call.tool,
        args=MappingProxyType(call.args),
        issued_at=call.issued_at,
        deadline=call.deadline,
        status=call.status,
        result=call.result if call.status in _RESULT_STATUSES else None,
        ended_at=call.ended_at,
        stale=stale_reason(call, task) is not None,
    )


class CallViews(Mapping[str, CallView]):
    """Every call of the run so far, by id, in issue order (a live, read-only mapping)."""

    __slots__ = ("_calls", "_tasks")

    def __init__(self, calls: dict[str, CallRun], tasks: dict[str, TaskRun]) -> None:
        self._calls = calls
        self._tasks = tasks

    def __getitem__(self, call_id: str) -> CallView:
        call = self._calls[call_id]
        view = call.view
        if view is None:
            view = call.view = call_view(call, self._tasks[call.task_id])
        return view  # type: ignore[no-any-return]

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    def __iter__(self) -> Iterator[str]:
        return iter(self._calls)

    def __len__(self) -> int:
        return len(self._calls)


class CallIds(Sequence[str]):
    """A task's call ids as issued so far: read-only, and live (a new call shows at once), so
    that issuing a call does not rebuild the task's view."""

    __slots__ = ("_ids",)

    def __init__(self, ids: list[str]) -> None:
        self._ids = ids

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._ids[index]

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._ids

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) and not isinstance(other, str) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CallIds({self._ids!r})"


class TaskViews:
    """The tasks as the agent sees them, in world order; the same tuple until a task changes."""

    __slots__ = ("_tasks", "_all")

    def __init__(self, tasks: dict[str, TaskRun]) -> None:
        self._tasks = tuple(tasks.values())
        self._all: tuple[TaskView, ...] | None = None

    def all(self) -> tuple[TaskView, ...]:
        views = self._all
        if views is not None:
            for task in self._tasks:
                if task.view is None:
                    break
            else:
                return views
        built = []
        for task in self._tasks:
            view = task.view
            if view is None:
                view = task.view = _task_view(task)
            built.append(view)
        self._all = tuple(built)
        return self._all


def _task_view(task: TaskRun) -> TaskView:
    return TaskView(
        task_id=task.task_id,
        status=task.status,
        turn=task.turn,
        n_turns=len(task.spec.turns),
        epoch=task.epoch,
        request=task.current.request if task.current is not None else "",
        tools=tuple(task.spec.tools),
        permissions=task.perms,
        call_ids=CallIds(task.call_ids),
    )
