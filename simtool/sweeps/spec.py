"""The sweep spec: which worlds, policies and seeds, and a grid over config paths.

A spec is YAML::

    name: latency-scale                 # names the sweep (free text)
    worlds:                             # registered names, YAML paths (relative to this file),
      - default                         #   SUITE.jsonl#<id>[@profile], or SUITE.jsonl#* (every
      - suites/main.jsonl#*             #   instance of the suite; #*@instant: under that profile)
    policies:                           # names, or {name, label, <option>: value, ...}
      - sequential
      - {name: eager, label: eager-no-think, think: 0}
    seeds: 10                           # a count (0..9), a list [3, 7], or {start: 100, count: 10}
    grid:                               # the cartesian product of these config paths' values
      world.latency.scale: [0.5, 1, 2, 4]
      policy.think: [0, {dist: lognormal, median: 25, sigma: 0.4}]
    set:                                # fixed overrides for every cell
      world.enforcement: execution

Config paths are those of ``simtool run --set``: ``world.<path>`` or ``policy.<key>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import evolve, frozen

from simtool.config import check_policy_name
from simtool.errors import SpecError
from simtool.jsonl import read_json_lines
from simtool.trace import canonical
from simtool.trust import check_policy_origin
from simtool.yamlspec import Located, load_yaml, load_yaml_text

__all__ = ["PolicyChoice", "SweepSpec", "load_spec", "parse_spec", "spec_from_text", "suite_instance_ids", "locate", "SPEC_KEYS",
           "with_command_line"]

SPEC_KEYS = ("name", "description", "worlds", "policies", "seeds", "grid", "set")
ALL_INSTANCES = "*"


@frozen
class PolicyChoice:
    """A policy of the sweep: its registered ``name``, its options, and the ``label`` rows and plots use."""

    label: str
    name: str
    options: Mapping[str, Any]


@frozen
class SweepSpec:
    name: str
    worlds: tuple[str, ...]  # world sources as written (suite '#*' expanded to one source per instance)
    policies: tuple[PolicyChoice, ...]
    seeds: tuple[int, ...]
    grid: tuple[tuple[str, tuple[Any, ...]], ...]  # config path -> values, in spec order
    fixed: tuple[tuple[str, Any], ...]  # the spec's ``set`` (then the command line's ``--set``)
    base_dir: str  # relative world paths are looked up here first (the spec file's folder)
    command_line: tuple[str, ...] = ()  # the config paths of ``fixed`` that the command line gave

    @property
    def identity(self) -> str:
        """What a sweep folder holds rows of: the spec's name, worlds, policies, swept paths and
        fixed values. Seeds and the values of swept paths may change between runs into one
        folder (a grown spec runs only its new cells); any other change is another sweep."""
        material = {
            "name": self.name, "worlds": list(self.worlds),
            "policies": [{"label": p.label, "name": p.name, "options": dict(p.options)} for p in self.policies],
            "grid": [k for k, _ in self.grid], "set": [[k, v] for k, v in self.fixed],
        }
        return hashlib.sha256(canonical(material).encode("utf-8")).hexdigest()[:20]

    @property
    def grid_keys(self) -> tuple[str, ...]:
        return tuple(path for path, _ in self.grid)

    @property
    def size(self) -> int:
        n = len(self.worlds) * len(self.policies) * len(self.seeds)
        for _, values in self.grid:
            n *= len(values)
        return n

    def describe(self) -> dict[str, Any]:
        """What ``sweep.json`` records: enough for plots to know the swept paths and the policies."""
        return {
            "name": self.name,
            "grid": {path: list(values) for path, values in self.grid},
            "set": dict(self.fixed),
            "policies": [p.label for p in self.policies],
            "seeds": list(self.seeds),
            "worlds": len(self.worlds),
            "cells": self.size,
            "identity": self.identity,
        }


def _config_path(key: Any, where: Located, path: tuple[Any, ...]) -> str:
    parts = str(key).split(".")
    if parts[0] not in ("world", "policy") or len(parts) < 2 or not all(parts):
        raise where.error(path, "a swept or fixed key is a config path", expected="world.<path> or policy.<key>", found=key)
    return str(key)


def _seeds(value: Any, where: Located) -> tuple[int, ...]:
    def whole(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if whole(value):
        if value == 0:
            raise where.error(("seeds",), "a sweep needs at least one seed", expected="a count >= 1", found=value)
        return tuple(range(value))
    if isinstance(value, list) and value:
        for i, s in enumerate(value):
            if not whole(s):
                raise where.error(("seeds", i), "a seed is a whole number >= 0", expected="an integer >= 0", found=s)
        if len(set(value)) != len(value):
            raise where.error(("seeds",), "seeds repeat", expected="distinct seeds", found=value)
        return tuple(value)
    if isinstance(value, Mapping):
        extra = sorted(set(value) - {"start", "count"})
        if extra:
            raise where.error(("seeds", extra[0]), "unknown key", expected="start | count", found=extra[0])
        start, count = value.get("start", 0), value.get("count")
        if not whole(start):
            raise where.error(("seeds", "start"), "must be a whole number >= 0", expected="an integer >= 0", found=start)
        if not whole(count) or count == 0:
            raise where.error(("seeds", "count"), "must be a whole number >= 1", expected="an integer >= 1", found=count)
        return tuple(range(start, start + count))
    raise where.error(("seeds",), "seeds: a count, a list, or {start, count}", expected="10 | [0, 1, 2] | {start: 0, count: 10}", found=value)


def _policies(value: Any, where: Located) -> tuple[PolicyChoice, ...]:
    if isinstance(value, (str, Mapping)):
        value = [value]
    if not isinstance(value, list) or not value:
        raise where.error(("policies",), "a sweep needs at least one policy", expected="[name, {name, label, ...options}, ...]", found=value)
    out: list[PolicyChoice] = []
    for i, item in enumerate(value):
        if isinstance(item, str) and item:
            check_policy_name(item, where, ("policies", i))
            out.append(PolicyChoice(item, item, {}))
            continue
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not item["name"]:
            raise where.error(("policies", i), "a policy is a name or a mapping with 'name'", expected="interleave | {name: eager, think: 0}", found=item)
        check_policy_name(item["name"], where, ("policies", i, "name"))
        options = {k: v for k, v in item.items() if k not in ("name", "label")}
        label = item.get("label", item["name"])
        if not isinstance(label, str) or not label:
            raise where.error(("policies", i, "label"), "a label is a non-empty string", expected="a string", found=label)
        out.append(PolicyChoice(label, item["name"], options))
    labels = [p.label for p in out]
    for i, label in enumerate(labels):
        if labels.index(label) != i:
            raise where.error(("policies", i), "two policies share a label", expected="distinct labels (add label: ...)", found=label)
    return tuple(out)


def suite_instance_ids(path: str | Path) -> list[str]:
    """The instance ids of a suite file (JSON lines with an ``id`` each), in order."""
    ids = []
    for number, record in read_json_lines(path, "suite"):
        if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
            raise SpecError("a suite line needs an 'id'", file=str(path), line=number, expected="{id, tasks, ...}", found=str(record)[:80])
        ids.append(record["id"])
    return ids


def locate(source: str, base_dir: str | Path) -> str:
    """Where to load a world source from: a relative path found beside the spec wins over the cwd."""
    path, sep, fragment = source.partition("#")
    if not path or Path(path).is_absolute():
        return source
    beside = Path(base_dir) / path
    if beside.exists():
        return str(beside) + sep + fragment
    return source


def _worlds(value: Any, where: Located, base_dir: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise where.error(("worlds",), "a sweep needs at least one world", expected="[default, path.yaml, SUITE.jsonl#id, SUITE.jsonl#*]", found=value)
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise where.error(("worlds", i), "a world source is a string", expected="a name, a YAML path or SUITE.jsonl#id", found=item)
        path, sep, fragment = item.partition("#")
        instance, _, profile = fragment.partition("@")
        if sep and instance == ALL_INSTANCES:
            try:
                ids = suite_instance_ids(locate(path, base_dir))
            except SpecError as exc:
                raise where.error(("worlds", i), str(exc), expected="a readable suite file", found=item) from None
            out.extend(f"{path}#{id_}" + (f"@{profile}" if profile else "") for id_ in ids)
        else:
            out.append(item)
    seen: set[str] = set()
    for source in out:
        if source in seen:
            raise where.error(("worlds",), "a world appears twice", expected="distinct world sources", found=source)
        seen.add(source)
    return tuple(out)


def parse_spec(data: Any, where: Located | None = None, base_dir: str | Path = ".",
               overrides: Sequence[str] = ()) -> SweepSpec:
    """Check a sweep spec mapping; errors name the file, line and key. ``overrides``: the command
    line's ``--set path=value`` items, fixed in every cell (and trusted: see :mod:`simtool.trust`)."""
    where = where or Located(None, {})
    if not isinstance(data, Mapping):
        raise where.error((), "a sweep spec is a mapping", expected="{worlds, policies, seeds, grid}", found=data)
    extra = sorted(set(data) - set(SPEC_KEYS))
    if extra:
        raise where.error((extra[0],), "unknown key", expected=" | ".join(SPEC_KEYS), found=extra[0])
    if "worlds" not in data:
        raise where.error((), "a sweep spec names its worlds", expected="worlds: [default, path.yaml, SUITE.jsonl#*]",
                          found=f"no 'worlds' (keys: {', '.join(sorted(data)) or 'none'})")
    name = data.get("name", "sweep")
    if not isinstance(name, str) or not name:
        raise where.error(("name",), "must be a non-empty string", expected="a string", found=name)
    grid_spec = data.get("grid") or {}
    if not isinstance(grid_spec, Mapping):
        raise where.error(("grid",), "must map config paths to lists of values", expected="{world.latency.scale: [1, 2]}", found=grid_spec)
    grid = []
    for key, values in grid_spec.items():
        path = _config_path(key, where, ("grid", key))
        if not isinstance(values, list) or not values:
            raise where.error(("grid", key), "a swept path needs a non-empty list of values", expected="[v1, v2, ...]", found=values)
        texts = [canonical(v) for v in values]
        for i, text in enumerate(texts):
            if texts.index(text) != i:
                raise where.error(("grid", key, i), "a value repeats", expected="distinct values", found=values[i])
        grid.append((path, tuple(values)))
    fixed_spec = data.get("set") or {}
    if not isinstance(fixed_spec, Mapping):
        raise where.error(("set",), "must map config paths to values", expected="{world.enforcement: execution}", found=fixed_spec)
    fixed = []
    for key, value in fixed_spec.items():
        path = _config_path(key, where, ("set", key))
        if path in grid_spec:
            raise where.error(("set", key), "a path is both fixed and swept", expected="a path in grid or in set, not both", found=key)
        fixed.append((path, value))
    base = str(base_dir)
    spec = SweepSpec(
        name=name,
        worlds=_worlds(data["worlds"], where, base),
        policies=_policies(data.get("policies", ["interleave"]), where),
        seeds=_seeds(data.get("seeds", 1), where),
        grid=tuple(grid),
        fixed=tuple(fixed),
        base_dir=base,
    )
    return with_command_line(spec, overrides, where)


def check_network(spec: SweepSpec, where: Located | None = None) -> None:
    """A spec never chooses the network (:mod:`simtool.trust`): each policy with the spec's
    fixed and swept ``policy.`` values, the command line's ``--set`` counted as the command line."""
    where = where or Located(None, {})
    given = {path.split(".", 1)[1] for path in spec.command_line if path.startswith("policy.")}
    fixed = {path.split(".", 1)[1]: value for path, value in spec.fixed if path.startswith("policy.")}
    swept = [(path.split(".", 1)[1], values) for path, values in spec.grid if path.startswith("policy.")]
    for i, choice in enumerate(spec.policies):
        section = {**choice.options, **fixed, "name": choice.name}
        variants = [section]
        for key, values in swept:
            variants = [{**v, key: value} for v in variants for value in values]
        for variant in variants[:64]:
            check_policy_origin(variant, origin="the sweep spec", where=_PolicyWhere(where, i),
                                command_line=given, name_from_command_line=False)


class _PolicyWhere(Located):
    """Errors about ``policy.<key>`` of policy ``i`` point at that policy's line of the spec."""

    def __init__(self, where: Located, index: int) -> None:
        super().__init__(where.file, where.lines, where.overrides)
        self.index = index

    def error(self, path: tuple[Any, ...], message: str, *, expected: str | None = None, found: object = None) -> SpecError:
        key = ".".join(str(p) for p in path)
        return SpecError(message, file=self.file, line=self.line(("policies", self.index)), key=key,
                         expected=expected, found=found)


def with_command_line(spec: SweepSpec, overrides: Sequence[str], where: Located | None = None) -> SweepSpec:
    """``spec`` with the command line's ``--set path=value`` items added to its fixed overrides."""
    import yaml

    fixed = list(spec.fixed)
    paths = []
    for item in overrides:
        if "=" not in item:
            raise SpecError("an override needs the form key=value", key="--set", expected="policy.<key>=<value>", found=item)
        path, text = item.split("=", 1)
        path = _config_path(path.strip(), Located("--set", {}), ())
        if path in spec.grid_keys:
            raise SpecError("the spec sweeps this path", key=f"--set {path}", expected="a path not in the grid", found=path)
        try:
            value = yaml.safe_load(text) if text else ""
        except yaml.YAMLError:
            raise SpecError("cannot parse the value", key=f"--set {path}", expected="a YAML value", found=text) from None
        fixed = [(k, v) for k, v in fixed if k != path] + [(path, value)]
        paths.append(path)
    out = evolve(spec, fixed=tuple(fixed), command_line=spec.command_line + tuple(paths))
    check_network(out, where)
    return out


def load_spec(source: str | Path, overrides: Sequence[str] = ()) -> SweepSpec:
    """Load a sweep spec file; relative world paths are looked up beside it first."""
    data, where = load_yaml(source, "sweep spec")
    return parse_spec(data, where, Path(source).resolve().parent, overrides)


def spec_from_text(text: str, base_dir: str | Path = ".") -> SweepSpec:
    """A spec from YAML text (notebooks, tests)."""
    data, where = load_yaml_text(text, "<sweep spec>")
    return parse_spec(data, where, base_dir)

