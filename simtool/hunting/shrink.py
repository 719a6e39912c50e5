"""``simtool shrink``: the smallest world in which the same invariant still fails.

Starting from a failing trace (its header holds the fully resolved world and policy config and
the seed), greedy passes each try one reduction and keep it when the run still breaks the
invariant and the world got strictly smaller (``world_size``; at equal size, a lower seed):

1. drop a task (with the faults, limits and latency entries that only concern it);
2. drop a scheduled fault, a fault process, one of a process's choices, a service limit;
3. shorten a gold path: drop a task's last turn, a turn's (or an amendment's) last call;
4. latencies: every leg a constant at the median the trace drew for it (all at once, else
   leg by leg at the median, lowest or highest draw); then fewer distinct values (a value
   set to 0, or merged into its neighbour); the policy's think time likewise;
5. tie order: ``tie_shuffle`` off; if the race needs it, a lower seed (another tie order).

The passes repeat until a round changes nothing. Each step is a deterministic run, the order
of candidates is fixed, so shrinking the same trace twice gives the same bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from attrs import frozen

from simtool import registry
from simtool.errors import SimtoolError, SpecError
from simtool.hunting.invariants import Check, check_trace, invariant
from simtool.hunting.repro import repro_line
from simtool.latency import LEGS
from simtool.policy import resolve_options
from simtool.run import check_offline, run
from simtool.scoring.history import History, history_of, trace_from_lines
from simtool.trace import canonical, read_trace
from simtool.world import DEFAULTS

__all__ = ["ShrinkResult", "world_size", "shrink", "shrink_trace", "default_output"]

Config = dict[str, Any]
Candidate = tuple[str, Config, int]  # what was tried, the config, the seed

_INFORMATIVE = ("description", "profile", "instance")


@frozen
class ShrinkResult:
    config: Mapping[str, Any]
    seed: int
    invariant: str
    size_before: int
    size_after: int
    steps: tuple[str, ...]  # the reductions kept, in order
    runs: int  # candidate runs tried
    text: str  # the world YAML (its policy section included)
    path: str | None
    repro: str | None


# ---------------------------------------------------------------------------- size
def _constant(spec: Any) -> float | None:
    """The ms of a constant latency spec (a number or ``{dist: constant}``), else None."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return float(spec)
    if isinstance(spec, Mapping) and spec.get("dist") == "constant" and isinstance(spec.get("ms"), (int, float)):
        return float(spec["ms"])
    return None


def _leg_slots(latency: Mapping[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    """(path in the latency spec, spec) of every leg: default, per service, per tool."""
    out = []
    for leg in LEGS:
        if leg in (latency.get("default") or {}):
            out.append((("default", leg), latency["default"][leg]))
    for service, sspec in sorted((latency.get("services") or {}).items()):
        for leg in LEGS:
            if leg in sspec:
                out.append((("services", service, leg), sspec[leg]))
        for tool, tspec in sorted((sspec.get("tools") or {}).items()):
            for leg in LEGS:
                if leg in tspec:
                    out.append((("services", service, "tools", tool, leg), tspec[leg]))
    return out


def _think(config: Mapping[str, Any]) -> tuple[bool, Any]:
    policy = config.get("policy") or {}
    return ("think" in policy, policy.get("think"))


def world_size(config: Mapping[str, Any]) -> int:
    """How big a run config is: tasks, turns, gold calls, faults, limits, sampled latencies, distinct values.

    A sampled (non-constant) latency counts 2, each distinct non-zero constant 1, so turning a
    distribution into one constant, or two constants into one, makes the world smaller.
    """
    world = config["world"]
    size = 0
    for task in world.get("tasks") or []:
        size += 1
        for turn in task.get("turns") or []:
            size += 1 + len(turn.get("gold") or [])
    for fault in world.get("faults") or []:
        size += 1 + len(fault.get("gold") or [])
    for proc in world.get("fault_processes") or []:
        size += 1 + len(proc.get("choices") or [])
    for limits in (world.get("services") or {}).values():
        size += max(1, len(limits or {}))
    specs = [spec for _, spec in _leg_slots(world.get("latency") or {})]
    has_think, think = _think(config)
    if has_think:
        specs.append(think)
    constants = {c for c in (_constant(s) for s in specs) if c is not None}
    size += 2 * sum(1 for s in specs if _constant(s) is None)
    size += len(constants - {0.0})
    size += int(bool(world.get("tie_shuffle")))
    return size


# ---------------------------------------------------------------------------- reductions
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


def _with_world(config: Config, change: Callable[[Config], None]) -> Config:
    out = copy.deepcopy(config)
    change(out["world"])
    _prune(out["world"])
    return out


def _drop_tasks(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    tasks = config["world"]["tasks"]
    if len(tasks) < 2:
        return
    for i, task in enumerate(tasks):
        yield f"drop task {task['id']}", _with_world(config, lambda w, i=i: w["tasks"].pop(i)), seed


def _drop_faults(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    world = config["world"]
    for i, f in enumerate(world.get("faults") or []):
        yield f"drop fault {i} ({f.get('kind')} at {f.get('at_ms')} ms)", _with_world(config, lambda w, i=i: w["faults"].pop(i)), seed
    for i, p in enumerate(world.get("fault_processes") or []):
        yield f"drop fault process {i} ({p.get('kind')})", _with_world(config, lambda w, i=i: w["fault_processes"].pop(i)), seed
        for j in range(len(p.get("choices") or []) if len(p.get("choices") or []) > 1 else 0):
            yield (f"drop choice {j} of fault process {i}",
                   _with_world(config, lambda w, i=i, j=j: w["fault_processes"][i]["choices"].pop(j)), seed)
    for service, limits in sorted((world.get("services") or {}).items()):
        yield f"drop the limits of {service}", _with_world(config, lambda w, s=service: w["services"].pop(s)), seed
        for key in sorted(limits or {}) if len(limits or {}) > 1 else []:
            yield f"drop {service}.{key}", _with_world(config, lambda w, s=service, k=key: w["services"][s].pop(k)), seed


def _shorten_gold(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    world = config["world"]
    for i, task in enumerate(world["tasks"]):
        turns = task.get("turns") or []
        if len(turns) > 1:
            yield f"drop the last turn of {task['id']}", _with_world(config, lambda w, i=i: w["tasks"][i]["turns"].pop()), seed
        for k, turn in enumerate(turns):
            if turn.get("gold"):
                yield (f"drop the last gold call of {task['id']} turn {k}",
                       _with_world(config, lambda w, i=i, k=k: w["tasks"][i]["turns"][k]["gold"].pop()), seed)
    for i, fault in enumerate(world.get("faults") or []):
        if fault.get("gold"):
            yield f"drop the last gold call of fault {i}", _with_world(config, lambda w, i=i: w["faults"][i]["gold"].pop()), seed


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


def _latencies(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    world = config["world"]
    latency = world.get("latency") or {}
    drawn = _drawn(h)
    slots = _leg_slots(latency)
    if any(_constant(spec) is None for _, spec in slots) or latency.get("scale", 1.0) != 1.0:
        flat: Config = {"default": {leg: 0 for leg in LEGS}}
        for (service, tool, leg), values in sorted(drawn.items()):
            _set_path(flat, ("services", service, "tools", tool, leg), _median(values))
        yield "every latency leg constant at its median draw", _with_world(config, lambda w: w.__setitem__("latency", flat)), seed
    scale = float(latency.get("scale", 1.0)) or 1.0
    for path, spec in slots:
        if _constant(spec) is not None:
            continue
        values = sorted(v for (s, t, leg), vs in drawn.items() if _slot_of(latency, s, t, leg) == path for v in vs)
        picks = [_median(values), values[0], values[-1]] if values else [0]
        for v in dict.fromkeys(int(round(p / scale)) for p in picks):
            yield (f"latency {'.'.join(path)} constant {v} ms",
                   _with_world(config, lambda w, p=path, v=v: _set_path(w["latency"], p, v)), seed)
    constants = sorted({c for _, spec in slots if (c := _constant(spec)) is not None} - {0.0}, reverse=True)
    for value in constants:
        others = [c for c in constants if c != value]
        targets = [0.0] + sorted(others, key=lambda c: (abs(c - value), c))[:2]
        for target in targets:
            def merge(w: Config, value: float = value, target: float = target) -> None:
                for path, spec in _leg_slots(w["latency"]):
                    if _constant(spec) == value:
                        _set_path(w["latency"], path, int(target) if target == int(target) else target)
            yield f"latency {value:g} ms -> {target:g} ms", _with_world(config, merge), seed


def _think_time(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    has_think, think = _think(config)
    if not has_think:
        return
    current = _constant(think)
    values = [int(d.get("think_ms", 0)) for d in h.decisions]
    picks = ([_median(values)] if values and current is None else []) + ([0] if current != 0.0 else [])
    for v in dict.fromkeys(picks):
        out = copy.deepcopy(config)
        out["policy"]["think"] = v
        yield f"policy think constant {v} ms", out, seed


def _ties(config: Config, seed: int, h: History) -> Iterator[Candidate]:
    if not config["world"].get("tie_shuffle"):
        return
    yield "tie_shuffle off", _with_world(config, lambda w: w.__setitem__("tie_shuffle", False)), seed
    for other in range(min(seed, 8)):
        yield f"seed {other} (another tie order)", config, other


PASSES: tuple[Callable[[Config, int, History], Iterator[Candidate]], ...] = (
    _drop_tasks, _drop_faults, _shorten_gold, _latencies, _think_time, _ties,
)


# ---------------------------------------------------------------------------- the search
class _Judge:
    """Runs candidates (each once) and says whether the invariant still fails."""

    def __init__(self, name: str, check: Check) -> None:
        self.name = name
        self.check = check
        self.runs = 0
        self._seen: dict[str, History | None] = {}

    def failing(self, config: Config, seed: int) -> History | None:
        key = canonical([config, seed])
        if key in self._seen:
            return self._seen[key]
        self.runs += 1
        try:
            result = run(config, seed)
        except Exception:  # the reduction made the world invalid, or broke the policy: not this race
            found = None
        else:
            h = history_of(trace_from_lines(result.lines))
            found = h if check_trace(h, (self.name,), {self.name: self.check})[self.name] else None
        self._seen[key] = found
        return found


def _strip_defaults(config: Mapping[str, Any]) -> Config:
    world = {k: v for k, v in config["world"].items() if not (k in DEFAULTS and v == DEFAULTS[k])}
    policy = dict(config["policy"])
    try:
        cls = registry.load("policy", policy["name"])
        defaults = resolve_options(cls.Options, {})
        policy = {"name": policy["name"], **{k: v for k, v in policy.items() if k != "name" and defaults.get(k, object()) != v}}
    except (SimtoolError, AttributeError):
        pass
    return {"world": world, "policy": policy}


def _tidy(config: Config, h: History | None = None) -> Config:
    """Drop informative text (descriptions, titles) and empty sections: they do not change a scripted run."""
    out = copy.deepcopy(config)
    for key in _INFORMATIVE:
        out["world"].pop(key, None)
    for key in ("faults", "fault_processes", "services"):
        if key in out["world"] and not out["world"][key]:
            out["world"].pop(key)
    for task in out["world"].get("tasks") or []:
        task.pop("title", None)
    return out


def _unused_latency(config: Config, h: History) -> Config:
    """Drop per-tool and per-service latency entries for tools this run never called."""
    out = copy.deepcopy(config)
    latency = out["world"].get("latency") or {}
    called = {(c.issue["service"], c.tool) for c in h.calls.values()}
    for service in sorted(latency.get("services") or {}):
        sspec = latency["services"][service]
        tools = sspec.get("tools") or {}
        for tool in sorted(tools):
            if (service, tool) not in called:
                del tools[tool]
        if "tools" in sspec and not tools:
            del sspec["tools"]
        if not any(s == service for s, _ in called):
            for leg in LEGS:
                sspec.pop(leg, None)
        if not sspec:
            del latency["services"][service]
    if "services" in latency and not latency["services"]:
        del latency["services"]
    return out


_ORDER = {
    "world": ("name", "description", "tasks", "latency", "services", "faults", "fault_processes", "enforcement",
              "tie_shuffle", "horizon_ms", "max_decisions", "default_timeout_ms", "policy"),
    "task": ("id", "title", "services", "initial_config", "permissions", "turns"),
    "turn": ("request", "gold"),
    "fault": ("at_ms", "kind", "task", "scope", "service"),
    "legs": ("request", "service", "response", "tools"),
}


def _ordered(mapping: Mapping[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    first = [k for k in order if k in mapping]
    return {k: mapping[k] for k in first + sorted(k for k in mapping if k not in order)}


def _readable(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Key order a person expects (name, tasks, latency, faults, ...) instead of the header's sorted order."""
    doc = _ordered(doc, _ORDER["world"])
    if isinstance(doc.get("tasks"), list):
        doc["tasks"] = [_ordered({**t, "turns": [_ordered(u, _ORDER["turn"]) for u in t.get("turns") or []]}, _ORDER["task"])
                        for t in doc["tasks"]]
    if isinstance(doc.get("faults"), list):
        doc["faults"] = [_ordered(f, _ORDER["fault"]) for f in doc["faults"]]
    latency = doc.get("latency")
    if isinstance(latency, Mapping):
        latency = _ordered(latency, ("scale", "default", "services"))
        if isinstance(latency.get("default"), Mapping):
            latency["default"] = _ordered(latency["default"], _ORDER["legs"])
        services = {}
        for name, sspec in (latency.get("services") or {}).items():
            sspec = _ordered(sspec, _ORDER["legs"])
            if isinstance(sspec.get("tools"), Mapping):
                sspec["tools"] = {t: _ordered(v, _ORDER["legs"]) for t, v in sspec["tools"].items()}
            services[name] = sspec
        if services:
            latency["services"] = services
        doc["latency"] = latency
    return doc


def render(config: Mapping[str, Any], seed: int, name: str, origin: str | None) -> str:
    """The world YAML of a shrunk config, its policy section included, the seed in a comment."""
    plain = _strip_defaults(config)
    doc = _readable({**plain["world"], "policy": plain["policy"]})
    head = f"# Shrunk by simtool shrink{f' from {origin}' if origin else ''}: {name} still fails with seed {seed}.\n"
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
    return head + f"# seed: {seed}\n" + body


def shrink(config: Mapping[str, Any], seed: int, name: str, *, max_runs: int = 3000, max_rounds: int = 20,
           origin: str | None = None) -> ShrinkResult:
    """Reduce a failing run config while invariant ``name`` still fails (see the module docstring)."""
    check = invariant(name)
    judge = _Judge(name, check)
    current: Config = {"world": copy.deepcopy(dict(config["world"])), "policy": copy.deepcopy(dict(config["policy"]))}
    h = judge.failing(current, seed)
    if h is None:
        raise SpecError(f"the run does not fail '{name}': nothing to shrink", key="invariant",
                        expected=f"a run where {name} fails", found=f"seed {seed}, no {name} offence")
    before = world_size(current)
    steps: list[str] = []
    for _round in range(max_rounds):
        changed = False
        for make in PASSES:
            progress = True
            while progress and judge.runs < max_runs:
                progress = False
                key = (world_size(current), seed)
                for what, candidate, cseed in make(current, seed, h):
                    if (world_size(candidate), cseed) >= key:
                        continue
                    found = judge.failing(candidate, cseed)
                    if found is not None:
                        current, seed, h = candidate, cseed, found
                        steps.append(what)
                        progress = changed = True
                        break
                    if judge.runs >= max_runs:
                        break
        if not changed or judge.runs >= max_runs:
            break
    for finish in (_tidy, _unused_latency):
        candidate = finish(current, h)
        if candidate != current and (found := judge.failing(candidate, seed)) is not None:
            current, h = candidate, found
    text = render(current, seed, name, origin)
    return ShrinkResult(current, seed, name, before, world_size(current), tuple(steps), judge.runs, text, None, None)


def default_output(trace_path: str | Path) -> Path:
    path = Path(trace_path)
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.stem
    return path.with_name(stem + ".shrunk.yaml")


def shrink_trace(trace_path: str | Path, name: str, out: str | Path | None = None, *, max_runs: int = 3000,
                 trace_out: str | Path | None = None) -> ShrinkResult:
    """Shrink the run a trace recorded (from its header's config and seed); write the world YAML."""
    trace = read_trace(trace_path, verify=False)
    check_offline(trace)  # a trace never chooses the network (simtool.trust)
    config = trace.header.get("config")
    if not isinstance(config, Mapping) or "world" not in config or "policy" not in config:
        raise SpecError("the trace header has no run config", key="config", expected="{world, policy}", found=config,
                        file=str(trace_path), line=1)
    if not check_trace(trace, (name,))[name]:
        raise SpecError(f"the trace does not show '{name}': nothing to shrink", file=str(trace_path), key="invariant",
                        expected=f"a trace where {name} fails", found="no offence")
    result = shrink(config, trace.seed, name, max_runs=max_runs, origin=Path(trace_path).name)
    target = Path(out) if out is not None else default_output(trace_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(result.text, encoding="utf-8")
    if trace_out is not None:
        run(result.config, result.seed, trace_out)
    repro = repro_line(str(target), str(result.config["policy"]["name"]), result.seed)
    return ShrinkResult(result.config, result.seed, name, result.size_before, result.size_after, result.steps,
                        result.runs, result.text, str(target), repro)
