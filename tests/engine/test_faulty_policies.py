"""Each faulty policy falls into its own failure on a crafted world where a correct policy passes."""

from __future__ import annotations

import json

import pytest

from simtool.run import run

from .helpers import of, ticket_task, world

NO_THINK = {"think": 0}


def events(world_spec, policy: str, seed: int = 0):
    result = run({"world": world_spec, "policy": {"name": policy, **NO_THINK}}, seed)
    return [json.loads(line) for line in result.lines]


def all_passed(ev) -> bool:
    responds = of(ev, "respond")
    return bool(responds) and all(r["state_ok"] and r["results_ok"] for r in responds)


# eager: a slow create followed by a fast close of the same ticket; issued back to back, the
# close arrives first and fails, so the ticket stays open.
EAGER_WORLD = world(
    [ticket_task("t1", ["create_ticket(title='printer')", "close_ticket(ticket_id=1)"])],
    tools={"create_ticket": {"request": 300}, "close_ticket": {"request": 50}},
)

# unbound: t1's result comes back slowly, t2's quickly; both execute before either is delivered.
UNBOUND_WORLD = world(
    [ticket_task("t1", ["create_ticket(title='vpn')"]),
     ticket_task("t2", ["get_ticket(ticket_id=7)"], queue=[{"id": 7, "title": "old", "status": "Open"}])],
    tools={"create_ticket": {"request": 50, "response": 400}, "get_ticket": {"request": 50, "response": 50}},
)

# oblivious: a task cancelled mid-way, a write scope revoked while a write is in flight, and an amendment.
OBLIVIOUS_WORLD = world(
    [ticket_task("gone", ["create_ticket(title='a')", "create_ticket(title='b')"]),
     ticket_task("locked", ["create_ticket(title='c')"]),
     ticket_task("changed", ["create_ticket(title='d')"])],
    faults=[
        {"at_ms": 120, "kind": "cancel_task", "task": "gone"},
        {"at_ms": 150, "kind": "revoke", "scope": "ticketing.write", "task": "locked"},
        {"at_ms": 160, "kind": "amend", "task": "changed", "request": "title e instead", "gold": ["create_ticket(title='e')"]},
    ],
)


@pytest.mark.parametrize("policy", ["interleave", "sequential", "critical-path"])
def test_correct_policies_pass_the_eager_and_unbound_worlds(policy):
    for w in (EAGER_WORLD, UNBOUND_WORLD):
        ev = events(w, policy)
        assert all_passed(ev), [r for r in of(ev, "respond")]


def test_eager_overlaps_calls_and_executes_them_out_of_order():
    ev = events(EAGER_WORLD, "eager")
    issues = of(ev, "issue")
    assert issues[1]["t"] < of(ev, "deliver", call_id=issues[0]["call_id"])[0]["t"]  # overlap
    assert [e["call_id"] for e in of(ev, "execute")] == [issues[1]["call_id"], issues[0]["call_id"]]
    assert of(ev, "respond")[0]["state_ok"] is False


def test_unbound_binds_results_to_the_wrong_task():
    ev = events(UNBOUND_WORLD, "unbound")
    owner = {e["call_id"]: e["task"] for e in of(ev, "issue")}
    responds = of(ev, "respond")
    assert any(owner[c] != r["task"] for r in responds for c in r["uses"])
    assert not all(r["results_ok"] for r in responds)
    assert all(r["pending"] == [] for r in responds)  # not premature: the failure is the binding


def test_oblivious_acts_on_cancelled_tasks_leaks_and_uses_stale_results():
    good = events(OBLIVIOUS_WORLD, "interleave")
    assert of(good, "issue", task_status="cancelled") == []
    assert not any(d["leak"] for d in of(good, "deliver"))
    assert of(ev := events(OBLIVIOUS_WORLD, "oblivious"), "issue", task_status="cancelled")
    assert any(d["leak"] for d in of(ev, "deliver"))
    stale = {d["call_id"] for d in of(ev, "deliver") if d["stale"]}
    used = [a for d in of(ev, "decide") for a in d["actions"] if set(a.get("uses") or ()) & stale]
    assert stale and used
    good_stale = {d["call_id"] for d in of(good, "deliver") if d["stale"]}
    assert not [a for d in of(good, "decide") for a in d["actions"] if set(a.get("uses") or ()) & good_stale]
