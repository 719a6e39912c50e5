"""The dependency rule of a gold path (``simtool.dependencies``) on hand-made tasks."""

from __future__ import annotations

import pytest

from simtool.dependencies import critical_path_ms, dependencies, linearisations, without_step
from simtool.errors import SpecError
from simtool.service import ToolSchema
from simtool.turns import GoldCall
from simtool.world import parse_world
from simtool.yamlspec import Located

TOOLS = {
    "quote": ToolSchema(name="quote", service="Market", description="", params=(), access="read"),
    "order": ToolSchema(name="order", service="Market", description="", params=(), access="write"),
    "fare": ToolSchema(name="fare", service="Air", description="", params=(), access="read"),
    "book": ToolSchema(name="book", service="Air", description="", params=(), access="write"),
    "cd": ToolSchema(name="cd", service="Disk", description="", params=(), access="read", mutates=True),
    "ls": ToolSchema(name="ls", service="Disk", description="", params=(), access="read"),
}


def call(tool: str, after: tuple[int, ...] = (), **args: object) -> GoldCall:
    return GoldCall(tool=tool, service=TOOLS[tool].service, args=args, text=tool, after=after)


def test_reads_of_one_service_are_independent():
    assert dependencies([call("quote", s="A"), call("quote", s="B"), call("quote", s="C")], TOOLS) == ((), (), ())


def test_read_then_write_of_one_service_is_ordered():
    assert dependencies([call("quote", s="AAPL"), call("order", s="MSFT")], TOOLS) == ((), (0,))


def test_write_then_read_and_write_then_write_are_ordered():
    assert dependencies([call("order", s="A"), call("quote", s="B"), call("order", s="C")], TOOLS) == ((), (0,), (0, 1))


def test_calls_of_different_services_are_independent_without_data_flow():
    assert dependencies([call("order", s="A"), call("book", f="F1")], TOOLS) == ((), ())


def test_a_value_returned_by_an_earlier_call_orders_the_call_that_uses_it():
    calls = [call("fare", route="LHR-JFK"), call("order", amount=742.5)]
    assert dependencies(calls, TOOLS, [{"cost": 742.5}, "ok"]) == ((), (0,))


def test_echoes_of_a_calls_own_arguments_are_not_data_flow():
    calls = [call("fare", route="LHR-JFK"), call("order", route="LHR-JFK")]
    assert dependencies(calls, TOOLS, [{"route": "LHR-JFK", "cost": 742.5}, "ok"]) == ((), ())


@pytest.mark.parametrize("value", [True, False, None, 0, 3, -10, 10.0, "", "  "])
def test_trivial_values_are_not_data_flow(value):
    calls = [call("fare", route="X"), call("order", flag=value)]
    assert dependencies(calls, TOOLS, [{"v": value}, None]) == ((), ())


def test_a_number_and_its_string_do_not_match():
    calls = [call("fare", route="X"), call("order", n="742")]
    assert dependencies(calls, TOOLS, [{"v": 742}, None]) == ((), ())


def test_a_read_that_changes_session_state_orders_later_reads():
    assert dependencies([call("cd", folder="a"), call("ls"), call("cd", folder="b"), call("ls")], TOOLS) == ((), (0,), (0, 1), (0, 2))


def test_explicit_after_adds_edges():
    assert dependencies([call("quote", s="A"), call("fare", route="X", after=(0,))], TOOLS) == ((), (0,))


def test_strict_makes_a_chain():
    assert dependencies([call("quote", s="A"), call("quote", s="B"), call("fare", route="X")], TOOLS, strict=True) == ((), (0,), (0, 1))


def test_linearisations_respect_every_edge_and_start_with_the_gold_order():
    import random
    edges = ((), (), (0,), (1, 2), ())
    orders = linearisations(edges, 20, random.Random(4).choice)
    assert orders[0] == (0, 1, 2, 3, 4)
    assert len(set(orders)) > 3
    for order in orders:
        assert sorted(order) == list(range(5))
        assert all(order.index(i) < order.index(j) for j, deps in enumerate(edges) for i in deps)


def test_critical_path_is_the_longest_chain():
    assert critical_path_ms(((), (), (0,), (1, 2)), [5, 30, 10, 1]) == 31
    assert critical_path_ms((), []) == 0


def _world(gold, **task):
    return {"name": "w", "tasks": [{"id": "t", "services": ["TradingBot"], "turns": [{"request": "r", "gold": gold}], **task}]}


def test_world_parses_after_and_strict():
    world = parse_world(_world(["get_stock_info(symbol='AAPL')", {"call": "get_stock_info(symbol='MSFT')", "after": [0]}],
                               strict=True), Located("w.yaml", {}))
    task = world.tasks[0]
    assert task.strict and task.turns[0].gold[1].after == (0,)


@pytest.mark.parametrize("after", [[1], [-1], ["0"], 0, [True]])
def test_after_must_name_earlier_steps(after):
    with pytest.raises(SpecError, match="after"):
        parse_world(_world(["get_stock_info(symbol='AAPL')", {"call": "get_stock_info(symbol='MSFT')", "after": after}]),
                    Located("w.yaml", {}))


def test_strict_must_be_a_boolean():
    with pytest.raises(SpecError, match="strict"):
        parse_world(_world(["get_stock_info(symbol='AAPL')"], strict="yes"), Located("w.yaml", {}))


CHAIN = ["a()", {"call": "b()", "after": [0]}, {"call": "c()", "after": [1]}]


def test_dropping_a_middle_step_keeps_the_order_through_the_gap():
    assert without_step(CHAIN, 1) == ["a()", {"call": "c()", "after": [0]}]


def test_dropping_the_first_step_renumbers_the_later_ones_and_frees_those_that_waited_only_for_it():
    assert without_step(CHAIN, 0) == ["b()", {"call": "c()", "after": [0]}]
    assert without_step(["a()", "b()", {"call": "c()", "after": [0, 1]}], 0) == ["b()", {"call": "c()", "after": [0]}]


def test_dropping_the_last_step_leaves_the_others_and_the_input_as_they_were():
    gold = [dict(s) if isinstance(s, dict) else s for s in CHAIN]
    assert without_step(gold, 2) == CHAIN[:2]
    assert gold == CHAIN


def test_every_drop_leaves_a_world_that_parses():
    gold = ["get_user_tickets()", "get_ticket(ticket_id=1)", {"call": "close_ticket(ticket_id=1)", "after": [0, 1]},
            {"call": "get_ticket(ticket_id=2)", "after": [2]}]
    for k in range(len(gold)):
        task = {"id": "t", "services": ["TicketAPI"], "turns": [{"request": "r", "gold": without_step(gold, k)}],
                "initial_config": {"TicketAPI": {"current_user": "ana", "ticket_counter": 3, "ticket_queue": [
                    {"id": i, "title": "a", "status": "Open", "created_by": "ana"} for i in (1, 2)]}}}
        parse_world({"name": "w", "tasks": [task]})
