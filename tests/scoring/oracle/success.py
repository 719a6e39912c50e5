"""Sub-task, task and instance success, read off the ``respond`` events.

A sub-task (one turn of a task) passes when it was answered and, at that ``respond``, the
task's service state equalled the gold state for its effective path (``state_ok``: BFCL's
state check over public attributes) and every gold result of the turn was among the results
the answer used (``results_ok``: BFCL's response check). A sub-task is

- ``passed`` / ``failed``: answered, with both checks true / not;
- ``cancelled``: not answered because the world cancelled its task first (left out of the
  rates: nobody should answer it);
- ``unanswered``: neither (the run ended, hit its horizon, or the trace was cut): a failure.

A task passes when it was not cancelled and every one of its sub-tasks passed; a cancelled
task is left out of the task rate. The instance passes when every task that was not cancelled
passed.
"""

from __future__ import annotations

from attrs import frozen

from tests.scoring.oracle.history import History

__all__ = ["TaskOutcome", "task_outcomes", "SUBTASK_STATES"]

SUBTASK_STATES = ("passed", "failed", "cancelled", "unanswered")


@frozen
class TaskOutcome:
    task: str
    status: str  # done | cancelled | active (never finished)
    subtasks: tuple[str, ...]  # one of SUBTASK_STATES per turn

    @property
    def counted(self) -> int:
        return sum(1 for s in self.subtasks if s != "cancelled")

    @property
    def passed_subtasks(self) -> int:
        return self.subtasks.count("passed")

    @property
    def passed(self) -> bool:
        return self.status != "cancelled" and all(s == "passed" for s in self.subtasks)


def task_outcomes(h: History) -> dict[str, TaskOutcome]:
    answers = {(e["task"], e["turn"]): bool(e.get("state_ok")) and bool(e.get("results_ok")) for e in h.responds}
    out = {}
    for task in h.tasks:
        n = h.turns.get(task, 0)
        states = []
        for turn in range(n):
            if (task, turn) in answers:
                states.append("passed" if answers[(task, turn)] else "failed")
            elif task in h.cancelled:
                states.append("cancelled")
            else:
                states.append("unanswered")
        if task in h.cancelled:
            status = "cancelled"
        elif n and all((task, turn) in answers for turn in range(n)):
            status = "done"
        else:
            status = "active"
        out[task] = TaskOutcome(task, status, tuple(states))
    return out
