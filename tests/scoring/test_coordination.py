"""Coordination at a delayed profile: interleaving beats blocking, the critical path at least matches it."""

from __future__ import annotations

from statistics import mean

import pytest

from .helpers import score_world

MULTI_TASK = ("three-desks", "mixed-domains")
SEEDS = range(6)


@pytest.fixture(scope="module")
def delayed() -> dict[tuple[str, str, int], dict]:
    return {(w, p, s): score_world(w, p, s) for w in MULTI_TASK for p in ("sequential", "interleave", "critical-path") for s in SEEDS}


@pytest.mark.parametrize("world", MULTI_TASK)
def test_interleave_is_more_efficient_than_sequential_on_every_seed(delayed, world):
    for seed in SEEDS:
        assert delayed[(world, "interleave", seed)]["coordination_efficiency"] > delayed[(world, "sequential", seed)]["coordination_efficiency"]


def test_critical_path_is_at_least_as_efficient_as_interleave_on_average(delayed):
    cp = mean(delayed[(w, "critical-path", s)]["coordination_efficiency"] for w in MULTI_TASK for s in SEEDS)
    rr = mean(delayed[(w, "interleave", s)]["coordination_efficiency"] for w in MULTI_TASK for s in SEEDS)
    assert cp >= rr


@pytest.mark.parametrize("world", MULTI_TASK)
def test_bound_and_sequential_reference_use_the_runs_own_draws_so_policies_compare_like_with_like(delayed, world):
    for seed in SEEDS:
        chains = {p: (delayed[(world, p, seed)]["sequential_ms"], delayed[(world, p, seed)]["tasks"]) for p in ("sequential", "interleave", "critical-path")}
        sequential_ms = {v[0] for v in chains.values()}
        assert len(sequential_ms) == 1
        per_task = {p: {t: info["chain_ms"] for t, info in v[1].items()} for p, v in chains.items()}
        assert per_task["sequential"] == per_task["interleave"] == per_task["critical-path"]
        for p in ("sequential", "interleave", "critical-path"):
            s = delayed[(world, p, seed)]
            assert s["lower_bound_ms"] <= s["makespan_ms"] <= s["sequential_ms"] + s["think_ms"]
            assert s["lower_bound_ms"] == max(max(per_task[p].values()), s["think_ms"])


@pytest.mark.parametrize("world", MULTI_TASK)
def test_only_the_blocking_policy_idles_while_other_tasks_could_proceed(delayed, world):
    for seed in SEEDS:
        assert delayed[(world, "sequential", seed)]["idle_ready_ms"] > 0
        assert delayed[(world, "interleave", seed)]["idle_ready_ms"] == 0


def test_sequential_finishes_one_task_before_switching(delayed):
    s = delayed[("three-desks", "sequential", 0)]
    assert s["task_switches"] == 2  # three tasks, one after another
    i = delayed[("three-desks", "interleave", 0)]
    assert i["task_switches"] > s["task_switches"] and i["same_task_streak"] < s["same_task_streak"]
