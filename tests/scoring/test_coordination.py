"""Coordination at a delayed profile: interleaving beats blocking, the critical path at least matches it."""

from __future__ import annotations

import json
from statistics import mean

import pytest

from simtool.run import run_source
from simtool.scoring import score_trace, trace_from_lines

from .helpers import world_path

MULTI_TASK = ("three-desks", "mixed-domains")
SEEDS = range(6)


def _scored(world: str, policy: str, seed: int) -> dict:
    lines = run_source(world_path(world), policy, seed).lines
    return {**score_trace(trace_from_lines(lines)), "lines": lines}


@pytest.fixture(scope="module")
def delayed() -> dict[tuple[str, str, int], dict]:
    return {(w, p, s): _scored(w, p, s) for w in MULTI_TASK for p in ("sequential", "interleave", "critical-path") for s in SEEDS}


def _longest_path_ms(gold: list[dict]) -> int:
    """The longest path through one sub-task's partial order, by walking every path from each step
    back along its ``after`` edges (exhaustive, unlike the scorer's single forward pass)."""
    def longest_ending_at(j: int) -> int:
        step = gold[j]
        own = step["req_ms"] + step["svc_ms"] + step["resp_ms"]
        return own + max((longest_ending_at(i) for i in step["after"]), default=0)
    return max((longest_ending_at(j) for j in range(len(gold))), default=0)


def _partial_order_work(lines: tuple[str, ...]) -> dict[str, int]:
    """Each task's work as the trace's ``subtask_start`` events state it: the sum of its
    sub-tasks' longest paths (these worlds have no faults, so nothing is cut or raised)."""
    work: dict[str, int] = {}
    for line in lines:
        event = json.loads(line)
        if event.get("kind") == "subtask_start":
            work[event["task"]] = work.get(event["task"], 0) + _longest_path_ms(event["gold"])
    return work


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
            work = _partial_order_work(s["lines"])
            assert set(work) == set(per_task[p])
            assert all(work[t] <= per_task[p][t] for t in work)  # the partial order never exceeds the chain
            if world == "mixed-domains":  # cat and wc of one file are two reads: they may run together
                assert work["files"] < per_task[p]["files"]
            assert s["lower_bound_ms"] == max(max(work.values()), s["think_ms"])


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
