"""The world spec: tasks with turns and gold paths, latencies, service limits, faults, run options.

``parse_world(data, where)`` checks a world mapping (usually loaded from YAML) and returns a
``World``; every error names the file, line and key. ``World.resolved`` is the same mapping
with every default filled in: the fully resolved config that a trace header records and that
a replay runs from. ``dump_world(data)`` goes the other way: a world mapping as YAML, its keys
in the order the spec declares them (the key lists ``parse_world`` checks against).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from attrs import field, frozen

from simtool.errors import SimtoolError
from simtool.faults import PROCESS_KEYS, Fault, FaultProcess, fault_kinds, parse_fault, parse_fault_process
from simtool.goldcheck import check_gold_runs
from simtool.latency import LATENCY_KEYS, LEGS, LatencyModel
from simtool.limits import current_limits
from simtool.registry import service_class
from simtool.service import Service, ToolSchema
from simtool.turns import TURN_KEYS, GoldCall, Turn, parse_turn
from simtool.yamlspec import Located, check_int, check_keys, check_str

__all__ = [
    "GoldCall",
    "Turn",
    "TaskSpec",
    "Fault",
    "FaultProcess",
    "scopes_of",
    "ServiceLimits",
    "World",
    "parse_world",
    "dump_world",
    "ENFORCEMENT_MODES",
]

ENFORCEMENT_MODES = ("issue", "execution", "delivery", "none")
WORLD_KEYS = {
    "name": "a short name",
    "description": "free text",
    "tasks": "the list of tasks",
    "latency": "latency legs (see simtool.latency)",
    "services": "per-service limits: capacity, rate_limit, outages",
    "faults": "scheduled world events",
    "fault_processes": "seeded world events",
    "enforcement": "issue | execution | delivery | none",
    "tie_shuffle": "shuffle same-ms events with a seeded order",
    "horizon_ms": "simulated time limit",
    "max_decisions": "decision limit",
    "default_timeout_ms": "deadline of calls that give none",
    "think_ms": "a fixed think time for every decision, whatever the policy says (the turns profile sets it)",
    "policy": "the policy and its options",
    "profile": "the name of the latency profile, informative",
    "instance": "the suite instance this world was built from, informative",
}
TASK_KEYS = ("id", "title", "services", "initial_config", "permissions", "strict", "turns", "domain", "source")
LIMIT_KEYS = ("capacity", "rate_limit", "outages")
DEFAULTS: dict[str, Any] = {
    "enforcement": "issue",
    "tie_shuffle": False,
    "horizon_ms": 3_600_000,
    "max_decisions": 10_000,
    "default_timeout_ms": None,
}


@frozen
class TaskSpec:
    task_id: str
    services: tuple[str, ...]
    initial_config: Mapping[str, Any]
    turns: tuple[Turn, ...]
    permissions: tuple[str, ...]
    tools: Mapping[str, ToolSchema]  # tool name -> schema, over the task's services
    title: str = ""
    strict: bool = False  # every gold path a chain: each call waits for the one before


@frozen
class ServiceLimits:
    capacity: int | None = None
    rate_calls: int | None = None
    rate_per_ms: int | None = None
    outages: tuple[tuple[int, int], ...] = ()


@frozen
class World:
    name: str
    tasks: tuple[TaskSpec, ...]
    latency: LatencyModel
    limits: Mapping[str, ServiceLimits]
    faults: tuple[Fault, ...]
    fault_processes: tuple[FaultProcess, ...]
    enforcement: str
    tie_shuffle: bool
    horizon_ms: int
    max_decisions: int
    default_timeout_ms: int | None
    resolved: Mapping[str, Any] = field(repr=False)
    # what runs of this world derive from it and may share (e.g. gold expectations); not part of its value
    memo: dict[str, Any] = field(factory=dict, repr=False, eq=False, hash=False)
    think_ms: int | None = None  # every decision that thinks or acts takes exactly this long

    def task(self, task_id: str) -> TaskSpec:
        for t in self.tasks:
            if t.task_id == task_id:
                return t
        raise KeyError(task_id)


def scopes_of(service: type[Service]) -> tuple[str, str]:
    return (f"{service.domain}.read", f"{service.domain}.write")


def _task(spec: Any, where: Located, path: tuple[Any, ...]) -> TaskSpec:
    if not isinstance(spec, Mapping):
        raise where.error(path, "a task must be a mapping", expected="{id, services, turns}", found=spec)
    check_keys(spec, TASK_KEYS, where, path)
    task_id = check_str(spec.get("id"), where, path + ("id",))
    names = spec.get("services")
    if not isinstance(names, list) or not names:
        raise where.error(path + ("services",), "must list the task's services", expected="[ServiceName, ...]", found=names)
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise where.error(path + ("services", i), "a service is named by a string", expected="ServiceName", found=name)
    tools: dict[str, ToolSchema] = {}
    all_scopes: list[str] = []
    for i, name in enumerate(names):
        try:
            cls = service_class(name)
            schemas = cls.schemas()
        except SimtoolError as exc:
            raise where.error(path + ("services", i), str(exc), found=name) from None
        if getattr(cls, "name", name) != name:  # calls find their instance by the class's name
            raise where.error(path + ("services", i), f"service '{name}' is registered under a key that differs from its "
                              f"class's name (`simtool check service {name}` says how to fix it)", expected=cls.name, found=name)
        all_scopes.extend(scopes_of(cls))
        for tool, schema in schemas.items():
            tools[tool] = schema
    initial = spec.get("initial_config") or {}
    if not isinstance(initial, Mapping):
        raise where.error(path + ("initial_config",), "must be a mapping", expected="{ServiceName: scenario}", found=initial)
    for key in initial:
        if key not in names:
            raise where.error(path + ("initial_config", key), "scenario for a service the task does not have", expected=" | ".join(names), found=key)
    perms = spec.get("permissions", all_scopes)
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
        raise where.error(path + ("permissions",), "must be a list of scopes", expected="['domain.read', ...]", found=perms)
    turns_spec = spec.get("turns")
    if not isinstance(turns_spec, list) or not turns_spec:
        raise where.error(path + ("turns",), "a task needs at least one turn", expected="[{request, gold}, ...]", found=turns_spec)
    turns = tuple(parse_turn(t, tools, where, path + ("turns", i)) for i, t in enumerate(turns_spec))
    strict = spec.get("strict", False)
    if not isinstance(strict, bool):
        raise where.error(path + ("strict",), "strict must be a boolean", expected="true | false", found=strict)
    task = TaskSpec(
        task_id=task_id,
        services=tuple(names),
        initial_config=copy.deepcopy(dict(initial)),
        turns=turns,
        permissions=tuple(sorted(set(perms))),
        tools=tools,
        title=str(spec.get("title", "")),
        strict=strict,
    )
    check_gold_runs(task, turns_spec, where, path)
    return task


def _limits(spec: Any, where: Located, path: tuple[Any, ...]) -> ServiceLimits:
    if not isinstance(spec, Mapping):
        raise where.error(path, "must be a mapping", expected="{capacity, rate_limit, outages}", found=spec)
    check_keys(spec, LIMIT_KEYS, where, path)
    rate = spec.get("rate_limit")
    rate_calls = rate_per = None
    if rate is not None:
        if not isinstance(rate, Mapping):
            raise where.error(path + ("rate_limit",), "must be a mapping", expected="{calls, per_ms}", found=rate)
        check_keys(rate, ("calls", "per_ms"), where, path + ("rate_limit",))
        rate_calls = check_int(rate.get("calls"), where, path + ("rate_limit", "calls"), minimum=1)
        rate_per = check_int(rate.get("per_ms"), where, path + ("rate_limit", "per_ms"), minimum=1)
    outages = []
    for i, o in enumerate(spec.get("outages") or []):
        opath = path + ("outages", i)
        if not isinstance(o, Mapping):
            raise where.error(opath, "must be a mapping", expected="{start_ms, end_ms}", found=o)
        check_keys(o, ("start_ms", "end_ms"), where, opath)
        start = check_int(o.get("start_ms"), where, opath + ("start_ms",))
        end = check_int(o.get("end_ms"), where, opath + ("end_ms",), minimum=(start or 0) + 1)
        outages.append((start, end))
    return ServiceLimits(
        capacity=check_int(spec.get("capacity"), where, path + ("capacity",), minimum=1, optional=True),
        rate_calls=rate_calls,
        rate_per_ms=rate_per,
        outages=tuple(sorted(outages)),  # type: ignore[arg-type]
    )


def _check_fault_fields(spec: Any, where: Located, path: tuple[Any, ...], kind: Any = None) -> None:
    """Names in a fault are strings and its required fields are not null (before the kind parses it)."""
    if not isinstance(spec, Mapping):
        return
    for key in ("task", "service", "scope"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise where.error(path + (key,), "must be a name", expected="a string", found=spec[key])
    known = fault_kinds().get(kind if kind is not None else spec.get("kind")) if isinstance(kind or spec.get("kind"), str) else None
    for key in known.required if known is not None else ():
        if key in spec and spec[key] is None:
            raise where.error(path + (key,), f"a {known.name} fault needs '{key}'", expected=key, found=None)


def _check_fault_scope(fault: Fault, tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> None:
    """A fault that names a scope (revoke, grant) names one of a service its task has (any task's, for every task)."""
    scope = getattr(fault.params, "scope", None)
    if scope is None:
        return
    task = getattr(fault.params, "task", None)
    chosen = [tasks[task]] if task is not None else list(tasks.values())
    known = sorted({s for t in chosen for name in t.services for s in scopes_of(service_class(name))})
    if scope not in known:
        whose = f"task {task}" if task is not None else "any task"
        raise where.error(path + ("scope",), f"no service of {whose} has this scope", expected=" | ".join(known), found=scope)


def _check_caps(horizon: int, max_decisions: int, faults: Sequence[Fault], processes: Sequence[FaultProcess],
                where: Located) -> None:
    """The work a world asks for stays under the caps in force (:mod:`simtool.limits`)."""
    caps = current_limits()
    if horizon > caps.horizon_ms:
        raise where.error(("horizon_ms",), f"the horizon is above the cap; {caps.hint('horizon_ms')}",
                          expected=f"at most {caps.horizon_ms} ms", found=horizon)
    if max_decisions > caps.max_decisions:
        raise where.error(("max_decisions",), f"max_decisions is above the cap; {caps.hint('max_decisions')}",
                          expected=f"at most {caps.max_decisions}", found=max_decisions)
    events = len(faults) + sum(p.max_count for p in processes)
    if events > caps.fault_events:
        path = ("fault_processes",) if processes else ("faults",)
        raise where.error(path, f"the world can raise more fault events than the cap; {caps.hint('fault_events')}",
                          expected=f"at most {caps.fault_events} (scheduled faults plus every max_count)", found=events)


MAX_LATENCY_NUMBER = 1e12  # ms (or a factor): about 30 years; a larger number is a mistake that would overflow a draw


def _check_magnitude(value: Any, where: Located, path: tuple[Any, ...]) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_LATENCY_NUMBER:
        raise where.error(path, "a latency number this large would overflow", expected=f"at most {MAX_LATENCY_NUMBER:g}", found=value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_magnitude(item, where, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_magnitude(item, where, path + (i,))


def _latency(spec: Any, where: Located) -> LatencyModel:
    """The latency model; a value the model cannot read at all is an error naming ``latency``, not a crash."""
    if spec is not None and not isinstance(spec, Mapping):
        raise where.error(("latency",), "must be a mapping", expected="{default, services, scale}", found=spec)
    _check_magnitude(spec, where, ("latency",))
    try:
        return LatencyModel(spec, where, ("latency",))
    except (TypeError, ValueError, AttributeError, OverflowError, KeyError) as exc:
        raise where.error(("latency",), f"cannot be read ({type(exc).__name__}: {exc})",
                          expected="latency legs as in docs/worlds.md", found=spec) from None


def _check_finite(value: Any, where: Located, path: tuple[Any, ...]) -> None:
    """No NaN or infinity anywhere in a world: JSON (and so a trace header) has no form for them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise where.error(path, "not a finite number", expected="a finite number", found=value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_finite(item, where, path + (key,))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_finite(item, where, path + (i,))


def parse_world(data: Any, where: Located | None = None) -> World:
    """Check a world mapping and build the ``World``; ``World.resolved`` holds every default."""
    where = where or Located(None, {})
    if not isinstance(data, Mapping):
        raise where.error((), "a world must be a mapping", expected="{name, tasks, ...}", found=data)
    check_keys(data, tuple(WORLD_KEYS), where, ())
    _check_finite(data, where, ())
    resolved = copy.deepcopy(dict(data))
    for key, value in DEFAULTS.items():
        resolved.setdefault(key, value)
    resolved.setdefault("name", "world")
    tasks_spec = data.get("tasks")
    if not isinstance(tasks_spec, list) or not tasks_spec:
        raise where.error(("tasks",), "a world needs at least one task", expected="[{id, services, turns}, ...]", found=tasks_spec)
    tasks: dict[str, TaskSpec] = {}
    for i, t in enumerate(tasks_spec):
        task = _task(t, where, ("tasks", i))
        if task.task_id in tasks:
            raise where.error(("tasks", i, "id"), "duplicate task id", expected="a unique id", found=task.task_id)
        tasks[task.task_id] = task
    latency = _latency(data.get("latency"), where)
    used_services = {s for t in tasks.values() for s in t.services}
    for service, tool in latency.tool_overrides():
        if service not in used_services:
            raise where.error(("latency", "services", service), "no task uses this service", expected=" | ".join(sorted(used_services)), found=service)
        if tool not in service_class(service).schemas():
            raise where.error(("latency", "services", service, "tools", tool), "unknown tool", expected=" | ".join(sorted(service_class(service).schemas())), found=tool)
    limits_spec = data.get("services") or {}
    if not isinstance(limits_spec, Mapping):
        raise where.error(("services",), "must be a mapping", expected="{ServiceName: {capacity, ...}}", found=limits_spec)
    limits = {}
    for service, spec in limits_spec.items():
        if service not in used_services:
            raise where.error(("services", service), "no task uses this service", expected=" | ".join(sorted(used_services)), found=service)
        limits[service] = _limits(spec, where, ("services", service))
    faults_spec = data.get("faults") or []
    if not isinstance(faults_spec, list):
        raise where.error(("faults",), "must be a list", expected="[{at_ms, kind, ...}, ...]", found=faults_spec)
    for i, f in enumerate(faults_spec):
        _check_fault_fields(f, where, ("faults", i))
    faults = tuple(parse_fault(f, tasks, where, ("faults", i), i) for i, f in enumerate(faults_spec))
    for i, f in enumerate(faults):
        _check_fault_scope(f, tasks, where, ("faults", i))
    horizon = int(check_int(resolved["horizon_ms"], where, ("horizon_ms",), minimum=1))  # checked before processes default to it
    processes_spec = data.get("fault_processes") or []
    if not isinstance(processes_spec, list):
        raise where.error(("fault_processes",), "must be a list", expected="[{kind, mean_interval_ms, choices}, ...]",
                          found=processes_spec)
    for i, p in enumerate(processes_spec):
        for j, c in enumerate((p.get("choices") if isinstance(p, Mapping) and isinstance(p.get("choices"), list) else None) or []):
            _check_fault_fields(c, where, ("fault_processes", i, "choices", j), p.get("kind"))
    processes = [parse_fault_process(p, tasks, where, ("fault_processes", i), i, horizon)
                 for i, p in enumerate(processes_spec)]
    for i, p in enumerate(processes):
        for j, template in enumerate(p.choices):
            _check_fault_scope(template, tasks, where, ("fault_processes", i, "choices", j))
    enforcement = resolved["enforcement"]
    if enforcement not in ENFORCEMENT_MODES:
        raise where.error(("enforcement",), "unknown enforcement mode", expected=" | ".join(ENFORCEMENT_MODES), found=enforcement)
    if not isinstance(resolved["tie_shuffle"], bool):
        raise where.error(("tie_shuffle",), "must be true or false", expected="a boolean", found=resolved["tie_shuffle"])
    max_decisions = int(check_int(resolved["max_decisions"], where, ("max_decisions",), minimum=1))  # type: ignore[arg-type]
    _check_caps(horizon, max_decisions, faults, processes, where)
    return World(
        name=str(resolved["name"]),
        tasks=tuple(tasks.values()),
        latency=latency,
        limits=limits,
        faults=tuple(sorted(faults, key=lambda f: (f.at_ms, f.index))),
        fault_processes=tuple(processes),
        enforcement=enforcement,
        tie_shuffle=resolved["tie_shuffle"],
        horizon_ms=horizon,
        max_decisions=max_decisions,
        default_timeout_ms=check_int(resolved["default_timeout_ms"], where, ("default_timeout_ms",), minimum=1, optional=True),
        resolved=resolved,
        think_ms=check_int(data.get("think_ms"), where, ("think_ms",), minimum=1, optional=True),
    )


# ---------------------------------------------------------------------------- dump
def _ordered(mapping: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """The keys of ``order`` first, in that order, then any others sorted."""
    first = [k for k in order if k in mapping]
    return {k: mapping[k] for k in first + sorted(k for k in mapping if k not in order)}


def _fault_keys(kind: Any) -> tuple[str, ...]:
    """``at_ms``, ``kind``, then the kind's own keys in the order its ``FaultKind`` declares them."""
    known = fault_kinds().get(kind) if isinstance(kind, str) else None
    return ("at_ms", "kind") + (known.keys if known is not None else ())


def _legs_ordered(spec: Any) -> Any:
    return _ordered(spec, LEGS + ("tools",)) if isinstance(spec, Mapping) else spec


def _latency_ordered(latency: Mapping[str, Any]) -> dict[str, Any]:
    out = _ordered(latency, LATENCY_KEYS)
    if "default" in out:
        out["default"] = _legs_ordered(out["default"])
    if isinstance(out.get("services"), Mapping):
        services = {}
        for name, sspec in out["services"].items():
            sspec = _legs_ordered(sspec)
            if isinstance(sspec, Mapping) and isinstance(sspec.get("tools"), Mapping):
                sspec["tools"] = {tool: _legs_ordered(t) for tool, t in sspec["tools"].items()}
            services[name] = sspec
        out["services"] = services
    return out


def _task_ordered(task: Any) -> Any:
    if not isinstance(task, Mapping):
        return task
    if isinstance(task.get("turns"), list):
        task = {**task, "turns": [_ordered(u, TURN_KEYS) if isinstance(u, Mapping) else u for u in task["turns"]]}
    return _ordered(task, TASK_KEYS)


def _process_ordered(proc: Any) -> Any:
    if not isinstance(proc, Mapping):
        return proc
    choices = [_ordered(c, _fault_keys(proc.get("kind"))) if isinstance(c, Mapping) else c for c in proc.get("choices") or []]
    return _ordered({**proc, "choices": choices} if "choices" in proc else proc, PROCESS_KEYS)


def _readable(world: Mapping[str, Any]) -> dict[str, Any]:
    """A world mapping with its keys in the spec's order at every level parse_world checks."""
    doc = _ordered(world, tuple(WORLD_KEYS))
    if isinstance(doc.get("tasks"), list):
        doc["tasks"] = [_task_ordered(t) for t in doc["tasks"]]
    if isinstance(doc.get("faults"), list):
        doc["faults"] = [_ordered(f, _fault_keys(f.get("kind"))) if isinstance(f, Mapping) else f for f in doc["faults"]]
    if isinstance(doc.get("fault_processes"), list):
        doc["fault_processes"] = [_process_ordered(p) for p in doc["fault_processes"]]
    if isinstance(doc.get("services"), Mapping):
        doc["services"] = {k: _ordered(v, LIMIT_KEYS) if isinstance(v, Mapping) else v for k, v in doc["services"].items()}
    if isinstance(doc.get("latency"), Mapping):
        doc["latency"] = _latency_ordered(doc["latency"])
    return doc


def dump_world(data: Mapping[str, Any], *, strip_defaults: bool = False, comment: str = "") -> str:
    """A world mapping (a spec, or ``World.resolved``; its ``policy`` section included) as YAML.

    Keys come in the order the spec declares them (``WORLD_KEYS``, ``TASK_KEYS``, a fault
    kind's ``keys``, ...), not sorted, so the file reads like a hand-written world.
    ``strip_defaults`` leaves out the run options whose value is the default ``parse_world``
    would fill in again. ``comment`` lines go first, each prefixed with ``# ``. What
    ``parse_world`` reads back from the text equals ``data`` (defaults aside).
    """
    world = copy.deepcopy(dict(data))
    if strip_defaults:
        world = {k: v for k, v in world.items() if not (k in DEFAULTS and v == DEFAULTS[k])}
    head = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    body = yaml.safe_dump(_readable(world), sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
    return head + body
