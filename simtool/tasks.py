"""The tasks of a run: their services, their status and turns, and each sub-task's start.

``make_services`` builds a task's fresh service instances (each with its named streams); the
``TaskBoard`` keeps the tasks in progress, counts the active ones, and starts sub-tasks (the
``subtask_start`` trace event with the gold chain, and the agent's ``subtask_started`` event).
"""

from __future__ import annotations

from collections.abc import Callable

from simtool.clock import Clock
from simtool.gold import GoldBook
from simtool.policy import Event
from simtool.records import TaskRun
from simtool.registry import service_class
from simtool.rng import Streams
from simtool.service import Service, ServiceContext, normalize
from simtool.world import TaskSpec, Turn

__all__ = ["TaskBoard", "make_services"]


def make_services(streams: Streams, spec: TaskSpec, contexts: list[ServiceContext] | None = None) -> dict[str, Service]:
    """Fresh services for a task, each loaded with its scenario (their contexts appended to ``contexts`` when given)."""
    out = {}
    task_id = spec.task_id
    for name in spec.services:
        ctx = ServiceContext(task_id, lambda stream_name, name=name: streams("service", task_id, name, stream_name))
        if contexts is not None:
            contexts.append(ctx)
        instance = service_class(name)(ctx)
        instance.load_scenario(normalize(spec.initial_config.get(name) or {}))
        out[name] = instance
    return out


class TaskBoard:
    """Every task of the run in world order, with the count of those still active."""

    def __init__(self, specs: tuple[TaskSpec, ...], services: Callable[[TaskSpec], dict[str, Service]], gold: GoldBook,
                 clock: Clock, emit: Callable[..., None], notify: Callable[[Event], None]) -> None:
        self.tasks: dict[str, TaskRun] = {
            spec.task_id: TaskRun(spec=spec, services=services(spec), permissions=set(spec.permissions),
                                  epochs=[0] * len(spec.turns), current=spec.turns[0])
            for spec in specs
        }
        self._gold = gold
        self._clock = clock
        self._emit = emit
        self._notify = notify
        self.active = len(self.tasks)  # tasks neither done nor cancelled
        # calls per tool a task's agent has decided on but not yet issued (in its think time):
        # the agent loop's, wired by the runtime; they take the next occurrences of their tools
        self.committed: Callable[[str], dict[str, int]] = lambda _task_id: {}

    def set_status(self, task: TaskRun, status: str) -> None:
        if task.status == "active" and status != "active":
            self.active -= 1
        task.set_status(status)

    def start_subtask(self, task: TaskRun, reason: str) -> None:
        turn = task.current
        assert turn is not None
        path = tuple((t, task.epochs[t]) for t in range(task.turn + 1))
        occurrences = task.occurrences
        committed = self.committed(task.task_id)
        if committed:  # an amendment in the agent's think time: its decided calls come first
            occurrences = {tool: occurrences.get(tool, 0) + committed.get(tool, 0) for tool in occurrences.keys() | committed.keys()}
        gold = self._gold.chain(task.task_id, turn, path, occurrences)
        self._emit("subtask_start", task=task.task_id, turn=task.turn, epoch=task.epoch, request=turn.request, gold=gold, reason=reason)
        self._notify(Event("subtask_started", self._clock.now, task.task_id, None, {"turn": task.turn, "epoch": task.epoch, "reason": reason}))

    def amend(self, task: TaskRun, amendment: Turn) -> None:
        """The user changed the current request: a new epoch of the turn, with the amendment's gold."""
        task.amend(amendment)
        self._gold.amend(task.task_id, task.turn, task.epoch, amendment)

    def answered(self, task: TaskRun) -> None:
        """The current sub-task was answered: the next one starts, or the task is done."""
        if task.next_turn():
            self.start_subtask(task, "next")
        else:
            self.set_status(task, "done")
