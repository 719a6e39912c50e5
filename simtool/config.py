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


def _parse_value(text: str, label: str) -> Any:
    try:
        return yaml.safe_load(text) if text != "" else ""
    except yaml.YAMLError as exc:
        raise SpecError(f"{label}: the value is not valid YAML ({getattr(exc, 'problem', None) or 'cannot be parsed'})",
                        expected="a YAML value", found=text) from None


def _label(item: str, labels: Mapping[str, str] | None) -> str:
    """How the user gave an override: ``--set ITEM`` unless the caller took it another way."""
    return (labels or {}).get(item) or f"--set {item}"


def apply_overrides(config: dict[str, Any], overrides: Sequence[str], labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Apply ``world.a.b=value`` / ``policy.k=value`` (values parsed as YAML) to a run config.

    ``labels``: how the user gave each override (``{"world.a.b=3": "a__b=3"}``), for errors;
    by default ``--set ITEM``. Every error about an override starts with its label.
    """
    config = copy.deepcopy(config)
    for item in overrides:
        label = _label(item, labels)
        if "=" not in item:
            raise SpecError(f"{label}: an override needs the form key=value",
                            expected="world.<path>=<value> or policy.<key>=<value>", found=item)
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        if parts[0] not in ("world", "policy") or len(parts) < 2:
            raise SpecError(f"{label}: an override starts with 'world.' or 'policy.'", expected="world.<path> or policy.<key>",
                            found=key)
        node: Any = config
        for part in parts[:-1]:
            child = _step(node, part, label)
            if child is None:
                child = {}
                _set(node, part, child, label)
            if not isinstance(child, (dict, list)):
                raise SpecError(f"{label}: cannot set inside a {type(child).__name__}", expected="a mapping or list", found=child)
            node = child
        _set(node, parts[-1], _parse_value(text, label), label)
    return config


def _step(node: Any, part: str, label: str) -> Any:
    if isinstance(node, list):
        try:
            return node[int(part)]
        except (ValueError, IndexError):
            raise SpecError(f"{label}: no such list item", expected=f"an index below {len(node)}", found=part) from None
    return node.get(part)


def _set(node: Any, part: str, value: Any, label: str) -> None:
    if isinstance(node, list):
        try:
            node[int(part)] = value
        except (ValueError, IndexError):
            raise SpecError(f"{label}: no such list item", expected=f"an index below {len(node)}", found=part) from None
    else:
        node[part] = value


def override_paths(overrides: Sequence[str], labels: Mapping[str, str] | None = None,
                   before: Mapping[str, Any] | None = None) -> dict[tuple[Any, ...], str]:
    """Where each override writes, as a key path of the world document (``policy.k`` -> ("policy", "k")),
    so that an error inside an overridden value blames the override (its label, see
    :func:`apply_overrides`), not the world file.

    With ``before`` (the run config the overrides apply to), the first key an override creates
    is its own too: ``--set world.bogus.key=3`` makes ``bogus``, so an error about ``bogus``
    blames that ``--set``, not the file's line.
    """
    out: dict[tuple[Any, ...], str] = {}
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        parts = key.split(".")
        if len(parts) < 2:
            continue
        path = tuple(int(p) if p.isdigit() else p for p in parts[1:])
        path = path if parts[0] == "world" else ("policy",) + path
        label = _label(item, labels)
        out[path] = label
        if before is not None:
            out.setdefault(_first_created(before, path), label)
    return out


def _first_created(config: Mapping[str, Any], path: tuple[Any, ...]) -> tuple[Any, ...]:
    """The shortest prefix of ``path`` (a world-document path) that ``config`` does not hold."""
    node: Any = config["world"] if path[0] != "policy" else config
    for n, part in enumerate(path, 1):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return path[:n]
    return path


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


def run_config(world_source: str | None, policy_name: str | None, overrides: Sequence[str] = (),
               labels: Mapping[str, str] | None = None) -> tuple[dict[str, Any], Located]:
    """The run config ``{"world": ..., "policy": {"name": ..., options}}`` before resolution.

    ``labels``: how the user gave each override, for errors (see :func:`apply_overrides`).
    """
    if policy_name is not None and not policy_name.strip():
        check_policy_name(policy_name, option="--policy")  # "" is a mistake, never "the world's own"
    data, where = load_world_source(world_source)
    world, policy = split_policy(data, policy_name)
    before = {"world": world, "policy": policy}
    config = apply_overrides(before, overrides, labels)
    where = where.with_overrides(override_paths(overrides, labels, before))
    if not policy_name:
        check_policy_name(config["policy"].get("name"), where)
    given = {key.split("=", 1)[0].strip().split(".", 1)[1] for key in overrides if key.strip().startswith("policy.")}
    check_policy_origin(config["policy"], origin=f"the world {'file' if where.file else 'source'} {where.file or world_source or DEFAULT_WORLD}",
                        where=where, command_line=given, name_from_command_line=bool(policy_name) or "name" in given)
    return config, where
