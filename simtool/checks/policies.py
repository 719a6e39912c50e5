"""``simtool check policy NAME``: does a policy plug-in keep the policy contract?

Checks, each finding one line naming what to fix:

- ``class``: the entry point loads a ``Policy`` subclass that implements ``decide``;
- ``name``: the registry key is the class's ``name`` (the trace header records the name, and
  ``simtool replay`` finds the policy by it);
- ``options``: ``Options`` is an attrs class whose every field has a default, and the policy
  builds from the given ``policy.<key>`` values;
- ``contract``: run on a world (default: the built-in default world), every decision is a
  ``Decision`` with an integer ``think_ms >= 0``, actions of the known types naming tasks and
  calls of the run (each call action's ``ref``, if any, a string of its own), a well-formed
  ``Wait``, a mapping ``note``; ``reset``, ``decide`` and ``close`` raise nothing;
- ``determinism``: the same run twice in this process, and in two processes with different
  ``PYTHONHASHSEED``, writes the same trace bytes.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from simtool import registry
from simtool.checks.report import Finding, Report
from simtool.config import run_config
from simtool.errors import SimtoolError
from simtool.options import options_problems
from simtool.policy import AgentError, CallAction, Cancel, Decision, Observation, Policy, Respond, Wait
from simtool.run import RunResult, run
from simtool.trace import first_divergence

__all__ = ["check_policy", "check_policy_class", "decision_problems"]

CHECKS = ("class", "name", "options", "contract", "determinism")
MAX_DECISION_FINDINGS = 10
_SIMTOOL = Path(__file__).resolve().parents[1]


def check_policy(name: str, world: str | None = None, seed: int = 0, overrides: Sequence[str] = (),
                 processes: bool = True) -> Report:
    """Check the policy registered as ``name`` (an unknown name is a ``RegistryError``: bad usage)."""
    if name not in registry.names("policy"):
        raise registry.RegistryError(f"unknown policy '{name}' (registered: {', '.join(registry.names('policy')) or 'none'})")
    try:
        cls = registry.load("policy", name)
    except SimtoolError as exc:
        return Report("policy", name, CHECKS[:1], (Finding(f"entry point '{name}'", str(exc)),))
    return check_policy_class(cls, name, world, seed, overrides, processes=processes)


def check_policy_class(cls: Any, registered_as: str, world: str | None = None, seed: int = 0,
                       overrides: Sequence[str] = (), processes: bool = False) -> Report:
    """Check a policy class as if registered under ``registered_as``, on ``world`` (a source) with ``seed``.

    ``overrides``: ``world.<path>=...`` / ``policy.<key>=...`` as ``--set`` takes them.
    ``processes``: also compare traces of two processes (the class must then be registered).
    """
    where = getattr(cls, "__name__", repr(cls))
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        found = Finding(f"entry point '{registered_as}'", f"loads {where}, which is not a subclass of simtool.policy.Policy: "
                                                          "register the policy class itself")
        return Report("policy", registered_as, CHECKS[:1], (found,))
    findings: list[Finding] = []
    if cls.decide is Policy.decide:
        findings.append(Finding(f"{where}.decide", "is not implemented: define decide(self, obs) returning a Decision"))
    findings += _name(cls, registered_as)
    problems = options_problems(cls.Options)
    findings += [Finding(f"{where}.Options", p) for p in problems]
    if findings:
        return Report("policy", registered_as, CHECKS, tuple(findings))
    config, source = run_config(world, registered_as, overrides)
    options = {k: v for k, v in (config.get("policy") or {}).items() if k != "name"}
    try:
        cls({})
    except SimtoolError as exc:  # its own defaults are refused: the plug-in's fault
        return Report("policy", registered_as, CHECKS, (Finding(f"{where}.Options", f"the defaults are refused: {exc}"),))
    except Exception as exc:
        return Report("policy", registered_as, CHECKS, (_crash(f"{where}.__init__", exc),))
    cls(options)  # a value given with --set that the policy refuses is bad usage: its SpecError goes up
    first, contract = _checked_run(cls, options, config, seed, source)
    findings += contract
    warnings = _end_warnings(cls, first) if first is not None else []
    if first is not None and not findings:
        second, _ = _checked_run(cls, options, config, seed, source)
        if second is not None:
            findings += _compare(first.lines, second.lines, "two runs in this process",
                                 "keep no state between runs outside the instance (class attributes, module globals) "
                                 "and draw randomness from ctx.rng(name), never from random or the clock")
        if processes and not findings:
            findings += _across_processes(registered_as, world, seed, overrides)
    return Report("policy", registered_as, CHECKS, tuple(findings), tuple(warnings))


def _end_warnings(cls: type, result: RunResult) -> list[Finding]:
    """A run that hit a limit or stalled with work left: often a policy that polls, or sleeps with nothing to wake it."""
    end = result.events()[-2]
    active = sorted(t for t, v in (end.get("tasks") or {}).items() if v.get("status") == "active")
    if result.end_reason == "max_decisions":
        return [Finding(cls.__name__, f"the run ended at the world's max_decisions ({end.get('decisions')} decisions): a policy "
                                      "that polls wastes decisions; wait for calls or events with Wait()")]
    if result.end_reason == "horizon" and active:
        return [Finding(cls.__name__, f"the run reached the world's horizon_ms with tasks still active ({', '.join(active)}): "
                                      "does the policy answer (Respond) every request?")]
    if result.end_reason == "stalled" and active:
        return [Finding(cls.__name__, f"the run stalled with tasks still active ({', '.join(active)}): the policy slept with "
                                      "nothing in flight and nothing left to wake it; act, or answer the tasks")]
    return []


def _name(cls: type[Policy], registered_as: str) -> list[Finding]:
    if cls.name == registered_as:
        return []
    if not cls.name:
        return [Finding(f"{cls.__name__}.name", f"is empty: set name = '{registered_as}' (the registry key)")]
    return [Finding(f"entry point '{registered_as}'", f"differs from {cls.__name__}.name '{cls.name}': the trace header records "
                                                      f"the name and replay looks it up in the registry; rename the entry point "
                                                      f"to '{cls.name}' or set name = '{registered_as}'")]


# ------------------------------------------------------------------ the contract, decision by decision
def decision_problems(obs: Observation, decision: Any) -> list[str]:
    """What in ``decision`` (returned for ``obs``) breaks the policy contract, one line each, naming the fix."""
    if not isinstance(decision, Decision):
        return [f"decide() returned {type(decision).__name__}, not a Decision: return simtool.policy.Decision(actions, think_ms, wait)"]
    out: list[str] = []
    think = decision.think_ms
    if not isinstance(think, int) or isinstance(think, bool) or think < 0:
        out.append(f"think_ms is {think!r}: it must be a whole number of ms >= 0 (round it: int(round(ms)))")
    tasks = {t.task_id for t in obs.tasks}
    known_tasks = ", ".join(sorted(tasks))
    if not isinstance(decision.actions, (tuple, list)):
        out.append(f"actions is a {type(decision.actions).__name__}: make it a tuple of CallAction, Cancel and Respond")
        actions: Sequence[Any] = ()
    else:
        actions = decision.actions
    refs: dict[str, int] = {}
    for k, action in enumerate(actions):
        out += [f"action {k}: {p}" for p in _action_problems(action, obs, tasks, known_tasks)]
        ref = getattr(action, "ref", None) if isinstance(action, CallAction) else None
        if ref is None:
            continue
        if not isinstance(ref, str):
            out.append(f"action {k}: ref is {ref!r}: name it with a string (obs.issued is keyed by it)")
        elif ref in refs:
            out.append(f"action {k}: ref {ref!r} is also action {refs[ref]}'s: the later outcome replaces the earlier in "
                       "obs.issued; give each call action its own ref")
        else:
            refs[ref] = k
    wait = decision.wait
    if wait is not None:
        if not isinstance(wait, Wait):
            out.append(f"wait is {wait!r}: make it a Wait(call_ids, timeout_ms) or None")
        else:
            out += [f"wait: {p}" for p in _timeout_problems(wait.timeout_ms)]
            out += [f"wait: {p}" for p in _call_id_problems(wait.call_ids, obs, "call_ids")]
    if not isinstance(decision.note, Mapping) or not all(isinstance(k, str) for k in decision.note):
        out.append(f"note is {decision.note!r}: make it a mapping with string keys (it is recorded in the trace)")
    if not isinstance(decision.errors, (tuple, list)) or not all(isinstance(e, AgentError) for e in decision.errors):
        out.append("errors must be a tuple of AgentError records")
    return out


def _action_problems(action: Any, obs: Observation, tasks: set[str], known_tasks: str) -> list[str]:
    if isinstance(action, CallAction):
        out = [] if action.task_id in tasks else [f"CallAction names task {action.task_id!r}, which is not a task of this run "
                                                  f"(tasks: {known_tasks})"]
        if not isinstance(action.tool, str):
            out.append(f"CallAction tool is {action.tool!r}: name the tool as a string")
        if not isinstance(action.args, Mapping):
            out.append(f"CallAction args is a {type(action.args).__name__}: pass a mapping of argument name to value")
        out += _timeout_problems(action.timeout_ms)
        return out + _call_id_problems(action.uses, obs, "uses")
    if isinstance(action, Cancel):
        return [] if action.call_id in obs.calls else [f"Cancel names call {action.call_id!r}, which this run never issued: "
                                                       "cancel a call id the observation reported"]
    if isinstance(action, Respond):
        out = [] if action.task_id in tasks else [f"Respond names task {action.task_id!r}, which is not a task of this run "
                                                  f"(tasks: {known_tasks})"]
        if not isinstance(action.text, str):
            out.append(f"Respond text is {action.text!r}: answer with a string")
        return out + ([] if action.uses is None else _call_id_problems(action.uses, obs, "uses"))
    return [f"unknown action type {type(action).__name__}: use CallAction, Cancel or Respond from simtool.policy"]


def _timeout_problems(timeout_ms: Any) -> list[str]:
    if timeout_ms is None or (isinstance(timeout_ms, int) and not isinstance(timeout_ms, bool) and timeout_ms > 0):
        return []
    return [f"timeout_ms is {timeout_ms!r}: give a whole number of ms > 0, or None for no deadline"]


def _call_id_problems(ids: Any, obs: Observation, what: str) -> list[str]:
    if not isinstance(ids, (tuple, list)):
        return [f"{what} is a {type(ids).__name__}: make it a tuple of call ids"]
    unknown = [c for c in ids if c not in obs.calls]
    return [f"{what} names call {unknown[0]!r}, which this run never issued: name call ids the observation reported"] if unknown else []


class _Checked:
    """Stands in for a policy's ``decide``: checks each decision, keeps the first findings."""

    def __init__(self, decide: Callable[[Observation], Any], where: str, findings: list[Finding]) -> None:
        self._decide = decide
        self._where = where
        self._findings = findings

    def __call__(self, obs: Observation) -> Any:
        decision = self._decide(obs)
        if len(self._findings) < MAX_DECISION_FINDINGS:
            for problem in decision_problems(obs, decision):
                self._findings.append(Finding(f"{self._where}.decide, decision {obs.decision} (t={obs.now} ms)", problem))
        return decision


def _checked_close(close: Callable[[], Any], where: str, findings: list[Finding]) -> Callable[[], Any]:
    """Stands in for a policy's ``close``: its summary must be a mapping (the end event records it)."""

    def checked() -> Any:
        summary = close()
        if not isinstance(summary, Mapping):
            findings.append(Finding(f"{where}.close", f"returned {summary!r}: return a dict (the end event records it)"))
        return summary

    return checked


def _checked_run(cls: type[Policy], options: Mapping[str, Any], config: Mapping[str, Any], seed: int,
                 source: Any) -> tuple[RunResult | None, list[Finding]]:
    findings: list[Finding] = []
    policy = cls(options)
    policy.decide = _Checked(policy.decide, cls.__name__, findings)  # type: ignore[method-assign]
    policy.close = _checked_close(policy.close, cls.__name__, findings)  # type: ignore[method-assign]
    try:
        result = run(config, seed, where=source, policy=policy)
    except SimtoolError as exc:
        return None, findings + [Finding(f"{cls.__name__}", f"the run stopped: {exc}")]
    except Exception as exc:
        if findings and not _raised_in(exc, cls):  # the engine tripping over a decision already reported
            return None, findings
        return None, findings + [_crash(cls.__name__, exc)]
    return result, findings


def _raised_in(exc: BaseException, cls: type) -> bool:
    """Whether the exception came out of the plug-in's own code (its class or its bases but ``Policy``)."""
    own = {_source(c) for c in cls.__mro__ if c not in Policy.__mro__}  # its code, bases included
    return any(f.filename in own for f in traceback.extract_tb(exc.__traceback__))


def _source(cls: type) -> str | None:
    try:
        return inspect.getsourcefile(cls)
    except TypeError:  # a class with no source file (built in, or made at run time)
        return None


def _crash(where: str, exc: BaseException) -> Finding:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not Path(f.filename).resolve().is_relative_to(_SIMTOOL)]
    at = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    hint = ""
    if isinstance(exc, TypeError) and "not subscriptable" in str(exc):
        hint = ": options are an attrs record now, read self.options.<key> instead of self.options['<key>']"
    elif "options" in str(exc) and isinstance(exc, TypeError):
        hint = ": change options with attrs.evolve(self.options, key=value)"
    return Finding(where, f"raised {type(exc).__name__}: {exc}{at}{hint}")


def _compare(a: Sequence[str], b: Sequence[str], what: str, fix: str) -> list[Finding]:
    found = first_divergence(list(a), list(b))
    if found is None:
        return []
    line, x, y = found
    return [Finding("determinism", f"{what} wrote different traces, first at line {line} "
                                   f"({_short(x)} vs {_short(y)}): {fix}")]


def _short(line: str | None, width: int = 120) -> str:
    text = line if line is not None else "<no line>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _across_processes(name: str, world: str | None, seed: int, overrides: Sequence[str]) -> list[Finding]:
    from simtool.determinism import check_determinism

    try:
        report = check_determinism(world, name, seed, overrides)
    except SimtoolError as exc:
        return [Finding("determinism", f"could not run in a separate process: {exc}")]
    if report.identical:
        return []
    return [Finding("determinism", f"two processes with different PYTHONHASHSEED wrote different traces, first at line "
                                   f"{report.line} ({_short(report.a)} vs {_short(report.b)}): do not let set order, "
                                   f"hash() or id() decide anything (sort, or keep lists and dicts)")]  # deterministic: advice text naming hash(), nothing is hashed
