"""The world's own events (faults), one table: a ``FaultKind`` per kind, registered by name.

A kind says everything about itself in one class: the keys a fault of the kind has and how
they are checked (``keys``, ``required``, ``parse``), what it records in the trace's ``fault``
event (``record``), how it changes the run (``apply``), the event the agent sees (``event``)
and how a model reads it (``describe``), how the timeline draws it (``mark``), and how the
shrinker may simplify it (``simplify``). Adding a kind is one class decorated with
``@fault_kind``, which refuses a name already taken.

A fault happens at ``at_ms`` (``faults:``) or is drawn by a seeded process (``fault_processes:``:
exponential gaps of ``mean_interval_ms`` between ``start_ms`` and ``end_ms``, at most
``max_count`` events, each a template drawn from ``choices``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import simpy
from attrs import define, frozen

from simtool.policy import Event
from simtool.rng import Streams
from simtool.turns import Turn, parse_turn
from simtool.yamlspec import Located, check_int, check_keys, check_str

if TYPE_CHECKING:
    from simtool.calls import CallLife
    from simtool.clock import Clock
    from simtool.gate import ServiceGate
    from simtool.tasks import TaskBoard
    from simtool.world import TaskSpec

__all__ = [
    "Fault",
    "FaultProcess",
    "FaultKind",
    "FaultScene",
    "TimelineMark",
    "fault_kind",
    "fault_kinds",
    "kind_for_event",
    "parse_fault",
    "parse_fault_process",
    "schedule_faults",
    "unregister",
    "PROCESS_KEYS",
]

PROCESS_KEYS = ("kind", "mean_interval_ms", "start_ms", "end_ms", "max_count", "choices")  # a fault process's keys, in order


@frozen
class Fault:
    """One world event: its kind's name, its own parsed fields (``params``), when, and its
    position in the spec (a stable name for it)."""

    at_ms: int
    kind: str
    params: Any
    index: int = 0


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
class TimelineMark:
    """How the timeline draws an effective fault.

    ``style``: ``line`` (a dashed line in the lanes of the tasks it touches), ``span`` (a shaded
    span of ``duration_ms`` over every lane) or ``cancel`` (the task's lane greyed from then on).
    ``tone``: ``warning``, ``revoke``, ``grant`` or ``neutral`` (the timeline picks the colour).
    """

    style: str
    label: str
    tone: str = "neutral"
    duration_ms: int = 0


@define
class FaultScene:
    """The parts of a run a fault may act on (the runtime builds it)."""

    clock: Clock
    board: TaskBoard
    calls: CallLife
    gate: ServiceGate
    emit: Callable[..., None]  # emit(kind, **fields): a trace event
    notify: Callable[[Event], None]  # tell the agent
    horizon_ms: int

    @property
    def now(self) -> int:
        return self.clock.now  # type: ignore[no-any-return]

    def targets(self, task: str | None) -> list[Any]:
        """The task a fault names, or every task (in world order) when it names none."""
        tasks = self.board.tasks
        return [tasks[task]] if task else list(tasks.values())


class FaultKind:
    """A kind of world event. Subclasses set ``name``, ``keys``, ``required`` and implement
    ``parse``, ``record`` and ``apply``; the rest have defaults (no agent event, no timeline
    mark, no simplification)."""

    name: ClassVar[str] = ""
    keys: ClassVar[tuple[str, ...]] = ()  # the keys a fault of this kind may have, besides kind and at_ms
    required: ClassVar[tuple[str, ...]] = ()
    event: ClassVar[str | None] = None  # the kind of the Event the agent sees, if any

    def parse(self, spec: Mapping[str, Any], tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> Any:
        """The fault's own fields from its spec (keys, required keys, task and service names are checked already)."""
        raise NotImplementedError

    def record(self, params: Any) -> dict[str, Any]:
        """The fields the trace's ``fault`` event records (besides ``fault``, ``source``, ``index``, ``effective``)."""
        raise NotImplementedError

    def apply(self, params: Any, scene: FaultScene, rec: dict[str, Any]) -> None:
        """Change the run; emit the ``fault`` event (``scene.emit("fault", **rec, effective=...)``)."""
        raise NotImplementedError

    def describe(self, event: Event) -> str:
        """The agent's event as a model reads it."""
        return f"{event.kind}: {dict(event.detail)}"

    def mark(self, record: Mapping[str, Any]) -> TimelineMark | None:
        """How the timeline draws the fault's (effective) trace event; None: not drawn."""
        return None

    def simplify(self, spec: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Simpler versions of a fault spec for the shrinker: (what changed, the new spec)."""
        return []


_KINDS: dict[str, FaultKind] = {}
_EVENTS: dict[str, FaultKind] = {}


def fault_kind(cls: type[FaultKind]) -> type[FaultKind]:
    """Class decorator: register a fault kind by its ``name``; a name (or agent event) already taken is refused."""
    if not cls.name:
        raise ValueError(f"fault kind {cls.__name__} has no name")
    if cls.name in _KINDS:
        raise ValueError(f"a fault kind named '{cls.name}' is already registered ({type(_KINDS[cls.name]).__name__})")
    if cls.event is not None and cls.event in _EVENTS:
        raise ValueError(f"the agent event '{cls.event}' already belongs to fault kind '{_EVENTS[cls.event].name}'")
    kind = cls()
    _KINDS[cls.name] = kind
    if cls.event is not None:
        _EVENTS[cls.event] = kind
    return cls


def fault_kinds() -> Mapping[str, FaultKind]:
    """Every registered kind by name, in registration order."""
    return _KINDS


def kind_for_event(event_kind: str) -> FaultKind | None:
    """The fault kind whose agent event is ``event_kind`` (None: not a fault's event)."""
    return _EVENTS.get(event_kind)


def unregister(name: str) -> None:
    """Remove a kind from the table (for tests that register one of their own)."""
    kind = _KINDS.pop(name)
    if kind.event is not None:
        _EVENTS.pop(kind.event, None)


# ------------------------------------------------------------------------------------ parsing
def _check_kind(kind: Any, where: Located, path: tuple[Any, ...]) -> FaultKind:
    found = _KINDS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise where.error(path, "unknown fault kind", expected=" | ".join(_KINDS), found=kind)
    return found


def parse_fault(spec: Any, tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...], index: int, *,
                template: bool = False) -> Fault:
    """One fault (or, ``template``, a process's choice, which has no ``at_ms``); errors name file, line, key."""
    if not isinstance(spec, Mapping):
        raise where.error(path, "a fault must be a mapping", expected="{at_ms, kind, ...}", found=spec)
    kind = _check_kind(spec.get("kind"), where, path + ("kind",))
    timing = () if template else ("at_ms",)
    check_keys(spec, ("kind",) + timing + kind.keys, where, path)
    for key in kind.required + timing:
        if key not in spec:
            raise where.error(path, f"a {kind.name} fault needs '{key}'", expected=key, found=None)
    task = spec.get("task")
    if task is not None and task != "*" and task not in tasks:
        raise where.error(path + ("task",), "unknown task", expected=" | ".join(tasks), found=task)
    service = spec.get("service")
    if service is not None:
        known = sorted({s for t in tasks.values() for s in t.services})
        if service not in known:
            raise where.error(path + ("service",), "no task uses this service", expected=" | ".join(known), found=service)
    at_ms = 0 if template else int(check_int(spec["at_ms"], where, path + ("at_ms",)))  # type: ignore[arg-type]
    return Fault(at_ms=at_ms, kind=kind.name, params=kind.parse(spec, tasks, where, path), index=index)


def parse_fault_process(spec: Any, tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...], index: int,
                        horizon_ms: int) -> FaultProcess:
    """One seeded fault process; ``end_ms`` defaults to the horizon."""
    if not isinstance(spec, Mapping):
        raise where.error(path, "must be a mapping", expected="{kind, mean_interval_ms, choices}", found=spec)
    check_keys(spec, PROCESS_KEYS, where, path)
    kind = _check_kind(spec.get("kind"), where, path + ("kind",)).name
    mean = spec.get("mean_interval_ms")
    if not isinstance(mean, (int, float)) or isinstance(mean, bool) or mean <= 0:
        raise where.error(path + ("mean_interval_ms",), "must be a positive number", expected="ms > 0", found=mean)
    choices = spec.get("choices")
    if not isinstance(choices, list) or not choices:
        raise where.error(path + ("choices",), "must list at least one event template", expected="[{task, scope, ...}]", found=choices)
    templates = tuple(
        parse_fault({"kind": kind, **c} if isinstance(c, Mapping) else c, tasks, where, path + ("choices", j), j, template=True)
        for j, c in enumerate(choices)
    )
    return FaultProcess(
        kind=kind,
        mean_interval_ms=float(mean),
        start_ms=int(check_int(spec.get("start_ms", 0), where, path + ("start_ms",))),  # type: ignore[arg-type]
        end_ms=int(check_int(spec.get("end_ms", horizon_ms), where, path + ("end_ms",))),  # type: ignore[arg-type]
        max_count=int(check_int(spec.get("max_count", 1), where, path + ("max_count",), minimum=1)),  # type: ignore[arg-type]
        choices=templates,
        index=index,
    )


def _positive(spec: Mapping[str, Any], key: str, where: Located, path: tuple[Any, ...]) -> int | None:
    return check_int(spec.get(key), where, path + (key,), minimum=1, optional=True)


def _one_task(task: Any) -> str | None:
    return None if task in (None, "*") else task  # type: ignore[no-any-return]


def _with(rec: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """``rec`` plus the fields that are set (a fault record leaves unset ones out)."""
    rec.update((k, v) for k, v in fields.items() if v is not None)
    return rec


# ------------------------------------------------------------------------------------ running
def apply_fault(fault: Fault, scene: FaultScene, source: str) -> None:
    """Apply one fault now; ``source`` is ``scheduled`` or ``process:<index>``."""
    kind = _KINDS[fault.kind]
    rec = {"fault": fault.kind, "source": source, "index": fault.index, **kind.record(fault.params)}
    kind.apply(fault.params, scene, rec)


def _scheduled(faults: tuple[Fault, ...], scene: FaultScene) -> Iterator[simpy.Event]:
    clock = scene.clock
    for fault in faults:
        delay = fault.at_ms - clock.now
        if delay > 0:
            yield clock.timeout(delay)
        apply_fault(fault, scene, "scheduled")


def _process(proc: FaultProcess, scene: FaultScene, streams: Streams) -> Iterator[simpy.Event]:
    clock = scene.clock
    rng = streams("faults", str(proc.index), proc.kind)
    count = 0
    if proc.start_ms > clock.now:
        yield clock.timeout(proc.start_ms - clock.now)
    while count < proc.max_count:
        gap = max(1, int(round(rng.exponential(proc.mean_interval_ms))))
        if clock.now + gap >= proc.end_ms:
            return
        yield clock.timeout(gap)
        template = proc.choices[int(rng.integers(len(proc.choices)))]
        apply_fault(template, scene, f"process:{proc.index}")
        count += 1


def schedule_faults(faults: tuple[Fault, ...], processes: tuple[FaultProcess, ...], scene: FaultScene, streams: Streams) -> None:
    """Start the scheduled faults (in time order) and every seeded fault process on the clock."""
    if faults:
        scene.clock.process(_scheduled(faults, scene))
    for proc in processes:
        scene.clock.process(_process(proc, scene, streams))


# ------------------------------------------------------------------------------------ the kinds
@frozen
class TaskOnly:
    task: str | None


@fault_kind
class CancelTask(FaultKind):
    """The user cancels a task: its calls in flight are cancelled by the world."""

    name = "cancel_task"
    keys = ("task",)
    required = ("task",)
    event = "task_cancelled"

    def parse(self, spec: Mapping[str, Any], tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> TaskOnly:
        return TaskOnly(_one_task(spec.get("task")))

    def record(self, params: TaskOnly) -> dict[str, Any]:
        return _with({}, task=params.task)

    def apply(self, params: TaskOnly, scene: FaultScene, rec: dict[str, Any]) -> None:
        task = scene.targets(params.task)[0]
        if task.status != "active":
            scene.emit("fault", **rec, effective=False)
            return
        scene.board.set_status(task, "cancelled")
        scene.emit("fault", **rec, effective=True)
        for call in [c for c in task.calls if c.status == "in_flight"]:
            scene.calls.cancel(call.call_id, "world")
        scene.notify(Event(self.event, scene.now, task.task_id))  # type: ignore[arg-type]

    def describe(self, event: Event) -> str:
        return f"task {event.task_id} was cancelled by its user: stop working on it"

    def mark(self, record: Mapping[str, Any]) -> TimelineMark:
        return TimelineMark("cancel", "task cancelled")


@frozen
class Amendment:
    task: str
    turn: Turn


@fault_kind
class Amend(FaultKind):
    """The user changes the current request: a new request and gold; results of the old one are stale."""

    name = "amend"
    keys = ("task", "request", "gold")
    required = ("task", "request", "gold")
    event = "amended"

    def parse(self, spec: Mapping[str, Any], tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> Amendment:
        task = spec["task"]
        if task == "*":
            raise where.error(path + ("task",), "an amend fault changes the request of one task", expected=" | ".join(tasks), found=task)
        return Amendment(task, parse_turn({"request": spec["request"], "gold": spec["gold"]}, tasks[task].tools, where, path))

    def record(self, params: Amendment) -> dict[str, Any]:
        return {"task": params.task}

    def apply(self, params: Amendment, scene: FaultScene, rec: dict[str, Any]) -> None:
        task = scene.targets(params.task)[0]
        if task.status != "active":
            scene.emit("fault", **rec, effective=False)
            return
        scene.board.amend(task, params.turn)
        scene.emit("fault", **rec, effective=True, turn=task.turn, epoch=task.epoch, request=params.turn.request)
        scene.notify(Event(self.event, scene.now, task.task_id, None, {"turn": task.turn, "epoch": task.epoch}))  # type: ignore[arg-type]
        scene.board.start_subtask(task, "amend")

    def describe(self, event: Event) -> str:
        return f"task {event.task_id}: the user changed the current request; results of the old one are stale"

    def mark(self, record: Mapping[str, Any]) -> TimelineMark:
        return TimelineMark("line", "amended", "warning")

    def simplify(self, spec: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        gold = spec.get("gold")
        if not gold:
            return []
        return [("drop the last gold call", {**spec, "gold": list(gold)[:-1]})]


@frozen
class ScopeChange:
    scope: str
    task: str | None  # None: every task


class _PermissionChange(FaultKind):
    keys = ("scope", "task")
    required = ("scope",)
    granted: ClassVar[bool] = False

    def parse(self, spec: Mapping[str, Any], tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> ScopeChange:
        return ScopeChange(check_str(spec["scope"], where, path + ("scope",)), _one_task(spec.get("task")))

    def record(self, params: ScopeChange) -> dict[str, Any]:
        return _with({"scope": params.scope}, task=params.task)

    def apply(self, params: ScopeChange, scene: FaultScene, rec: dict[str, Any]) -> None:
        targets = scene.targets(params.task)
        for task in targets:
            task.set_permissions(params.scope, self.granted)
        scene.emit("fault", **rec, effective=True)
        for task in targets:
            scene.notify(Event(self.event, scene.now, task.task_id, None, {"scope": params.scope}))  # type: ignore[arg-type]

    def describe(self, event: Event) -> str:
        return f"task {event.task_id}: permission {event.detail.get('scope')} {event.kind}"


@fault_kind
class Revoke(_PermissionChange):
    """A permission scope (``trading.write``) is revoked, for one task or all."""

    name = "revoke"
    event = "revoked"

    def mark(self, record: Mapping[str, Any]) -> TimelineMark:
        return TimelineMark("line", f"revoked {record.get('scope', '')}", "revoke")


@fault_kind
class Grant(_PermissionChange):
    """A permission scope is granted, for one task or all."""

    name = "grant"
    event = "granted"
    granted = True

    def mark(self, record: Mapping[str, Any]) -> TimelineMark:
        return TimelineMark("line", f"granted {record.get('scope', '')}", "grant")


@frozen
class OutageSpec:
    service: str
    duration_ms: int


@fault_kind
class Outage(FaultKind):
    """A service refuses every call arriving in the next ``duration_ms`` (with retry_after_ms)."""

    name = "outage"
    keys = ("service", "duration_ms")
    required = ("service", "duration_ms")

    def parse(self, spec: Mapping[str, Any], tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> OutageSpec:
        return OutageSpec(spec["service"], _positive(spec, "duration_ms", where, path))  # type: ignore[arg-type]

    def record(self, params: OutageSpec) -> dict[str, Any]:
        return {"service": params.service, "duration_ms": params.duration_ms}

    def apply(self, params: OutageSpec, scene: FaultScene, rec: dict[str, Any]) -> None:
        now = scene.now
        scene.gate.add_outage(params.service, now, now + params.duration_ms)
        scene.emit("fault", **rec, effective=True, until=now + params.duration_ms)

    def mark(self, record: Mapping[str, Any]) -> TimelineMark:
        return TimelineMark("span", f"outage {record.get('service', '')}", "neutral", int(record.get("duration_ms") or 0))


@frozen
class RateLimitSpec:
    service: str
    calls: int
    per_ms: int
    duration_ms: int | None  # None: until the horizon


@fault_kind
class RateLimit(FaultKind):
    """A service takes at most ``calls`` per ``per_ms`` for ``duration_ms`` (the rest of the run without it)."""

    name = "rate_limit"
    keys = ("service", "calls", "per_ms", "duration_ms")
    required = ("service", "calls", "per_ms")

    def parse(self, spec: Mapping[str, Any], tasks: Mapping[str, TaskSpec], where: Located, path: tuple[Any, ...]) -> RateLimitSpec:
        duration = _positive(spec, "duration_ms", where, path)
        calls = _positive(spec, "calls", where, path)
        per_ms = _positive(spec, "per_ms", where, path)
        return RateLimitSpec(spec["service"], calls, per_ms, duration)  # type: ignore[arg-type]

    def record(self, params: RateLimitSpec) -> dict[str, Any]:
        return _with({"service": params.service, "calls": params.calls, "per_ms": params.per_ms}, duration_ms=params.duration_ms)

    def apply(self, params: RateLimitSpec, scene: FaultScene, rec: dict[str, Any]) -> None:
        until = scene.now + params.duration_ms if params.duration_ms else scene.horizon_ms
        scene.gate.limit_rate(params.service, params.calls, params.per_ms, until)
        scene.emit("fault", **rec, effective=True, until=until)

    def mark(self, record: Mapping[str, Any]) -> TimelineMark:
        return TimelineMark("line", f"rate limit {record.get('service', '')}")
