"""Run one world under one policy with one seed, writing a trace; replay a trace from its header."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from attrs import define, frozen

from simtool import __version__, registry
from simtool.config import check_policy_name, run_config
from simtool.errors import SimtoolError, SpecError
from simtool.limits import Limits, current_limits
from simtool.paths import check_output
from simtool.policy import Policy
from simtool.runtime import Runtime
from simtool.trace import FORMAT, Trace, TraceError, TraceWriter, config_hash, first_divergence, read_trace
from simtool.trust import check_policy_origin, files_beside
from simtool.world import parse_world
from simtool.yamlspec import Located

__all__ = ["RunResult", "LiveRun", "resolve", "start_run", "drive", "run", "run_source", "replay", "ReplayResult",
           "check_replayable", "check_offline"]


@frozen
class RunResult:
    seed: int
    end_reason: str
    lines: tuple[str, ...]
    trace_path: str | None
    config: Mapping[str, Any]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


_worlds: dict[bytes, Any] = {}


@functools.lru_cache(maxsize=16)
def _limits_text(limits: Limits) -> str:
    return repr(limits)  # caps are immutable (and hashable): written out once per value


def _parse_cached(world: Mapping[str, Any], where: Located | None) -> Any:
    """Parsed worlds are immutable: a sweep or a benchmark running one world many times parses it once."""
    # Keyed by the world as given, key order included: services see their scenario in that order
    # (a file system lists its folders so), so two worlds that differ only in key order are two
    # worlds here; and a world parsed under raised caps is not one under the defaults.
    key = orjson.dumps([world, _limits_text(current_limits())], option=orjson.OPT_NON_STR_KEYS, default=str)
    parsed = _worlds.get(key)
    if parsed is None:
        parsed = parse_world(world, where)
        if len(_worlds) > 64:
            _worlds.clear()
        _worlds[key] = parsed
    return parsed


_Fragment = getattr(orjson, "Fragment", None)  # JSON bytes orjson writes as they are (orjson >= 3.9.8)


def _header_config(world: Any, resolved: dict[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The header's config and its hash, the world's part encoded once per parsed world.

    The header's config is ``resolved`` with its world (the same for every run of the parsed
    world) as the canonical JSON it encodes to, which the trace writer copies as it is: the line
    and the hash are those of ``resolved`` itself. A world orjson cannot encode (integers beyond
    64 bits) is encoded with the rest at every run, as before.
    """
    if _Fragment is None or set(resolved) != {"world", "policy"}:
        return resolved, config_hash(resolved)
    memo = world.memo.setdefault("header", {})
    try:
        policy = orjson.dumps(resolved["policy"], option=orjson.OPT_SORT_KEYS)
        fragment = memo.get("world")
        if fragment is None:
            fragment = memo["world"] = _Fragment(orjson.dumps(resolved["world"], option=orjson.OPT_SORT_KEYS))
    except TypeError:  # what orjson refuses (orjson.JSONEncodeError is a TypeError): the long way
        return resolved, config_hash(resolved)
    digest = memo.get(policy)
    if digest is None:
        if len(memo) > 64:
            memo.clear()
        digest = memo[policy] = config_hash(resolved)
    return {"world": fragment, "policy": resolved["policy"]}, digest


def resolve(config: Mapping[str, Any], where: Located | None = None, policy: Policy | None = None) -> tuple[Any, Policy, dict[str, Any]]:
    """Parse the world, build the policy (unless given); return them with the fully resolved config."""
    world = _parse_cached(config["world"], where)
    if policy is None:
        policy_spec = dict(config.get("policy") or {})
        name = policy_spec.pop("name", "interleave")
        try:
            cls = registry.load("policy", name)
        except SimtoolError:
            check_policy_name(name, where)
            raise
        try:
            policy = cls(policy_spec)
        except SpecError as exc:
            if where is None:
                raise
            key = exc.key or ""
            path = ("policy", *key.split(".")[1:]) if key.startswith("policy.") else ("policy",)
            raise where.error(path, exc.detail, expected=exc.expected, found=exc.found) from None
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
    # a seed orjson cannot write (2**64 and above) sends the whole header through the standard encoder,
    # which cannot copy an encoded world as it is: then the world is encoded with the rest, as before
    config, digest = _header_config(world, resolved) if seed < 2**64 else (resolved, config_hash(resolved))
    writer.write({"kind": "header", "format": FORMAT, "simtool": __version__, "seed": seed, "config": config, "config_hash": digest})
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
    if trace_path is not None:
        check_output(trace_path, "trace", key="--trace")
    if policy is not None:
        check_policy_name(policy, option="--policy")
    config, where = run_config(world, policy, overrides)
    beside = Path(where.file).parent if where.file else None
    with files_beside(beside if _file_names_files(config, overrides) else None):
        return run(config, seed, trace_path, where, durable=durable)


def _file_names_files(config: Mapping[str, Any], overrides: Sequence[str]) -> bool:
    """Whether the policy's cassette came from the world file (then it resolves beside it), not the command line."""
    given = {item.split("=", 1)[0].strip() for item in overrides}
    return bool((config.get("policy") or {}).get("cassette")) and "policy.cassette" not in given


@frozen
class ReplayResult:
    identical: bool
    line: int | None
    original: str | None
    replayed: str | None
    version_note: str | None


def check_replayable(trace: Trace) -> None:
    """Before a trace is re-run: it is complete (its digest was checked when read), its config
    hash matches its config, and its policy makes no network request (a file never chooses the
    network: a recorded LLM run replays from its cassette)."""
    if not trace.complete:
        raise TraceError(f"{trace.path}: the trace has no footer (the run that wrote it did not finish): "
                         "only a complete trace can be replayed; `simtool score` reads what it holds")
    header = trace.header
    if header.get("config_hash") != config_hash(header["config"]):
        raise TraceError(f"{trace.path}:1: the header's config_hash does not match its config: the header was edited")
    check_offline(trace)


def check_offline(trace: Trace) -> None:
    """A trace's policy must not make network requests when re-run (replay, shrink): a file never
    chooses the network."""
    check_policy_origin(trace.header["config"]["policy"], origin="a trace header", where=Located(f"{trace.path} (header)", {}))


def _recorded_agent(header: Mapping[str, Any], trace: Any) -> Policy | None:
    """For a run an outside agent drove, the policy that replays its recorded submissions."""
    from simtool.external.recorded import EXTERNAL, ExternalAgent, agent_options

    policy = (header.get("config") or {}).get("policy") or {}
    if not isinstance(policy, Mapping) or policy.get("name") != EXTERNAL:
        return None
    return ExternalAgent.from_events(agent_options(policy), trace.events)


def replay(path: str | Path) -> ReplayResult:
    """Re-run a trace from its header and compare the bytes line by line.

    Nothing runs until the trace has passed :func:`check_replayable`. Files the header's
    policy names (a cassette) are looked up beside the trace.
    """
    trace = read_trace(path, verify=True)
    check_replayable(trace)
    header = trace.header
    note = None
    if header.get("simtool") != __version__:
        note = f"trace written by simtool {header.get('simtool')}, replayed by {__version__}"
    with files_beside(Path(trace.path).parent):
        result = run(header["config"], int(header["seed"]), policy=_recorded_agent(header, trace))
    diff = first_divergence(list(trace.lines), list(result.lines))
    if diff is None:
        return ReplayResult(True, None, None, None, note)
    return ReplayResult(False, diff[0], diff[1], diff[2], note)
