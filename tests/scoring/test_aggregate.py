"""Aggregation: means with 95% t intervals, pass^k over seeds, groups."""

from __future__ import annotations

import math

import pytest

from simtool.errors import SpecError
from simtool.scoring.aggregate import aggregate, mean_interval, pass_hat_k, t_975

from .helpers import score_world


def test_mean_interval_uses_students_t():
    m = mean_interval([1.0, 2.0, 3.0])
    half = 4.303 / math.sqrt(3)
    assert m["mean"] == 2.0 and m["n"] == 3
    assert m["ci95"] == pytest.approx([2.0 - half, 2.0 + half])
    assert mean_interval([5.0]) == {"mean": 5.0, "ci95": None, "n": 1}
    assert mean_interval([0.0, 1.0], unit=True)["ci95"] == [0.0, 1.0]
    assert t_975(35) == t_975(30) and t_975(1000) == 1.96


def test_pass_hat_k_is_the_chance_that_k_trials_all_pass():
    assert pass_hat_k(4, 4, 3) == 1.0
    assert pass_hat_k(2, 4, 1) == 0.5
    assert pass_hat_k(2, 4, 2) == 1 / 6
    assert pass_hat_k(2, 4, 3) == 0.0


def fake(policy: str, cell: str, ok: bool, eff: float) -> dict:
    return {"policy": policy, "world": "w", "instance": "w", "config_hash": cell, "instance_success": ok, "complete": True,
            "coordination_efficiency": eff, "violations": {"same_task_overlap": 0}}


def test_groups_pool_instances_and_pass_hat_k_averages_over_them():
    scores = [fake("a", "x", True, 0.5), fake("a", "x", False, 0.7), fake("a", "y", True, 0.6), fake("a", "y", True, 0.6),
              fake("b", "z", False, 0.9)]
    rows = aggregate(scores, "policy")
    a, b = rows
    assert (a["group"], a["traces"], a["instances"], a["seeds_per_instance"]) == ("a", 4, 2, 2)
    assert a["pass_hat_k"] == {"1": 0.75, "2": 0.5}
    assert a["coordination_efficiency"]["mean"] == pytest.approx(0.6)
    assert b["pass_hat_k"] == {"1": 0.0} and b["coordination_efficiency"]["ci95"] is None
    with pytest.raises(SpecError):
        aggregate(scores, "colour")


def test_real_traces_aggregate_over_seeds():
    scores = [score_world("crossed-replies", p, s) for p in ("interleave", "unbound") for s in range(3)]
    rows = {r["group"]: r for r in aggregate(scores, "policy")}
    assert rows["interleave"]["pass_hat_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert rows["unbound"]["pass_hat_k"]["1"] == 0.0
    assert rows["unbound"]["violations"]["wrong_binding"]["mean"] == 2.0
    assert rows["interleave"]["subtask_success_rate"]["ci95"] == [1.0, 1.0]
