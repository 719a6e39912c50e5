"""Resolving what to run: a world source (registered name, YAML path, ``FILE#instance``), the
policy and its options, and ``--set`` overrides. The result is one plain mapping, the run
config, which a trace header records and a replay runs from.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from simtool import registry
from simtool.errors import SpecError
from simtool.yamlspec import Located, load_yaml

__all__ = ["load_world_source", "apply_overrides", "run_config", "DEFAULT_WORLD", "split_policy"]

DEFAULT_WORLD = "default"
WORLD_SOURCES = "simtool.world_sources"


def load_world_source(source: str | None) -> tuple[dict[str, Any], Located]:
    """World mapping (and where its keys came from) for a registered name, a YAML path, or ``FILE#id``."""
    source = source or DEFAULT_WORLD
    if "#" in source:
        path, fragment = source.split("#", 1)
        suffix = Path(path).suffix.lstrip(".")
        resolvers = registry.group_entry_points(WORLD_SOURCES)
        if suffix not in resolvers:
            raise SpecError(f"no world source reads '.{suffix}' files", key=source, expected=" | ".join(f".{k}#id" for k in sorted(resolvers)) or "none registered", found=source)
        data = resolvers[suffix].load()(path, fragment)
        return copy.deepcopy(data), Located(source, {})
    if source.endswith((".yaml", ".yml")) or Path(source).exists():
        data, where = load_yaml(source)
        if not isinstance(data, Mapping):
            raise where.error((), "a world file must hold a mapping", expected="{name, tasks, ...}", found=data)
        return dict(data), where
    loaded = registry.load("world", source)
    value = loaded() if callable(loaded) else loaded
    if isinstance(value, (str, Path)):
        data, where = load_yaml(value)
        return dict(data), where
    return copy.deepcopy(dict(value)), Located(f"<world {source}>", {})


def _parse_value(text: str, key: str) -> Any:
    try:
        return yaml.safe_load(text) if text != "" else ""
    except yaml.YAMLError as exc:
        raise SpecError(f"cannot parse the value of --set {key}: {exc}", key=key, found=text) from None


def apply_overrides(config: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``world.a.b=value`` / ``policy.k=value`` (values parsed as YAML) to a run config."""
    config = copy.deepcopy(config)
    for item in overrides:
        if "=" not in item:
            raise SpecError("an override needs the form key=value", key=item, expected="world.<path>=<value> or policy.<key>=<value>", found=item)
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        if parts[0] not in ("world", "policy") or len(parts) < 2:
            raise SpecError("an override starts with 'world.' or 'policy.'", key=key, expected="world.<path> or policy.<key>", found=key)
        node: Any = config
        for depth, part in enumerate(parts[:-1]):
            child = _step(node, part, key)
            if child is None:
                child = {}
                _set(node, part, child, key)
            if not isinstance(child, (dict, list)):
                raise SpecError(f"cannot set inside a {type(child).__name__}", key=".".join(parts[: depth + 1]), expected="a mapping or list", found=child)
            node = child
        _set(node, parts[-1], _parse_value(text, key), key)
    return config


def _step(node: Any, part: str, key: str) -> Any:
    if isinstance(node, list):
        try:
            return node[int(part)]
        except (ValueError, IndexError):
            raise SpecError("no such list item", key=key, expected=f"an index below {len(node)}", found=part) from None
    return node.get(part)


def _set(node: Any, part: str, value: Any, key: str) -> None:
    if isinstance(node, list):
        try:
            node[int(part)] = value
        except (ValueError, IndexError):
            raise SpecError("no such list item", key=key, expected=f"an index below {len(node)}", found=part) from None
    else:
        node[part] = value


def split_policy(world: Mapping[str, Any], policy_name: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the world's own ``policy`` section; ``policy_name`` (from the command line) wins."""
    world = dict(world)
    section = world.pop("policy", None) or {}
    if isinstance(section, str):
        section = {"name": section}
    if not isinstance(section, Mapping):
        raise SpecError("the world's policy section must be a name or a mapping", key="policy", expected="{name, ...options}", found=section)
    section = dict(section)
    if policy_name and section.get("name") not in (None, policy_name):
        section = {}
    section["name"] = policy_name or section.get("name") or "interleave"
    return world, section


def run_config(world_source: str | None, policy_name: str | None, overrides: Sequence[str] = ()) -> tuple[dict[str, Any], Located]:
    """The run config ``{"world": ..., "policy": {"name": ..., options}}`` before resolution."""
    data, where = load_world_source(world_source)
    world, policy = split_policy(data, policy_name)
    config = apply_overrides({"world": world, "policy": policy}, overrides)
    return config, where
