"""A call's life at its edges: cancel before/after execution/after delivery, timeouts, order, capacity, limits, outages."""

from __future__ import annotations

from simtool.policy import CallAction, Cancel, Decision, Respond, Wait

from .helpers import of, run_script, ticket_task, world

CREATE = "create_ticket(title='a')"


def call(tool: str = "create_ticket", task: str = "t1", timeout: int | None = None, **args):
    return CallAction(task, tool, args or {"title": "a"}, timeout)


def test_cancel_before_execution_has_no_effect():
    w = world([ticket_task("t1", [CREATE])])
    _, ev, _ = run_script(w, [Decision((call(),)), Decision((Cancel("c0"),)), Decision((Respond("t1"),))])
    assert of(ev, "cancel")[0]["phase"] == "before_execution"
    assert of(ev, "execute") == [] and of(ev, "deliver") == []
    respond = of(ev, "respond")[0]
    assert respond["state_ok"] is False and "TicketAPI.ticket_queue" in respond["state_diff"]


def test_cancel_after_execution_keeps_the_effect_and_says_so():
    w = world([ticket_task("t1", [CREATE])])
    steps = [Decision((call(),), 0, Wait((), 150)), Decision((Cancel("c0"),), 0, Wait((), 500)), Decision((Respond("t1"),))]
    _, ev, _ = run_script(w, steps)
    cancel = of(ev, "cancel")[0]
    assert (cancel["phase"], cancel["executed"], cancel["t"]) == ("after_execution", True, 150)
    assert of(ev, "execute")[0]["t"] == 100 and of(ev, "deliver") == []
    assert of(ev, "respond")[0]["state_ok"] is True


def test_cancel_after_delivery_is_a_recorded_no_op():
    w = world([ticket_task("t1", [CREATE])])
    steps = [Decision((call(),), 0, Wait(("c0",))), Decision((Cancel("c0"),)), Decision((Respond("t1"),))]
    _, ev, _ = run_script(w, steps)
    assert of(ev, "deliver")[0]["t"] == 200
    assert of(ev, "cancel")[0]["phase"] == "after_delivery"
    assert of(ev, "respond")[0]["state_ok"] is True


def test_timeout_before_execution_withdraws_the_call():
    w = world([ticket_task("t1", [CREATE])])
    _, ev, policy = run_script(w, [Decision((call(timeout=50),), 0, Wait(("c0",))), Decision((Respond("t1"),))])
    timeout = of(ev, "timeout")[0]
    assert (timeout["t"], timeout["executed"]) == (50, False)
    assert of(ev, "execute") == []
    assert policy.seen[1].calls["c0"].status == "timeout"


def test_timeout_after_execution_records_the_effect():
    w = world([ticket_task("t1", [CREATE])])
    _, ev, _ = run_script(w, [Decision((call(timeout=150),), 0, Wait(("c0",))), Decision((Respond("t1"),))])
    assert of(ev, "execute")[0]["t"] == 100
    timeout = of(ev, "timeout")[0]
    assert (timeout["t"], timeout["executed"]) == (150, True)
    assert of(ev, "deliver") == [] and of(ev, "respond")[0]["state_ok"] is True


def test_calls_of_one_task_execute_in_arrival_order_not_issue_order():
    slow_create = {"create_ticket": {"request": 300}, "close_ticket": {"request": 50}}
    w = world([ticket_task("t1", [CREATE, "close_ticket(ticket_id=1)"])], tools=slow_create)
    steps = [Decision((call(), call("close_ticket", ticket_id=1)), 0, Wait()), Decision((), 0, Wait()), Decision((Respond("t1"),))]
    _, ev, _ = run_script(w, steps)
    executed = [(e["call_id"], e["order"], e["outcome"]) for e in of(ev, "execute")]
    assert executed == [("c1", 1, "error"), ("c0", 2, "ok")]
    assert of(ev, "respond")[0]["state_ok"] is False


def test_capacity_queues_calls_at_the_service():
    w = world([ticket_task("t1", [CREATE]), ticket_task("t2", [CREATE])], service=200, services={"TicketAPI": {"capacity": 1}})
    steps = [Decision((call(task="t1"), call(task="t2")), 0, Wait()), Decision((), 0, Wait())]
    _, ev, _ = run_script(w, steps)
    execs = of(ev, "execute")
    assert [(e["task"], e["t"], e["queued_ms"]) for e in execs] == [("t1", 300, 0), ("t2", 500, 200)]


def test_rate_limit_refuses_with_retry_after():
    w = world([ticket_task(f"t{i}", [CREATE]) for i in (1, 2, 3)], services={"TicketAPI": {"rate_limit": {"calls": 2, "per_ms": 1000}}})
    steps = [Decision(tuple(call(task=f"t{i}") for i in (1, 2, 3)), 0, Wait()), Decision((), 0, Wait()), Decision((), 0, Wait())]
    _, ev, _ = run_script(w, steps)
    refused = of(ev, "refuse")
    assert len(refused) == 1 and refused[0]["reason"] == "rate_limited"
    assert refused[0]["result"]["retry_after_ms"] == 1000
    assert [e["outcome"] for e in of(ev, "deliver")] == ["ok", "ok", "error"]


def test_outage_window_refuses_calls_arriving_inside_it():
    w = world([ticket_task("t1", [CREATE])], services={"TicketAPI": {"outages": [{"start_ms": 50, "end_ms": 400}]}})
    _, ev, _ = run_script(w, [Decision((call(),), 0, Wait()), Decision((Respond("t1"),))])
    refused = of(ev, "refuse")[0]
    assert refused["reason"] == "outage" and refused["result"]["retry_after_ms"] == 300
    assert of(ev, "execute") == []


def test_outage_fault_and_world_cancellation():
    w = world([ticket_task("t1", [CREATE]), ticket_task("t2", [CREATE])],
              faults=[{"at_ms": 10, "kind": "outage", "service": "TicketAPI", "duration_ms": 50},
                      {"at_ms": 20, "kind": "cancel_task", "task": "t2"}])
    steps = [Decision((call(task="t1"), call(task="t2")), 0, Wait()), Decision((), 0, Wait()), Decision((), 0, Wait())]
    _, ev, policy = run_script(w, steps)
    assert [e["fault"] for e in of(ev, "fault")] == ["outage", "cancel_task"]
    cancel = of(ev, "cancel")[0]
    assert (cancel["call_id"], cancel["by"], cancel["phase"]) == ("c1", "world", "before_execution")
    assert of(ev, "execute")[0]["call_id"] == "c0"  # arrived at 100, after the outage ended at 60
    assert any(e.kind == "task_cancelled" for o in policy.seen for e in o.events)


def test_revocation_is_recorded_at_issue_and_delivery_and_a_late_result_leaks():
    w = world([ticket_task("t1", [CREATE])], faults=[{"at_ms": 150, "kind": "revoke", "scope": "ticketing.write", "task": "t1"}])
    # the revocation (150 ms) wakes the policy before the delivery (200 ms): it waits once more
    _, ev, _ = run_script(w, [Decision((call(),), 0, Wait()), Decision((), 0, Wait(("c0",))), Decision((Respond("t1"),))])
    issue, deliver = of(ev, "issue")[0], of(ev, "deliver")[0]
    assert "ticketing.write" in issue["perms"] and "ticketing.write" not in deliver["perms"]
    assert deliver["leak"] is True


def test_enforcement_at_delivery_withholds_instead_of_leaking():
    w = world([ticket_task("t1", [CREATE])], enforcement="delivery",
              faults=[{"at_ms": 150, "kind": "revoke", "scope": "ticketing.write", "task": "t1"}])
    _, ev, _ = run_script(w, [Decision((call(),), 0, Wait()), Decision((), 0, Wait(("c0",))), Decision((Respond("t1"),))])
    deliver = of(ev, "deliver")[0]
    assert (deliver["leak"], deliver["withheld"], deliver["outcome"]) == (False, True, "error")


def test_enforcement_at_issue_denies_a_revoked_scope():
    w = world([ticket_task("t1", [CREATE])], faults=[{"at_ms": 0, "kind": "revoke", "scope": "ticketing.write"}])
    _, ev, _ = run_script(w, [Decision((), 0, Wait((), 5)), Decision((call(),), 0, Wait()), Decision((Respond("t1"),))])
    assert of(ev, "refuse")[0]["reason"] == "permission" and of(ev, "execute") == []


def test_amendment_makes_in_flight_results_stale():
    w = world([ticket_task("t1", [CREATE])],
              faults=[{"at_ms": 50, "kind": "amend", "task": "t1", "request": "title b", "gold": ["create_ticket(title='b')"]}])
    _, ev, _ = run_script(w, [Decision((call(),), 0, Wait(("c0",))), Decision((), 0, Wait(("c0",))), Decision((Respond("t1"),))])
    starts = of(ev, "subtask_start")
    assert [(s["reason"], s["epoch"]) for s in starts] == [("start", 0), ("amend", 1)]
    deliver = of(ev, "deliver")[0]
    assert (deliver["stale"], deliver["stale_reason"]) == (True, "amended")


def test_malformed_actions_are_agent_errors_and_the_run_goes_on():
    w = world([ticket_task("t1", [CREATE])])
    bad = (CallAction("t1", "no_such_tool", {}), CallAction("t9", "create_ticket", {"title": "a"}),
           CallAction("t1", "create_ticket", {"title": 5}), Cancel("c42"))
    _, ev, _ = run_script(w, [Decision(bad), Decision((call(),), 0, Wait()), Decision((Respond("t1"),))])
    assert [e["reason"] for e in of(ev, "agent_error")] == ["unknown_tool", "unknown_task", "bad_arguments", "unknown_call"]
    assert of(ev, "respond")[0]["state_ok"] is True and of(ev, "end")[0]["reason"] == "all_done"


def test_think_time_is_charged_before_actions_take_effect():
    w = world([ticket_task("t1", [CREATE])])
    _, ev, _ = run_script(w, [Decision((call(),), 70, Wait()), Decision((Respond("t1"),))])
    assert of(ev, "decide")[0]["t"] == 0 and of(ev, "issue")[0]["t"] == 70
    assert of(ev, "end")[0]["think_ms"] == 70


def test_a_policy_that_waits_forever_ends_the_run_as_stalled():
    w = world([ticket_task("t1", [CREATE])])
    result, ev, _ = run_script(w, [Decision((), 0, Wait())])
    assert result.end_reason == "stalled" and of(ev, "end")[0]["tasks"]["t1"]["status"] == "active"


def test_a_call_cancelled_while_queued_leaves_the_queue_at_once():
    w = world([ticket_task(f"t{i}", [CREATE]) for i in (1, 2, 3)], service=200, services={"TicketAPI": {"capacity": 1}})
    calls = tuple(call(task=f"t{i}") for i in (1, 2, 3))
    steps = [Decision(calls, 0, Wait((), 150)), Decision((Cancel("c1"),), 0, Wait()), Decision((), 0, Wait()), Decision((), 0, Wait())]
    _, ev, _ = run_script(w, steps)
    assert of(ev, "cancel")[0]["phase"] == "before_execution"
    # t3 moves up behind t1 instead of waiting out the withdrawn call's slot
    assert [(e["task"], e["t"]) for e in of(ev, "execute")] == [("t1", 300), ("t3", 500)]


def test_a_granted_scope_lets_calls_through_again_and_both_events_reach_the_policy():
    w = world([ticket_task("t1", [CREATE, CREATE])],
              faults=[{"at_ms": 0, "kind": "revoke", "scope": "ticketing.write", "task": "t1"},
                      {"at_ms": 50, "kind": "grant", "scope": "ticketing.write", "task": "t1"}])
    steps = [Decision((call(),), 0, Wait((), 10)), Decision((), 0, Wait((), 100)), Decision((call(),), 0, Wait(("c1",))),
             Decision((), 0, Wait(("c1",)))]
    _, ev, policy = run_script(w, steps)
    issues = of(ev, "issue")
    assert "ticketing.write" not in issues[0]["perms"] and "ticketing.write" in issues[1]["perms"]
    assert of(ev, "refuse")[0]["call_id"] == "c0" and [e["call_id"] for e in of(ev, "execute")] == ["c1"]
    kinds = [e.kind for o in policy.seen for e in o.events]
    assert "revoked" in kinds and "granted" in kinds
    assert policy.seen[-1].task("t1").permissions == ("ticketing.read", "ticketing.write")
