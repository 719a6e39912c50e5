"""Properties of every run, over generated worlds, policies and seeds (Hypothesis).

Every issued call ends exactly once (delivered, timed out, or cancelled while in flight) or is
still in flight at the end; it executes at most once, never after being withdrawn before
execution; time never goes back; the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simtool.run import run

from .helpers import ticket_task, world
from .strategies import draw_faults_and_options, legs

POLICIES = ["sequential", "interleave", "critical-path", "parallel", "eager", "neglectful", "confused", "unbound", "oblivious"]



@st.composite
def scenarios(draw):
    n_tasks = draw(st.integers(1, 3))
    tasks = []
    for k in range(n_tasks):
        n_calls = draw(st.integers(1, 3))
        gold = [f"create_ticket(title='t{k}-{i}')" for i in range(n_calls)]
        if draw(st.booleans()):
            gold.append("close_ticket(ticket_id=1)")
        tasks.append(ticket_task(f"t{k}", gold))
    extra = draw_faults_and_options(draw, n_tasks)
    if draw(st.booleans()):
        extra["default_timeout_ms"] = draw(st.integers(50, 400))
    spec = world(tasks, request=draw(legs), service=draw(legs), response=draw(legs), **extra)
    policy = {"name": draw(st.sampled_from(POLICIES)), "think": draw(st.integers(0, 40))}
    return {"world": spec, "policy": policy}, draw(st.integers(0, 2**31))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_call_lives_one_well_formed_life(case):
    config, seed = case
    result = run(config, seed)
    events = [json.loads(line) for line in result.lines[1:-1]]
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert all(a["t"] <= b["t"] for a, b in zip(events, events[1:]))
    issued = [e["call_id"] for e in events if e["kind"] == "issue"]
    assert len(issued) == len(set(issued))
    executed = Counter(e["call_id"] for e in events if e["kind"] == "execute")
    assert all(n == 1 for n in executed.values())
    endings = Counter()
    withdrawn = set()
    for e in events:
        if e["kind"] in ("deliver", "timeout"):
            endings[e["call_id"]] += 1
        elif e["kind"] == "cancel" and e["phase"] in ("before_execution", "after_execution"):
            endings[e["call_id"]] += 1
            if e["phase"] == "before_execution":
                withdrawn.add(e["call_id"])
        elif e["kind"] == "execute":
            assert e["call_id"] not in withdrawn
    in_flight = set(events[-1]["in_flight"])
    for call_id in issued:
        assert endings[call_id] + (call_id in in_flight) == 1, call_id
    assert events[-1]["kind"] == "end"
    assert run(config, seed).lines == result.lines
