"""``explain``: each violation kind, on the crafted worlds under the faulty policies or on
hand-made runs, names the right calls and, at a wrong answer, the state difference."""

from __future__ import annotations

import json

import pytest

from simtool.errors import SpecError
from simtool.explain import Difference, differences, explain
from simtool.policy import CallAction, Decision, Respond, Wait
from simtool.run import run_source
from simtool.scoring import count_violations, history_of, trace_from_lines
from tests.scoring.helpers import scripted_history, ticket_task, world, world_path

QUEUE = [{"id": 1, "title": "a", "description": "", "status": "Open", "priority": 1, "created_by": "ana"}]
GET = "get_ticket(ticket_id=1)"


def crafted(name: str, policy: str, seed: int = 0):
    return explain(run_source(world_path(name), policy, seed).lines)


def only(explanation, invariant):
    return [v for v in explanation.violations if v.invariant == invariant]


def test_out_of_order_execution_names_the_overtaking_call_and_the_wrong_state():
    e = crafted("eager-race", "eager")
    (v,) = only(e, "out_of_order_execution")
    assert v.call_ids == ("c2", "c0") and v.task == "triage" and v.race
    assert "c2 executed first, at 100 ms" in v.chain[2] and "error" in v.chain[2] and "changed nothing" in v.chain[2]
    assert v.chain[3].startswith("c0 executed at 324 ms") and "TicketAPI.ticket_queue" in v.chain[3]
    assert v.state is not None
    assert v.state.differences == (Difference("TicketAPI.ticket_queue[0].status", "Closed", "Open"),)
    assert 'expected "Closed", found "Open"' in v.consequence and "answered at 403 ms" in v.consequence


def test_dependency_violation_names_the_call_it_needed_and_follows_it_to_the_answer():
    e = crafted("eager-race", "eager")
    (v,) = only(e, "dependency_violation")
    assert v.call_ids == ("c2",) and v.task == "triage" and v.race
    assert v.chain[0].startswith("c0 create_ticket(") and v.chain[0].endswith("issued at 13 ms (step 0), delivered at 374 ms")
    assert v.chain[1] == ("c2 close_ticket(ticket_id=7) issued at 41 ms as step 1, which depends on step 0 (create_ticket): "
                          "before c0 was delivered")
    assert "c2 then executed before c0: out of order" in v.chain
    assert [line.split()[0] for line in v.chain[3:]] == ["c2", "c0"]  # the executions, in execution order
    assert "wrong state" in v.consequence


def test_a_dependency_violation_that_did_no_harm_says_so():
    # create and close issued together, before the create's result is back; equal latencies keep them in order
    task = ticket_task("t1", [["create_ticket(title='d')", "close_ticket(ticket_id=2)"]], counter=2)
    steps = [Decision((CallAction("t1", "create_ticket", {"title": "d"}), CallAction("t1", "close_ticket", {"ticket_id": 2})),
                      0, Wait()),
             Decision((Respond("t1"),), 0, Wait())]  # at 200 ms both results are back
    e = explain(scripted_history(world([task]), steps))
    (v,) = only(e, "dependency_violation")
    assert v.call_ids == ("c1",) and only(e, "out_of_order_execution") == []
    assert v.chain[0].endswith("issued at 0 ms (step 0), delivered at 200 ms")
    assert "out of order" not in " ".join(v.chain)
    assert [line.split()[0] for line in v.chain[-2:]] == ["c0", "c1"]
    assert v.consequence == "turn 0 of t1 passed all the same (answered at 200 ms)"


def test_stale_result_used_names_the_amendment_the_stale_call_and_the_decision():
    e = crafted("amended-request", "oblivious")
    found = only(e, "stale_result_used")
    assert [v.call_ids for v in found] == [("c0",), ("c0",)]
    first, answer = found
    assert first.chain[0].startswith("the user amended the request of furniture at 100 ms")
    assert "marked stale (amended)" in first.chain[1]
    assert first.chain[2].startswith("decision 5 at 290 ms calls get_ticket(ticket_id=10)")
    assert answer.chain[-1].startswith("decision 6 at 411 ms answers furniture, relying on c0")
    assert {d.path: (d.expected, d.found) for d in answer.state.differences} == {
        "TicketAPI.ticket_queue[0].priority": (4, 2), "TicketAPI.ticket_queue[0].title": ("Standing desk", "Desk lamp")}


def test_revoked_leak_names_the_revocation_and_who_relied_on_it():
    e = crafted("revoked-read", "oblivious")
    (v,) = only(e, "revoked_leak")
    assert v.call_ids == ("c0",) and v.race
    assert v.chain[1] == "ticketing.read revoked for audit at 200 ms, after it executed"
    assert v.chain[2] == "c0's result delivered ok at 390 ms all the same: a leak"
    assert v.chain[3] == "decision 5 at 390 ms relied on it"


def test_call_on_cancelled_task_names_each_late_action_and_its_refusal():
    e = crafted("cancelled-during-outage", "oblivious")
    found = only(e, "call_on_cancelled_task")
    assert [v.t for v in found] == [784, 805, 831]
    assert all(v.chain[0] == "the world cancelled announce at 400 ms" for v in found)
    assert "calls message_login(user_id='USR001') on announce" in found[0].chain[1]
    assert found[0].chain[2] == "the runtime refused it at 805 ms (task_cancelled)"
    assert found[2].chain[2] == "the runtime refused it at 855 ms (respond_inactive)"
    assert "does not count" in found[0].consequence


def test_wrong_binding_names_the_foreign_call_and_the_missing_result():
    e = crafted("crossed-replies", "unbound")
    found = only(e, "wrong_binding")
    assert [(v.task, v.call_ids) for v in found] == [("my-tickets", ("c1",)), ("one-ticket", ("c0",))]
    assert "taking c1 (of one-ticket) as its own" in found[0].chain[-1]
    assert "without the gold result" in found[0].consequence


def test_premature_respond_names_the_pending_call_and_the_state_it_had_not_changed_yet():
    w = world([ticket_task("t1", [["close_ticket(ticket_id=1)"]], counter=2, queue=QUEUE)])
    h = scripted_history(w, [Decision((CallAction("t1", "close_ticket", {"ticket_id": 1}), Respond("t1")), 0, Wait())])
    (v,) = only(explain(h), "premature_respond")
    assert v.call_ids == ("c0",)
    assert "turn 0 of t1 answered at 0 ms while c0 had not executed" in v.chain
    assert v.chain[-1].startswith("c0 executed at 100 ms") and v.chain[-1].endswith("(after the answer)")
    assert v.state.differences == (Difference("TicketAPI.ticket_queue[0].status", "Closed", "Open"),)


def test_wrong_task_tool_and_agent_errors_say_what_was_refused():
    msg = {"id": "m", "services": ["MessageAPI"], "turns": [{"request": "r", "gold": ["list_users()"]}]}
    w = world([ticket_task("t1", [[GET]], counter=2, queue=QUEUE), msg])
    steps = [Decision((CallAction("t1", "list_users", {}), CallAction("t1", "get_ticket", {"ticket_id": "one"})), 0, Wait())]
    e = explain(scripted_history(w, steps))
    (tool,) = only(e, "wrong_task_tool")
    (bad,) = only(e, "agent_errors")
    assert tool.chain == ("decision 0 at 0 ms called list_users() on t1",
                          "refused: task 't1' has no tool 'list_users' (task 'm' has); nothing ran")
    assert bad.chain[0] == "decision 0 at 0 ms called get_ticket(ticket_id='one') on t1" and bad.task == "t1"
    assert bad.chain[1].startswith("refused (bad_arguments): get_ticket: argument 'ticket_id' expected integer")


def test_every_kind_is_explained_and_every_chain_reaches_a_consequence():
    seen = set()
    for name, policy in [("eager-race", "eager"), ("amended-request", "oblivious"), ("revoked-read", "oblivious"),
                         ("cancelled-during-outage", "oblivious"), ("crossed-replies", "unbound")]:
        result = run_source(world_path(name), policy, 0)
        e = explain(result.lines)
        counts = count_violations(history_of(trace_from_lines(result.lines)))
        assert dict(e.counts) == counts and len(e.violations) == sum(counts.values())
        for v in e.violations:
            seen.add(v.invariant)
            assert v.chain and v.consequence
    assert seen >= {"dependency_violation", "out_of_order_execution", "stale_result_used", "revoked_leak",
                    "call_on_cancelled_task", "wrong_binding"}


def test_recomputed_states_agree_with_the_trace_at_every_wrong_answer():
    checked = 0
    runs = [(world_path(n), p) for n in ("eager-race", "amended-request", "three-desks") for p in ("eager", "oblivious", "unbound")]
    for source, policy in runs + [(None, "eager")]:
        e = explain(run_source(source, policy, 1).lines)
        for t in e.tasks:
            for s in t.subtasks:
                if s.answer is not None and not s.answer.state_ok:
                    checked += 1
                    assert s.answer.state.note is None, s.answer.state.note
                    assert s.answer.state.differences
                    keys = {".".join(d.path.split("[")[0].split(".")[:2]) for d in s.answer.state.differences}
                    assert keys <= set(s.answer.state.keys)
    assert checked >= 5


def test_each_call_life_has_its_times():
    e = crafted("eager-race", "eager")
    lives = {c.call_id: c for t in e.tasks for c in t.calls}
    c0, c2 = lives["c0"], lives["c2"]
    assert (c0.issued_ms, c0.executed_ms, c0.order, c0.delivered_ms, c0.end) == (13, 324, 2, 374, "delivered")
    assert (c2.issued_ms, c2.executed_ms, c2.order, c2.outcome) == (41, 100, 1, "error")
    assert c0.decision == 0 and c2.decision == 2


def test_faults_say_what_the_agent_did_about_them():
    careful = crafted("revoked-read", "interleave")
    (fault,) = [f for t in careful.tasks for f in t.faults]
    assert fault.fault == "revoke" and fault.caught == ("c0",)
    assert fault.reaction == "decision 4 at 200 ms: cancels c0; answers audit"
    oblivious = crafted("revoked-read", "oblivious")
    (fault,) = [f for t in oblivious.tasks for f in t.faults]
    assert fault.reaction == "decision 4 at 200 ms left c0 running"


def test_a_failed_call_says_how_the_agent_retried_it():
    e = crafted("cancelled-during-outage", "oblivious")
    lives = {c.call_id: c for t in e.tasks for c in t.calls}
    assert lives["c0"].refused_reason == "outage" and lives["c0"].retried_by == "c5"
    assert lives["c1"].retried_by is None
    assert "refused 68 ms (outage" in e.text() and "retried as c5" in e.text()


def test_task_and_call_narrow_the_story():
    e = crafted("eager-race", "eager")
    by_task = explain(run_source(world_path("eager-race"), "eager", 0).lines, task="lookup")
    assert [t.task for t in by_task.tasks] == ["lookup"] and by_task.violations == ()
    by_call = explain(run_source(world_path("eager-race"), "eager", 0).lines, call="c0")
    assert [c.call_id for t in by_call.tasks for c in t.calls] == ["c0"]
    assert {v.invariant for v in by_call.violations} == {"out_of_order_execution"}  # c0 was overtaken
    early = explain(run_source(world_path("eager-race"), "eager", 0).lines, call="c2")
    assert {v.invariant for v in early.violations} == {"dependency_violation", "out_of_order_execution"}
    assert by_call.focus == {"call": "c0", "task": "triage"} and e.focus is None


def test_unknown_task_or_call_is_a_clear_error():
    lines = run_source(world_path("eager-race"), "eager", 0).lines
    with pytest.raises(SpecError, match="no such task"):
        explain(lines, task="nope")
    with pytest.raises(SpecError, match="no such call"):
        explain(lines, call="c99")
    with pytest.raises(SpecError, match="belongs to task triage"):
        explain(lines, task="lookup", call="c0")


def test_the_text_tells_tasks_calls_answers_and_violations():
    text = crafted("eager-race", "eager").text()
    assert "violations: dependency_violation 1 · out_of_order_execution 1" in text
    assert "c2 close_ticket(ticket_id=7): issued 41 ms (decision 2) · executed 100 ms (#1, error; changed nothing)" in text
    assert 'state TicketAPI.ticket_queue[0].status: expected "Closed", found "Open"' in text
    assert "answered 403 ms using c2, c0: FAILED" in text


def test_the_structured_form_is_json_and_the_same_for_the_same_trace():
    lines = run_source(world_path("amended-request"), "oblivious", 0).lines
    a, b = explain(lines).as_dict(), explain(list(lines)).as_dict()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["tasks"][0]["subtasks"][0]["answer"]["state"]["differences"][0]["path"] == "TicketAPI.ticket_queue[0].priority"


def test_differences_are_minimal_leaves():
    assert differences({"a": [1, {"b": 2}], "c": 1}, {"a": [1, {"b": 3}], "c": 1}, "S.x") == [Difference("S.x.a[1].b", 2, 3)]
    assert differences([1, 2], [1, 2, 3], "S.x") == [Difference("S.x[2]", None, 3, "expected")]
    assert differences([{"id": 1}], [], "S.q") == [Difference("S.q[0]", {"id": 1}, None, "found")]
    assert differences({"a": 1}, {"b": 1}, "S") == [Difference("S.a", 1, None, "found"), Difference("S.b", None, 1, "expected")]


def test_a_world_that_cannot_be_rebuilt_here_still_names_the_differing_keys():
    lines = list(run_source(world_path("eager-race"), "eager", 0).lines)
    header = json.loads(lines[0])
    header["config"]["world"]["tasks"][0]["services"] = ["NoSuchAPI"]
    lines[0] = json.dumps(header)
    e = explain(lines)
    (answer,) = [s.answer for t in e.tasks if t.task == "triage" for s in t.subtasks]
    assert answer.state.keys == ("TicketAPI.ticket_queue",) and answer.state.differences == ()
    assert "cannot be rebuilt" in answer.state.note
    assert "state differs in TicketAPI.ticket_queue" in e.text()


def test_a_cut_trace_is_told_as_far_as_it_goes():
    lines = run_source(world_path("eager-race"), "eager", 0).lines
    cut = [line for line in lines if '"kind":"footer"' not in line][:12]  # up to c1's delivery
    e = explain(cut)
    assert not e.complete and "INCOMPLETE trace" in e.text()
    lives = {c.call_id: c for t in e.tasks for c in t.calls}
    assert lives["c0"].end == "in_flight" and "still in flight at the end" in e.text()
    assert [s.verdict for t in e.tasks for s in t.subtasks] == ["unanswered", "unanswered"]


def test_a_users_own_invariant_is_explained_by_its_sentence_and_the_calls_it_names():
    from simtool.scoring.invariants import register_invariant, unregister_invariant
    from simtool.scoring.violations import Offence

    def slow_create(h):
        return [Offence("slow_create", c.execute["seq"], c.execute["t"], c.task, f"{c.call_id} took over 300 ms",
                        c.execute, call_ids=(c.call_id,))
                for c in h.calls.values() if c.tool == "create_ticket" and c.execute and c.execute["t"] - c.issue["t"] > 300]

    register_invariant("slow_create", slow_create)
    try:
        e = crafted("eager-race", "eager")
    finally:
        unregister_invariant("slow_create")
    (v,) = only(e, "slow_create")
    assert v.race and v.chain[0] == "c0 took over 300 ms" and v.chain[1].startswith("c0 create_ticket(")
    assert e.counts["slow_create"] == 1 and "wrong state" in v.consequence


def test_a_cancelled_task_is_told_as_cancelled_when_the_world_did_it():
    text = crafted("cancelled-during-outage", "interleave").text()
    assert "task announce · cancelled by the world at 400 ms\n" in text
    assert "task close-out · done · 3 of 3 sub-tasks passed" in text


def test_a_timed_out_call_says_whether_it_ran_and_what_the_agent_did_next():
    w = world([ticket_task("t1", [[GET]], counter=2, queue=QUEUE)])
    steps = [Decision((CallAction("t1", "get_ticket", {"ticket_id": 1}, 150, ()),), 0, Wait()),
             Decision((CallAction("t1", "get_ticket", {"ticket_id": 1}, None, ()),), 0, Wait()),
             Decision((Respond("t1", uses=("c1",)),), 0, Wait())]
    e = explain(scripted_history(w, steps))
    lives = {c.call_id: c for t in e.tasks for c in t.calls}
    assert (lives["c0"].executed_ms, lives["c0"].timed_out_ms, lives["c0"].end) == (100, 150, "timeout")
    assert lives["c0"].retried_by == "c1"
    assert "executed 100 ms (#1, ok; changed nothing) · timed out 150 ms · retried as c1" in e.text()


def test_a_chain_is_registered_once_per_invariant():
    from simtool.explain.chains import chain

    with pytest.raises(SpecError, match="already registered"):
        chain("out_of_order_execution")(lambda f, o: [])


def test_a_dependency_never_called_is_named_by_its_step():
    task = ticket_task("t1", [["create_ticket(title='d')", "close_ticket(ticket_id=2)"]], counter=2)
    steps = [Decision((CallAction("t1", "close_ticket", {"ticket_id": 2}),), 0, Wait()),
             Decision((Respond("t1"),), 0, Wait())]
    (v,) = only(explain(scripted_history(world([task]), steps)), "dependency_violation")
    assert v.call_ids == ("c0",)
    assert v.chain[0] == "step 0 (create_ticket) of t1 turn 0 was not called before it"
    assert v.chain[1].endswith("which depends on step 0 (create_ticket): before step 0 was delivered")
    assert v.chain[2].startswith("c0 executed at 100 ms") and "error" in v.chain[2]
