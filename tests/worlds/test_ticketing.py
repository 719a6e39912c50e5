"""TicketAPI: the ticket queue's behaviour, its schema against BFCL's, and the reference's lines."""

from __future__ import annotations

import pytest
from bfcl_partial import class_differences, reference_cases, schema_differences

from worlds.ticketing.service import TicketAPI


@pytest.fixture
def api() -> TicketAPI:
    service = TicketAPI()
    service.load_scenario({})
    return service


@pytest.fixture
def logged_in(api: TicketAPI) -> TicketAPI:
    assert api.ticket_login("ana", "pw") == {"success": True}
    return api


def test_default_state_matches_reference_defaults(api):
    assert api.state() == {"current_user": None, "ticket_counter": 1, "ticket_queue": []}


def test_create_ticket_needs_a_login(api):
    assert api.create_ticket("x") == {"error": "User not authenticated. Please log in to create a ticket."}
    assert api.ticket_queue == []


def test_login_needs_non_empty_credentials(api):
    assert api.ticket_login("ana", "") == {"success": False}
    assert api.ticket_get_login_status() == {"login_status": False}


def test_create_ticket_numbers_from_counter_and_orders_keys(logged_in):
    first = logged_in.create_ticket("disk", "full", 3)
    second = logged_in.create_ticket("net")
    assert list(first) == ["id", "title", "description", "status", "priority", "created_by"]
    assert (first["id"], second["id"], logged_in.ticket_counter) == (1, 2, 3)
    assert second == {"id": 2, "title": "net", "description": "", "status": "Open", "priority": 1, "created_by": "ana"}


@pytest.mark.parametrize("priority", [0, 6])
def test_create_ticket_rejects_priority_outside_1_to_5(logged_in, priority):
    assert logged_in.create_ticket("x", priority=priority) == {"error": "Invalid priority. Priority must be between 1 and 5."}


def test_close_twice_is_an_error(logged_in):
    logged_in.create_ticket("x")
    assert logged_in.close_ticket(1) == {"status": "Ticket 1 has been closed successfully."}
    assert logged_in.close_ticket(1) == {"error": "Ticket with ID 1 is already closed."}


def test_resolve_records_resolution_and_refuses_twice(logged_in):
    logged_in.create_ticket("x")
    assert logged_in.resolve_ticket(1, "rebooted") == {"status": "Ticket 1 has been resolved successfully."}
    assert logged_in.get_ticket(1)["resolution"] == "rebooted"
    assert logged_in.resolve_ticket(1, "again") == {"error": "Ticket with ID 1 is already resolved."}


def test_unknown_ticket_is_not_found(api):
    assert api.get_ticket(9) == {"error": "Ticket with ID 9 not found."}
    assert api.edit_ticket(9, {"title": "t"}) == {"error": "Ticket with ID 9 not found."}


def test_edit_ticket_rejects_unknown_fields_and_skips_none(logged_in):
    logged_in.create_ticket("x", priority=2)
    assert logged_in.edit_ticket(1, {"owner": "b", "color": "red"}) == {"error": "Invalid fields for update: color, owner"}
    assert logged_in.edit_ticket(1, {"priority": 5, "title": None}) == {"status": "Ticket 1 has been updated successfully."}
    assert (logged_in.get_ticket(1)["priority"], logged_in.get_ticket(1)["title"]) == (5, "x")


def test_user_tickets_filter_by_creator_and_status_case_insensitively(logged_in):
    logged_in.ticket_queue.append({"id": 50, "status": "Open", "created_by": "bob"})
    logged_in.create_ticket("a")
    logged_in.create_ticket("b")
    logged_in.close_ticket(2)
    assert [t["id"] for t in logged_in.get_user_tickets()] == [1, 2]
    assert [t["id"] for t in logged_in.get_user_tickets("closed")] == [2]


def test_user_tickets_without_login_is_a_listed_error(api):
    assert api.get_user_tickets() == [{"error": "User not authenticated. Please log in to view tickets."}]


def test_ticket_without_id_fails_lookup_like_the_reference(api):
    # Some corpus scenarios key tickets by name, with no "id": the reference raises KeyError.
    api.load_scenario({"ticket_queue": [{"ticket_001": {"title": "t"}}]})
    assert api.invoke("get_ticket", {"ticket_id": 1}).value == "Error during execution: 'id'"


def test_logout(logged_in):
    assert logged_in.logout() == {"success": True}
    assert logged_in.logout() == {"success": False}


def test_tools_yaml_agrees_with_bfcl_func_doc(bfcl_dir):
    assert schema_differences(TicketAPI, bfcl_dir / "multi_turn_func_doc" / "ticket_api.json") == []


def test_reference_entries_replay(bfcl_dir):
    cases = reference_cases(bfcl_dir, "TicketAPI")
    assert cases
    assert [d for case in cases for d in class_differences(TicketAPI, *case)] == []
