"""How an outside agent's run ended, read off its finished trace: what ``status`` answers, and
what the environment's last step reports, once the run is over.

The figures are the trace's score (:func:`simtool.scoring.score.score_trace`) and its ``end``
event: the end reason and time, each task's final status and sub-tasks passed, the calls left in
flight, the decisions and think time, the violations. The last live observation is not used:
once the run is over its clock and its calls in flight are out of date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from attrs import frozen

from simtool.scoring.history import trace_from_lines
from simtool.scoring.score import score_trace

__all__ = ["Outcome", "outcome_of"]


@frozen
class Outcome:
    """The final figures of a run (see the module's docs)."""

    end_reason: str
    time_ms: int  # the simulated time the run ended at
    tasks: Mapping[str, Mapping[str, Any]]  # task id -> {status, subtasks_passed, subtasks}
    in_flight: tuple[str, ...]  # calls still in flight when the run ended
    decisions: int
    score: Mapping[str, Any]  # the trace's score, as `simtool score` gives it

    def record(self) -> dict[str, Any]:
        """The outcome as JSON data (``status``'s structured content once the run is over)."""
        s = self.score
        return {
            "over": True, "end_reason": self.end_reason, "now": self.time_ms, "tasks": {k: dict(v) for k, v in self.tasks.items()},
            "in_flight": list(self.in_flight), "decisions": self.decisions, "calls": s.get("calls"), "think_ms": s.get("think_ms"),
            "task_success": s.get("task_success_rate"), "subtask_success": s.get("subtask_success_rate"),
            "coordination_efficiency": s.get("coordination_efficiency"), "makespan_ms": s.get("makespan_ms"),
            "violations": {k: v for k, v in (s.get("violations") or {}).items() if v},
        }

    def text(self) -> str:
        """The outcome in a few lines, for an agent or a person."""
        r = self.record()
        lines = [f"The run is over ({self.end_reason}) at {self.time_ms} ms; nothing more can be done."]
        for task_id, t in r["tasks"].items():
            lines.append(f"Task {task_id} [{t['status']}]: {t['subtasks_passed']}/{t['subtasks']} sub-tasks passed")
        left = ", ".join(self.in_flight) or "none"
        lines.append(f"Calls: {r['calls']}, still in flight at the end: {left}. Decisions: {self.decisions}, "
                     f"think time {r['think_ms']} ms.")
        lines.append(f"Task success {_share(r['task_success'])}, sub-task success {_share(r['subtask_success'])}, "
                     f"coordination efficiency {_share(r['coordination_efficiency'])}, makespan {r['makespan_ms']} ms.")
        broken = " · ".join(f"{name} {n}" for name, n in r["violations"].items())
        lines.append(f"Violations: {broken or 'none'}.")
        return "\n".join(lines)


def _share(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def outcome_of(lines: Sequence[str]) -> Outcome:
    """The outcome of a finished run, from its trace lines (header to footer)."""
    end = next((e for e in map(orjson.loads, reversed(lines)) if e.get("kind") == "end"), None)
    if end is None:
        raise ValueError("the trace has no end event: the run is not over")
    score = score_trace(trace_from_lines(lines))
    scored = score.get("tasks") or {}
    tasks = {}
    for task_id, info in end["tasks"].items():
        subtasks = (scored.get(task_id) or {}).get("subtasks") or []
        tasks[task_id] = {"status": info["status"], "subtasks_passed": subtasks.count("passed"), "subtasks": info["turns"]}
    return Outcome(end["reason"], end["t"], tasks, tuple(end.get("in_flight") or ()), end.get("decisions", 0), score)
