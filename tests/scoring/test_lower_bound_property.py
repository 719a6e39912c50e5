"""The lower bound is a true bound: no correct policy scores coordination efficiency above 1,
on generated worlds (Hypothesis) and on every world the project ships, on any seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simtool.run import run, run_source
from simtool.scoring import score_trace, trace_from_lines
from tests.engine.helpers import ticket_task, world
from tests.engine.strategies import draw_faults_and_options, legs

CORRECT = ["sequential", "interleave", "critical-path", "parallel"]
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(str(p) for p in (ROOT / "worlds" / "specs").glob("*.yaml")) + sorted(
    str(p) for p in (ROOT / "tests" / "scoring" / "worlds").glob("*.yaml"))

# reads and writes of one service, and reads of another: partial orders of every shape
TICKET_1 = {"id": 1, "title": "one", "description": "", "status": "Open", "priority": 1, "created_by": "ana"}
STEPS = ["create_ticket(title='x{k}')", "get_ticket(ticket_id=1)", "add(a=1{k}, b=2)", "multiply(a=3{k}, b=4)"]


@st.composite
def scenarios(draw):
    n_tasks = draw(st.integers(1, 3))
    tasks = []
    for k in range(n_tasks):
        turns = []
        for _ in range(draw(st.integers(1, 2))):
            turns.append([draw(st.sampled_from(STEPS)).format(k=i) for i in range(draw(st.integers(1, 4)))])
        # ticket 1 exists from the start, so every generated gold path replays without an error
        # (a world whose gold errors is refused when parsed)
        task = ticket_task(f"t{k}", turns[0], turns=turns, counter=2, queue=[TICKET_1])
        task["services"] = ["TicketAPI", "MathAPI"]
        tasks.append(task)
    extra = draw_faults_and_options(draw, n_tasks)
    spec = world(tasks, request=draw(legs), service=draw(legs), response=draw(legs), **extra)
    policy = {"name": draw(st.sampled_from(CORRECT)), "think": draw(st.integers(0, 40))}
    return {"world": spec, "policy": policy}, draw(st.integers(0, 2**31))


def efficiency(lines) -> float:
    return score_trace(trace_from_lines(lines))["coordination_efficiency"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_correct_policy_beats_the_bound_on_generated_worlds(case):
    config, seed = case
    assert efficiency(run(config, seed).lines) <= 1.0, (config, seed)


@pytest.mark.parametrize("policy", CORRECT)
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: Path(p).stem)
def test_no_correct_policy_beats_the_bound_on_shipped_worlds(path, policy):
    for seed in range(25):
        assert efficiency(run_source(path, policy, seed, ()).lines) <= 1.0, (path, policy, seed)


def test_an_amendment_in_the_agents_think_time_draws_after_the_calls_it_had_decided():
    # interleave decides create_ticket at 0 and thinks 10 ms; the amendment lands at 5: the old
    # call is issued at 10 (occurrence 0), so the amended gold's create_ticket is occurrence 1,
    # the agent's own next one, and not the latency the old call took
    task = ticket_task("t", ["create_ticket(title='a')"])
    spec = world([task], request={"dist": "lognormal", "median": 100, "sigma": 0.8}, service=10, response=50,
                 faults=[{"at_ms": 5, "kind": "amend", "task": "t", "request": "b instead", "gold": ["create_ticket(title='b')"]}])
    lines = run({"world": spec, "policy": {"name": "interleave", "think": {"dist": "constant", "ms": 10}}}, 0).lines
    events = [json.loads(line) for line in lines]
    (amended,) = [e for e in events if e["kind"] == "subtask_start" and e["reason"] == "amend"]
    issued = {e["occurrence"]: e for e in events if e["kind"] == "issue"}
    assert issued[0]["t"] > amended["t"] and issued[1]["args"] == {"title": "b"}
    legs = [(g["req_ms"], g["svc_ms"], g["resp_ms"]) for g in amended["gold"]]
    assert legs == [(issued[1]["req_ms"], issued[1]["svc_ms"], issued[1]["resp_ms"])]
    assert legs != [(issued[0]["req_ms"], issued[0]["svc_ms"], issued[0]["resp_ms"])]
    assert efficiency(lines) <= 1.0
