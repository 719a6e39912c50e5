"""World YAML errors (unknown keys, wrong types, unknown tools) name the file and the line."""

from __future__ import annotations

import pytest

from simtool.config import run_config
from simtool.errors import SpecError
from simtool.run import resolve

WORLD = """\
name: errors
tasks:
  - id: files
    services: [GorillaFileSystem]
    turns:
      - request: make a folder
        gold: ["mkdir(dir_name='a')"]
latency:
  default: {request: 10, service: 5, response: 10}
  services:
    GorillaFileSystem:
      tools:
        mkdir: {service: {dist: lognormal, median: 20, sigma: 0.5}}
services:
  GorillaFileSystem: {capacity: 2, rate_limit: {calls: 5, per_ms: 1000}, outages: [{start_ms: 10, end_ms: 20}]}
faults:
  - {at_ms: 50, kind: revoke, scope: filesystem.write, task: files}
fault_processes:
  - {kind: outage, mean_interval_ms: 500, choices: [{service: GorillaFileSystem, duration_ms: 100}]}
horizon_ms: 60000
policy: {name: interleave, think: 10}
"""


def _load(tmp_path, text: str):
    path = tmp_path / "world.yaml"
    path.write_text(text)
    config, where = run_config(str(path), None)
    return resolve(config, where)


def test_the_base_world_is_valid(tmp_path):
    world, policy, _ = _load(tmp_path, WORLD)
    assert world.name == "errors" and policy.name == "interleave"


CASES = [
    # unknown keys, at every level
    ("world key", ("horizon_ms: 60000", "horizon_ms: 60000\ncolour: red"), 21, "unknown key", "colour"),
    ("task key", ("    services: [GorillaFileSystem]", "    services: [GorillaFileSystem]\n    owner: me"), 5, "unknown key", "owner"),
    ("turn key", ("        gold: [\"mkdir(dir_name='a')\"]", "        gold: [\"mkdir(dir_name='a')\"]\n        answer: yes"), 8, "unknown key", "answer"),
    ("latency key", ("  default: {request: 10", "  defaults: {request: 10"), 9, "unknown latency key", "defaults"),
    ("latency leg", ("{request: 10, service: 5,", "{request: 10, servce: 5,"), 9, "unknown latency key", "servce"),
    ("distribution field", ("median: 20, sigma: 0.5", "median: 20, sigma: 0.5, mean: 3"), 13, "unknown key for a lognormal", "mean"),
    ("limits key", ("{capacity: 2,", "{capacity: 2, burst: 3,"), 15, "unknown key", "burst"),
    ("fault field", ("scope: filesystem.write, task: files}", "scope: filesystem.write, task: files, service: GorillaFileSystem}"), 17, "unknown key", "service"),
    ("fault process key", ("mean_interval_ms: 500,", "mean_interval_ms: 500, jitter: 3,"), 19, "unknown key", "jitter"),
    ("fault kind", ("kind: revoke", "kind: revokee"), 17, "unknown fault kind", "revokee"),
    # wrong types
    ("horizon as text", ("horizon_ms: 60000", "horizon_ms: an hour"), 20, "must be a whole number", "an hour"),
    ("negative capacity", ("capacity: 2", "capacity: 0"), 15, "must be a whole number", "0"),
    ("services not a list", ("    services: [GorillaFileSystem]", "    services: GorillaFileSystem"), 4, "must list the task's services", "GorillaFileSystem"),
    ("tie_shuffle not a boolean", ("horizon_ms: 60000", "horizon_ms: 60000\ntie_shuffle: sometimes"), 21, "must be true or false", "sometimes"),
    ("gold argument type", ("mkdir(dir_name='a')", "mkdir(dir_name=3)"), 7, "expected string", "3"),
    ("latency not a number", ("{request: 10,", "{request: fast,"), 9, "a latency must be a number of ms", "fast"),
    ("negative median", ("median: 20", "median: -20"), 13, "out of range", "-20"),
    ("fault time", ("at_ms: 50", "at_ms: soon"), 17, "must be a whole number", "soon"),
    # unknown tools and services
    ("gold tool", ("mkdir(dir_name='a')", "mkdirs(dir_name='a')"), 7, "unknown tool for this task", "mkdirs"),
    ("latency tool", ("        mkdir: {service:", "        mkdirr: {service:"), 13, "unknown tool", "mkdirr"),
    ("task service", ("    services: [GorillaFileSystem]", "    services: [GorillaFileSystm]"), 4, "unknown service", "GorillaFileSystm"),
    ("limits service", ("services:\n  GorillaFileSystem: {capacity", "services:\n  TicketAPI: {capacity"), 15, "no task uses this service", "TicketAPI"),
    ("fault task", ("task: files}", "task: file}"), 17, "unknown task", "file"),
]


@pytest.mark.parametrize(("name", "edit", "line", "message", "found"), CASES, ids=[c[0] for c in CASES])
def test_errors_name_file_line_and_what_was_found(tmp_path, name, edit, line, message, found):
    old, new = edit
    assert old in WORLD, name
    with pytest.raises(SpecError) as info:
        _load(tmp_path, WORLD.replace(old, new, 1))
    text = str(info.value)
    assert f"world.yaml:{line}" in text, text
    assert message in text, text
    assert found in text, text


def test_an_amendment_gold_call_with_an_unknown_tool_names_its_line(tmp_path):
    text = WORLD.replace(
        "  - {at_ms: 50, kind: revoke, scope: filesystem.write, task: files}",
        "  - at_ms: 50\n    kind: amend\n    task: files\n    request: two folders\n    gold: [\"mkdir(dir_name='b')\", \"mkdri(dir_name='c')\"]",
    )
    with pytest.raises(SpecError) as info:
        _load(tmp_path, text)
    assert "world.yaml:21" in str(info.value) and "unknown tool" in str(info.value) and "mkdri" in str(info.value)


def test_a_policy_option_of_the_wrong_type_names_the_file(tmp_path):
    with pytest.raises(SpecError) as info:
        _load(tmp_path, WORLD.replace("think: 10}", "think: 10, max_retries: many}"))
    assert "world.yaml" in str(info.value) and "policy.max_retries" in str(info.value)


def test_duplicate_keys_and_broken_yaml_name_the_line(tmp_path):
    with pytest.raises(SpecError, match=r"world.yaml:21: duplicate key 'horizon_ms'"):
        _load(tmp_path, WORLD.replace("horizon_ms: 60000", "horizon_ms: 60000\nhorizon_ms: 5"))
    with pytest.raises(SpecError, match=r"world.yaml:\d+: not valid YAML"):
        _load(tmp_path, WORLD.replace("name: errors", "name: [errors"))
