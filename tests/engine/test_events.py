"""simtool.events declares every line a run writes: each kind, and exactly its fields."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from simtool import events
from simtool.config import run_config
from simtool.run import run

from .helpers import ticket_task, world

WORLDS = ("default", "docs/examples/desk.yaml", "docs/examples/race.yaml", "tests/hunting/worlds/races.yaml",
          "tests/scoring/worlds/cancelled-during-outage.yaml", "tests/scoring/worlds/amended-request.yaml",
          "tests/scoring/worlds/crossed-replies.yaml")
POLICIES = ("interleave", "eager", "unbound", "oblivious")


def every_fault_world() -> dict:
    tasks = [ticket_task("a", ["create_ticket(title='x')", "get_ticket(ticket_id=1)"]),
             ticket_task("b", ["create_ticket(title='y')"]), ticket_task("c", ["create_ticket(title='z')"])]
    faults = [
        {"at_ms": 50, "kind": "revoke", "scope": "ticketing.write", "task": "b"},
        {"at_ms": 60, "kind": "outage", "service": "TicketAPI", "duration_ms": 40},
        {"at_ms": 70, "kind": "rate_limit", "service": "TicketAPI", "calls": 1, "per_ms": 100, "duration_ms": 300},
        {"at_ms": 120, "kind": "grant", "scope": "ticketing.write"},
        {"at_ms": 150, "kind": "amend", "task": "a", "request": "again", "gold": ["create_ticket(title='w')"]},
        {"at_ms": 160, "kind": "cancel_task", "task": "c"},
    ]
    return world(tasks, request=90, response=90, faults=faults, default_timeout_ms=150)


def check_lines(lines, seen: Counter) -> None:
    for number, line in enumerate(lines, 1):
        record = json.loads(line)
        kind = record.get("kind")
        assert kind in events.KINDS, f"line {number}: undeclared kind {kind!r}"
        required, optional = events.FIELDS[kind]
        keys = set(record)
        assert required <= keys, f"line {number} ({kind}): missing {sorted(required - keys)}"
        assert keys <= required | optional, f"line {number} ({kind}): undeclared {sorted(keys - required - optional)}"
        seen[kind] += 1
        if kind == "decide":
            for action in record["actions"]:
                cls = {"call": events.CallAction, "cancel": events.CancelAction, "respond": events.RespondAction}[action["op"]]
                assert set(action) == set(cls.__required_keys__), (number, action)


def test_every_line_of_many_runs_has_a_declared_kind_and_exactly_its_declared_fields():
    seen: Counter = Counter()
    for source in WORLDS:
        for policy in POLICIES:
            config, where = run_config(source, policy)
            for seed in (0, 1):
                check_lines(run(config, seed, where=where).lines, seen)
    for policy in POLICIES:
        check_lines(run({"world": every_fault_world(), "policy": {"name": policy}}, 0).lines, seen)
    assert set(seen) == set(events.KINDS), f"never written: {sorted(set(events.KINDS) - set(seen))}"


def test_the_kinds_are_one_literal_and_the_event_kinds_exclude_header_and_footer():
    assert events.KINDS == ("header", "footer", *events.EVENT_KINDS)
    assert len(set(events.KINDS)) == len(events.KINDS)
    assert set(events.CALL_ENDS) <= set(events.EVENT_KINDS)
    with pytest.raises(KeyError):
        events.fields_of("no_such_kind")
