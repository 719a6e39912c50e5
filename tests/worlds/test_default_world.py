"""The default world: three cross-domain tasks with saas latencies, an amendment, a revocation
and a cancellation; what `simtool run` prints for it is walked through in docs/default-world.md."""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from simtool.config import load_world_source, run_config
from simtool.latency import LatencyModel
from simtool.registry import names, service_class
from simtool.run import run
from worlds.profiles import latency_for, load_profile

POLICIES = ("sequential", "interleave", "critical-path", "eager", "unbound", "oblivious")


def _run(policy: str, world: dict | None = None, seed: int = 0) -> list[dict]:
    config, where = run_config(None, policy)
    if world is not None:
        config["world"] = world
    return run(config, seed, None, where).events()


def _passed(events: list[dict]) -> Counter:
    return Counter(e["task"] for e in events if e["kind"] == "respond" and e["state_ok"] and e["results_ok"])


def test_default_is_a_cross_domain_instance_of_three_tasks_with_the_three_kinds_of_event():
    world, _ = load_world_source(None)
    services = [t["services"] for t in world["tasks"]]
    assert services == [["TravelAPI"], ["TradingBot"], ["GorillaFileSystem"]]
    assert [f["kind"] for f in world["faults"]] == ["amend", "revoke", "cancel_task"]


def test_default_latency_is_the_saas_profile_for_its_services():
    world, _ = load_world_source(None)
    ours = LatencyModel(world["latency"])
    services = [t["services"][0] for t in world["tasks"]]
    saas = LatencyModel(latency_for(load_profile("saas"), services))
    def shape(model: LatencyModel, service: str, tool: str) -> list[tuple[str, float]]:
        legs = model.legs(service, tool)
        return [(d.kind, d.mean) for d in (legs.request, legs.service, legs.response)]

    for service in services:
        for tool in service_class(service).schemas():
            assert shape(ours, service, tool) == shape(saas, service, tool), (service, tool)


@pytest.mark.parametrize("policy", POLICIES)
def test_every_scripted_policy_finishes(policy):
    events = _run(policy)
    end = next(e for e in events if e["kind"] == "end")
    assert end["reason"] == "all_done"


def test_interleave_passes_every_sub_task_the_faults_leave_passable():
    events = _run("interleave")
    # on seed 0 the cancellation at 2100 ms comes before any correct policy can finish the
    # paperwork's first turn: three sub-tasks are left passable, and no correct policy passes more
    assert _passed(events) == {"conference-trip": 2, "rebalance": 1}
    for other in ("sequential", "critical-path"):
        assert not _passed(_run(other)) - _passed(events), other
    failed = [e for e in events if e["kind"] == "respond" and not (e["state_ok"] and e["results_ok"])]
    # the only failure answers the revocation: cancel_order needs trading.write
    assert [(e["task"], e["turn"]) for e in failed] == [("rebalance", 1)]
    assert "permission trading.write was revoked" in failed[0]["text"]
    cancels = [(e["task"], e["phase"]) for e in events if e["kind"] == "cancel"]
    assert cancels == [("conference-trip", "before_execution"), ("rebalance", "before_execution"), ("trip-paperwork", "before_execution")]
    end = next(e for e in events if e["kind"] == "end")
    assert end["tasks"]["trip-paperwork"]["status"] == "cancelled" and end["tasks"]["trip-paperwork"]["turn"] == 0


def test_sequential_loses_the_work_the_events_cut_off_and_takes_longer():
    sequential, interleave = _run("sequential"), _run("interleave")
    assert _passed(sequential) == {"conference-trip": 2}
    assert sequential[-2]["t"] > interleave[-2]["t"]


def test_faulty_policies_show_their_failure_modes():
    eager = _run("eager")
    assert _passed(eager)["trip-paperwork"] == 0  # cd into 'summit' ran before mkdir made it
    oblivious = _run("oblivious")
    assert _passed(oblivious)["conference-trip"] == 0  # booked economy after the amendment
    assert sum(e["leak"] for e in oblivious if e["kind"] == "deliver") == 1
    assert any(e["kind"] == "refuse" and e["reason"] == "task_cancelled" for e in oblivious)


def test_without_faults_interleave_passes_every_sub_task_including_the_amended_path():
    world, _ = load_world_source(None)
    plain = copy.deepcopy(world)
    plain.pop("faults")
    plain.pop("policy")
    assert _passed(_run("interleave", plain)) == {"conference-trip": 2, "rebalance": 2, "trip-paperwork": 3}
    amended = copy.deepcopy(plain)
    amend = world["faults"][0]
    amended["tasks"][0]["turns"][0] = {"request": amend["request"], "gold": amend["gold"]}
    assert _passed(_run("interleave", amended))["conference-trip"] == 2


def test_the_registered_default_and_ticketing_demo_worlds_load():
    assert {"default", "ticketing-demo"} <= set(names("world"))
    world, _ = load_world_source("ticketing-demo")
    assert world["name"] == "ticketing-demo"
