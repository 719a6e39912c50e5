"""Each faulty policy raises exactly its own violations on its crafted world; interleave raises none there."""

from __future__ import annotations

import pytest

from .helpers import nonzero, score_world

SEEDS = (0, 1, 2)

# world, faulty policy, the violations it must raise (at least one of them, and no other)
CASES = [
    ("eager-race", "eager", {"dependency_violation", "out_of_order_execution"}),
    ("mixed-domains", "confused", {"wrong_task_tool"}),
    ("crossed-replies", "unbound", {"wrong_binding"}),
    ("cancelled-during-outage", "oblivious", {"call_on_cancelled_task", "stale_result_used"}),
    ("amended-request", "oblivious", {"stale_result_used"}),
    ("revoked-read", "oblivious", {"revoked_leak"}),
]


@pytest.mark.parametrize(("world", "policy", "own"), CASES)
def test_faulty_policy_raises_only_its_own_violations(world, policy, own):
    for seed in SEEDS:
        found = nonzero(score_world(world, policy, seed)["violations"])
        assert found, f"{policy} on {world} seed {seed}: no violation"
        assert set(found) <= own, f"{policy} on {world} seed {seed}: {found}"


@pytest.mark.parametrize("world", sorted({c[0] for c in CASES}))
def test_interleave_raises_no_violation_on_the_crafted_worlds(world):
    for seed in SEEDS:
        assert nonzero(score_world(world, "interleave", seed)["violations"]) == {}


def test_eager_breaks_a_dependency_and_is_overtaken_and_fails_the_dependent_subtask():
    s = score_world("eager-race", "eager", 0)
    assert s["violations"]["dependency_violation"] == 1 and s["violations"]["out_of_order_execution"] == 1
    assert s["parallel_calls"] == 1
    assert s["tasks"]["triage"]["subtasks"] == ["failed"]


def test_eager_raises_only_a_dependency_violation_when_the_latencies_keep_its_calls_in_order():
    # the create's request leg made fast: the early close still runs second, so nothing overtakes
    fast_create = ("world.latency.services.TicketAPI.tools.create_ticket.request=10",)
    for seed in SEEDS:
        s = score_world("eager-race", "eager", seed, fast_create)
        assert nonzero(s["violations"]) == {"dependency_violation": 1}
        assert s["tasks"]["triage"]["subtasks"] == ["passed"]  # a violation all the same: the order was luck


def test_unbound_binds_each_task_to_the_others_result_and_fails_both():
    s = score_world("crossed-replies", "unbound", 0)
    assert s["violations"]["wrong_binding"] == 2
    assert s["subtask_success_rate"] == 0.0 and s["instance_success"] is False
    ok = score_world("crossed-replies", "interleave", 0)
    assert ok["subtask_success_rate"] == 1.0 and ok["instance_success"] is True


def test_oblivious_keeps_working_a_cancelled_task_on_the_stale_results():
    s = score_world("cancelled-during-outage", "oblivious", 0)
    assert s["violations"]["call_on_cancelled_task"] >= 2 and s["violations"]["stale_result_used"] >= 1
    assert s["violations"]["agent_errors"] == 0  # its answer to the cancelled task counts as an action on it
    assert s["tasks"]["announce"]["subtasks"] == ["cancelled"] and s["tasks_cancelled"] == 1
    ok = score_world("cancelled-during-outage", "interleave", 0)
    assert ok["subtask_success_rate"] == 1.0 and ok["task_success_rate"] == 1.0


def test_oblivious_builds_on_the_amended_away_result_and_fails_the_new_request():
    s = score_world("amended-request", "oblivious", 0)
    assert s["violations"]["stale_result_used"] == 2  # the next call and the answer
    assert s["tasks"]["furniture"]["subtasks"] == ["failed"]
    ok = score_world("amended-request", "interleave", 0)
    assert ok["tasks"]["furniture"]["subtasks"] == ["passed"] and ok["step_f1_args"] == 1.0


def test_oblivious_leaks_the_revoked_read_while_interleave_withdraws_it():
    s = score_world("revoked-read", "oblivious", 0)
    assert s["violations"]["revoked_leak"] == 1
    ok = score_world("revoked-read", "interleave", 0)
    # the correct answer is "I cannot finish": no leak, and the lookup's result is (rightly) missing
    assert ok["tasks"]["audit"]["subtasks"] == ["failed"] and ok["tasks"]["new-chair"]["subtasks"] == ["passed"]


@pytest.mark.parametrize("world", ["mixed-domains", "three-desks"])
def test_neglectful_neglects_more_than_interleave_and_raises_no_violation(world):
    for seed in SEEDS:
        neglectful, interleave = score_world(world, "neglectful", seed), score_world(world, "interleave", seed)
        assert nonzero(neglectful["violations"]) == {}
        assert neglectful["neglect_ms"] > 2 * interleave["neglect_ms"]


def test_confused_recovers_every_misrouted_step():
    for seed in SEEDS:
        s = score_world("mixed-domains", "confused", seed)
        assert s["violations"]["wrong_task_tool"] > 0 and s["subtask_success_rate"] == 1.0


@pytest.mark.parametrize("world", ["mixed-domains", "three-desks", "eager-race"])
def test_parallel_raises_no_violation_and_overlaps_only_independent_calls(world):
    for seed in SEEDS:
        assert nonzero(score_world(world, "parallel", seed)["violations"]) == {}
    assert score_world("mixed-domains", "parallel", 0)["parallel_calls"] > 0
