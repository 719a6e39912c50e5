"""The hunt's invariants: each one caught on its faulty policy, none on interleave; users add their own."""

from __future__ import annotations

import pytest

from simtool.errors import SpecError
from simtool.hunting import HUNT_INVARIANTS, check_trace, default_invariants, hunt, invariant, register_invariant
from simtool.hunting.signatures import signature
from simtool.run import run, run_source
from simtool.scoring import unregister_invariant, violations
from simtool.scoring.history import history_of, trace_from_lines

from .support import RACES, plugin_env, simtool

# the faulty policy whose runs on the crafted world break each invariant on some of the first seeds
CAUGHT_BY = {
    "dependency_violation": "eager",
    "stale_result_relied_on": "oblivious",
    "leaked_result_relied_on": "oblivious",
    "call_on_cancelled_task": "oblivious",
    "out_of_order_wrong_state": "eager",
    "premature_respond": "unbound",
    "wrong_binding": "unbound",
}
SEARCHED = range(12)  # seeds searched for a race: the test names its seed, not a seed picked by hand


def history(policy: str, seed: int, overrides=()):
    return history_of(trace_from_lines(run_source(RACES, policy, seed, overrides).lines))


def first_seed(predicate, seeds=SEARCHED) -> int:
    """The first seed of ``seeds`` whose run satisfies ``predicate``; fails naming the range if none does."""
    for seed in seeds:
        if predicate(seed):
            return seed
    raise AssertionError(f"no seed in {seeds} shows the race")


@pytest.mark.parametrize("name", HUNT_INVARIANTS)
def test_each_invariant_catches_its_race_and_spares_interleave(name):
    policy = CAUGHT_BY[name]
    seed = first_seed(lambda s: bool(check_trace(history(policy, s), [name])[name]))
    offences = check_trace(history(policy, seed), [name])[name]
    assert offences and all(o.invariant == name for o in offences)
    assert check_trace(history("interleave", seed), [name])[name] == []


def test_out_of_order_execution_counts_only_when_the_sub_task_ended_in_a_wrong_state():
    task = {"id": "t", "services": ["TicketAPI"],
            "initial_config": {"TicketAPI": {"current_user": "ana", "ticket_counter": 3,
                                             "ticket_queue": [{"id": 1, "title": "a", "status": "Open"},
                                                              {"id": 2, "title": "b", "status": "Open"}]}},
            "turns": [{"request": "show 1 and 2", "gold": ["get_ticket(ticket_id=1)", "get_ticket(ticket_id=2)"]}]}
    world = {"name": "reads", "tasks": [task],
             "latency": {"default": {"request": {"dist": "uniform", "low": 10, "high": 300}, "response": 50}}}
    def reads(seed):
        return history_of(trace_from_lines(run({"world": world, "policy": {"name": "eager", "think": 0}}, seed).lines))

    def overtaken(h):
        return h.calls["c1"].execute["seq"] < h.calls["c0"].execute["seq"]

    h = reads(first_seed(lambda s: overtaken(reads(s))))  # the two reads execute out of order
    assert violations.out_of_order_execution(h) == [], "two independent reads may execute in any order"
    assert all(r["state_ok"] for r in h.responds)
    assert check_trace(h, ["out_of_order_wrong_state"])["out_of_order_wrong_state"] == []
    assert check_trace(h, ["out_of_order_execution"])["out_of_order_execution"] == []


def one_ticket_world(fault: dict) -> dict:
    task = {"id": "t", "services": ["TicketAPI"],
            "initial_config": {"TicketAPI": {"current_user": "ana", "ticket_counter": 1, "ticket_queue": []}},
            "turns": [{"request": "open d", "gold": ["create_ticket(title='d')"]}]}
    return {"name": "one", "tasks": [task], "latency": {"default": {"request": 100, "response": 100}}, "faults": [fault]}


def test_a_stale_result_the_decision_cancels_is_not_counted_as_used():
    # the amendment and the old result reach interleave together (t=200): it cancels that call and starts over
    world = one_ticket_world({"at_ms": 200, "kind": "amend", "task": "t", "request": "e", "gold": ["create_ticket(title='e')"]})
    h = history_of(trace_from_lines(run({"world": world, "policy": {"name": "interleave", "think": 0}}, 0).lines))
    assert violations.stale_result_used(h), "the score counts the stale result the decision saw"
    assert check_trace(h, ["stale_result_relied_on"])["stale_result_relied_on"] == []


def test_a_leak_counts_only_when_the_agent_relied_on_the_leaked_result():
    # revoked at 230 while the executed create is on its way back (delivered at 260): interleave's cancel
    # is still in its 60 ms think time when the result lands, and it never uses it; oblivious does
    world = one_ticket_world({"at_ms": 230, "kind": "revoke", "scope": "ticketing.write", "task": "t"})
    for policy, caught in (("interleave", False), ("oblivious", True)):
        h = history_of(trace_from_lines(run({"world": world, "policy": {"name": policy, "think": 60}}, 0).lines))
        assert violations.revoked_leak(h), policy
        assert bool(check_trace(h, ["leaked_result_relied_on"])["leaked_result_relied_on"]) is caught, policy


def test_a_user_invariant_registered_by_name_is_checked_and_may_return_plain_events():
    def closes_a_ticket(h):
        return [e for e in h.events if e["kind"] == "execute" and e["tool"] == "close_ticket"]

    register_invariant("test_closes_a_ticket", closes_a_ticket)
    try:
        assert "test_closes_a_ticket" in default_invariants()
        assert invariant("test_closes_a_ticket") is closes_a_ticket
        found = check_trace(history("interleave", 0), ["test_closes_a_ticket"])["test_closes_a_ticket"]
        assert [o.event["tool"] for o in found] == ["close_ticket"]
        report = hunt(RACES, "interleave", range(0, 3), invariants=["test_closes_a_ticket"], workers=1)
        assert report.failed_seeds == (0, 1, 2) and report.groups[0].signature == "tools close_ticket"
        assert report.groups[0].ways == (("execute close_ticket", 3),)
    finally:
        unregister_invariant("test_closes_a_ticket")


def test_an_invariant_declared_as_an_entry_point_is_found_by_the_hunt_command(tmp_path):
    env = plugin_env(tmp_path, {"simtool.invariants": {"closes_a_ticket": "tests.hunting.plugins:closes_a_ticket"}})
    done = simtool("hunt", RACES, "--policy", "interleave", "--seeds", "0:2", "--workers", "1",
                   "--invariant", "closes_a_ticket", "--detail", env=env)
    assert done.returncode == 1, done.stderr
    assert "FAIL closes_a_ticket: execute close_ticket · 2/2 seeds" in done.stdout


def test_an_unknown_invariant_names_the_known_ones():
    with pytest.raises(SpecError) as err:
        invariant("no_such_check")
    assert "wrong_binding" in str(err.value) and "no_such_check" in str(err.value)


def test_a_dependency_violation_is_signed_by_the_early_tool_and_the_tool_it_waits_for():
    h = history("eager", 0)
    signed = {signature(h, o) for o in check_trace(h, ["dependency_violation"])["dependency_violation"]}
    # races.yaml: a close (and a second create) issued before the create they follow came back
    assert signed == {"close_ticket issued before create_ticket was delivered",
                      "create_ticket issued before create_ticket was delivered"}
