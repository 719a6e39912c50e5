"""Sweep specs: the forms they accept, the errors they give, and how they expand into cells."""

from __future__ import annotations

import json

import pytest

from simtool.config import apply_overrides
from simtool.errors import SpecError
from simtool.sweeps import expand, load_spec, spec_from_text
from simtool.sweeps.cells import cell_config, override_text
from tests.sweeps.helpers import write_spec


def test_grid_expands_to_the_product_of_worlds_points_policies_and_seeds(tmp_path):
    spec = load_spec(write_spec(tmp_path, """
worlds: [race.yaml]
policies: [sequential, {name: eager, label: eager-fast, think: 0}]
seeds: {start: 5, count: 3}
grid:
  world.latency.scale: [0.5, 2]
  world.enforcement: [issue, execution]
"""))
    cells = list(expand(spec))
    assert len(cells) == spec.size == 1 * 2 * 3 * 2 * 2
    assert len({c.key for c in cells}) == len(cells)
    assert {c.seed for c in cells} == {5, 6, 7}
    assert {c.policy.label for c in cells} == {"sequential", "eager-fast"}
    # the relative world path was found beside the spec, whatever the cwd
    assert cells[0].location == str(tmp_path / "race.yaml")


def test_cell_keys_depend_on_what_runs_not_on_where_the_spec_lives(tmp_path):
    text = "worlds: [race.yaml]\npolicies: [interleave]\nseeds: 2\ngrid: {world.latency.scale: [1, 3]}\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    keys_a = [c.key for c in expand(load_spec(write_spec(tmp_path / "a", text)))]
    keys_b = [c.key for c in expand(load_spec(write_spec(tmp_path / "b", text)))]
    assert keys_a == keys_b
    other = [c.key for c in expand(load_spec(write_spec(tmp_path / "a", text.replace("[1, 3]", "[1, 4]"))))]
    assert other[:2] == keys_a[:2]  # scale 1: the same cells
    assert not set(other[2:]) & set(keys_a)  # scale 4: new ones


def test_cell_config_applies_policy_options_fixed_values_and_grid_values(tmp_path):
    spec = load_spec(write_spec(tmp_path, """
worlds: [race.yaml]
policies: [{name: eager, think: 5}]
grid:
  world.latency.default.request: [{dist: constant, ms: 40}]
  policy.max_retries: [7]
set:
  world.enforcement: execution
"""))
    config, _ = cell_config(next(expand(spec)))
    assert config["policy"] == {"name": "eager", "think": 5, "max_retries": 7}
    assert config["world"]["enforcement"] == "execution"
    assert config["world"]["latency"]["default"]["request"] == {"dist": "constant", "ms": 40}


@pytest.mark.parametrize("value", [1e-05, 0.5, 3, "yes", "null", None, True, "multi\nline: text", {"dist": "lognormal", "median": 25, "sigma": 0.4}, [1, "two"]])
def test_override_values_parse_back_to_themselves(value):
    config = apply_overrides({"world": {}, "policy": {}}, [override_text("world.x", value)])
    assert config["world"]["x"] == value


@pytest.mark.parametrize("text, key, message", [
    ("worlds: [race.yaml]\ngrid: {latency.scale: [1]}\n", "grid.latency.scale", "config path"),
    ("worlds: [race.yaml]\ngrid: {world.latency.scale: []}\n", "grid.world.latency.scale", "non-empty list"),
    ("worlds: [race.yaml]\ngrid: {world.latency.scale: [2, 2]}\n", "grid.world.latency.scale.1", "repeats"),
    ("worlds: [race.yaml]\nseeds: -1\n", "seeds", "seeds"),
    ("worlds: [race.yaml]\nseeds: {count: 0}\n", "seeds.count", "whole number"),
    ("worlds: [race.yaml]\npolicies: [interleave, interleave]\n", "policies.1", "share a label"),
    ("worlds: [race.yaml]\ngird: {}\n", "gird", "unknown key"),
    ("worlds: [race.yaml]\nset: {world.enforcement: issue}\ngrid: {world.enforcement: [issue]}\n", "set.world.enforcement", "both fixed and swept"),
])
def test_spec_errors_name_the_file_line_and_key(tmp_path, text, key, message):
    path = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    error = caught.value
    assert error.file == str(path) and error.line is not None
    assert error.key == key
    assert message in str(error)


def test_a_suite_wildcard_expands_to_every_instance(tmp_path):
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps({"id": f"000{i}-dual-cross", "tasks": []}) + "\n" for i in range(3)), encoding="utf-8")
    spec = spec_from_text("worlds: [suite.jsonl#*@instant]\n", base_dir=tmp_path)
    assert spec.worlds == ("suite.jsonl#0000-dual-cross@instant", "suite.jsonl#0001-dual-cross@instant", "suite.jsonl#0002-dual-cross@instant")
    assert next(expand(spec)).location == f"{suite}#0000-dual-cross@instant"
