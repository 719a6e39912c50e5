"""The invariants a hunt checks: named functions over a trace that return the offending events.

One table, shared with scoring (``simtool.scoring.invariants``): the score's checks live in
``simtool.scoring.violations``, and a user's own check, added with ``register_invariant`` or
declared in the ``simtool.invariants`` entry point group, is reported by scores and hunts
alike. A check takes a ``History`` (the trace indexed; ``history.events`` are its events) and
returns ``Offence`` records or the offending events themselves.

A hunt looks for races the agent fell into, not for every event a score counts, so three of
its default checks are narrower variants of score checks, each under a name of its own
(registered here, hunted, not scored):
- ``stale_result_relied_on`` (of ``stale_result_used``): a stale result an action only saw
  (it names no ``uses``) does not count when the same decision cancels that call: the agent
  discarded it.
- ``out_of_order_wrong_state`` (of ``out_of_order_execution``): only those whose sub-task was
  then answered with a wrong service state (its ``respond`` says ``state_ok: false``).
- ``leaked_result_relied_on`` (of ``revoked_leak``): only leaked results the agent then relied
  on (named in a later action's ``uses``). A score counts every leaked delivery, which can
  reach even a correct agent whose cancel was still in its think time when the result arrived.
The score's own names (``out_of_order_execution``, ...) can be hunted too, with ``--invariant``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any

from simtool.errors import SpecError
from simtool.scoring import violations
from simtool.scoring.history import History, history_of
from simtool.scoring.invariants import defines_invariant, hunted_names, invariants, register_invariant
from simtool.scoring.violations import Offence
from simtool.trace import Trace

__all__ = [
    "HUNT_INVARIANTS",
    "BUILT_IN_CHECKS",
    "ENTRY_POINT_GROUP",
    "Offence",
    "Check",
    "register_invariant",
    "out_of_order_wrong_state",
    "leaked_result_relied_on",
    "stale_result_relied_on",
    "invariant",
    "invariant_names",
    "default_invariants",
    "check_trace",
]

ENTRY_POINT_GROUP = "simtool.invariants"

Check = Callable[[History], Sequence[Any]]


@defines_invariant("out_of_order_wrong_state", short="out-of-order, wrong state", scored=False,
                   narrows="out_of_order_execution")
def out_of_order_wrong_state(h: History) -> list[Offence]:
    """An out-of-order execution within a task whose sub-task was answered with a wrong state.

    The sub-task is the overtaking call's (task, turn); it counts when a ``respond`` of that
    turn says ``state_ok: false``.
    """
    wrong = {(r["task"], r["turn"]) for r in h.responds if r.get("state_ok") is False}
    if not wrong:
        return []  # every sub-task answered with the right state (or none answered)
    out = []
    for offence in violations.out_of_order_execution(h):
        call = h.calls.get(offence.call_ids[0]) if offence.call_ids else None
        if call is not None and (call.task, call.turn) in wrong:
            out.append(Offence("out_of_order_wrong_state", offence.seq, offence.t, offence.task,
                               offence.why + f"; turn {call.turn} answered with a wrong state",
                               offence.event, offence.action, offence.call_ids))
    return out


@defines_invariant("leaked_result_relied_on", short="leak relied on", scored=False, narrows="revoked_leak")
def leaked_result_relied_on(h: History) -> list[Offence]:
    """A result delivered after its permission was revoked that the agent then relied on.

    Relied on: the call is in the ``uses`` of a later action (or ``respond``) of its task. A
    leak the agent dropped is not its race: the delivery can land while a correct agent's
    cancel is still in its think time.
    """
    leaks = violations.revoked_leak(h)
    if not leaks:
        return []  # nothing leaked: nothing to rely on
    relied: dict[str, int] = {}
    for d in h.decisions:
        for a in d.get("actions") or []:
            for u in (a.get("uses") or []) if isinstance(a, Mapping) else []:
                if isinstance(u, str) and h.task_of(u) == a.get("task"):
                    relied.setdefault(u, int(d["seq"]))
    for r in h.responds:
        for u in r.get("uses") or []:
            if isinstance(u, str) and h.task_of(u) == r.get("task"):
                relied[u] = min(relied.get(u, int(r["seq"])), int(r["seq"]))
    out = []
    for offence in leaks:
        call_id = offence.call_ids[0] if offence.call_ids else None
        if call_id in relied and relied[call_id] > offence.seq:
            out.append(Offence("leaked_result_relied_on", offence.seq, offence.t, offence.task,
                               offence.why + f"; relied on at seq {relied[call_id]}", offence.event, offence.action,
                               offence.call_ids))
    return out


@defines_invariant("stale_result_relied_on", short="stale relied on", scored=False, narrows="stale_result_used")
def stale_result_relied_on(h: History) -> list[Offence]:
    """An action relying on a stale result of its task, not counting results its decision discards.

    As the score's check, except that a result the action only saw (it names no ``uses``) and
    that the same decision cancels was discarded, not relied on: a correct agent that learns of
    an amendment together with the old result cancels that call and starts over.
    """
    out = []
    for offence in violations.stale_result_used(h):
        event = offence.event
        actions = event.get("actions") or []
        action = actions[offence.action] if offence.action is not None and offence.action < len(actions) else {}
        cancelled = set() if action.get("uses") else {
            a.get("call_id") for a in actions if isinstance(a, Mapping) and a.get("op") == "cancel"}
        kept = tuple(c for c in offence.call_ids if c not in cancelled)
        if kept:
            out.append(Offence("stale_result_relied_on", offence.seq, offence.t, offence.task, offence.why, event,
                               offence.action, kept))
    return out


# every check defined here and in simtool.scoring.violations: they read the events a history
# indexes, never its header, and change nothing (a user's own check may do either)
BUILT_IN_CHECKS: frozenset[Check] = frozenset({
    out_of_order_wrong_state, leaked_result_relied_on, stale_result_relied_on, violations.same_task_overlap,
    violations.dependency_violation, violations.out_of_order_execution, violations.stale_result_used,
    violations.revoked_leak, violations.call_on_cancelled_task, violations.wrong_task_tool, violations.wrong_binding,
    violations.premature_respond, violations.agent_errors})

# what a hunt checks by default, in table order: the hunted entries (this module's three and
# the score's call_on_cancelled_task, wrong_binding, premature_respond), as registered now
HUNT_INVARIANTS: tuple[str, ...] = hunted_names()


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def invariant_names() -> list[str]:
    """Every name a hunt accepts: the hunted ones first, then every other registered and entry-point one."""
    names = list(hunted_names())
    for name in list(invariants()) + sorted(_entry_points()):
        if name not in names:
            names.append(name)
    return names


def default_invariants() -> tuple[str, ...]:
    """What a hunt checks when no ``--invariant`` is given: the hunted entries, then entry-point checks."""
    names = hunted_names()
    return names + tuple(n for n in sorted(_entry_points()) if n not in names)


def invariant(name: str) -> Check:
    """The check registered under ``name`` (the table first, then entry points)."""
    registered = invariants()
    if name in registered:
        return registered[name]
    eps = _entry_points()
    if name in eps:
        try:
            return eps[name].load()
        except (ImportError, AttributeError) as exc:
            raise SpecError(f"invariant '{name}' is declared as {eps[name].value} but cannot be loaded: {exc}",
                            key=name) from None
    raise SpecError("unknown invariant", key="invariant", expected=" | ".join(invariant_names()), found=name)


def _as_offence(name: str, item: Any) -> Offence:
    if isinstance(item, Offence):
        return item
    if isinstance(item, Mapping):
        call = item.get("call_id")
        return Offence(name, int(item.get("seq", -1)), int(item.get("t", 0)), item.get("task"),
                       f"{item.get('kind', 'event')} at seq {item.get('seq')}", item,
                       call_ids=(call,) if isinstance(call, str) else ())
    raise SpecError(f"invariant '{name}' returned something that is neither an Offence nor an event",
                    key=name, expected="Offence records or trace events (mappings)", found=type(item).__name__)


def check_trace(source: Trace | History | str, names: Sequence[str],
                checks: Mapping[str, Check] | None = None) -> dict[str, list[Offence]]:
    """Run the named invariants on a trace; ``checks`` gives the functions (else looked up by name)."""
    h = history_of(source)
    out: dict[str, list[Offence]] = {}
    for name in names:
        check = checks[name] if checks is not None and name in checks else invariant(name)
        out[name] = [_as_offence(name, item) for item in check(h) or ()]
    return out
