"""Run one world under one policy with one seed, writing a trace; replay a trace from its header."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import define, frozen

from simtool import __version__, registry
from simtool.config import run_config
from simtool.errors import SimtoolError, SpecError
from simtool.policy import Policy
from simtool.runtime import Runtime
from simtool.trace import FORMAT, FORMATS, TraceWriter, canonical, config_hash, first_divergence, read_trace
from simtool.world import parse_world
from simtool.yamlspec import Located

__all__ = ["RunResult", "LiveRun", "resolve", "start_run", "drive", "run", "run_source", "replay", "ReplayResult"]


@frozen
class RunResult:
    seed: int
    end_reason: str
    lines: tuple[str, ...]
    trace_path: str | None
    config: Mapping[str, Any]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


_worlds: dict[str, Any] = {}


def _parse_cached(world: Mapping[str, Any], where: Located | None) -> Any:
    """Parsed worlds are immutable: a sweep or a benchmark running one world many times parses it once."""
    key = canonical(world)
    parsed = _worlds.get(key)
    if parsed is None:
        parsed = parse_world(world, where)
        if len(_worlds) > 64:
            _worlds.clear()
        _worlds[key] = parsed
    return parsed


def resolve(config: Mapping[str, Any], where: Located | None = None, policy: Policy | None = None) -> tuple[Any, Policy, dict[str, Any]]:
    """Parse the world, build the policy (unless given); return them with the fully resolved config."""
    world = _parse_cached(config["world"], where)
    if policy is None:
        policy_spec = dict(config.get("policy") or {})
        name = policy_spec.pop("name", "interleave")
        cls = registry.load("policy", name)
        try:
            policy = cls(policy_spec)
        except SpecError as exc:
            raise SpecError(exc.detail, file=where.file if where else None, key=exc.key, expected=exc.expected, found=exc.found) from None
    resolved = {"world": dict(world.resolved), "policy": {"name": policy.name or type(policy).__name__, **policy.header_options()}}
    return world, policy, resolved


@define
class LiveRun:
    """A run in progress, its header written: drive ``runtime`` (``advance`` / ``submit``), then
    ``finish`` it, or ``abandon`` it (a file trace then keeps its ``.incomplete`` name).

    ``policy`` is the policy the config names, built and ready for ``reset`` (None when the run
    was started for an external agent). Used as a context manager, a run left neither finished
    nor abandoned is abandoned on the way out, also when an exception leaves the block.
    """

    runtime: Runtime
    writer: TraceWriter
    seed: int
    config: dict[str, Any]
    trace_path: str | None
    policy: Policy | None = None
    ended: bool = False

    def finish(self, policy_summary: Mapping[str, Any] | None = None) -> RunResult:
        """Write the ``end`` event (with the agent's summary) and the footer; the trace is complete."""
        if self.ended:
            raise SimtoolError("this run has already ended")
        reason = self.runtime.finish(policy_summary)
        self.writer.finish()
        self.ended = True
        return RunResult(self.seed, reason, tuple(self.writer.lines), self.trace_path, self.config)

    def abandon(self) -> None:
        """Stop without an end event or footer (nothing more is written)."""
        if not self.ended:
            self.writer.abandon()
            self.ended = True

    def __enter__(self) -> LiveRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abandon()


def start_run(config: Mapping[str, Any], seed: int, trace_path: str | Path | None = None, *, where: Located | None = None,
              policy: Policy | None = None, agent: Mapping[str, Any] | None = None, keep_lines: bool = True,
              durable: bool = False) -> LiveRun:
    """Open a run of ``config`` (``{world, policy}``) with ``seed``: the header is written and the
    runtime created, not yet started.

    The header records as the policy, in this order of choice: ``agent`` (an external agent
    driving the run, described by a mapping with a ``name``), ``policy`` (a policy object), or
    the policy the config names (built, and handed back as ``LiveRun.policy``).
    ``trace_path``, ``keep_lines``, ``durable``: as for :func:`run`.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise SpecError("the seed must be a whole number >= 0", key="seed", expected="an integer >= 0", found=seed)
    if agent is not None:
        if not isinstance(agent, Mapping) or not isinstance(agent.get("name"), str) or not agent["name"]:
            raise SpecError("an external agent needs a name", key="agent", expected="{name: ..., ...}", found=agent)
        world = _parse_cached(config["world"], where)
        resolved = {"world": dict(world.resolved), "policy": dict(agent)}
        policy = None
    else:
        world, policy, resolved = resolve(config, where, policy)
    writer = TraceWriter(trace_path, keep_lines=keep_lines, durable=durable)
    writer.write({
        "kind": "header", "format": FORMAT, "simtool": __version__, "seed": seed,
        "config": resolved, "config_hash": config_hash(resolved),
    })
    return LiveRun(Runtime(world, seed, writer), writer, seed, resolved, str(trace_path) if trace_path else None, policy)


def run(config: Mapping[str, Any], seed: int, trace_path: str | Path | None = None, where: Located | None = None,
        keep_lines: bool = True, policy: Policy | None = None, durable: bool = False) -> RunResult:
    """One deterministic run. With ``trace_path`` the trace is streamed there (atomically).

    ``policy``: a policy object to use instead of the one the config names (a replay then
    needs the same object: it is not registered by name). ``durable``: fsync the trace file
    before renaming it into place (see :class:`simtool.trace.TraceWriter`).
    """
    with start_run(config, seed, trace_path, where=where, policy=policy, keep_lines=keep_lines, durable=durable) as live:
        assert live.policy is not None
        return live.finish(drive(live.runtime, live.policy))


def drive(runtime: Runtime, policy: Policy) -> dict[str, Any]:
    """Run ``policy`` over a fresh runtime to the end of the run; returns the policy's summary
    (``policy.close()``) for ``Runtime.finish``."""
    policy.reset(runtime.policy_context())
    runtime.start()
    while (obs := runtime.advance()) is not None:
        runtime.submit(policy.decide(obs))
    return policy.close()


def run_source(world: str | None, policy: str | None, seed: int, overrides: Sequence[str] = (),
               trace_path: str | Path | None = None, durable: bool = False) -> RunResult:
    """``simtool run``: a world source plus overrides, run once."""
    config, where = run_config(world, policy, overrides)
    return run(config, seed, trace_path, where, durable=durable)


@frozen
class ReplayResult:
    identical: bool
    line: int | None
    original: str | None
    replayed: str | None
    version_note: str | None


def _recorded_agent(header: Mapping[str, Any], trace: Any) -> Policy | None:
    """For a run an outside agent drove, the policy that replays its recorded submissions."""
    from simtool.external.recorded import EXTERNAL, ExternalAgent, agent_options

    policy = (header.get("config") or {}).get("policy") or {}
    if not isinstance(policy, Mapping) or policy.get("name") != EXTERNAL:
        return None
    return ExternalAgent.from_events(agent_options(policy), trace.events)


def replay(path: str | Path) -> ReplayResult:
    """Re-run a trace from its header and compare the bytes line by line."""
    trace = read_trace(path, verify=False)
    header = trace.header
    made = header.get("format")
    if made != FORMAT:
        what = FORMATS.get(made, "a format this simtool does not know") if isinstance(made, int) else "no known format"
        raise SpecError(f"the trace was written in trace format {made!r} ({what}) by simtool {header.get('simtool')!r}; "
                        f"this simtool {__version__} writes format {FORMAT} ({FORMATS[FORMAT]}) and draws different values, "
                        f"so it cannot replay it: replay it with simtool {header.get('simtool')!r}, or run its config again",
                        file=str(path), key="format", expected=FORMAT, found=made)
    note = None
    if header.get("simtool") != __version__:
        note = f"trace written by simtool {header.get('simtool')}, replayed by {__version__}"
    result = run(header["config"], int(header["seed"]), policy=_recorded_agent(header, trace))
    diff = first_divergence(list(trace.lines), list(result.lines))
    if diff is None:
        return ReplayResult(True, None, None, None, note)
    return ReplayResult(False, diff[0], diff[1], diff[2], note)
