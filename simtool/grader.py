"""The grader: each ``respond`` checked against the gold of the sub-task it answers.

The task's service state must equal the state that replaying the gold path (every answered
sub-task's, as amended) on fresh services gives, and every gold result of this sub-task must
be among the results the answer relied on (BFCL's state and response checks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simtool.gold import GoldBook
from simtool.policy import Respond
from simtool.records import CallRun
from simtool.tasks import TaskBoard
from simtool.trace import canonical

__all__ = ["Grader"]

_RESULT_STATUSES = ("ok", "error")


def _result_text(call: CallRun) -> str:
    if call.result_text is None:
        call.result_text = canonical(call.result)
    return call.result_text


class Grader:
    """Takes a ``Respond``: records it graded (the ``respond`` event), then the task moves on."""

    def __init__(self, board: TaskBoard, calls: dict[str, CallRun], gold: GoldBook, emit: Callable[..., None],
                 reject: Callable[[str | None, str, str, Any], None]) -> None:
        self._board = board
        self._calls = calls
        self._gold = gold
        self._emit = emit
        self._reject = reject

    def respond(self, action: Respond) -> None:
        task = self._board.tasks.get(action.task_id)
        raw = {"respond": action.task_id, "text": action.text}
        if task is None:
            self._reject(action.task_id, "unknown_task", f"no task '{action.task_id}'", raw)
            return
        if task.status != "active":
            self._reject(task.task_id, "respond_inactive", f"task '{task.task_id}' is {task.status}", raw)
            return
        calls = self._calls
        if action.uses is None:
            uses = [c.call_id for c in task.calls if c.status in _RESULT_STATUSES]
        else:
            uses = list(action.uses)
        path = tuple(task.history) + ((task.turn, task.epoch),)
        gold_state, gold_results = self._gold.expectation(task.task_id, path)
        actual = {name: s.state() for name, s in task.services.items()}
        diff = [] if actual == gold_state else [  # a right answer (the common case) needs no key-by-key walk
            f"{name}.{key}" for name in sorted(actual) for key in sorted(set(actual[name]) | set(gold_state[name]))
            if actual[name].get(key) != gold_state[name].get(key)]
        have = {_result_text(calls[c]) for c in uses if c in calls and calls[c].status in _RESULT_STATUSES}
        want = [canonical(r) for r in gold_results[-1]] if gold_results[-1] else []
        pending = [c.call_id for c in task.calls if c.turn == task.turn and not c.executed and c.status == "in_flight"]
        self._emit(
            "respond", task=task.task_id, turn=task.turn, epoch=task.epoch, text=action.text, uses=uses,
            pending=pending, state_ok=not diff, state_diff=diff[:10], gold_results=gold_results[-1],
            results_ok=all(w in have for w in want),
        )
        self._board.answered(task)
