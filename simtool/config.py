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
from simtool.errors import SimtoolError, SpecError
from simtool.trust import check_policy_origin
from simtool.yamlspec import Located, load_yaml

__all__ = ["load_world_source", "apply_overrides", "run_config", "DEFAULT_WORLD", "split_policy", "override_paths",
           "check_policy_name"]

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
        try:
            data = resolvers[suffix].load()(path, fragment)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:  # a record the resolver cannot read
            raise SpecError(f"a record of the file cannot be read as a world ({type(exc).__name__}: {exc})", file=path,
                            key=fragment, expected="a record written by `simtool suite build`", found=source) from None
        if not isinstance(data, Mapping):
            raise SpecError("the world source did not give a mapping", file=path, key=fragment, expected="a world mapping", found=type(data).__name__)
        return copy.deepcopy(dict(data)), Located(source, {})
    if source.endswith((".yaml", ".yml")) or Path(source).exists():
        data, where = load_yaml(source, "world file")
        if not isinstance(data, Mapping):
            raise where.error((), "a world file must hold a mapping", expected="{name, tasks, ...}", found=data)
        return dict(data), where
    try:
        loaded = registry.load("world", source)
    except SimtoolError as exc:
        raise SpecError(f"{exc}; a world is a registered name, a YAML file or SUITE.jsonl#id", key="WORLD",
                        expected="see `simtool worlds`", found=source) from None
    value = loaded() if callable(loaded) else loaded
    if isinstance(value, (str, Path)):
        data, where = load_yaml(value)
        return dict(data), where
    return copy.deepcopy(dict(value)), Located(f"<world {source}>", {})


def _parse_value(text: str, key: str) -> Any:
    try:
        return yaml.safe_load(text) if text != "" else ""
    except yaml.YAMLError as exc:
        raise SpecError(f"--set {key}: the value is not valid YAML ({getattr(exc, 'problem', None) or 'cannot be parsed'})",
                        expected="a YAML value", found=text) from None


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


def override_paths(overrides: Sequence[str]) -> dict[tuple[Any, ...], str]:
    """Where each ``--set`` writes, as a key path of the world document (``policy.k`` -> ("policy", "k")),
    so that an error inside an overridden value blames the ``--set``, not the world file."""
    out: dict[tuple[Any, ...], str] = {}
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        parts = key.split(".")
        if len(parts) < 2:
            continue
        path = tuple(int(p) if p.isdigit() else p for p in parts[1:])
        out[path if parts[0] == "world" else ("policy",) + path] = item
    return out


def check_policy_name(name: Any, where: Located | None = None, path: tuple[Any, ...] = ("policy", "name"), *,
                      option: str | None = None) -> str:
    """A registered policy name, or an error naming where the name was written (file and line, or the option)."""
    where = where or Located(None, {})
    if isinstance(name, str) and name:
        try:
            registry.load("policy", name)
            return name
        except SimtoolError:
            pass
    known = registry.names("policy")
    message = f"unknown policy '{name}'" if isinstance(name, str) and name else "a policy needs a name"
    if option is not None:
        raise SpecError(message, key=option, expected=" | ".join(known), found=name)
    raise where.error(path, message, expected=" | ".join(known), found=name)


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
    if policy_name is not None and not policy_name.strip():
        check_policy_name(policy_name, option="--policy")  # "" is a mistake, never "the world's own"
    data, where = load_world_source(world_source)
    world, policy = split_policy(data, policy_name)
    config = apply_overrides({"world": world, "policy": policy}, overrides)
    where = where.with_overrides(override_paths(overrides))
    if not policy_name:
        check_policy_name(config["policy"].get("name"), where)
    given = {key.split("=", 1)[0].strip().split(".", 1)[1] for key in overrides if key.strip().startswith("policy.")}
    check_policy_origin(config["policy"], origin=f"the world {'file' if where.file else 'source'} {where.file or world_source or DEFAULT_WORLD}",
                        where=where, command_line=given, name_from_command_line=bool(policy_name) or "name" in given)
    return config, where
