"""Step metrics: calls against gold as multisets, by name and by name plus arguments."""

from __future__ import annotations

from simtool.policy import CallAction, Decision, Respond, Wait
from simtool.scoring.steps import call_key, same_number_form, step_counts

from .helpers import scripted_history, ticket_task, world

QUEUE = [{"id": 1, "title": "a", "description": "", "status": "Open", "priority": 1, "created_by": "ana"}]
EDIT = "edit_ticket(ticket_id=1, updates={'description': 'x', 'priority': 4})"


def test_numbers_compare_as_numbers_and_argument_order_does_not_matter():
    assert call_key("f", {"a": 1, "b": {"c": 2.0, "d": [3.0, True]}}, with_args=True) == call_key("f", {"b": {"d": [3, True], "c": 2}, "a": 1.0}, with_args=True)
    assert call_key("f", {"a": 1}, with_args=True) != call_key("f", {"a": True}, with_args=True)
    assert call_key("f", {"a": 1.5}, with_args=True) != call_key("f", {"a": 1}, with_args=True)
    assert same_number_form([1.0, 2.5, False]) == [1, 2.5, False]


def test_a_call_with_reordered_arguments_and_float_numbers_matches_its_gold_call():
    w = world([ticket_task("t1", [[EDIT]], counter=2, queue=QUEUE)])
    call = CallAction("t1", "edit_ticket", {"updates": {"priority": 4.0, "description": "x"}, "ticket_id": 1})
    h = scripted_history(w, [Decision((call,), 0, Wait(("c0",))), Decision((Respond("t1"),), 0, Wait())])
    counts = step_counts(h)["t1"]
    assert (counts.agent, counts.gold, counts.matched_name, counts.matched_args) == (1, 1, 1, 1)
    assert counts.f1(with_args=True) == 1.0


def test_a_repeated_call_costs_precision_and_a_wrong_argument_only_the_strict_match():
    gold = ["get_ticket(ticket_id=1)", "close_ticket(ticket_id=1)"]
    w = world([ticket_task("t1", [gold], counter=2, queue=QUEUE)])
    calls = (CallAction("t1", "get_ticket", {"ticket_id": 1}), CallAction("t1", "get_ticket", {"ticket_id": 1}),
             CallAction("t1", "close_ticket", {"ticket_id": 2}))
    h = scripted_history(w, [Decision(calls, 0, Wait()), Decision((), 0, Wait())])
    c = step_counts(h)["t1"]
    assert (c.agent, c.gold, c.matched_name, c.matched_args) == (3, 2, 2, 1)
    assert c.precision(with_args=False) == 2 / 3 and c.recall(with_args=False) == 1.0
    assert c.precision(with_args=True) == 1 / 3 and c.recall(with_args=True) == 1 / 2


def test_malformed_calls_count_as_calls_made():
    w = world([ticket_task("t1", [["get_ticket(ticket_id=1)"]], counter=2, queue=QUEUE)])
    h = scripted_history(w, [Decision((CallAction("t1", "get_ticket", {"ticket_id": "1"}),), 0, Wait())])
    c = step_counts(h)["t1"]
    assert (c.agent, c.matched_name, c.matched_args) == (1, 1, 0)


def test_gold_of_a_cancelled_subtask_counts_only_as_far_as_it_was_done():
    gold = ["get_ticket(ticket_id=1)", "close_ticket(ticket_id=1)"]
    w = world([ticket_task("t1", [gold], counter=2, queue=QUEUE)], faults=[{"at_ms": 250, "kind": "cancel_task", "task": "t1"}])
    h = scripted_history(w, [Decision((CallAction("t1", "get_ticket", {"ticket_id": 1}),), 0, Wait())])
    c = step_counts(h)["t1"]
    assert (c.agent, c.gold, c.matched_args) == (1, 1, 1)
