"""Each invariant at its edges, on hand-made runs of a scripted policy."""

from __future__ import annotations

import pytest

from simtool.errors import SpecError
from simtool.policy import CallAction, Decision, Respond, Wait
from simtool.scoring import VIOLATIONS, count_violations, find_violations, register_invariant, score_trace
from simtool.scoring.violations import (
    Offence,
    agent_errors,
    call_on_cancelled_task,
    invariants,
    out_of_order_execution,
    premature_respond,
    revoked_leak,
    same_task_overlap,
    stale_result_used,
    wrong_binding,
    wrong_task_tool,
)

from .helpers import scripted_history, ticket_task, world

QUEUE = [{"id": 1, "title": "a", "description": "", "status": "Open", "priority": 1, "created_by": "ana"}]
GET = "get_ticket(ticket_id=1)"


def get(task: str = "t1", uses: tuple[str, ...] = ()) -> CallAction:
    return CallAction(task, "get_ticket", {"ticket_id": 1}, None, uses)


def two_tasks(**extra):
    return world([ticket_task("t1", [[GET]], counter=2, queue=QUEUE), ticket_task("t2", [[GET]], counter=2, queue=QUEUE)], **extra)


def test_two_calls_of_one_task_in_flight_overlap_but_calls_of_two_tasks_do_not():
    h = scripted_history(two_tasks(), [Decision((get("t1"), get("t2"), get("t1")), 0, Wait())])
    found = same_task_overlap(h)
    assert [(o.task, o.call_ids) for o in found] == [("t1", ("c2", "c0"))]
    assert found[0].event["kind"] == "issue" and found[0].as_dict()["invariant"] == "same_task_overlap"


def test_a_call_issued_after_the_previous_one_was_delivered_does_not_overlap():
    h = scripted_history(two_tasks(), [Decision((get(),), 0, Wait(("c0",))), Decision((get(uses=("c0",)),), 0, Wait())])
    assert same_task_overlap(h) == [] and out_of_order_execution(h) == []


def test_a_later_call_that_executes_first_is_out_of_order():
    w = world([ticket_task("t1", [["create_ticket(title='a')", "close_ticket(ticket_id=1)"]])])
    w["latency"]["services"] = {"TicketAPI": {"tools": {"create_ticket": {"request": 300}}}}
    steps = [Decision((CallAction("t1", "create_ticket", {"title": "a"}), CallAction("t1", "close_ticket", {"ticket_id": 1})), 0, Wait())]
    h = scripted_history(w, steps)
    found = out_of_order_execution(h)
    assert [(o.call_ids, o.event["kind"]) for o in found] == [(("c1", "c0"), "execute")]


def test_an_action_decided_before_the_cancellation_is_not_counted_one_decided_after_is():
    w = two_tasks(faults=[{"at_ms": 50, "kind": "cancel_task", "task": "t1"}])
    steps = [Decision((get(),), 100, None), Decision((get(uses=("c0",)), Respond("t1")), 0, None), Decision((), 0, Wait())]
    h = scripted_history(w, steps)
    assert h.calls["c0"].issue["task_status"] == "cancelled"  # took effect after the cancellation, decided before
    found = call_on_cancelled_task(h)
    assert [(o.action, o.task) for o in found] == [(0, "t1"), (1, "t1")]
    assert agent_errors(h) == []  # the answer to the cancelled task is not a malformed action
    # c0 was delivered stale (refused: task cancelled); the call uses it, the answer (no uses) saw it
    assert [(o.action, o.call_ids) for o in stale_result_used(h)] == [(0, ("c0",)), (1, ("c0",))]


def test_a_stale_result_counts_through_uses_or_for_actions_without_uses_through_what_the_decision_saw():
    amend = {"at_ms": 50, "kind": "amend", "task": "t1", "request": "again", "gold": [GET]}
    w = world([ticket_task("t1", [[GET, GET]], counter=2, queue=QUEUE)], faults=[amend])
    steps = [
        Decision((get(),), 0, Wait(("c0",))),  # c0 is issued for epoch 0, delivered at 200 after the amendment
        Decision((), 0, Wait(("c0",))),  # woken by the amendment; wait on
        Decision((get(),), 0, Wait()),  # saw c0's stale delivery, acts on t1 with no uses: counted
        Decision((get(uses=("c2",)),), 0, Wait()),  # relies on a fresh result only: not counted
        Decision((Respond("t1", uses=("c0",)),), 0, Wait()),  # relies on c0: counted
    ]
    h = scripted_history(w, steps)
    assert h.calls["c0"].deliver["stale"] is True
    found = stale_result_used(h)
    assert [(o.event["decision"], o.call_ids) for o in found] == [(2, ("c0",)), (4, ("c0",))]
    assert "saw" in found[0].why and "uses" in found[1].why


def test_a_result_delivered_after_its_permission_was_revoked_leaks():
    w = world([ticket_task("t1", [[GET]], counter=2, queue=QUEUE)], faults=[{"at_ms": 150, "kind": "revoke", "scope": "ticketing.read"}])
    h = scripted_history(w, [Decision((get(),), 0, Wait()), Decision((), 0, Wait())])
    assert [o.call_ids for o in revoked_leak(h)] == [("c0",)]


def test_a_tool_of_another_task_is_a_wrong_task_tool_not_an_agent_error():
    msg = {"id": "m", "services": ["MessageAPI"], "turns": [{"request": "r", "gold": ["list_users()"]}]}
    w = world([ticket_task("t1", [[GET]], counter=2, queue=QUEUE), msg])
    h = scripted_history(w, [Decision((CallAction("t1", "list_users", {}),), 0, Wait())])
    assert [o.task for o in wrong_task_tool(h)] == ["t1"] and agent_errors(h) == []


def test_malformed_calls_are_agent_errors():
    h = scripted_history(two_tasks(), [Decision((CallAction("t1", "get_ticket", {"ticket_id": "one"}), CallAction("t1", "no_such_tool", {})), 0, Wait())])
    assert [o.event["reason"] for o in agent_errors(h)] == ["bad_arguments", "unknown_tool"]


def test_answering_before_a_call_executed_is_premature():
    h = scripted_history(two_tasks(), [Decision((get(), Respond("t1")), 0, Wait())])
    assert [(o.task, o.call_ids) for o in premature_respond(h)] == [("t1", ("c0",))]


def test_using_a_result_of_another_task_is_a_wrong_binding():
    steps = [Decision((get("t1"), get("t2")), 0, Wait()), Decision((Respond("t1", uses=("c1",)), Respond("t2", uses=("c1",))), 0, Wait())]
    h = scripted_history(two_tasks(), steps)
    found = wrong_binding(h)
    assert [(o.task, o.call_ids) for o in found] == [("t1", ("c1",))]


def test_a_clean_run_has_no_violation_and_every_builtin_is_registered():
    steps = [Decision((get(),), 0, Wait(("c0",))), Decision((Respond("t1"),), 0, None), Decision((), 0, Wait())]
    h = scripted_history(world([ticket_task("t1", [[GET]], counter=2, queue=QUEUE)]), steps)
    assert count_violations(h) == dict.fromkeys(VIOLATIONS, 0)
    # same_task_overlap stays registered (parallel_calls counts it) but is not a violation
    assert "same_task_overlap" in invariants() and "same_task_overlap" not in VIOLATIONS
    assert tuple(n for n in invariants() if n != "same_task_overlap")[: len(VIOLATIONS)] == VIOLATIONS


def test_a_user_registered_invariant_is_reported_by_name_and_in_scores():
    def slow_delivery(h):
        return [Offence("slow_delivery", c.deliver["seq"], c.deliver["t"], c.task, "late", c.deliver)
                for c in h.calls.values() if c.deliver is not None and c.deliver["t"] - c.issue["t"] > 150]

    register_invariant("slow_delivery", slow_delivery)
    try:
        with pytest.raises(SpecError, match="already registered"):
            register_invariant("slow_delivery", slow_delivery)
        h = scripted_history(two_tasks(), [Decision((get(),), 0, Wait())])
        assert len(find_violations(h, ("slow_delivery",))["slow_delivery"]) == 1
        assert score_trace(h)["violations"]["slow_delivery"] == 1
        with pytest.raises(SpecError, match="unknown invariant"):
            find_violations(h, ("no_such_invariant",))
    finally:
        from simtool.scoring import unregister_invariant

        unregister_invariant("slow_delivery")


def test_the_invariant_decorator_refuses_a_name_already_registered():
    from simtool.scoring import defines_invariant, invariant_table

    before = invariant_table()
    with pytest.raises(SpecError, match="already registered"):
        defines_invariant("wrong_binding")(lambda h: [])
    assert invariant_table() == before
    names = [i.name for i in before]
    assert len(names) == len(set(names))


def test_a_score_counts_the_scored_invariants_only_and_the_hunts_narrower_ones_are_apart():
    import simtool.hunting  # noqa: F401  (registers the hunt's checks)
    from simtool.scoring import invariant_table

    table = {i.name: i for i in invariant_table()}
    for name, narrows in (("stale_result_relied_on", "stale_result_used"), ("leaked_result_relied_on", "revoked_leak"),
                          ("out_of_order_wrong_state", "out_of_order_execution")):
        assert not table[name].scored and table[name].hunted and table[name].narrows == narrows
        assert table[narrows].scored and not table[narrows].hunted
    steps = [Decision((get(),), 0, Wait(("c0",))), Decision((Respond("t1"),), 0, None), Decision((), 0, Wait())]
    h = scripted_history(world([ticket_task("t1", [[GET]], counter=2, queue=QUEUE)]), steps)
    assert tuple(count_violations(h)) == VIOLATIONS
