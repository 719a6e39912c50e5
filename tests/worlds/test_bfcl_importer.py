"""BFCL entries become simtool tasks: one sub-task per turn, the entry's scenarios, its classes."""

from __future__ import annotations

import pytest

from simtool.errors import SpecError
from worlds.bfcl.categories import category_of
from worlds.bfcl.corpus import read_answers, read_entries
from worlds.bfcl.importer import (
    MISSING_REQUEST,
    anchor_class,
    check_task,
    import_corpus,
    import_entry,
    importable,
    task_id_of,
)


@pytest.fixture(scope="module")
def corpus(bfcl_dir):
    return read_entries(bfcl_dir), read_answers(bfcl_dir), import_corpus(bfcl_dir)


def test_every_entry_becomes_one_task_with_one_turn_per_question_turn(corpus):
    entries, answers, tasks = corpus
    assert len(tasks) == len(entries) == 200
    for entry, task in zip(entries, tasks):
        assert task["id"] == task_id_of(entry["id"])
        assert task["source"]["entry"] == entry["id"]
        assert task["services"] == entry["involved_classes"]
        assert [t["gold"] for t in task["turns"]] == answers[entry["id"]]
        assert [t["request"] for t in task["turns"]] == [q[0]["content"].strip() for q in entry["question"]]


def test_task_state_is_the_entry_scenarios_of_its_involved_classes(corpus):
    entries, _, tasks = corpus
    changed = []
    for entry, task in zip(entries, tasks):
        expected = {k: v for k, v in entry["initial_config"].items() if k in entry["involved_classes"]}
        assert list(task["initial_config"]) == list(expected)
        if task["initial_config"] != expected:
            changed.append(task["id"])
            # made explicit: the filesystem's root is the first top-level folder, the others dropped
            fs_root = expected["GorillaFileSystem"]["root"]
            first = next(iter(fs_root))
            assert task["initial_config"]["GorillaFileSystem"]["root"] == {first: fs_root[first]}
            assert {k: v for k, v in task["initial_config"].items() if k != "GorillaFileSystem"} == \
                {k: v for k, v in expected.items() if k != "GorillaFileSystem"}
    assert changed == ["bfcl-5", "bfcl-33"]  # the two entries with two top-level folders
    # entry 96 carries a TravelAPI scenario but involves only VehicleControlAPI: it is dropped
    assert list(tasks[96]["initial_config"]) == ["VehicleControlAPI"]


def test_the_anchor_is_kept_in_blocks_of_fifty_and_the_domain_is_the_category(corpus):
    entries, answers, tasks = corpus
    blocks = ["GorillaFileSystem", "VehicleControlAPI", "TradingBot", "TravelAPI"]
    assert [t["source"]["anchor"] for t in tasks] == [blocks[i // 50] for i in range(200)]
    assert [t["domain"] for t in tasks] == [category_of(e, answers[e["id"]]) for e in entries]


def test_excluded_functions_are_kept_as_source_information(corpus):
    _, _, tasks = corpus
    assert tasks[0]["source"]["excluded_tools"] == ["cp"]
    assert tasks[150]["source"]["excluded_tools"] == []


def test_turns_with_empty_gold_stay_sub_tasks_that_expect_no_call(corpus):
    _, _, tasks = corpus
    empty = [(t["id"], i) for t in tasks for i, turn in enumerate(t["turns"]) if not turn["gold"]]
    assert empty == [("bfcl-167", 4), ("bfcl-180", 3), ("bfcl-180", 4)]
    assert importable(tasks[167]) is None
    assert check_task(tasks[167]).turns[4].gold == ()


def test_only_the_entry_whose_gold_breaks_the_schema_is_filtered_out(corpus):
    _, _, tasks = corpus
    rejected = {t["id"]: importable(t) for t in tasks if importable(t)}
    assert list(rejected) == ["bfcl-173"]
    assert "close_ticket: argument 'ticket_id' expected integer" in rejected["bfcl-173"]


def test_a_turn_without_words_gets_a_placeholder_request_and_without_gold_too_is_rejected():
    entry = {"id": "multi_turn_miss_func_3", "involved_classes": ["TicketAPI"], "path": [],
             "initial_config": {}, "question": [[{"role": "user", "content": "Log in as ana."}], []]}
    task = import_entry(entry, [["ticket_login(username='ana', password='x')"], ["get_user_tickets()"]])
    assert task["id"] == "bfcl-multi_turn_miss_func_3"
    assert task["turns"][1]["request"] == MISSING_REQUEST
    assert importable(task) is None
    task = import_entry(entry, [["ticket_login(username='ana', password='x')"], []])
    assert "neither a request nor gold calls" in importable(task)


def test_a_mismatch_of_question_and_gold_turns_is_an_error():
    entry = {"id": "multi_turn_base_x", "involved_classes": ["TicketAPI"], "question": [[{"role": "user", "content": "a"}]]}
    with pytest.raises(SpecError, match="1 question turns but 2 gold turns"):
        import_entry(entry, [[], []])


def test_anchor_is_the_first_class_on_the_path_else_the_last_involved():
    assert anchor_class({"involved_classes": ["TwitterAPI", "GorillaFileSystem"], "path": ["GorillaFileSystem.cd", "TwitterAPI.post_tweet"]}) == "GorillaFileSystem"
    assert anchor_class({"involved_classes": ["MessageAPI", "TradingBot"], "path": []}) == "TradingBot"


def test_import_without_a_corpus_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("SIMTOOL_BFCL_DATA", raising=False)
    with pytest.raises(SpecError, match="SIMTOOL_BFCL_DATA"):
        import_corpus(None)
