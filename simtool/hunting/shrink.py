"""``simtool shrink``: the smallest world in which the same invariant still fails.

Starting from a failing trace (its header holds the fully resolved world and policy config and
the seed), the registered passes (``simtool.hunting.passes``) each propose reductions; the
search keeps one when the run still breaks the invariant and the world got strictly smaller
(``world_size``; at equal size, a lower seed). The passes repeat until a round changes
nothing; then informative text and latency entries of tools never called are dropped. Each
step is a deterministic run and the order of candidates is fixed, so shrinking the same trace
twice gives the same bytes.

What a failed candidate means: a ``SimtoolError`` (the reduction made the world invalid, or a
policy refused it) means the race is gone, and the candidate is dropped. Any other exception is
the engine's own failure: the candidate is dropped too, but it is counted and reported
(``ShrinkResult.engine_errors``), never taken for a vanished race in silence.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import evolve, frozen

from simtool import registry
from simtool.errors import SimtoolError, SpecError
from simtool.hunting.invariants import Check, check_trace, invariant
from simtool.hunting.output import check_writable, write_text
from simtool.hunting.passes import Config, shrink_passes
from simtool.hunting.repro import repro_line
from simtool.hunting.size import world_size
from simtool.latency import LEGS
from simtool.policy import resolve_options
from simtool.run import check_offline, run
from simtool.scoring.history import History, history_of, trace_from_lines
from simtool.trace import canonical, read_trace
from simtool.world import dump_world

__all__ = ["ShrinkResult", "world_size", "shrink", "shrink_trace", "default_output", "render"]

_INFORMATIVE = ("description", "profile", "instance")
ERRORS_KEPT = 5  # engine error messages kept (all are counted)


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
    engine_errors: int = 0  # candidate runs that raised something other than a SimtoolError
    engine_error_messages: tuple[str, ...] = ()  # the first few, in the order they happened
    write_error: str | None = None  # the world could not be written (the text is all there is)


class _Judge:
    """Runs candidates (each once) and says whether the invariant still fails."""

    def __init__(self, name: str, check: Check) -> None:
        self.name = name
        self.check = check
        self.runs = 0
        self.engine_errors = 0
        self.messages: list[str] = []
        self._seen: dict[str, History | None] = {}

    def failing(self, config: Config, seed: int) -> History | None:
        key = canonical([config, seed])
        if key in self._seen:
            return self._seen[key]
        self.runs += 1
        try:
            result = run(config, seed)
        except SimtoolError:  # the reduction made the world invalid, or a policy refused it: the race is gone
            found = None
        except Exception as exc:  # the engine broke: not a vanished race; count it and say so
            self.engine_errors += 1
            if len(self.messages) < ERRORS_KEPT:
                self.messages.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            found = None
        else:
            h = history_of(trace_from_lines(result.lines))
            found = h if check_trace(h, (self.name,), {self.name: self.check})[self.name] else None
        self._seen[key] = found
        return found


def _strip_defaults(config: Mapping[str, Any]) -> Config:
    """The policy section without the options that equal the policy's defaults (the world's are left to dump_world)."""
    policy = dict(config["policy"])
    try:
        cls = registry.load("policy", policy["name"])
        defaults = resolve_options(cls.Options, {})
        policy = {"name": policy["name"], **{k: v for k, v in policy.items() if k != "name" and defaults.get(k, object()) != v}}
    except (SimtoolError, AttributeError, TypeError):
        pass
    return {"world": dict(config["world"]), "policy": policy}


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


def render(config: Mapping[str, Any], seed: int, name: str, origin: str | None) -> str:
    """The world YAML of a shrunk config, its policy section included, the seed in a comment."""
    plain = _strip_defaults(config)
    comment = f"Shrunk by simtool shrink{f' from {origin}' if origin else ''}: {name} still fails with seed {seed}.\nseed: {seed}"
    return dump_world({**plain["world"], "policy": plain["policy"]}, strip_defaults=True, comment=comment)


def shrink(config: Mapping[str, Any], seed: int, name: str, *, max_runs: int = 3000, max_rounds: int = 20,
           origin: str | None = None) -> ShrinkResult:
    """Reduce a failing run config while invariant ``name`` still fails (see the module docstring)."""
    check = invariant(name)
    judge = _Judge(name, check)
    current: Config = {"world": copy.deepcopy(dict(config["world"])), "policy": copy.deepcopy(dict(config["policy"]))}
    h = judge.failing(current, seed)
    if h is None:
        if judge.engine_errors:
            raise SimtoolError(f"the run to shrink raised an engine error: {judge.messages[0]}")
        raise SpecError(f"the run does not fail '{name}': nothing to shrink", key="invariant",
                        expected=f"a run where {name} fails", found=f"seed {seed}, no {name} offence")
    before = world_size(current)
    steps: list[str] = []
    passes = shrink_passes()
    for _round in range(max_rounds):
        changed = False
        for _pass_name, make in passes:
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
    return ShrinkResult(current, seed, name, before, world_size(current), tuple(steps), judge.runs, text, None, None,
                        judge.engine_errors, tuple(judge.messages))


def default_output(trace_path: str | Path) -> Path:
    """Where ``simtool shrink TRACE`` writes the world by default: TRACE's name with ``.shrunk.yaml``."""
    path = Path(trace_path)
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.stem
    return path.with_name(stem + ".shrunk.yaml")


def shrink_trace(trace_path: str | Path, name: str, out: str | Path | None = None, *, max_runs: int = 3000,
                 trace_out: str | Path | None = None) -> ShrinkResult:
    """Shrink the run a trace recorded (from its header's config and seed); write the world YAML.

    The outputs are checked before the search; a write that fails after it leaves the result
    whole in ``ShrinkResult.text`` with ``write_error`` saying why (the command prints it).
    """
    target = Path(out) if out is not None else default_output(trace_path)
    check_writable(target, "--out")
    if trace_out is not None:
        check_writable(trace_out, "--trace")
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
    repro = repro_line(str(target), str(result.config["policy"]["name"]), result.seed)
    try:
        write_text(target, result.text)
    except OSError as exc:
        return evolve(result, path=None, repro=None, write_error=f"cannot write {target}: {exc.strerror or exc}")
    result = evolve(result, path=str(target), repro=repro)
    if trace_out is not None:
        try:
            run(result.config, result.seed, trace_out)
        except OSError as exc:
            return evolve(result, write_error=f"cannot write the trace {trace_out}: {exc.strerror or exc}")
    return result
