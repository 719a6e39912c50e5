"""Authored tasks of our own domains replay cleanly, meet their expectations and are deterministic."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import pytest

import worlds.authored as authored
from simtool.callstring import parse_call
from simtool.errors import SpecError
from simtool.registry import service_class
from simtool.run import run
from simtool.service import Service, ServiceContext, check_args
from worlds.authored import authored_domains, check_expect, load_authored_tasks
from worlds.datagen.streams import standalone_context
from worlds.suites import instance_world

OUR_SERVICES = {"records": "RecordStore", "datagen": "DataGenerator", "strings": "StringTools", "formats": "FormatTools"}
TASKS = load_authored_tasks()


def _fresh(task: dict[str, Any], ctx: ServiceContext | None = None) -> dict[str, Service]:
    services = {}
    for name in task["services"]:
        instance = service_class(name)(ctx)
        # a JSON copy, as the runtime hands scenarios over: the task dict must stay untouched
        instance.load_scenario(json.loads(json.dumps(task.get("initial_config", {}).get(name, {}))))
        services[name] = instance
    return services


def _owner(services: dict[str, Service], tool: str) -> Service:
    owners = [s for s in services.values() if tool in type(s).schemas()]
    assert len(owners) == 1, f"tool {tool} is offered by {len(owners)} of the task's services"
    return owners[0]


def replay(task: dict[str, Any], ctx: ServiceContext | None = None) -> list[dict[str, Any]]:
    """Run every turn's gold calls on fresh instances; per turn, the results and the states."""
    services = _fresh(task, ctx)
    turns = []
    for number, turn in enumerate(task["turns"]):
        results = []
        for text in turn["gold"]:
            tool = text.split("(", 1)[0].strip()
            service = _owner(services, tool)
            schema = type(service).schemas()[tool]
            _, args = parse_call(text, schema.param_names)
            assert check_args(schema, args) is None, f"{task['id']} turn {number}: {check_args(schema, args)}"
            before = service.state()
            outcome = service.invoke(tool, args)
            assert not outcome.error, f"{task['id']} turn {number}: {text} -> {outcome.value}"
            if schema.access == "read":
                assert service.state() == before, f"{task['id']}: read tool {tool} changed the state"
            results.append(outcome.value)
        turns.append({"results": results, "states": {n: s.state() for n, s in services.items()}})
    return turns


def test_authored_domains_are_the_four_of_ours():
    assert authored_domains() == ["records", "datagen", "strings", "formats"]


@pytest.mark.parametrize("domain", authored_domains())
def test_each_domain_has_at_least_forty_tasks_in_file_order(domain):
    tasks = load_authored_tasks(domain)
    assert len(tasks) >= 40
    assert all(t["domain"] == domain for t in tasks)
    assert [t["id"] for t in tasks] == sorted(t["id"] for t in tasks)
    assert all(OUR_SERVICES[domain] in t["services"] for t in tasks)


def test_all_tasks_are_the_domains_in_order_with_unique_ids():
    assert TASKS == [t for d in authored_domains() for t in load_authored_tasks(d)]
    assert len({t["id"] for t in TASKS}) == len(TASKS)
    assert all(1 <= len(t["turns"]) <= 4 for t in TASKS)


def test_unknown_domain_is_refused_with_the_known_ones():
    with pytest.raises(SpecError, match="unknown authored domain 'nope'.*records"):
        load_authored_tasks("nope")


def test_a_broken_tasks_file_is_reported_with_file_and_line(tmp_path, monkeypatch):
    bad = tmp_path / "tasks.yaml"
    bad.write_text("tasks:\n  - id: x-1\n    title: t\n    services: [RecordStore]\n    turns:\n      - request: hi\n        gold: []\n")
    monkeypatch.setattr(authored, "tasks_path", lambda domain: bad)
    with pytest.raises(SpecError) as info:
        load_authored_tasks("records")
    assert f"{bad}:7" in str(info.value) and "gold" in str(info.value)


def test_unquoted_dates_in_tasks_are_reported_with_their_line(tmp_path, monkeypatch):
    bad = tmp_path / "tasks.yaml"
    bad.write_text(
        "tasks:\n  - id: x-1\n    title: t\n    services: [RecordStore]\n"
        "    initial_config: {RecordStore: {collections: {c: {records: [{when: 2024-01-15}]}}}}\n"
        "    turns:\n      - request: hi\n        gold: ['list_collections()']\n"
    )
    monkeypatch.setattr(authored, "tasks_path", lambda domain: bad)
    with pytest.raises(SpecError, match=r":5, key 'tasks.0.initial_config.RecordStore.collections.c.records.0.when'"):
        load_authored_tasks("records")


@pytest.mark.parametrize("task", TASKS, ids=[t["id"] for t in TASKS])
def test_gold_calls_run_and_meet_expectations(task):
    for turn, ran in zip(task["turns"], replay(task)):
        assert check_expect(turn.get("expect", {}), ran["results"], ran["states"]) == []


DATAGEN = load_authored_tasks("datagen")


@pytest.mark.parametrize("task", DATAGEN, ids=[t["id"] for t in DATAGEN])
def test_datagen_expectations_hold_for_any_run_seed(task):
    # in a run the streams come from the run's seed: the authored checks must not depend on it
    for seed in (1, 2, 3):
        for turn, ran in zip(task["turns"], replay(task, standalone_context(seed, task["id"]))):
            assert check_expect(turn.get("expect", {}), ran["results"], ran["states"]) == []


@pytest.mark.parametrize("task", TASKS, ids=[t["id"] for t in TASKS])
def test_gold_replay_is_deterministic(task):
    first, second = replay(task), replay(task)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_tasks_are_not_changed_by_replaying_them():
    snapshot = json.dumps(TASKS, sort_keys=True)
    for task in TASKS:
        replay(task)
    assert json.dumps(TASKS, sort_keys=True) == snapshot


@pytest.mark.parametrize("name", sorted(OUR_SERVICES.values()))
def test_tool_methods_match_their_schemas(name):
    cls = service_class(name)
    for tool, schema in cls.schemas().items():
        params = list(inspect.signature(getattr(cls, tool)).parameters.values())[1:]
        assert [p.name for p in params] == list(schema.param_names), tool
        for p, declared in zip(params, schema.params):
            if declared.required:
                assert p.default is inspect.Parameter.empty, f"{tool}.{p.name} is required but has a default"
            else:
                assert declared.has_default and p.default == declared.default, f"{tool}.{p.name} default differs"
        assert schema.description, tool


def test_tool_names_are_unique_across_our_services():
    names = [tool for n in OUR_SERVICES.values() for tool in service_class(n).schemas()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("domain", authored_domains())
def test_every_tool_of_a_domain_is_used_by_a_task_of_that_domain(domain):
    used = {text.split("(", 1)[0].strip() for t in load_authored_tasks(domain) for turn in t["turns"] for text in turn["gold"]}
    assert sorted(set(service_class(OUR_SERVICES[domain]).schemas()) - used) == []


_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def shape(call: str) -> str:
    """A gold call with every quoted string and every number replaced by a placeholder."""
    return _NUMBER.sub("N", _QUOTED.sub("S", call))


def test_shape_hides_constants_but_keeps_tools_and_argument_names():
    assert shape("f(a='x, y', b=3, c=[1.5, -2], d={'k': \"it's\"})") == "f(a=S, b=N, c=[N, N], d={S: S})"
    assert shape("get(record_id=2)") != shape("get(record_id=2, fields=['a'])")


@pytest.mark.parametrize("domain", authored_domains())
def test_no_two_tasks_of_a_domain_differ_only_in_constants(domain):
    # the gold paths of all turns with constants hidden: two tasks with the same shape would be
    # the same request about other values, which adds count but not coverage
    seen: dict[tuple[tuple[str, ...], ...], str] = {}
    for task in load_authored_tasks(domain):
        key = tuple(tuple(shape(call) for call in turn["gold"]) for turn in task["turns"])
        assert key not in seen, f"{task['id']} has the gold shape of {seen.get(key)}"
        seen[key] = task["id"]
    requests = [tuple(shape(turn["request"]) for turn in t["turns"]) for t in load_authored_tasks(domain)]
    assert len(set(requests)) == len(requests)


@pytest.mark.parametrize("task", TASKS, ids=[t["id"] for t in TASKS])
def test_every_gold_call_validates_against_its_tool_schema(task):
    tools = {tool: schema for name in task["services"] for tool, schema in service_class(name).schemas().items()}
    for turn in task["turns"]:
        for text in turn["gold"]:
            tool = text.split("(", 1)[0].strip()
            assert tool in tools, f"{task['id']}: {tool} is not a tool of {task['services']}"
            _, args = parse_call(text, tools[tool].param_names)
            assert check_args(tools[tool], args) is None, f"{task['id']}: {text}"


@pytest.mark.parametrize("domain", authored_domains())
def test_every_turn_checks_what_the_user_asked_for_not_only_sizes(domain):
    # an expectation of lengths alone would pass a wrong answer of the right size
    for task in load_authored_tasks(domain):
        for number, turn in enumerate(task["turns"]):
            keys = [k for part in turn.get("expect", {}).values() for k in part]
            assert any(not k.endswith("|len") for k in keys), f"{task['id']} turn {number}"


def test_check_expect_reports_paths_lengths_keys_and_mismatches():
    results = [{"records": [{"id": 1}, {"id": 2}], "count": 2}]
    states = {"S": {"a": {"b": 1, "c": 2}}}
    assert check_expect({"results": {"0.records|len": 2, "0.records.1.id": 2}, "state": {"S.a|keys": ["b", "c"]}},
                        results, states) == []
    failures = check_expect({"results": {"0.count": 3, "0.nope": 1, "1": 0}, "state": {"S.a|len": 3, "T": 1}},
                            results, states)
    assert failures == [
        "results 0.count: expected 3, found 2",
        "results 0.nope: path not found",
        "results 1: no such call",
        "state S.a|len: expected 3, found 2",
        "state T: no such service",
    ]


def test_star_steps_and_comparing_suffixes_check_values_without_knowing_them():
    results = [{"values": [3, 7, 5], "ids": ["a-1", "a-2"], "when": "2024-03-09"}]
    states = {"S": {"rows": [{"age": 20, "plan": "pro"}, {"age": 64, "plan": "free"}]}}
    expect = {
        "results": {"0.values|within": [1, 9], "0.ids|matches": "a-\\d", "0.when|within": ["2024-03-01", "2024-03-31"],
                    "0.ids|sorted": True, "0.values|sorted": False, "0.values|distinct": 3},
        "state": {"S.rows.*.age|within": [18, 80], "S.rows.*.plan|among": ["free", "pro"], "S.rows.*.age": [20, 64]},
    }
    assert check_expect(expect, results, states) == []
    failures = check_expect({
        "results": {"0.values|within": [4, 9], "0.ids|matches": "a", "0.values|sorted": True, "0.when|within": [1, 2]},
        "state": {"S.rows.*.plan|among": ["pro"], "S.rows.*.nope": 1, "S.rows|bogus": 1},
    }, results, states)
    assert failures == [
        "results 0.values|within: 3 is not within [4, 9]",
        "results 0.ids|matches: 'a-1' does not match 'a'",
        "results 0.values|sorted: the list is not sorted",
        "results 0.when|within: '2024-03-09' is not within [1, 2]",
        "state S.rows.*.plan|among: 'free' is not among ['pro']",
        "state S.rows.*.nope: path not found",
        "state S.rows|bogus: unknown suffix '|bogus' (expected one of |len, |keys, |distinct, |within, |among, |matches, |sorted)",
    ]


def test_an_unknown_expect_suffix_is_refused_when_the_file_loads(tmp_path, monkeypatch):
    bad = tmp_path / "tasks.yaml"
    bad.write_text("tasks:\n  - id: x-1\n    title: t\n    services: [RecordStore]\n    turns:\n      - request: hi\n"
                   "        gold: ['list_collections()']\n        expect: {results: {'0.collections|size': 0}}\n")
    monkeypatch.setattr(authored, "tasks_path", lambda domain: bad)
    with pytest.raises(SpecError, match=r"unknown expect suffix.*\|within"):
        load_authored_tasks("records")


@pytest.mark.parametrize("task", TASKS, ids=[t["id"] for t in TASKS])
def test_each_task_passes_every_turn_when_run_alone_by_a_correct_policy(task):
    # in a run the services get the run's seeded streams and the grader replays the gold itself
    world = instance_world({"id": task["id"], "kind": "single", "tasks": [task]}, "instant")
    events = run({"world": world, "policy": {"name": "interleave"}}, 3).events()
    responds = [e for e in events if e["kind"] == "respond"]
    assert [e["kind"] for e in events[-2:]][0] == "end" and events[-2]["reason"] == "all_done"
    assert len(responds) == len(task["turns"])
    assert [(e["turn"], e["state_diff"]) for e in responds if not (e["state_ok"] and e["results_ok"])] == []


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    if isinstance(value, (list, tuple)):
        return [leaf for inner in value for leaf in _leaves(inner)]
    return [value]


def _telling(value: Any) -> bool:
    """A value specific enough that an argument equal to it was read off a result (not 0, 1 or 'a')."""
    if isinstance(value, str):
        return len(value) >= 3
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 2


def structure(task: dict[str, Any]) -> tuple[bool, bool]:
    """(two calls of a turn may run together, a call must wait for an earlier one) by the rule of
    DESIGN.md: two calls conflict when they touch the same service and one of them writes, or when
    one uses a telling value the other returned (not an echo of the other's own arguments)."""
    tools = {tool: (name, schema) for name in task["services"] for tool, schema in service_class(name).schemas().items()}
    independent = ordered = False
    earlier: list[tuple[str, str, list[Any]]] = []  # (service, access, telling values returned) of every call so far
    for turn, ran in zip(task["turns"], replay(task)):
        start = len(earlier)
        for text, result in zip(turn["gold"], ran["results"]):
            service, schema = tools[text.split("(", 1)[0].strip()]
            _, args = parse_call(text, schema.param_names)
            used = [a for a in _leaves(args) if _telling(a)]
            for position, (other, access, gave) in enumerate(earlier):
                conflict = (other == service and "write" in (access, schema.access)) or any(a in gave for a in used)
                ordered = ordered or conflict
                independent = independent or (position >= start and not conflict)
            earlier.append((service, schema.access, [r for r in _leaves(result) if _telling(r) and r not in used]))
    return independent, ordered


@pytest.mark.parametrize("domain", authored_domains())
def test_gold_paths_have_calls_that_may_run_together_and_calls_that_must_wait(domain):
    # real requests: lookups an asynchronous agent may issue together, and writes or calls that
    # need what an earlier call did or returned
    shapes = [structure(t) for t in load_authored_tasks(domain)]
    assert sum(independent for independent, _ in shapes) >= 8
    assert sum(ordered for _, ordered in shapes) >= 25


def test_comparing_suffixes_name_a_malformed_expectation_instead_of_passing_it():
    results = [{"by_name": {"a": {"n": 1}, "b": {"n": 5}}, "n": 3, "when": "2024-01-01"}]
    assert check_expect({"results": {"0.by_name.*.n": [1, 5], "0.n|within": [3, 3]}}, results, {}) == []
    assert check_expect({"results": {
        "0.n|within": 3, "0.n|among": "3", "0.n|matches": 3, "0.n|sorted": True, "0.when|within": [1, 9],
    }}, results, {}) == [
        "results 0.n|within: |within needs [low, high]",
        "results 0.n|among: |among needs a list of values",
        "results 0.n|matches: |matches needs a regular expression",
        "results 0.n|sorted: value is not a list",
        "results 0.when|within: '2024-01-01' is not within [1, 9]",
    ]
