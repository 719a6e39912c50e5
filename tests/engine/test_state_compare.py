"""A service's state compared with a gold state without building it: the same answer as
building it (``normalize``) and comparing, for plain data and for every odd value."""

from __future__ import annotations

import enum
from typing import Any

import pytest

from simtool.service import Service, equals_normalized, normalize


class _Colour(str, enum.Enum):
    RED = "red"


class _Thing:
    def __init__(self, size: int) -> None:
        self.size = size
        self._hidden = "x"


VALUES: list[Any] = [
    0, 1, True, None, "a", 1.5, -0.0, float("nan"), float("inf"), [1, "a", None], [1.0, [2, {"x": 3}]],
    {"a": 1, "b": [1, 2], "c": {"d": None}}, {"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1}, {1: "x"}, {"1": "x"},
    {"5": 1, 5: 2}, {"5": 2}, {"5": 1}, (1, 2), [1, 2], {3, 1, 2}, [1, 2, 3], _Colour.RED, "red", _Thing(3), {"size": 3},
    {"a": (1, 2)}, {"a": [1, 2]}, {"a": float("inf")}, {"a": "inf"}, [True], [1], {"a": {"b": [1.0]}}, {"a": {"b": [1]}},
    {"a": {"b": [2]}}, {"a": 1, "b": 2, "c": 3}, [], {}, "",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_comparing_without_building_answers_as_normalize_then_compare(value):
    for expected in VALUES:
        expected = normalize(expected)
        assert equals_normalized(value, expected) == (normalize(value) == expected), (value, expected)


class _Ledger(Service):
    name = "Ledger"

    def __init__(self) -> None:
        super().__init__(None)
        self.entries: dict[str, Any] = {"a": [1, 2]}
        self.owner = "kim"
        self._cache = {"private": True}


class _Tree(Service):
    name = "Tree"

    def __init__(self) -> None:
        super().__init__(None)
        self.root = {"x": 1}

    def state(self) -> dict[str, Any]:
        return {"root": {"/": self.root}}


def test_a_services_state_equals_a_gold_state_exactly_when_its_built_state_does():
    ledger = _Ledger()
    same = ledger.state()
    assert ledger.state_equals(same) and ledger.state_equals(dict(reversed(list(same.items()))))
    assert not ledger.state_equals({**same, "owner": "lee"})
    assert not ledger.state_equals({**same, "extra": None})  # a key more
    assert not ledger.state_equals({"entries": same["entries"]})  # a key fewer
    ledger.entries["a"].append(3)
    assert not ledger.state_equals(same) and ledger.state_equals(ledger.state())
    ledger.later = {"b": (1, 2)}  # a tuple: its state holds a list
    assert ledger.state_equals(ledger.state()) and ledger.state()["later"] == {"b": [1, 2]}


def test_a_service_with_its_own_state_is_compared_by_it():
    tree = _Tree()
    assert tree.state_equals({"root": {"/": {"x": 1}}}) and not tree.state_equals({"root": {"x": 1}})
