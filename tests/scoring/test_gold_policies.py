"""Gold-following policies at the instant profile: perfect steps, every sub-task passed, no violations."""

from __future__ import annotations

import pytest

from simtool.scoring import VIOLATIONS

from .helpers import INSTANT, nonzero, score_world

GOLD_FOLLOWERS = ("sequential", "interleave", "critical-path")
FAULT_FREE = ("three-desks", "mixed-domains", "eager-race", "crossed-replies")


@pytest.mark.parametrize("world", FAULT_FREE)
@pytest.mark.parametrize("policy", GOLD_FOLLOWERS)
def test_gold_followers_score_perfect_steps_and_pass_every_subtask_at_instant(world, policy):
    for seed in (0, 1):
        s = score_world(world, policy, seed, INSTANT)
        assert s["profile"] == "instant" and s["complete"] is True
        assert s["step_f1_name"] == 1.0 and s["step_f1_args"] == 1.0
        assert s["step_precision"] == 1.0 and s["step_recall"] == 1.0
        assert s["subtask_success_rate"] == 1.0 and s["subtasks_passed"] == s["subtasks"] > 0
        assert s["task_success_rate"] == 1.0 and s["instance_success"] is True
        assert nonzero(s["violations"]) == {}


@pytest.mark.parametrize("policy", GOLD_FOLLOWERS)
def test_at_instant_the_makespan_is_the_think_time_and_efficiency_is_one(policy):
    s = score_world("three-desks", policy, 3, INSTANT)
    assert s["makespan_ms"] == s["think_ms"] == s["lower_bound_ms"]
    assert s["coordination_efficiency"] == 1.0 and s["idle_ready_ms"] == 0


def test_every_violation_key_is_reported_even_when_zero():
    s = score_world("three-desks", "interleave", 0)
    assert tuple(s["violations"])[: len(VIOLATIONS)] == VIOLATIONS
    for key in ("step_f1_name", "step_f1_args", "step_precision", "step_recall", "subtask_success_rate",
                "task_success_rate", "instance_success", "makespan_ms", "lower_bound_ms", "sequential_ms",
                "coordination_efficiency", "idle_ready_ms", "task_switches", "same_task_streak"):
        assert key in s
