"""The world spec: tasks with turns and gold paths, latencies, service limits, faults, run options.

``parse_world(data, where)`` checks a world mapping (usually loaded from YAML) and returns a
``World``; every error names the file, line and key. ``World.resolved`` is the same mapping
with every default filled in: the fully resolved config that a trace header records and that
a replay runs from.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import field, frozen

from simtool.callstring import parse_call
from simtool.errors import SimtoolError, SpecError
from simtool.goldcheck import check_gold_runs
from simtool.latency import LatencyModel
from simtool.limits import current_limits
from simtool.registry import service_class
from simtool.service import Service, ToolSchema, check_args
from simtool.yamlspec import Located

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
    "ENFORCEMENT_MODES",
    "FAULT_KINDS",
]

ENFORCEMENT_MODES = ("issue", "execution", "delivery", "none")
FAULT_KINDS = ("cancel_task", "amend", "revoke", "grant", "outage", "rate_limit")
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
    "policy": "the policy and its options",
    "profile": "the name of the latency profile, informative",
    "instance": "the suite instance this world was built from, informative",
}
DEFAULTS: dict[str, Any] = {
    "enforcement": "issue",
    "tie_shuffle": False,
    "horizon_ms": 3_600_000,
    "max_decisions": 10_000,
    "default_timeout_ms": None,
}


@frozen
class GoldCall:
    tool: str
    service: str
    args: Mapping[str, Any]
    text: str


@frozen
class Turn:
    request: str
    gold: tuple[GoldCall, ...]


@frozen
class TaskSpec:
    task_id: str
    services: tuple[str, ...]
    initial_config: Mapping[str, Any]
    turns: tuple[Turn, ...]
    permissions: tuple[str, ...]
    tools: Mapping[str, ToolSchema]  # tool name -> schema, over the task's services
    title: str = ""


@frozen
class Fault:
    at_ms: int
    kind: str
    task: str | None = None  # None: every task
    scope: str | None = None
    service: str | None = None
    duration_ms: int | None = None
    calls: int | None = None
    per_ms: int | None = None
    amendment: Turn | None = None
    index: int = 0  # position in the spec: a stable name for the event


@frozen
class FaultProcess:
    """Seeded world events: exponential gaps of mean ``mean_interval_ms`` between start and end."""

    kind: str
    mean_interval_ms: float
    start_ms: int
    end_ms: int
    max_count: int
    choices: tuple[Fault, ...]  # templates; one is drawn per event (at_ms ignored)
    index: int = 0


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

    def task(self, task_id: str) -> TaskSpec:
        for t in self.tasks:
            if t.task_id == task_id:
                return t
        raise KeyError(task_id)


def _int(value: Any, where: Located, path: tuple[Any, ...], *, minimum: int = 0, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise where.error(path, "must be a whole number", expected=f"an integer >= {minimum}", found=value)
    return value


def _str(value: Any, where: Located, path: tuple[Any, ...]) -> str:
    if not isinstance(value, str) or not value:
        raise where.error(path, "must be a non-empty string", expected="a string", found=value)
    return value


def _check_keys(spec: Mapping[str, Any], allowed: Sequence[str], where: Located, path: tuple[Any, ...]) -> None:
    extra = sorted(set(spec) - set(allowed))
    if extra:
        raise where.error(path + (extra[0],), "unknown key", expected=" | ".join(allowed), found=extra[0])


def scopes_of(service: type[Service]) -> tuple[str, str]:
    return (f"{service.domain}.read", f"{service.domain}.write")


def _gold(texts: Any, tools: Mapping[str, ToolSchema], where: Located, path: tuple[Any, ...]) -> tuple[GoldCall, ...]:
    if not isinstance(texts, list):
        raise where.error(path, "gold must be a list of call strings", expected="['tool(arg=value)', ...]", found=texts)
    out = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise where.error(path + (i,), "a gold call must be a string", expected="'tool(arg=value)'", found=text)
        name = text.split("(", 1)[0].strip()
        if name not in tools:
            raise where.error(path + (i,), "unknown tool for this task", expected=" | ".join(sorted(tools)), found=name)
        schema = tools[name]
        try:
            name, args = parse_call(text, schema.param_names)
        except SpecError as exc:
            raise where.error(path + (i,), exc.detail, expected=exc.expected, found=exc.found) from None
        problem = check_args(schema, args)
        if problem:
            raise where.error(path + (i,), f"gold call does not fit the schema: {problem}", found=text)
        out.append(GoldCall(tool=name, service=schema.service, args=args, text=text))
    return tuple(out)


def _turn(spec: Any, tools: Mapping[str, ToolSchema], where: Located, path: tuple[Any, ...]) -> Turn:
    if not isinstance(spec, Mapping):
        raise where.error(path, "a turn must be a mapping", expected="{request, gold}", found=spec)
    _check_keys(spec, ("request", "gold", "expect", "expect_error"), where, path)
    request = _str(spec.get("request"), where, path + ("request",))
    return Turn(request=request, gold=_gold(spec.get("gold", []), tools, where, path + ("gold",)))


def _task(spec: Any, where: Located, path: tuple[Any, ...]) -> TaskSpec:
    if not isinstance(spec, Mapping):
        raise where.error(path, "a task must be a mapping", expected="{id, services, turns}", found=spec)
    _check_keys(spec, ("id", "title", "services", "initial_config", "permissions", "turns", "domain", "source"), where, path)
    task_id = _str(spec.get("id"), where, path + ("id",))
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
    turns = tuple(_turn(t, tools, where, path + ("turns", i)) for i, t in enumerate(turns_spec))
    task = TaskSpec(
        task_id=task_id,
        services=tuple(names),
        initial_config=copy.deepcopy(dict(initial)),
        turns=turns,
        permissions=tuple(sorted(set(perms))),
        tools=tools,
        title=str(spec.get("title", "")),
    )
    check_gold_runs(task, turns_spec, where, path)
    return task


_FAULT_FIELDS = {
    "cancel_task": ("task",),
    "amend": ("task", "request", "gold"),
    "revoke": ("scope", "task"),
    "grant": ("scope", "task"),
    "outage": ("service", "duration_ms"),
    "rate_limit": ("service", "calls", "per_ms", "duration_ms"),
}
_REQUIRED = {
    "cancel_task": ("task",),
    "amend": ("task", "request", "gold"),
    "revoke": ("scope",),
    "grant": ("scope",),
    "outage": ("service", "duration_ms"),
    "rate_limit": ("service", "calls", "per_ms"),
}


def _fault(spec: Any, tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...], index: int, *, template: bool = False) -> Fault:
    if not isinstance(spec, Mapping):
        raise where.error(path, "a fault must be a mapping", expected="{at_ms, kind, ...}", found=spec)
    kind = spec.get("kind")
    if kind not in FAULT_KINDS:
        raise where.error(path + ("kind",), "unknown fault kind", expected=" | ".join(FAULT_KINDS), found=kind)
    allowed = ("kind",) + (() if template else ("at_ms",)) + _FAULT_FIELDS[kind]
    _check_keys(spec, allowed, where, path)
    for key in _REQUIRED[kind] + (() if template else ("at_ms",)):
        if spec.get(key) is None:
            raise where.error(path + ((key,) if key in spec else ()), f"a {kind} fault needs '{key}'", expected=key, found=None)
    task = spec.get("task")
    if task is not None and (not isinstance(task, str) or (task != "*" and task not in tasks)):
        raise where.error(path + ("task",), "unknown task", expected=" | ".join(tasks), found=task)
    service = spec.get("service")
    if service is not None and not isinstance(service, str):
        raise where.error(path + ("service",), "a service is named by a string", expected="ServiceName", found=service)
    if service is not None:
        known = sorted({s for t in tasks.values() for s in t.services})
        if service not in known:
            raise where.error(path + ("service",), "no task uses this service", expected=" | ".join(known), found=service)
    amendment = None
    if kind == "amend":
        amendment = _turn({"request": spec["request"], "gold": spec["gold"]}, tasks[task].tools, where, path)
    return Fault(
        at_ms=0 if template else int(_int(spec["at_ms"], where, path + ("at_ms",))),
        kind=kind,
        task=None if task in (None, "*") else task,
        scope=_str(spec["scope"], where, path + ("scope",)) if "scope" in spec else None,
        service=service,
        duration_ms=_int(spec.get("duration_ms"), where, path + ("duration_ms",), minimum=1, optional=True),
        calls=_int(spec.get("calls"), where, path + ("calls",), minimum=1, optional=True),
        per_ms=_int(spec.get("per_ms"), where, path + ("per_ms",), minimum=1, optional=True),
        amendment=amendment,
        index=index,
    )


def _limits(spec: Any, where: Located, path: tuple[Any, ...]) -> ServiceLimits:
    if not isinstance(spec, Mapping):
        raise where.error(path, "must be a mapping", expected="{capacity, rate_limit, outages}", found=spec)
    _check_keys(spec, ("capacity", "rate_limit", "outages"), where, path)
    rate = spec.get("rate_limit")
    rate_calls = rate_per = None
    if rate is not None:
        if not isinstance(rate, Mapping):
            raise where.error(path + ("rate_limit",), "must be a mapping", expected="{calls, per_ms}", found=rate)
        _check_keys(rate, ("calls", "per_ms"), where, path + ("rate_limit",))
        rate_calls = _int(rate.get("calls"), where, path + ("rate_limit", "calls"), minimum=1)
        rate_per = _int(rate.get("per_ms"), where, path + ("rate_limit", "per_ms"), minimum=1)
    outages = []
    for i, o in enumerate(spec.get("outages") or []):
        opath = path + ("outages", i)
        if not isinstance(o, Mapping):
            raise where.error(opath, "must be a mapping", expected="{start_ms, end_ms}", found=o)
        _check_keys(o, ("start_ms", "end_ms"), where, opath)
        start = _int(o.get("start_ms"), where, opath + ("start_ms",))
        end = _int(o.get("end_ms"), where, opath + ("end_ms",), minimum=(start or 0) + 1)
        outages.append((start, end))
    return ServiceLimits(
        capacity=_int(spec.get("capacity"), where, path + ("capacity",), minimum=1, optional=True),
        rate_calls=rate_calls,
        rate_per_ms=rate_per,
        outages=tuple(sorted(outages)),  # type: ignore[arg-type]
    )


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


def _check_fault_scope(fault: Fault, tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> None:
    """A revoke or grant names a scope of a service its task has (any task's, for every task)."""
    if fault.scope is None:
        return
    chosen = [tasks[fault.task]] if fault.task is not None else list(tasks.values())
    known = sorted({scope for t in chosen for name in t.services for scope in scopes_of(service_class(name))})
    if fault.scope not in known:
        whose = f"task {fault.task}" if fault.task is not None else "any task"
        raise where.error(path + ("scope",), f"no service of {whose} has this scope", expected=" | ".join(known), found=fault.scope)


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


def parse_world(data: Any, where: Located | None = None) -> World:
    """Check a world mapping and build the ``World``; ``World.resolved`` holds every default."""
    where = where or Located(None, {})
    if not isinstance(data, Mapping):
        raise where.error((), "a world must be a mapping", expected="{name, tasks, ...}", found=data)
    _check_keys(data, tuple(WORLD_KEYS), where, ())
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
    faults = tuple(_fault(f, tasks, where, ("faults", i), i) for i, f in enumerate(faults_spec))
    for i, f in enumerate(faults):
        _check_fault_scope(f, tasks, where, ("faults", i))
    horizon = int(_int(resolved["horizon_ms"], where, ("horizon_ms",), minimum=1))  # checked before processes default to it
    processes = []
    if not isinstance(data.get("fault_processes") or [], list):
        raise where.error(("fault_processes",), "must be a list", expected="[{kind, mean_interval_ms, choices}, ...]",
                          found=data.get("fault_processes"))
    for i, p in enumerate(data.get("fault_processes") or []):
        ppath = ("fault_processes", i)
        if not isinstance(p, Mapping):
            raise where.error(ppath, "must be a mapping", expected="{kind, mean_interval_ms, choices}", found=p)
        _check_keys(p, ("kind", "mean_interval_ms", "start_ms", "end_ms", "max_count", "choices"), where, ppath)
        kind = p.get("kind")
        if kind not in FAULT_KINDS:
            raise where.error(ppath + ("kind",), "unknown fault kind", expected=" | ".join(FAULT_KINDS), found=kind)
        mean = p.get("mean_interval_ms")
        if not isinstance(mean, (int, float)) or isinstance(mean, bool) or mean <= 0:
            raise where.error(ppath + ("mean_interval_ms",), "must be a positive number", expected="ms > 0", found=mean)
        choices = p.get("choices")
        if not isinstance(choices, list) or not choices:
            raise where.error(ppath + ("choices",), "must list at least one event template", expected="[{task, scope, ...}]", found=choices)
        templates = tuple(
            _fault({"kind": kind, **c} if isinstance(c, Mapping) else c, tasks, where, ppath + ("choices", j), j, template=True)
            for j, c in enumerate(choices)
        )
        for j, template in enumerate(templates):
            _check_fault_scope(template, tasks, where, ppath + ("choices", j))
        start = int(_int(p.get("start_ms", 0), where, ppath + ("start_ms",)))
        processes.append(
            FaultProcess(
                kind=kind,
                mean_interval_ms=float(mean),
                start_ms=start,
                end_ms=int(_int(p.get("end_ms", horizon), where, ppath + ("end_ms",))),
                max_count=int(_int(p.get("max_count", 1), where, ppath + ("max_count",), minimum=1)),
                choices=templates,
                index=i,
            )
        )
    enforcement = resolved["enforcement"]
    if enforcement not in ENFORCEMENT_MODES:
        raise where.error(("enforcement",), "unknown enforcement mode", expected=" | ".join(ENFORCEMENT_MODES), found=enforcement)
    if not isinstance(resolved["tie_shuffle"], bool):
        raise where.error(("tie_shuffle",), "must be true or false", expected="a boolean", found=resolved["tie_shuffle"])
    max_decisions = int(_int(resolved["max_decisions"], where, ("max_decisions",), minimum=1))
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
        default_timeout_ms=_int(resolved["default_timeout_ms"], where, ("default_timeout_ms",), minimum=1, optional=True),
        resolved=resolved,
    )
