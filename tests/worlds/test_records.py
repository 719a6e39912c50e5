"""RecordStore behaviour: counter ids, validation errors, queries, aggregates, result isolation."""

from __future__ import annotations

import pytest

from worlds.records.service import RecordStore


@pytest.fixture()
def store() -> RecordStore:
    s = RecordStore()
    s.load_scenario({
        "collections": {
            "people": {
                "required_fields": ["name"],
                "field_types": {"name": "string", "age": "integer", "score": "number"},
                "records": [{"name": "Ana", "age": 30}, {"name": "Ben", "age": 25, "score": 1.5}, {"name": "Cy"}],
            }
        }
    })
    return s


def test_ids_count_per_collection_and_are_never_reused(store):
    store.create_collection("other")
    assert store.create_record("other", {"x": 1})["id"] == 1
    assert store.delete_record("people", 3)["deleted"] == 3
    assert store.create_record("people", {"name": "Dee"})["id"] == 4
    assert store.describe_collection("people")["next_id"] == 5


def test_scenario_records_keep_given_ids_and_continue_after_them():
    s = RecordStore()
    s.load_scenario({"collections": {"c": {"records": [{"id": 10, "v": 1}, {"v": 2}]}}})
    assert [r["id"] for r in s.collections["c"]["records"]] == [10, 11]


def test_invalid_scenario_record_is_a_scenario_error():
    with pytest.raises(ValueError, match="record 0: Missing required field 'name'"):
        RecordStore().load_scenario({"collections": {"c": {"required_fields": ["name"], "records": [{}]}}})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"age": 3}, "Missing required field 'name'."),
        ({"name": None}, "Missing required field 'name'."),
        ({"name": "X", "age": "3"}, "Field 'age' must be integer, got string."),
        ({"name": "X", "age": True}, "Field 'age' must be integer, got boolean."),
        ({"name": "X", "id": 9}, "Field 'id' is assigned by the store and cannot be set."),
    ],
)
def test_create_record_refuses_what_breaks_the_rules(store, fields, message):
    assert store.create_record("people", fields) == {"error": message}
    assert store.describe_collection("people")["count"] == 3


def test_a_number_field_accepts_integers(store):
    assert "error" not in store.create_record("people", {"name": "X", "score": 2})


def test_bulk_create_is_all_or_nothing(store):
    out = store.bulk_create_records("people", [{"name": "D"}, {"age": 1}])
    assert out == {"error": "Record 1: Missing required field 'name'."}
    described = store.describe_collection("people")
    assert (described["count"], described["next_id"]) == (3, 4)


def test_update_is_validated_on_the_merged_record(store):
    assert store.update_record("people", 1, {}, remove_fields=["name"]) == {"error": "Missing required field 'name'."}
    assert store.update_record("people", 1, {"age": 31.5}) == {"error": "Field 'age' must be integer, got number."}
    assert store.get_record("people", 1)["record"] == {"id": 1, "name": "Ana", "age": 30}
    assert store.update_record("people", 1, {"age": 31}, remove_fields=["missing"])["record"]["age"] == 31


def test_missing_collection_and_record_errors(store):
    assert store.get_record("nope", 1) == {"error": "Collection 'nope' does not exist."}
    assert store.get_record("people", 99) == {"error": "Record 99 does not exist in collection 'people'."}
    assert store.create_collection("people") == {"error": "Collection 'people' already exists."}


def test_unknown_field_type_is_refused():
    out = RecordStore().create_collection("c", field_types={"a": "int"})
    assert out["error"].startswith("Unknown field type 'int' for field 'a'")


def test_equality_is_strict_about_booleans_and_numbers():
    s = RecordStore()
    s.load_scenario({"collections": {"c": {"records": [{"v": 1}, {"v": True}, {"v": 1.0}]}}})
    assert [r["id"] for r in s.query_records("c", where={"v": 1})["records"]] == [1, 3]
    assert [r["id"] for r in s.query_records("c", where={"v": True})["records"]] == [2]


def test_ranges_are_inclusive_and_skip_incomparable_values(store):
    assert store.count_records("people", ranges={"age": {"min": 25, "max": 30}})["count"] == 2
    assert store.count_records("people", ranges={"age": {"min": "a"}})["count"] == 0
    assert "error" in store.query_records("people", ranges={"age": 3})


def test_sort_puts_missing_values_last_and_keeps_ties_in_store_order(store):
    store.create_record("people", {"name": "Dee", "age": 25})
    asc = store.query_records("people", sort_by="age")["records"]
    desc = store.query_records("people", sort_by="age", descending=True)["records"]
    assert [r["id"] for r in asc] == [2, 4, 1, 3]
    assert [r["id"] for r in desc] == [1, 2, 4, 3]


def test_sorting_mixed_types_is_refused():
    s = RecordStore()
    s.load_scenario({"collections": {"c": {"records": [{"v": 1}, {"v": "a"}]}}})
    assert "different types" in s.query_records("c", sort_by="v")["error"]


def test_paging_and_projection(store):
    out = store.query_records("people", sort_by="name", limit=1, offset=1, fields=["age"])
    assert out == {"total": 3, "records": [{"id": 2, "age": 25}]}
    assert "error" in store.query_records("people", limit=-1)


def test_aggregates_skip_nulls_and_refuse_non_numbers(store):
    assert store.aggregate_records("people", "age", "avg")["value"] == 27.5
    assert store.aggregate_records("people", "age", "count")["value"] == 2
    assert store.aggregate_records("people", "name", "max")["value"] == "Cy"
    assert store.aggregate_records("people", "name", "sum") == {"error": "Operation 'sum' needs numeric values."}
    assert "Unknown operation" in store.aggregate_records("people", "age", "median")["error"]


def test_results_are_copies_that_later_changes_do_not_touch(store):
    got = store.get_record("people", 1)
    store.update_record("people", 1, {"age": 99})
    assert got["record"]["age"] == 30
    got["record"]["age"] = 0
    assert store.get_record("people", 1)["record"]["age"] == 99


def test_delete_collection_reports_removed_records(store):
    assert store.delete_collection("people") == {"deleted": "people", "records_removed": 3}
    assert store.list_collections() == {"collections": []}


def test_where_null_matches_a_missing_field_as_well_as_a_null_one():
    # null counts as missing in the store (required fields), so "no assignee" must find both
    store = RecordStore()
    store.load_scenario({"collections": {"tickets": {"records": [
        {"subject": "a", "agent": None}, {"subject": "b"}, {"subject": "c", "agent": "mei"}, {"subject": "d", "agent": 0},
    ]}}})
    found = store.query_records("tickets", where={"agent": None})
    assert [r["subject"] for r in found["records"]] == ["a", "b"]
    assert store.count_records("tickets", where={"agent": "mei"})["count"] == 1
    assert store.count_records("tickets", where={"agent": 0})["count"] == 1
