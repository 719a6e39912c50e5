"""Latency profiles: named presets of a world's ``latency:`` section, one YAML file each here.

A profile file::

    name: saas                      # must match the file name
    description: one line
    extends: saas                   # optional: start from another profile (mappings merge,
                                    #   a leg's distribution is replaced whole)
    horizon_ms: 14400000            # optional: the world's simulated time limit under it
    latency: {scale, default, services: {Svc: {request, service, response, tools: {t: legs}}}}
    writes:                         # optional: legs every *write* tool gets (tools.yaml access)
      default: {service: <dist>}
      services: {Svc: {service: <dist>}}

A *turns* profile (``turns.yaml``) gives no legs: it gives a think time ``think_ms`` (T) and
``turns: {default: K, writes: K, tools: {Svc: {tool: K}}}``, each tool's latency in agent
decisions; ``load_profile`` turns that into constant latencies K * T (the request leg; service
and response 0) and returns ``think_ms``, which a world built from it imposes on every
decision (the world key ``think_ms``). ``load_profile(name, think_ms=T)`` picks another T.

``load_profile`` resolves ``extends`` and expands ``writes`` into per-tool entries, so what it
returns under ``latency`` is plain ``simtool.latency.LatencyModel`` format. For a write tool
each leg is, first found: the tool's own entry, ``writes.services.Svc``, ``writes.default``,
the service's legs, ``latency.default``. Read tools skip the two ``writes`` layers. Figures
and their sources are documented in each file's comments.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.errors import SpecError
from simtool.filecache import FileCache, files_version, path_version
from simtool.latency import LEGS, LatencyModel
from simtool.registry import names, service_class
from simtool.yamlspec import Located, load_yaml

__all__ = ["PROFILES_DIR", "profile_names", "load_profile", "shared_profile", "latency_for"]

PROFILES_DIR = Path(__file__).parent
_KEYS = ("name", "description", "extends", "horizon_ms", "latency", "writes", "think_ms", "turns")


def profile_names() -> list[str]:
    """The profiles shipped here, sorted."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def _merge(base: Any, over: Any) -> Any:
    """``over`` on top of ``base``: mappings merge key by key; a leg (a distribution) is replaced whole."""
    if not isinstance(base, Mapping) or not isinstance(over, Mapping):
        return copy.deepcopy(over)
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        out[key] = copy.deepcopy(value) if key in LEGS or key not in out else _merge(out[key], value)
    return out


def _raw(name: str, chain: tuple[str, ...] = ()) -> tuple[dict[str, Any], Located]:
    path = PROFILES_DIR / f"{name}.yaml"
    if not path.exists():
        raise SpecError(f"unknown latency profile '{name}'", key="profile", expected=" | ".join(profile_names()), found=name)
    data, where = load_yaml(path)
    if not isinstance(data, Mapping):
        raise where.error((), "a profile must be a mapping", expected="{name, latency, ...}", found=data)
    extra = sorted(set(data) - set(_KEYS))
    if extra:
        raise where.error((extra[0],), "unknown profile key", expected=" | ".join(_KEYS), found=extra[0])
    if data.get("name") != name:
        raise where.error(("name",), "the profile's name must match its file name", expected=name, found=data.get("name"))
    parent = data.get("extends")
    if parent is None:
        return dict(data), where
    if not isinstance(parent, str) or parent in chain + (name,):
        raise where.error(("extends",), "extends must name another profile, without cycles", expected="a profile name", found=parent)
    base, _ = _raw(parent, chain + (name,))
    merged = _merge({k: v for k, v in base.items() if k not in ("name", "description", "extends")}, data)
    merged.pop("extends", None)
    return merged, where


def _legs_of(spec: Any, where: Located, path: tuple[Any, ...]) -> dict[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise where.error(path, "must be a mapping of legs", expected="{request, service, response}", found=spec)
    extra = sorted(set(spec) - set(LEGS))
    if extra:
        raise where.error(path + (extra[0],), "unknown leg", expected=" | ".join(LEGS), found=extra[0])
    return dict(spec)


def _expand(data: Mapping[str, Any], where: Located) -> dict[str, Any]:
    latency = copy.deepcopy(dict(data.get("latency") or {}))
    services = latency.setdefault("services", {})
    if not isinstance(services, Mapping):
        raise where.error(("latency", "services"), "must be a mapping", expected="{ServiceName: legs}", found=services)
    known = names("service")
    for service in services:
        if service not in known:
            raise where.error(("latency", "services", service), "unknown service", expected=" | ".join(known), found=service)
        tools = (services[service] or {}).get("tools") or {}
        schemas = service_class(service).schemas()
        for tool in tools:
            if tool not in schemas:
                raise where.error(("latency", "services", service, "tools", tool), "unknown tool", expected=" | ".join(sorted(schemas)), found=tool)
    writes = data.get("writes") or {}
    if not isinstance(writes, Mapping) or set(writes) - {"default", "services"}:
        raise where.error(("writes",), "must be a mapping with default and services", expected="{default, services}", found=writes)
    write_default = _legs_of(writes.get("default"), where, ("writes", "default"))
    write_services = writes.get("services") or {}
    for service in write_services:
        if service not in known:
            raise where.error(("writes", "services", service), "unknown service", expected=" | ".join(known), found=service)
    if write_default or write_services:
        for service in known:
            layer = {**write_default, **_legs_of(write_services.get(service), where, ("writes", "services", service))}
            if not layer:
                continue
            entry = services.setdefault(service, {})
            tools = entry.setdefault("tools", {})
            for tool, schema in service_class(service).schemas().items():
                if schema.access == "write":
                    tools[tool] = {**layer, **(tools.get(tool) or {})}
    latency["services"] = {s: services[s] for s in sorted(services)}
    LatencyModel(latency, where, ("latency",))  # check every distribution now, naming the file
    return latency


def _whole(value: Any, where: Located, path: tuple[Any, ...], what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise where.error(path, f"must be a whole number of {what}", expected="an integer >= 1", found=value)
    return value


def _turns(data: Mapping[str, Any], where: Located, think_ms: int) -> dict[str, Any]:
    """A turns profile's latency: every tool's request leg K * think_ms, constant; the others 0.

    The whole latency sits on the request leg, which the engine schedules the moment the call
    is issued: at the boundary K decisions later the call executes and is delivered before the
    decision that starts at that same ms, so that decision sees the result (service and
    response legs of 0 ms run at once, with no event of their own)."""
    spec = data.get("turns")
    if not isinstance(spec, Mapping) or set(spec) - {"default", "writes", "tools"}:
        raise where.error(("turns",), "must be a mapping of decisions per tool", expected="{default, writes, tools}", found=spec)
    default = _whole(spec.get("default", 1), where, ("turns", "default"), "decisions")
    writes = _whole(spec.get("writes", default), where, ("turns", "writes"), "decisions")
    own = spec.get("tools") or {}
    known = names("service")
    for service, tools in own.items():
        if service not in known:
            raise where.error(("turns", "tools", service), "unknown service", expected=" | ".join(known), found=service)
        schemas = service_class(service).schemas()
        for tool, k in (tools or {}).items():
            if tool not in schemas:
                raise where.error(("turns", "tools", service, tool), "unknown tool", expected=" | ".join(sorted(schemas)), found=tool)
            _whole(k, where, ("turns", "tools", service, tool), "decisions")

    def legs(k: int) -> dict[str, Any]:
        return {"request": {"dist": "constant", "ms": k * think_ms}}

    zero = {"dist": "constant", "ms": 0}
    services: dict[str, Any] = {}
    for service in known:
        tools = {}
        for tool, schema in service_class(service).schemas().items():
            k = (own.get(service) or {}).get(tool, writes if schema.access == "write" else default)
            if k != default:
                tools[tool] = legs(k)
        if tools:
            services[service] = {"tools": dict(sorted(tools.items()))}
    latency = {"default": {**legs(default), "service": zero, "response": zero}, "services": services}
    LatencyModel(latency, where, ("turns",))
    return latency


LOADED = FileCache()  # resolved profiles by (name, think time, version of every profile file, installed services)


def load_profile(name: str, think_ms: int | None = None) -> dict[str, Any]:
    """``{"name", "description", "latency"[, "horizon_ms", "think_ms"]}`` with ``latency`` in
    LatencyModel format. ``think_ms``: another think time T for a turns profile (none other takes one).

    Resolved once per process for each version of the profile files (a profile may extend
    any other, so a change to any of them reads them again) and of the installed services;
    the caller gets its own deep copy.
    """
    return copy.deepcopy(shared_profile(name, think_ms))


def shared_profile(name: str, think_ms: int | None = None) -> Mapping[str, Any]:
    """The cached profile itself (see :func:`load_profile`): read it, never change it."""
    key = (name, think_ms, files_version(PROFILES_DIR.glob("*.yaml")), path_version())
    return LOADED.get(key, lambda: _load_profile(name, think_ms))


def _load_profile(name: str, think_ms: int | None = None) -> dict[str, Any]:
    data, where = _raw(name)
    if "turns" in data:
        if "latency" in data or "writes" in data:
            raise where.error(("turns",), "a turns profile gives latencies in decisions, not legs",
                              expected="turns and think_ms, without latency or writes", found=sorted(data))
        base = _whole(data.get("think_ms"), where, ("think_ms",), "ms")
        chosen = base if think_ms is None else think_ms
        if not isinstance(chosen, int) or isinstance(chosen, bool) or chosen < 1:
            raise SpecError("the think time of a turns profile must be a whole number of ms", key="think_ms",
                            expected="an integer >= 1", found=chosen)
        latency = _turns(data, where, chosen)
    else:
        if think_ms is not None or "think_ms" in data:
            raise SpecError(f"profile '{name}' has no fixed think time: only a turns profile takes one", key="think_ms",
                            expected="a profile with turns (e.g. turns)", found=think_ms)
        latency = _expand(data, where)
        chosen = None
    out: dict[str, Any] = {"name": name, "description": str(data.get("description", "")), "latency": latency}
    if chosen is not None:
        out["think_ms"] = chosen
    if data.get("horizon_ms") is not None:
        horizon = data["horizon_ms"]
        if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon < 1:
            raise where.error(("horizon_ms",), "must be a whole number of ms", expected="an integer >= 1", found=horizon)
        out["horizon_ms"] = horizon
    return out


def latency_for(profile: Mapping[str, Any], services: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The profile's latency restricted to ``services`` (a world may only name services its tasks use)."""
    latency = {k: ({s: copy.deepcopy(w) for s, w in (v or {}).items() if s in services} if k == "services" else copy.deepcopy(v))
               for k, v in profile["latency"].items()}
    latency.setdefault("services", {})
    if not latency["services"]:
        del latency["services"]
    return latency
