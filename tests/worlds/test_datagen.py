"""DataGenerator behaviour: seeded streams (reproducible per seed, different across seeds), specs, datasets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from simtool.service import ServiceContext
from worlds.datagen.service import DataGenerator
from worlds.datagen.streams import STANDALONE_SEED, standalone_context

SPEC = {
    "n": {"type": "sequence", "start": 10, "step": 5, "prefix": "N-"},
    "name": {"type": "name"},
    "email": {"type": "email", "from": "name", "domain": "acme.io"},
    "age": {"type": "integer", "min": 18, "max": 20},
    "score": {"type": "float", "min": 1, "max": 2, "decimals": 1},
    "when": {"type": "date", "start": "2024-02-27", "end": "2024-03-02"},
    "tier": {"type": "choice", "options": ["a", "b"], "weights": [0, 1]},
    "on": {"type": "boolean", "probability": 1},
    "key": {"type": "id", "prefix": "k_"},
    "team": {"type": "constant", "value": "blue"},
}


def _session(gen: DataGenerator) -> list[dict]:
    return [
        gen.generate_names(3),
        gen.generate_emails(2),
        gen.generate_ids(2),
        gen.generate_dates(3),
        gen.generate_integers(4, -5, 5),
        gen.generate_floats(2),
        gen.pick_from_list(["x", "y", "z"], 2, unique=True),
        gen.generate_records("d", 5, SPEC),
        gen.get_dataset("d"),
    ]


def test_same_seed_reproduces_everything():
    assert _session(DataGenerator(standalone_context(7))) == _session(DataGenerator(standalone_context(7)))


def test_different_seeds_give_different_data():
    assert _session(DataGenerator(standalone_context(7))) != _session(DataGenerator(standalone_context(8)))


def test_without_context_the_fixed_standalone_seed_is_used():
    assert _session(DataGenerator()) == _session(DataGenerator(standalone_context(STANDALONE_SEED)))


def test_global_random_state_plays_no_part():
    random.seed(1)
    np.random.seed(1)
    first = _session(DataGenerator())
    random.seed(2)
    np.random.seed(2)
    assert _session(DataGenerator()) == first


def test_streams_come_from_the_context_once_per_name():
    asked: list[str] = []

    def factory(name: str) -> np.random.Generator:
        asked.append(name)
        return np.random.default_rng(0)  # a fresh generator every time, as a runtime may hand out

    gen = DataGenerator(ServiceContext("t", factory))
    first, second = gen.generate_integers(3, 0, 10**6), gen.generate_integers(3, 0, 10**6)
    assert first != second  # the stream continues rather than restarting
    assert asked == ["integers"]


def test_a_dataset_does_not_depend_on_interleaved_calls():
    plain = DataGenerator(standalone_context(3))
    busy = DataGenerator(standalone_context(3))
    busy.generate_names(10)
    busy.generate_records("other", 4, {"v": "integer"})
    plain.generate_records("d", 6, SPEC)
    busy.generate_records("d", 6, SPEC)
    assert plain.datasets["d"] == busy.datasets["d"]


def test_generated_values_respect_their_spec():
    gen = DataGenerator(standalone_context(11))
    gen.generate_records("d", 200, SPEC)
    rows = gen.datasets["d"]["records"]
    assert [r["n"] for r in rows[:3]] == ["N-10", "N-15", "N-20"]
    assert {r["age"] for r in rows} == {18, 19, 20}
    assert all(1 <= r["score"] <= 2 and round(r["score"], 1) == r["score"] for r in rows)
    assert {r["when"] for r in rows} == {"2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"}
    assert {r["tier"] for r in rows} == {"b"} and all(r["on"] is True for r in rows)
    assert all(r["email"] == r["name"].lower().replace(" ", ".") + "@acme.io" for r in rows)
    assert all(r["key"].startswith("k_") and r["key"][2:][14] == "4" for r in rows)  # a version-4 UUID shape
    assert {r["team"] for r in rows} == {"blue"}


def test_loose_values_stay_in_range():
    gen = DataGenerator(standalone_context(5))
    assert set(gen.generate_integers(200, 1, 3)["values"]) == {1, 2, 3}
    assert all(0.5 <= v <= 0.6 for v in gen.generate_floats(50, 0.5, 0.6, 3)["values"])
    dates = gen.generate_dates(20, "2024-01-01", "2024-01-31", sort=True)["dates"]
    assert dates == sorted(dates) and all(d.startswith("2024-01-") for d in dates)
    assert sorted(gen.pick_from_list([1, 2, 3], 3, unique=True)["picks"]) == [1, 2, 3]
    assert all(e.endswith("@corp.test") for e in gen.generate_emails(5, "corp.test")["emails"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "The field spec is empty."),
        ({"a": {"type": "int"}}, "Field 'a': unknown type 'int'"),
        ({"a": {"type": "integer", "min": 5, "max": 1}}, "Field 'a': 'min' and 'max' must be integers"),
        ({"a": {"type": "choice"}}, "Field 'a': type 'choice' needs option 'options'."),
        ({"a": {"type": "choice", "options": [1], "weights": [0]}}, "Field 'a': 'weights' must be"),
        ({"a": {"type": "email", "from": "b"}}, "Field 'a': 'from' must name an earlier field of type 'name'"),
        ({"a": {"type": "date", "start": "2024-13-01"}}, "Field 'a': 'start' and 'end' must be ISO dates"),
        ({"a": {"type": "name", "locale": "es"}}, "Field 'a': unknown option 'locale' for type 'name'"),
    ],
)
def test_bad_specs_are_refused_and_nothing_is_kept(fields, message):
    gen = DataGenerator()
    out = gen.generate_records("d", 3, fields)
    assert out["error"].startswith(message)
    assert gen.datasets == {}


def test_loose_value_errors():
    gen = DataGenerator()
    assert gen.generate_integers(1, 5, 1) == {"error": "low must not exceed high."}
    assert gen.generate_names(0) == {"error": "count must be between 1 and 1000."}
    assert gen.generate_dates(1, "2024-02-30") == {"error": "Invalid date '2024-02-30'; expected YYYY-MM-DD."}
    assert gen.pick_from_list(["a"], 2, unique=True) == {"error": "Cannot pick 2 unique items from 1 options."}
    assert gen.pick_from_list([]) == {"error": "options must not be empty."}


def test_dataset_lifecycle_and_errors():
    gen = DataGenerator()
    gen.generate_records("d", 3, {"v": {"type": "sequence"}})
    assert "already exists" in gen.generate_records("d", 3, {"v": "name"})["error"]
    assert gen.append_records("d", 2)["count"] == 5
    assert [r["v"] for r in gen.datasets["d"]["records"]] == [1, 2, 3, 4, 5]
    sample = gen.sample_dataset("d", 2, "s")
    assert sample["positions"] == sorted(sample["positions"]) and len(gen.datasets["s"]["records"]) == 2
    assert gen.sample_dataset("d", 9, "t") == {"error": "Cannot sample 9 records from 5."}
    assert gen.export_dataset("d", "csv")["content"] == "v\n1\n2\n3\n4\n5\n"
    assert gen.export_dataset("d", "xml")["error"].startswith("Unknown export format")
    assert gen.get_dataset("d", offset=1, limit=2)["records"] == [{"v": 2}, {"v": 3}]
    assert gen.delete_dataset("d") == {"deleted": "d", "count": 5}
    assert gen.summarize_dataset("d") == {"error": "Dataset 'd' does not exist."}


def test_summary_kinds():
    gen = DataGenerator()
    gen.load_scenario({"datasets": {"d": {"fields": {"a": "integer", "b": "boolean", "c": "name"},
                                          "records": [{"a": 1, "b": True, "c": "X"}, {"a": 4, "b": False, "c": "X"}]}}})
    fields = gen.summarize_dataset("d")["fields"]
    assert fields["a"] == {"kind": "number", "min": 1, "max": 4, "mean": 2.5, "distinct": 2}
    assert fields["b"] == {"kind": "boolean", "true": 1, "false": 1}
    assert fields["c"]["most_common"] == "X" and fields["c"]["most_common_count"] == 2


def test_state_holds_only_datasets():
    gen = DataGenerator()
    gen.generate_names(2)
    assert gen.state() == {"datasets": {}}
