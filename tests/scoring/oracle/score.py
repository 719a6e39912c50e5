"""One trace's score: step, sub-task, task, instance, coordination and violations, as one flat record.

Which metrics a record has, and in which order, is ``simtool.scoring.metrics.METRICS``: this
module measures them and reads the keys from that table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simtool.scoring.metrics import metric_names
from simtool.scoring.pace import latency_think_ratio
from simtool.scoring.steps import StepCounts, step_counts
from simtool.scoring.success import task_outcomes
from simtool.trace import Trace
from tests.scoring.oracle.coordination import coordination
from tests.scoring.oracle.history import History, history_of
from tests.scoring.oracle.violations import count_violations

__all__ = ["score_trace", "instance_label", "profile_label", "SCORE_KEYS"]

SCORE_KEYS: tuple[str, ...] = metric_names()  # every metric of a score record (the table's keys)


def instance_label(h: History) -> str:
    """The suite instance a world was built from, else the world's name."""
    world = h.world
    instance = world.get("instance")
    if isinstance(instance, dict):  # suite worlds record {id, kind, seed, suite, ...}
        instance = instance.get("id")
    return str(instance or world.get("name") or "world")


def profile_label(h: History) -> str:
    """``instant`` when the run drew no latency (scale 0), else the world's ``profile`` or ``delayed``."""
    latency = h.world.get("latency") or {}
    if isinstance(latency, dict) and latency.get("scale") == 0:
        return "instant"
    return str(h.world.get("profile") or "delayed")


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def score_trace(source: Trace | History | str | Path) -> dict[str, Any]:
    """Score a trace (or its path). An incomplete trace is scored for what it holds: ``complete: false``."""
    h = history_of(source)
    steps = step_counts(h)
    total = sum(steps.values(), StepCounts(0, 0, 0, 0, 0))
    outcomes = task_outcomes(h)
    subtasks_counted = sum(o.counted for o in outcomes.values())
    subtasks_passed = sum(o.passed_subtasks for o in outcomes.values())
    live = [o for o in outcomes.values() if o.status != "cancelled"]
    coord = coordination(h)
    chains = coord.pop("chains_ms")
    tasks = {
        task: {
            "status": o.status,
            "subtasks": list(o.subtasks),
            "passed": o.passed,
            "chain_ms": chains.get(task, 0),
            "step_f1_args": steps[task].f1(with_args=True),
            "step_f1_name": steps[task].f1(with_args=False),
            "calls": steps[task].agent,
            "gold_calls": steps[task].gold,
            "matched_calls": steps[task].matched_args,
        }
        for task, o in outcomes.items()
    }
    measured = {
        "step_f1_name": total.f1(with_args=False),
        "step_f1_args": total.f1(with_args=True),
        "step_precision": total.precision(with_args=True),
        "step_recall": total.recall(with_args=True),
        "step_precision_name": total.precision(with_args=False),
        "step_recall_name": total.recall(with_args=False),
        "calls": total.agent,
        "gold_calls": total.gold,
        "subtasks": subtasks_counted,
        "subtasks_passed": subtasks_passed,
        "subtask_success_rate": _rate(subtasks_passed, subtasks_counted),
        "task_success_rate": _rate(sum(o.passed for o in live), len(live)),
        "tasks_cancelled": len(outcomes) - len(live),
        "instance_success": all(o.passed for o in live),
        **coord,
        "latency_think_ratio": latency_think_ratio(h.events),
    }
    return {
        "trace": h.path,
        "complete": h.complete,
        "end_reason": (h.end or {}).get("reason"),
        "policy": h.policy,
        "world": str(h.world.get("name", "world")),
        "instance": instance_label(h),
        "profile": profile_label(h),
        "seed": h.seed,
        "config_hash": h.header.get("config_hash"),
        **{name: measured[name] for name in SCORE_KEYS},
        "violations": count_violations(h),
        "tasks": tasks,
    }
