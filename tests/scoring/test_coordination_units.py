"""Coordination metrics on hand-made runs: the worked examples of docs/metrics.md."""

from __future__ import annotations

from simtool.policy import CallAction, Decision, Respond, Wait
from simtool.scoring import score_trace
from simtool.scoring.coordination import coordination

from .helpers import scripted_history, ticket_task, world

QUEUE = [{"id": 1, "title": "a", "description": "", "status": "Open", "priority": 1, "created_by": "ana"}]
GET = "get_ticket(ticket_id=1)"


def two_tasks(**extra):
    return world([ticket_task("A", [[GET]], counter=2, queue=QUEUE), ticket_task("B", [[GET]], counter=2, queue=QUEUE)], **extra)


def get(task: str) -> CallAction:
    return CallAction(task, "get_ticket", {"ticket_id": 1})


def test_a_blocking_agent_idles_while_the_other_task_is_ready():
    steps = [
        Decision((get("A"),), 20, Wait(("c0",))),  # A's call in flight 20..220
        Decision((Respond("A"),), 20, None),  # A answered at 240
        Decision((get("B"),), 20, Wait(("c1",))),  # B's call in flight 260..460
        Decision((Respond("B"),), 20, None),
    ]
    c = coordination(scripted_history(two_tasks(), steps))
    assert c["idle_ready_ms"] == 200  # 20..220: B could proceed
    assert (c["makespan_ms"], c["think_ms"], c["lower_bound_ms"], c["sequential_ms"]) == (480, 80, 200, 400)
    assert c["coordination_efficiency"] == 200 / 480
    assert (c["task_switches"], c["same_task_streak"], c["longest_streak"]) == (1, 2.0, 2)


def test_an_interleaving_agent_never_idles_while_work_is_ready():
    steps = [
        Decision((get("A"),), 20, None),
        Decision((get("B"),), 20, Wait(("c0",))),
        Decision((Respond("A"),), 20, Wait(("c1",))),
        Decision((Respond("B"),), 20, None),
    ]
    c = coordination(scripted_history(two_tasks(), steps))
    assert c["idle_ready_ms"] == 0
    assert c["task_switches"] == 3 and c["same_task_streak"] == 1.0


def test_an_amendment_raises_the_bound_and_a_cancellation_caps_it():
    amend = {"at_ms": 300, "kind": "amend", "task": "A", "request": "again", "gold": [GET]}
    cancel = {"at_ms": 50, "kind": "cancel_task", "task": "B"}
    h = scripted_history(two_tasks(faults=[amend, cancel]), [
        Decision((), 0, Wait((), 1000)),  # woken by the cancellation at 50
        Decision((), 0, Wait((), 1000)),  # woken by the amendment at 300
        Decision((Respond("A"),), 0, None),
    ])
    s = score_trace(h)
    assert s["tasks"]["A"]["chain_ms"] == 200 and s["tasks"]["B"]["chain_ms"] == 200
    assert s["lower_bound_ms"] == 300 + 200  # A's new gold could not start before the amendment
    assert s["sequential_ms"] == 400
    assert s["tasks"]["B"]["subtasks"] == ["cancelled"]
