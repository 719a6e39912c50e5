"""Shrink passes: each proposes smaller run configs, registered by name in the order they run.

A pass is ``(config, seed, history) -> candidates``: each candidate is (what it tried, a
config, a seed). The search (``simtool.hunting.shrink``) keeps a candidate when the run still
breaks the invariant and the world got strictly smaller (``world_size``; at equal size, a
lower seed). ``@defines_shrink_pass(name)`` adds a pass to the table and refuses a name
already there (as Hypothesis's ``@defines_shrink_pass``); passes run in registration order:

1. ``drop_tasks``: drop a task (with the faults, limits and latency entries that only concern it);
2. ``drop_faults``: drop a scheduled fault, a fault process, one of a process's choices, a service limit;
3. ``shorten_gold``: drop a task's last turn, a turn's last gold call, then any other gold call
   (``simtool.dependencies.without_step``: later steps' ``after:`` renumbered, and a step that
   waited for the dropped one waits for what it waited for; ``expect_error`` positions move
   too), and simplify a fault by its kind
   (``FaultKind.simplify``: an amendment's last gold call);
4. ``latencies``: every leg a constant at the median the trace drew for it (all at once, else
   leg by leg at the median, lowest or highest draw); then fewer distinct values (a value set
   to 0, or merged into its neighbour);
5. ``think_time``: the policy's think time a constant (its median decision), then 0;
6. ``ties``: ``tie_shuffle`` off; if the race needs it, a lower seed (another tie order).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from simtool.dependencies import without_step
from simtool.errors import SpecError
from simtool.faults import fault_kinds
from simtool.hunting.size import constant_ms, leg_slots, think_of
from simtool.latency import LEGS
from simtool.scoring.history import History

__all__ = ["Config", "Candidate", "ShrinkPass", "defines_shrink_pass", "shrink_passes", "simplify_fault"]

Config = dict[str, Any]
Candidate = tuple[str, Config, int]  # what was tried, the config, the seed
ShrinkPass = Callable[[Config, int, History], Iterator[Candidate]]

_PASSES: dict[str, ShrinkPass] = {}


def defines_shrink_pass(name: str) -> Callable[[ShrinkPass], ShrinkPass]:
    """Decorator: add a pass under ``name`` (run after those already registered); a duplicate name is refused."""

    def register(fn: ShrinkPass) -> ShrinkPass:
        if name in _PASSES:
            raise SpecError("a shrink pass of that name is already registered", key=name, expected="a new name", found=name)
        _PASSES[name] = fn
        return fn

    return register


def shrink_passes() -> tuple[tuple[str, ShrinkPass], ...]:
    """(name, pass) of every registered pass, in the order they run."""
    return tuple(_PASSES.items())


# ---------------------------------------------------------------------------- fault kinds
def simplify_fault(fault: Mapping[str, Any]) -> Iterator[tuple[str, Config]]:
    """Smaller versions of one scheduled fault, by its kind: (what changed, the fault).

    Each kind says how it shrinks (``FaultKind.simplify`` in ``simtool.faults``: an amendment
    loses its last gold call); a kind the table does not know is left as it is.
    """
    kind = fault_kinds().get(fault.get("kind")) if isinstance(fault.get("kind"), str) else None
    if kind is not None:
        yield from kind.simplify(fault)


# ---------------------------------------------------------------------------- helpers
def _services_used(world: Mapping[str, Any]) -> set[str]:
    return {s for t in world.get("tasks") or [] for s in t.get("services") or []}


def _prune(world: Config) -> Config:
    """Remove faults, limits and latency entries that name tasks or services no longer there."""
    tasks = {t["id"] for t in world.get("tasks") or []}
    services = _services_used(world)

    def fits(f: Mapping[str, Any]) -> bool:
        task, service = f.get("task"), f.get("service")
        return (task is None or task == "*" or task in tasks) and (service is None or service in services)

    if world.get("faults"):
        world["faults"] = [f for f in world["faults"] if fits(f)]
    if world.get("fault_processes"):
        procs = []
        for p in world["fault_processes"]:
            choices = [c for c in p.get("choices") or [] if fits(c)]
            if choices:
                procs.append({**p, "choices": choices})
        world["fault_processes"] = procs
    if world.get("services"):
        world["services"] = {k: v for k, v in world["services"].items() if k in services}
    latency = world.get("latency")
    if isinstance(latency, Mapping) and latency.get("services"):
        latency["services"] = {k: v for k, v in latency["services"].items() if k in services}
    return world


def with_world(config: Config, change: Callable[[Config], None]) -> Config:
    """A deep copy of ``config`` with ``change`` applied to its world, then pruned."""
    out = copy.deepcopy(config)
    change(out["world"])
    _prune(out["world"])
    return out


def _drawn(h: History) -> dict[tuple[str, str, str], list[int]]:
    """(service, tool, leg) -> the ms drawn for it in this run, in issue order."""
    out: dict[tuple[str, str, str], list[int]] = {}
    for call in h.calls.values():
        for leg, key in zip(LEGS, ("req_ms", "svc_ms", "resp_ms")):
            out.setdefault((call.issue["service"], call.tool, leg), []).append(int(call.issue[key]))
    return out


def _median(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def _slot_of(latency: Mapping[str, Any], service: str, tool: str, leg: str) -> tuple[str, ...]:
    sspec = (latency.get("services") or {}).get(service) or {}
    if leg in ((sspec.get("tools") or {}).get(tool) or {}):
        return ("services", service, "tools", tool, leg)
    if leg in sspec:
        return ("services", service, leg)
    return ("default", leg)


def _set_path(root: Config, path: tuple[str, ...], value: Any) -> None:
    node = root
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


# ---------------------------------------------------------------------------- the passes
@defines_shrink_pass("drop_tasks")
def drop_tasks(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    tasks = config["world"]["tasks"]
    if len(tasks) < 2:
        return
    for i, task in enumerate(tasks):
        yield f"drop task {task['id']}", with_world(config, lambda w, i=i: w["tasks"].pop(i)), seed


@defines_shrink_pass("drop_faults")
def drop_faults(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    world = config["world"]
    for i, f in enumerate(world.get("faults") or []):
        yield f"drop fault {i} ({f.get('kind')} at {f.get('at_ms')} ms)", with_world(config, lambda w, i=i: w["faults"].pop(i)), seed
    for i, p in enumerate(world.get("fault_processes") or []):
        yield f"drop fault process {i} ({p.get('kind')})", with_world(config, lambda w, i=i: w["fault_processes"].pop(i)), seed
        for j in range(len(p.get("choices") or []) if len(p.get("choices") or []) > 1 else 0):
            yield (f"drop choice {j} of fault process {i}",
                   with_world(config, lambda w, i=i, j=j: w["fault_processes"][i]["choices"].pop(j)), seed)
    for service, limits in sorted((world.get("services") or {}).items()):
        yield f"drop the limits of {service}", with_world(config, lambda w, s=service: w["services"].pop(s)), seed
        for key in sorted(limits or {}) if len(limits or {}) > 1 else []:
            yield f"drop {service}.{key}", with_world(config, lambda w, s=service, k=key: w["services"][s].pop(k)), seed


def _drop_step(world: Config, task: int, turn: int, step: int) -> None:
    """Drop one gold call of a turn; its ``after:`` edges and ``expect_error`` positions follow."""
    spec = world["tasks"][task]["turns"][turn]
    spec["gold"] = without_step(spec["gold"], step)
    expected = spec.get("expect_error")
    if isinstance(expected, list):
        kept = [i - 1 if i > step else i for i in expected if i != step]
        if kept:
            spec["expect_error"] = kept
        else:
            spec.pop("expect_error")


@defines_shrink_pass("shorten_gold")
def shorten_gold(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    world = config["world"]
    for i, task in enumerate(world["tasks"]):
        turns = task.get("turns") or []
        if len(turns) > 1:
            yield f"drop the last turn of {task['id']}", with_world(config, lambda w, i=i: w["tasks"][i]["turns"].pop()), seed
        for k, turn in enumerate(turns):
            if turn.get("gold"):
                last = len(turn["gold"]) - 1
                yield (f"drop the last gold call of {task['id']} turn {k}",
                       with_world(config, lambda w, i=i, k=k, j=last: _drop_step(w, i, k, j)), seed)
    for i, task in enumerate(world["tasks"]):  # then a call inside a turn: the later steps' after: renumbered
        for k, turn in enumerate(task.get("turns") or []):
            for j in range(len(turn.get("gold") or []) - 2, -1, -1):
                yield (f"drop gold call {j} of {task['id']} turn {k}",
                       with_world(config, lambda w, i=i, k=k, j=j: _drop_step(w, i, k, j)), seed)
    for i, fault in enumerate(world.get("faults") or []):
        for what, smaller in simplify_fault(fault):
            yield f"{what} of fault {i}", with_world(config, lambda w, i=i, f=smaller: w["faults"].__setitem__(i, copy.deepcopy(f))), seed


@defines_shrink_pass("latencies")
def latencies(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    world = config["world"]
    latency = world.get("latency") or {}
    drawn = _drawn(h)
    slots = leg_slots(latency)
    if any(constant_ms(spec) is None for _, spec in slots) or latency.get("scale", 1.0) != 1.0:
        flat: Config = {"default": {leg: 0 for leg in LEGS}}
        for (service, tool, leg), values in sorted(drawn.items()):
            _set_path(flat, ("services", service, "tools", tool, leg), _median(values))
        yield "every latency leg constant at its median draw", with_world(config, lambda w: w.__setitem__("latency", flat)), seed
    scale = float(latency.get("scale", 1.0)) or 1.0
    for path, spec in slots:
        if constant_ms(spec) is not None:
            continue
        values = sorted(v for (s, t, leg), vs in drawn.items() if _slot_of(latency, s, t, leg) == path for v in vs)
        picks = [_median(values), values[0], values[-1]] if values else [0]
        for v in dict.fromkeys(int(round(p / scale)) for p in picks):
            yield (f"latency {'.'.join(path)} constant {v} ms",
                   with_world(config, lambda w, p=path, v=v: _set_path(w["latency"], p, v)), seed)
    constants = sorted({c for _, spec in slots if (c := constant_ms(spec)) is not None} - {0.0}, reverse=True)
    for value in constants:
        others = [c for c in constants if c != value]
        targets = [0.0] + sorted(others, key=lambda c: (abs(c - value), c))[:2]
        for target in targets:
            def merge(w: Config, value: float = value, target: float = target) -> None:
                for path, spec in leg_slots(w["latency"]):
                    if constant_ms(spec) == value:
                        _set_path(w["latency"], path, int(target) if target == int(target) else target)
            yield f"latency {value:g} ms -> {target:g} ms", with_world(config, merge), seed


@defines_shrink_pass("think_time")
def think_time(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    has_think, think = think_of(config)
    if not has_think:
        return
    current = constant_ms(think)
    values = [int(d.get("think_ms", 0)) for d in h.decisions]
    picks = ([_median(values)] if values and current is None else []) + ([0] if current != 0.0 else [])
    for v in dict.fromkeys(picks):
        out = copy.deepcopy(config)
        out["policy"]["think"] = v
        yield f"policy think constant {v} ms", out, seed


@defines_shrink_pass("ties")
def ties(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    if not config["world"].get("tie_shuffle"):
        return
    yield "tie_shuffle off", with_world(config, lambda w: w.__setitem__("tie_shuffle", False)), seed
    for other in range(min(seed, 8)):
        yield f"seed {other} (another tie order)", config, other
