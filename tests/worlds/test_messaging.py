"""MessageAPI: seeded message ids, the shared inbox, its schema against BFCL's and the reference's lines."""

from __future__ import annotations

import pytest
from bfcl_partial import class_differences, reference_cases, schema_differences

from worlds.messaging.service import MessageAPI


@pytest.fixture
def api() -> MessageAPI:
    service = MessageAPI()
    service.load_scenario({})
    return service


@pytest.fixture
def alice(api: MessageAPI) -> MessageAPI:
    assert api.message_login("USR001")["login_status"] is True
    return api


def test_default_state_matches_reference_defaults(api):
    state = api.state()
    assert state["user_map"] == {"Alice": "USR001", "Bob": "USR002", "Catherine": "USR003", "Daniel": "USR004"}
    assert (state["message_count"], state["user_count"], state["current_user"], state["generated_ids"]) == (3, 4, None, [])
    assert len(state["inbox"]) == 3


def test_message_ids_are_drawn_from_seed_200191_in_call_order(alice):
    ids = [alice.send_message("USR002", f"m{i}")["message_id"]["new_id"] for i in range(3)]
    assert ids == [67410, 41772, 24547]
    assert alice.state()["generated_ids"] == sorted(ids)


def test_scenario_random_seed_overrides_the_default(api):
    api.load_scenario({"random_seed": 7, "current_user": "USR001"})
    assert api.send_message("USR002", "x")["message_id"] == {"new_id": 52445}


def test_used_ids_are_redrawn(api):
    api.load_scenario({"generated_ids": [67410], "current_user": "USR001"})
    assert api.send_message("USR002", "x")["message_id"] == {"new_id": 41772}


def test_instances_draw_independently():
    first, second = MessageAPI(), MessageAPI()
    for service in (first, second):
        service.load_scenario({"current_user": "USR001"})
    first.send_message("USR002", "a")
    assert second.send_message("USR002", "b")["message_id"] == {"new_id": 67410}


def test_send_needs_login_and_a_known_receiver(api):
    assert api.send_message("USR002", "x") == {"error": "No user is currently logged in."}
    api.message_login("USR001")
    assert api.send_message("USR999", "x") == {"error": "Receiver ID 'USR999' not found."}
    assert api.message_count == 3


def test_login_with_unknown_id_fails(api):
    assert api.message_login("USR999") == {"login_status": False, "message": "User ID 'USR999' not found."}
    assert api.message_get_login_status() == {"login_status": False}


def test_get_user_id(api):
    assert api.get_user_id("Bob") == {"user_id": "USR002"}
    assert api.get_user_id("Zed") == {"error": "User 'Zed' not found in the workspace."}


def test_add_contact_takes_next_id_and_counts_even_on_a_clash(api):
    assert api.add_contact("Eve") == {"added_status": True, "user_id": "USR005", "message": "Contact 'Eve' added successfully."}
    assert api.add_contact("Eve") == {"error": "User name 'Eve' already exists."}
    api.user_map["Pat"] = "USR006"
    assert api.add_contact("Quinn") == {"error": "User ID 'USR006' already exists."}
    assert api.user_count == 6


def test_delete_removes_latest_to_receiver_but_keeps_count(alice):
    alice.send_message("USR002", "new")
    result = alice.delete_message("USR002")
    assert result == {"deleted_status": True, "receiver_id": "USR002", "message": "Receiver USR002's latest message deleted successfully."}
    assert alice.inbox[-1] == {"USR004": "Could you upload the file?"}
    assert alice.message_count == 4
    assert alice.delete_message("USR009") == {"error": "Receiver ID USR009 not found."}


def test_view_sent_groups_by_receiver_in_first_seen_order(alice):
    alice.send_message("USR002", "again")
    assert alice.view_messages_sent() == {"messages": {
        "USR002": ["My name is Alice. I want to connect.", "again"],
        "USR003": ["Could you upload the file?"],
        "USR004": ["Could you upload the file?"],
    }}


def test_search_is_case_insensitive(alice):
    assert alice.search_messages("UPLOAD") == {"results": [
        {"receiver_id": "USR003", "message": "Could you upload the file?"},
        {"receiver_id": "USR004", "message": "Could you upload the file?"},
    ]}


def test_stats_count_messages_and_receivers(alice):
    assert alice.get_message_stats() == {"stats": {"received_count": 3, "total_contacts": 3}}


def test_list_content_fails_search_like_the_reference(api):
    api.load_scenario({"current_user": "USR001", "inbox": [{"USR002": ["a list"]}]})
    assert api.invoke("search_messages", {"keyword": "a"}).value == "Error during execution: 'list' object has no attribute 'lower'"


def test_tools_yaml_agrees_with_bfcl_func_doc(bfcl_dir):
    assert schema_differences(MessageAPI, bfcl_dir / "multi_turn_func_doc" / "message_api.json") == []


def test_reference_entries_replay(bfcl_dir):
    cases = reference_cases(bfcl_dir, "MessageAPI")
    assert cases
    assert [d for case in cases for d in class_differences(MessageAPI, *case)] == []
