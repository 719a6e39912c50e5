"""``parallel`` (every ready step of every task, the partial order respected) is at least as
efficient as ``critical-path`` on average over seeds: on the default world, where every gold
path is a chain and it has nothing to overlap, and on suite instances at the saas profile,
where independent lookups let it win."""

from __future__ import annotations

from statistics import mean

from simtool.run import run, run_source
from simtool.scoring import score_trace, trace_from_lines
from worlds.suites import build_suite, instance_world, task_pool


def efficiency(lines) -> float:
    return score_trace(trace_from_lines(lines))["coordination_efficiency"]


def test_parallel_is_at_least_as_efficient_as_critical_path_on_the_default_world():
    mean_of = {p: mean(efficiency(run_source(None, p, seed).lines) for seed in range(10)) for p in ("critical-path", "parallel")}
    assert mean_of["parallel"] >= mean_of["critical-path"]


def test_parallel_is_more_efficient_than_critical_path_on_suite_instances_at_saas(bfcl_dir):
    instances = build_suite(task_pool(bfcl_dir), 712, seed=0)[::60]  # 12 instances, every kind, at the default saas
    assert {inst["profile"] for inst in instances} == {"saas"}
    mean_of = {p: mean(efficiency(run({"world": instance_world(inst), "policy": {"name": p}}, seed).lines)
                       for inst in instances for seed in range(2)) for p in ("critical-path", "parallel")}
    assert mean_of["parallel"] > mean_of["critical-path"]
