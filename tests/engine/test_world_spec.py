"""World YAML errors name the file, the line and the key, with what was expected and found."""

from __future__ import annotations

import pytest

from simtool.config import apply_overrides
from simtool.errors import SpecError
from simtool.world import parse_world
from simtool.yamlspec import load_yaml_text

BASE = """\
name: w
tasks:
  - id: t1
    services: [TicketAPI]
    turns:
      - request: open one
        gold: ["ticket_login(username='ana', password='x')", "create_ticket(title='a')"]
"""


def parse(text: str):
    data, where = load_yaml_text(text, "world.yaml")
    return parse_world(data, where)


def test_a_valid_world_resolves_defaults():
    world = parse(BASE)
    assert world.enforcement == "issue" and world.resolved["tie_shuffle"] is False
    assert world.tasks[0].permissions == ("ticketing.read", "ticketing.write")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (BASE + "colour: red\n", 8, "unknown key"),
        (BASE.replace("TicketAPI", "TicketAPII"), 4, "unknown service"),
        (BASE.replace("create_ticket(title='a')", "create_tikcet(title='a')"), 7, "unknown tool"),
        (BASE.replace("title='a'", "title=3"), 7, "expected string"),
        (BASE + "faults:\n  - {at_ms: 5, kind: cancel_task, task: t9}\n", 9, "unknown task"),
        (BASE + "enforcement: sometimes\n", 8, "unknown enforcement"),
        (BASE + "latency:\n  default:\n    request: {dist: gamma, shape: 2}\n", 10, "scale"),
    ],
)
def test_errors_point_at_the_yaml_line(text, line, fragment):
    with pytest.raises(SpecError) as info:
        parse(text)
    assert f"world.yaml:{line}" in str(info.value)
    assert fragment in str(info.value)


def test_overrides_reach_nested_keys_and_reject_bad_paths():
    data, _ = load_yaml_text(BASE)
    config = apply_overrides({"world": data, "policy": {"name": "interleave"}}, ["world.tasks.0.id=renamed", "world.latency.scale=2", "policy.think=5"])
    assert config["world"]["tasks"][0]["id"] == "renamed" and config["world"]["latency"]["scale"] == 2
    assert config["policy"]["think"] == 5
    with pytest.raises(SpecError, match="world."):
        apply_overrides(config, ["latency.scale=2"])
    with pytest.raises(SpecError, match="index"):
        apply_overrides(config, ["world.tasks.5.id=x"])


def test_a_gold_call_that_errors_at_its_service_is_a_world_error_naming_the_call():
    text = BASE.replace("\"ticket_login(username='ana', password='x')\", ", "")
    with pytest.raises(SpecError, match="world.yaml:7, key 'tasks.0.turns.0.gold.0'.*errors at TicketAPI.*not authenticated"):
        parse(text)


def test_a_gold_error_the_turn_expects_is_accepted():
    text = BASE.replace("\"ticket_login(username='ana', password='x')\", ", "") + "        expect_error: [0]\n"
    assert parse(text).tasks[0].turns[0].gold[0].tool == "create_ticket"
    with pytest.raises(SpecError, match="expect_error"):
        parse(text.replace("[0]", "[3]"))


def test_a_fault_scope_no_service_of_the_task_has_is_a_world_error():
    text = BASE + "faults:\n  - {at_ms: 5, kind: revoke, scope: trading.write, task: t1}\n"
    with pytest.raises(SpecError, match="world.yaml:9, key 'faults.0.scope'.*ticketing.read \\| ticketing.write"):
        parse(text)


@pytest.mark.parametrize(("extra", "key"), [
    ("latency: 5\n", "latency"),
    ("latency: {default: {request: {dist: lognormal, median: 1.0e+308, sigma: 0.5}}}\n", "latency.default.request.median"),
    ("latency: {default: {request: {dist: [lognormal]}}}\n", "latency"),
    ("fault_processes: 3\n", "fault_processes"),
    ("faults:\n  - {at_ms: 5, kind: outage, service: null, duration_ms: 3}\n", "faults.0.service"),
    ("faults:\n  - {at_ms: 5, kind: cancel_task, task: [t1]}\n", "faults.0.task"),
])
def test_a_value_of_the_wrong_shape_is_a_world_error_not_a_crash(extra, key):
    with pytest.raises(SpecError, match=f"key '{key}'"):
        parse(BASE + extra)


@pytest.mark.parametrize(("replace", "key"), [
    ("services: [TicketAPI]", "tasks.0.services.0"),
    ("turns:", "initial_config"),
])
def test_a_task_of_the_wrong_shape_is_a_world_error_not_a_crash(replace, key):
    text = BASE.replace("services: [TicketAPI]", "services: [[TicketAPI]]") if key.startswith("tasks") else \
        BASE.replace("    turns:", "    initial_config: {TicketAPI: 5}\n    turns:")
    with pytest.raises(SpecError, match=key):
        parse(text)
