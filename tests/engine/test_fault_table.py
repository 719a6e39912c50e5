"""Faults are one table: a kind is one class registered by name, and a new kind works end to end.

The ``Notice`` kind below exists only in this module: a world YAML that uses it parses, the
trace records it, the agent sees its event (and a model reads its description), the timeline
knows how to draw it and the shrinker how to simplify it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from attrs import frozen

from policies.llm.render import event_lines
from simtool.config import run_config
from simtool.errors import SpecError
from simtool.faults import (
    FaultKind,
    FaultScene,
    TimelineMark,
    fault_kind,
    fault_kinds,
    kind_for_event,
    unregister,
)
from simtool.policy import Decision, Event, Wait
from simtool.run import run
from simtool.world import parse_world
from simtool.yamlspec import check_str
from tests.engine.helpers import Script, of, ticket_task, world


@frozen
class NoticeSpec:
    text: str
    task: str | None


class Notice(FaultKind):
    """A message to the agent about a task (or all tasks): it changes nothing but what the agent knows."""

    name = "notice"
    keys = ("text", "task")
    required = ("text",)
    event = "noticed"

    def parse(self, spec: Mapping[str, Any], tasks: Mapping[str, Any], where: Any, path: tuple[Any, ...]) -> NoticeSpec:
        task = spec.get("task")
        return NoticeSpec(check_str(spec["text"], where, path + ("text",)), None if task in (None, "*") else task)

    def record(self, params: NoticeSpec) -> dict[str, Any]:
        return {"text": params.text, **({"task": params.task} if params.task else {})}

    def apply(self, params: NoticeSpec, scene: FaultScene, rec: dict[str, Any]) -> None:
        scene.emit("fault", **rec, effective=True)
        for task in scene.targets(params.task):
            scene.notify(Event(self.event, scene.now, task.task_id, None, {"text": params.text}))

    def describe(self, event: Event) -> str:
        return f"task {event.task_id}: notice: {event.detail.get('text')}"

    def mark(self, record: Mapping[str, Any]) -> TimelineMark:
        return TimelineMark("line", f"notice {record.get('text', '')}")

    def simplify(self, spec: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        text = str(spec.get("text", ""))
        return [("shorten the text", {**spec, "text": text[: len(text) // 2]})] if len(text) > 1 else []


@pytest.fixture
def notice():
    fault_kind(Notice)
    yield fault_kinds()["notice"]
    unregister("notice")


WORLD_YAML = """
name: noticed
tasks:
  - id: a
    services: [TicketAPI]
    initial_config: {TicketAPI: {current_user: ana, ticket_counter: 1, ticket_queue: []}}
    turns: [{request: list, gold: ["get_user_tickets()"]}]
latency: {default: {request: 100, service: 0, response: 100}}
faults:
  - {at_ms: 50, kind: notice, task: a, text: the ticket system closes at noon}
"""


def test_a_fault_kind_defined_in_a_test_module_alone_runs_end_to_end(notice, tmp_path):
    path = tmp_path / "world.yaml"
    path.write_text(WORLD_YAML)
    config, where = run_config(str(path), None, ())
    policy = Script([Decision((), 0, Wait())])
    result = run(config, 0, where=where, policy=policy)
    events = [json.loads(line) for line in result.lines]
    [fault] = of(events, "fault")
    assert fault["fault"] == "notice" and fault["t"] == 50 and fault["text"] == "the ticket system closes at noon"
    assert fault["task"] == "a" and fault["source"] == "scheduled" and fault["effective"] is True
    woken = policy.seen[1]  # the wait for anything ends with the notice
    assert woken.now == 50
    [seen] = [e for e in woken.events if e.kind == "noticed"]
    assert seen.task_id == "a" and seen.detail["text"] == "the ticket system closes at noon"
    assert event_lines(woken, [seen]) == ["[50 ms] task a: notice: the ticket system closes at noon"]
    assert kind_for_event("noticed") is notice
    assert notice.mark(fault).label == "notice the ticket system closes at noon"
    assert notice.simplify({"kind": "notice", "text": "abcd"}) == [("shorten the text", {"kind": "notice", "text": "ab"})]


def test_a_new_fault_kind_is_drawn_by_a_seeded_process(notice):
    spec = world([ticket_task("a", ["get_user_tickets()"])],
                 fault_processes=[{"kind": "notice", "mean_interval_ms": 30, "max_count": 2, "choices": [{"text": "hello"}]}])
    events = [json.loads(line) for line in run({"world": spec, "policy": {"name": "interleave"}}, 3).lines]
    faults = of(events, "fault", fault="notice")
    assert len(faults) == 2 and all(f["source"] == "process:0" and "task" not in f for f in faults)


def test_a_world_names_its_faults_keys_through_the_kinds_table(notice):
    spec = world([ticket_task("a", ["get_user_tickets()"])], faults=[{"at_ms": 5, "kind": "notice", "colour": "red", "text": "x"}])
    with pytest.raises(SpecError, match="unknown key") as err:
        parse_world(spec)
    assert err.value.expected == "kind | at_ms | text | task"
    spec["faults"] = [{"at_ms": 5, "kind": "notice"}]
    with pytest.raises(SpecError, match="a notice fault needs 'text'"):
        parse_world(spec)


def test_an_unknown_fault_kind_names_every_registered_kind():
    spec = world([ticket_task("a", ["get_user_tickets()"])], faults=[{"at_ms": 5, "kind": "earthquake"}])
    with pytest.raises(SpecError, match="unknown fault kind") as err:
        parse_world(spec)
    assert err.value.expected == "cancel_task | amend | revoke | grant | outage | rate_limit"


def test_registering_a_taken_fault_kind_name_or_agent_event_is_refused():
    class Again(FaultKind):
        name = "revoke"

    class SameEvent(FaultKind):
        name = "also_amends"
        event = "amended"

    with pytest.raises(ValueError, match="'revoke' is already registered"):
        fault_kind(Again)
    with pytest.raises(ValueError, match="'amended' already belongs to fault kind 'amend'"):
        fault_kind(SameEvent)
    assert "also_amends" not in fault_kinds()


def test_an_amend_fault_names_one_task():
    spec = world([ticket_task("a", ["get_user_tickets()"])],
                 faults=[{"at_ms": 5, "kind": "amend", "task": "*", "request": "r", "gold": []}])
    with pytest.raises(SpecError, match="changes the request of one task"):
        parse_world(spec)


def test_each_shipped_kind_says_how_the_timeline_draws_it():
    marks = {name: kind.mark({"scope": "ticket.write", "service": "TicketAPI", "duration_ms": 40})
             for name, kind in fault_kinds().items()}
    assert {name: (m.style, m.label, m.tone) for name, m in marks.items() if m is not None} == {
        "cancel_task": ("cancel", "task cancelled", "neutral"),
        "amend": ("line", "amended", "warning"),
        "revoke": ("line", "revoked ticket.write", "revoke"),
        "grant": ("line", "granted ticket.write", "grant"),
        "outage": ("span", "outage TicketAPI", "neutral"),
        "rate_limit": ("line", "rate limit TicketAPI", "neutral"),
    }
    assert marks["outage"].duration_ms == 40


def test_each_shipped_kind_describes_its_agent_event_as_the_model_reads_it():
    lines = {kind.event: kind.describe(Event(kind.event, 0, "a", None, {"scope": "ticket.write"}))
             for kind in fault_kinds().values() if kind.event is not None}
    assert lines == {
        "task_cancelled": "task a was cancelled by its user: stop working on it",
        "amended": "task a: the user changed the current request; results of the old one are stale",
        "revoked": "task a: permission ticket.write revoked",
        "granted": "task a: permission ticket.write granted",
    }


AMEND_WORLD = world(
    [ticket_task("a", ["get_user_tickets()"]), ticket_task("b", ["get_user_tickets()"])],
    faults=[
        {"at_ms": 5, "kind": "amend", "task": "a", "request": "again", "gold": ["get_user_tickets()", "get_user_tickets()"]},
        {"at_ms": 6, "kind": "revoke", "scope": "ticket.write"},
        {"at_ms": 7, "kind": "amend", "task": "b", "request": "none", "gold": []},
        {"at_ms": 8, "kind": "outage", "service": "TicketAPI", "duration_ms": 10},
    ],
)


def test_the_kinds_simplify_faults_as_the_shrinker_did():
    # the shrinker's fault simplification before the table: "drop the last gold call of fault i"
    # for every fault with gold (an amend), nothing else
    candidates = [(f"{label} of fault {i}", simpler) for i, spec in enumerate(AMEND_WORLD["faults"])
                  for label, simpler in fault_kinds()[spec["kind"]].simplify(spec)]
    assert candidates == [(
        "drop the last gold call of fault 0",
        {"at_ms": 5, "kind": "amend", "task": "a", "request": "again", "gold": ["get_user_tickets()"]},
    )]
    assert AMEND_WORLD["faults"][0]["gold"] == ["get_user_tickets()", "get_user_tickets()"]  # the spec is left as it was


def test_the_fault_table_is_what_a_world_yaml_reads():
    data = yaml.safe_load(WORLD_YAML)
    with pytest.raises(SpecError, match="unknown fault kind"):  # not registered outside the fixture
        parse_world(data)
