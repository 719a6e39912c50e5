"""The ``turns`` profile: every tool's latency is a whole number K of agent decisions, made
exact by a fixed think time T per decision that the world imposes on every policy."""

from __future__ import annotations

import pytest

from simtool.errors import SpecError
from simtool.policy import CallAction, Decision
from simtool.registry import names, service_class
from simtool.run import run
from simtool.world import parse_world
from tests.engine.helpers import Script
from tests.llm.conftest import world_data
from worlds.profiles import latency_for, load_profile
from worlds.suites import build_suite, instance_world, resolve_instance, task_pool, write_suite

THINKS = (1, 7, 250, 1000)  # any whole number of ms the profile allows


def _decisions(tool: str) -> int:
    """K of a tool under turns, read off the profile file's rules (reads 1, writes 2 here)."""
    access = service_class("TicketAPI").schemas()[tool].access
    return 2 if access == "write" else 1


def _ticket_world(think_ms: int) -> dict:
    world = world_data()
    world["latency"] = latency_for(load_profile("turns", think_ms), ["TicketAPI"])
    world["think_ms"] = think_ms
    return world


@pytest.mark.parametrize("think_ms", THINKS)
def test_a_result_is_seen_exactly_k_decisions_after_the_decision_that_made_the_call(think_ms):
    make = CallAction("laptop", "create_ticket", {"title": "x", "description": "y", "priority": 1}, ref="w")
    calls = [make] + [CallAction("cleanup", "get_ticket", {"ticket_id": 1}, ref=f"r{i}") for i in range(6)]
    calls.insert(3, CallAction("vpn", "ticket_login", {"username": "mara", "password": "k3y!"}, ref="l"))
    policy = Script([Decision((c,), 5, None) for c in calls])  # its own think of 5 ms is overridden
    events = run({"world": _ticket_world(think_ms), "policy": {"name": "sequential"}}, 0, policy=policy).events()
    issued = [e for e in events if e["kind"] == "issue"]
    made_by = {e["call_id"]: i for i, e in enumerate(issued)}  # one call per decision, in order
    seen_at = {e.call_id: i for i, obs in enumerate(policy.seen) for e in obs.events if e.kind == "delivered"}
    assert len(seen_at) == len(calls)
    for e in issued:
        k = _decisions(e["tool"])
        # decisions d+1 .. d+K run without the result; decision d+K+1 sees it
        assert seen_at[e["call_id"]] == made_by[e["call_id"]] + k + 1, e["tool"]
    deliver = {e["call_id"]: e["t"] for e in events if e["kind"] == "deliver"}
    assert all(deliver[e["call_id"]] - e["t"] == _decisions(e["tool"]) * think_ms for e in issued)
    acting = [e for e in events if e["kind"] == "decide" and e["actions"]]
    assert acting and all(e["think_ms"] == think_ms for e in acting)


@pytest.fixture(scope="module")
def instance(bfcl_dir):
    suite = build_suite(task_pool(bfcl_dir), 12, seed=3, profile="turns")
    return next(i for i in suite if i["kind"].startswith("tri"))


@pytest.mark.parametrize("policy", ["sequential", "interleave", "critical-path", "eager"])
@pytest.mark.parametrize("think_ms", (3, 400))
def test_every_scripted_policy_thinks_exactly_t_and_every_call_takes_k_times_t(instance, policy, think_ms):
    world = instance_world(instance, "turns", think_ms=think_ms)
    assert world["think_ms"] == think_ms
    events = run({"world": world, "policy": {"name": policy}}, 0).events()
    decides = [e for e in events if e["kind"] == "decide"]
    assert decides and all(e["think_ms"] == think_ms for e in decides if e["actions"])
    assert all(e["think_ms"] in (0, think_ms) for e in decides)  # 0: a pure wait that spent no thought
    deliver = {e["call_id"]: e["t"] for e in events if e["kind"] == "deliver"}
    issued = [e for e in events if e["kind"] == "issue" and e["call_id"] in deliver]
    assert issued
    for e in issued:
        k, rest = divmod(deliver[e["call_id"]] - e["t"], think_ms)
        assert rest == 0 and k >= 1, (e["tool"], deliver[e["call_id"]] - e["t"])


def test_every_tool_of_every_service_has_a_whole_number_of_decisions():
    for think_ms in THINKS:
        latency = load_profile("turns", think_ms)["latency"]
        for service in names("service"):
            for tool in service_class(service).schemas():
                legs = {**latency["default"], **(latency["services"].get(service, {}).get("tools", {}).get(tool, {}))}
                assert legs["service"]["ms"] == legs["response"]["ms"] == 0
                k, rest = divmod(legs["request"]["ms"], think_ms)
                assert rest == 0 and k >= 1, (service, tool)


def test_a_suite_world_source_picks_the_think_time(bfcl_dir, tmp_path):
    path = tmp_path / "s.jsonl"
    suite = build_suite(task_pool(bfcl_dir), 4, seed=1)
    write_suite(suite, path)
    world = resolve_instance(str(path), f"{suite[0]['id']}@turns:250")
    assert world["think_ms"] == 250 and world["profile"] == "turns"
    assert world["latency"]["default"]["request"] == {"dist": "constant", "ms": 250}
    with pytest.raises(SpecError, match="whole number of ms"):
        resolve_instance(str(path), f"{suite[0]['id']}@turns:soon")


def test_only_a_turns_profile_takes_a_think_time():
    with pytest.raises(SpecError, match="no fixed think time"):
        load_profile("saas", 100)
    with pytest.raises(SpecError, match="whole number of ms"):
        load_profile("turns", 0)


def test_a_world_think_time_must_be_a_positive_whole_number():
    data = world_data()
    data["think_ms"] = 0
    with pytest.raises(SpecError):
        parse_world(data)
    data["think_ms"] = 40
    assert parse_world(data).think_ms == 40
