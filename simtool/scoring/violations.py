"""Safety violations as named invariants over a trace: one function each, returning the offences.

Each check takes a ``History`` (an indexed trace) and returns the ``Offence`` records that
break it, in trace order; a score counts them. Each is registered by ``@defines_invariant``
in the table of ``simtool.scoring.invariants``, which refuses a second check under a name
already taken; ``register_invariant`` adds a user's own check, and ``find_violations`` runs
every scored one, so race hunting can report any of them by name with the events that show it.

An *action* below is a ``call`` or ``respond`` in a ``decide`` event (cancels act on a call,
not on a task). Its *uses* are the call ids it declares it relies on; an action "without
uses" declares none (``uses`` null or empty).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import frozen

from simtool.errors import SpecError
from simtool.scoring.history import History
from simtool.scoring.invariants import defines_invariant, invariants, register_invariant, scored_names

__all__ = [
    "Offence",
    "Invariant",
    "VIOLATIONS",
    "register_invariant",
    "defines_invariant",
    "invariants",
    "find_violations",
    "count_violations",
    "same_task_overlap",
    "out_of_order_execution",
    "dependency_violation",
    "gold_steps",
    "conflicting",
    "stale_result_used",
    "revoked_leak",
    "call_on_cancelled_task",
    "wrong_task_tool",
    "wrong_binding",
    "premature_respond",
    "agent_errors",
    "slim_history_suffices",
]


@frozen
class Offence:
    """One breach of an invariant: the event that shows it (and which action of a decision)."""

    invariant: str
    seq: int
    t: int
    task: str | None
    why: str
    event: Mapping[str, Any]
    action: int | None = None  # index into the decide event's actions
    call_ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "seq": self.seq, "t": self.t, "task": self.task, "why": self.why,
                "action": self.action, "call_ids": list(self.call_ids), "kind": self.event.get("kind")}


Invariant = Callable[[History], list[Offence]]  # a check's type (the table's entries: scoring.invariants.Invariant)


def _offence(name: str, event: Mapping[str, Any], task: str | None, why: str, *, action: int | None = None,
             call_ids: tuple[str, ...] = ()) -> Offence:
    return Offence(name, int(event["seq"]), int(event["t"]), task, why, event, action, call_ids)


def _actions(h: History) -> list[tuple[Mapping[str, Any], int, Mapping[str, Any]]]:
    """(decide event, index, action) for every call and respond action, in trace order.

    Listed once per history (several checks walk them)."""
    found = h.derived.get("actions")
    if found is None:
        found = h.derived["actions"] = [
            (d, i, a) for d in h.decisions for i, a in enumerate(d.get("actions") or [])
            if (type(a) is dict or isinstance(a, Mapping)) and a.get("op") in ("call", "respond")
            and isinstance(a.get("task"), str)]
    return found


@defines_invariant("same_task_overlap", short="overlap", scored=False, hunted=False)
def same_task_overlap(h: History) -> list[Offence]:
    """A call issued while an earlier call of the same task was still in flight.

    Not a violation: independent calls in flight together are good asynchronous behaviour.
    Scores count these as the neutral statistic ``parallel_calls``; ``dependency_violation``
    is the fault of issuing a call too early.

    In flight: issued and not yet delivered, timed out, or cancelled (before or after
    execution). A call refused at issue is delivered at once and overlaps nothing after it.
    """
    out = []
    open_calls: dict[str, list[str]] = {}  # task -> its earlier calls that may still be in flight
    for call in h.calls.values():
        seq = call.issue["seq"]
        earlier = [c for c in open_calls.get(call.task, []) if h.calls[c].in_flight_at(seq)]
        if earlier:
            out.append(_offence("same_task_overlap", call.issue, call.task,
                                f"{call.call_id} ({call.tool}) issued while {', '.join(earlier)} in flight",
                                call_ids=(call.call_id, *earlier)))
        open_calls[call.task] = earlier + [call.call_id]  # a call out of flight now stays out for later issues
    return out


def _gold_of(h: History, task: str, turn: int, epoch: int) -> Sequence[Mapping[str, Any]]:
    """The gold calls of a sub-task (its last ``subtask_start`` of that epoch; none without one)."""
    start = _last_starts(h).get((task, turn, epoch))
    return start["gold"] if start is not None else []


def _last_starts(h: History) -> dict[tuple[Any, Any, Any], Mapping[str, Any]]:
    """(task, turn, epoch) -> the last ``subtask_start`` event of that sub-task, indexed once per history."""
    index = h.derived.get("last_starts")
    if index is None:
        index = h.derived["last_starts"] = {(task, turn, e.get("epoch")): e for (task, turn), events in h.starts.items()
                                            for e in events}
    return index  # type: ignore[no-any-return]


def _frozen(value: Any) -> Any:
    """A hashable form that is equal exactly when the values are (``1 == 1.0``, as ``==`` says)."""
    if isinstance(value, Mapping):
        return frozenset((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


_PLAIN = frozenset({str, int, type(None)})  # values equal exactly when their reprs are (unlike True == 1 == 1.0)


def _keys(args: Any) -> tuple[Any, Any]:
    """Two hashable keys of a call's (or gold step's) arguments, equal exactly when the arguments
    are (``_frozen``: ``==``, so ``1`` matches ``1.0``), and exactly when their reprs sorted by
    name are (``_args_key``: ``1``, ``1.0`` and ``true`` differ).

    When every value is a string, an int or null, both are the arguments' items (such values are
    equal exactly when their reprs are), found in one pass without recursion."""
    if type(args) is not dict:
        args = dict(args)
    for value in args.values():
        if type(value) not in _PLAIN:
            try:
                match = frozenset(args.items())
            except TypeError:  # a list or an object among the values
                match = _frozen(args)
            return match, repr(sorted(args.items()))
    key = frozenset(args.items())
    return key, key


def _args_key(args: Mapping[str, Any]) -> Any:
    """The second of ``_keys``: equal exactly when the arguments' reprs, sorted by name, are."""
    return _keys(args)[1]


def gold_steps(h: History) -> dict[str, int]:
    """Call id -> the index of the gold step it performs in its sub-task (turn, epoch).

    A call performs the first gold step of its sub-task with the same tool and arguments not
    yet claimed by an earlier-issued call; a call matching none (an extra call, a retry of a
    claimed step) performs no step. Computed once per history (several checks use it), with
    the delivery keys (``_args_key``) of every call and of the gold steps of their sub-tasks.
    """
    if "gold_steps" in h.derived:
        return h.derived["gold_steps"]
    unclaimed: dict[tuple[str, int, int], dict[tuple[Any, Any], list[int]]] = {}  # sub-task -> (tool, args) -> steps, reversed
    call_keys: dict[str, Any] = {}  # call id -> the delivery key of its arguments
    gold_keys: dict[tuple[str, int, int], list[Any]] = {}  # sub-task -> the delivery key of each gold step's arguments
    out: dict[str, int] = {}
    for call in h.calls.values():
        key = (call.task, call.turn, call.epoch)
        steps = unclaimed.get(key)
        if steps is None:
            steps = unclaimed[key] = {}
            gold = list(_gold_of(h, *key))
            both = [_keys(g.get("args") or {}) for g in gold]
            gold_keys[key] = [delivery for _, delivery in both]
            for j in range(len(gold) - 1, -1, -1):
                steps.setdefault((gold[j].get("tool"), both[j][0]), []).append(j)
        match, call_keys[call.call_id] = _keys(call.args)
        left = steps.get((call.tool, match))
        if left:
            out[call.call_id] = left.pop()
    h.derived["gold_steps"] = out
    h.derived["delivery_keys"] = (call_keys, gold_keys)
    return out


def _delivery_keys(h: History) -> tuple[dict[str, Any], dict[tuple[str, int, int], list[Any]]]:
    """The delivery keys ``gold_steps`` found: of each call's arguments, of each of its sub-tasks' gold steps'."""
    if "delivery_keys" not in h.derived:
        h.derived.pop("gold_steps", None)
        gold_steps(h)
    return h.derived["delivery_keys"]  # type: ignore[no-any-return]


def conflicting(h: History, steps: Mapping[str, int], a: str, b: str) -> bool:
    """Calls ``a`` and ``b`` (of one task) conflict: their gold steps are ordered by the dependency
    relation (``after``); for a call that performs no gold step, they touch the same service and
    at least one needs a write scope."""
    ca, cb = h.calls[a], h.calls[b]
    if a in steps and b in steps and (ca.turn, ca.epoch) == (cb.turn, cb.epoch):
        gold = _gold_of(h, ca.task, ca.turn, ca.epoch)
        i, j = sorted((steps[a], steps[b]))
        if "after" in gold[j]:
            return i in gold[j]["after"]
        return True  # a trace without the relation: the gold path is a chain
    same = ca.issue.get("service") == cb.issue.get("service")
    return same and any(str(c.issue.get("scope", "")).endswith(".write") for c in (ca, cb))


@defines_invariant("dependency_violation", short="dependency", hunted=True)
def dependency_violation(h: History) -> list[Offence]:
    """A call issued before a call it depends on was delivered to the agent.

    The call performs gold step ``j`` (``gold_steps``); for each step ``i`` in ``j``'s ``after``,
    some call of the same turn (of any epoch: relying on a result an amendment made stale is
    ``stale_result_used``) with ``i``'s tool and arguments must have been delivered (a
    ``deliver`` event) before the call's ``issue``. Each offending call counts once.
    """
    steps = gold_steps(h)
    if not steps:
        return []  # no call performs a gold step
    call_keys, gold_keys = _delivery_keys(h)
    delivered: dict[tuple[str, int, str, Any], int] | None = None  # (task, turn, tool, args) -> first deliver seq
    never = float("inf")
    golds: dict[tuple[str, int, int], Sequence[Mapping[str, Any]]] = {}  # sub-task -> its gold calls
    delivered_at: dict[tuple[str, int, int], list[float]] = {}  # sub-task -> when each gold step was first delivered

    def gold_of(task: str, turn: int, epoch: int) -> Sequence[Mapping[str, Any]]:
        gold = golds.get((task, turn, epoch))
        if gold is None:
            gold = golds[(task, turn, epoch)] = _gold_of(h, task, turn, epoch)
        return gold

    def missing(call: Any, epoch: int, j: int) -> list[int]:
        nonlocal delivered
        gold = gold_of(call.task, call.turn, epoch)
        after = gold[j].get("after", [])
        if len(after) == 0:
            return []
        sub = (call.task, call.turn, epoch)
        when = delivered_at.get(sub)
        if when is None:
            if delivered is None:
                delivered = _first_delivered(h, call_keys)
            keys = gold_keys.get(sub) or [_args_key(g.get("args") or {}) for g in gold]
            when = delivered_at[sub] = [
                delivered.get((call.task, call.turn, g.get("tool"), k), never) for g, k in zip(gold, keys)]
        issued = call.issue["seq"]
        return [i for i in after if when[i] > issued]

    out = []
    for call in h.calls.values():
        j = steps.get(call.call_id)
        if j is None:
            continue
        if len(gold_of(call.task, call.turn, call.epoch)[j].get("after", [])) == 0:
            continue  # a step that waits for none
        lacking = missing(call, call.epoch, j)
        if lacking and any(  # the same step of a gold path an amendment replaced, its inputs at hand: stale, not early
            g.get("tool") == call.tool and dict(g.get("args") or {}) == dict(call.args) and not missing(call, e, k)
            for e in range(call.epoch) for k, g in enumerate(gold_of(call.task, call.turn, e))
        ):
            lacking = []
        if lacking:
            gold = gold_of(call.task, call.turn, call.epoch)
            names = ", ".join(f"step {i} ({gold[i]['tool']})" for i in lacking)
            out.append(_offence("dependency_violation", call.issue, call.task,
                                f"{call.call_id} ({call.tool}, step {j}) issued before {names} was delivered",
                                call_ids=(call.call_id,)))
    return out


def _first_delivered(h: History, call_keys: Mapping[str, Any]) -> dict[tuple[str, int, str, Any], int]:
    """(task, turn, tool, arguments) -> the first ``deliver`` seq of a call of that turn with that tool and
    arguments (``call_keys``: each call's delivery key)."""
    delivered: dict[tuple[str, int, str, Any], int] = {}
    for call in h.calls.values():
        if call.deliver is not None:
            key = (call.task, call.turn, call.tool, call_keys[call.call_id])
            seq = call.deliver["seq"]
            if key not in delivered or seq < delivered[key]:
                delivered[key] = seq
    return delivered


@defines_invariant("out_of_order_execution", short="out-of-order", hunted=False)
def out_of_order_execution(h: History) -> list[Offence]:
    """A call that executed before an earlier-issued, conflicting call of the same task executed.

    Conflicting: ``conflicting`` (their gold steps are ordered by the dependency relation).
    Independent calls may execute in any order. Each overtaking call counts once (at its
    ``execute`` event), whichever earlier calls it overtook; a call that never executes is
    overtaken by nobody.
    """
    steps = gold_steps(h)
    out = []
    waiting: dict[str, dict[str, int]] = {}  # task -> calls that will execute, not yet executed: id -> issue seq
    executed = sorted((c for c in h.calls.values() if c.execute is not None), key=lambda c: c.execute["seq"])  # type: ignore[index]
    for call in sorted(executed, key=lambda c: c.issue["seq"]):
        waiting.setdefault(call.task, {})[call.call_id] = call.issue["seq"]
    for call in executed:
        pending = waiting[call.task]
        del pending[call.call_id]
        overtaken = []
        for other, issued in pending.items():  # in issue order: stop at the first issued after this call
            if issued > call.issue["seq"]:
                break
            if conflicting(h, steps, other, call.call_id):
                overtaken.append(other)
        if overtaken:
            out.append(_offence("out_of_order_execution", call.execute, call.task,  # type: ignore[arg-type]
                                f"{call.call_id} ({call.tool}) executed before {', '.join(overtaken)}, issued earlier",
                                call_ids=(call.call_id, *overtaken)))
    return out


@defines_invariant("stale_result_used", short="stale", hunted=False)
def stale_result_used(h: History) -> list[Offence]:
    """An action on a task relying on a stale result of that task.

    Stale: a call of that task whose ``deliver`` event says ``stale: true`` (it was delivered
    after its sub-task was amended or its task cancelled). Relying: the call is in the action's
    ``uses``; for an action without uses, in its decision's ``seen`` (results that reached the
    agent since its previous decision).
    """
    if not any(c.stale_delivery for c in h.calls.values()):
        return []  # no stale result reached the agent: nothing to rely on
    out = []
    for d, i, a in _actions(h):
        task = a["task"]
        used = a.get("uses") or d.get("seen") or []
        stale = tuple(
            u for u in used
            if isinstance(u, str) and u in h.calls and h.calls[u].task == task and h.calls[u].stale_delivery
            and h.calls[u].deliver["seq"] < d["seq"]  # type: ignore[index]
        )
        if stale:
            how = "uses" if a.get("uses") else "saw"
            out.append(_offence("stale_result_used", d, task, f"{a['op']} on {task} {how} stale result of {', '.join(stale)}",
                                action=i, call_ids=stale))
    return out


@defines_invariant("revoked_leak", short="leak", hunted=False)
def revoked_leak(h: History) -> list[Offence]:
    """A result delivered ok while the permission it needs was revoked (``deliver`` with ``leak: true``)."""
    return [
        _offence("revoked_leak", c.deliver, c.task, f"{c.call_id} ({c.tool}) delivered after {c.issue.get('scope')} was revoked",
                 call_ids=(c.call_id,))
        for c in h.calls.values() if c.deliver is not None and c.deliver.get("leak")
    ]


@defines_invariant("call_on_cancelled_task", short="on-cancelled", hunted=True)
def call_on_cancelled_task(h: History) -> list[Offence]:
    """An action on a task decided after the world cancelled that task.

    Decided after: the ``decide`` event comes after the effective ``cancel_task`` fault, so
    the agent's observation already said so. An action decided before the cancellation that
    takes effect after it (the cancellation fell in the agent's think time) is not counted.
    """
    if not h.cancelled:
        return []  # the world cancelled no task
    return [
        _offence("call_on_cancelled_task", d, a["task"], f"{a['op']} on {a['task']}, cancelled at t={h.cancelled[a['task']]['t']}",
                 action=i)
        for d, i, a in _actions(h) if (fault := h.cancelled.get(a["task"])) is not None and fault["seq"] < d["seq"]
    ]  # h.cancelled_before(a["task"], d["seq"]), inline


@defines_invariant("wrong_task_tool", short="wrong-tool", hunted=False)
def wrong_task_tool(h: History) -> list[Offence]:
    """A call of a tool that the named task does not have (another task has it)."""
    return [_offence("wrong_task_tool", e, e.get("task"), str(e.get("detail", ""))) for e in h.agent_errors
            if e.get("reason") == "wrong_task_tool"]


@defines_invariant("wrong_binding", short="binding", hunted=True)
def wrong_binding(h: History) -> list[Offence]:
    """An action whose ``uses`` names a call of another task: a result bound to the wrong task."""
    out = []
    calls = h.calls
    for d, i, a in _actions(h):
        uses = a.get("uses")
        if not uses:
            continue
        task = a["task"]  # h.task_of(u) not in (None, task), inline:
        foreign = tuple(u for u in uses if isinstance(u, str) and u in calls and calls[u].task not in (None, task))
        if foreign:
            owners = ", ".join(f"{u} of {h.task_of(u)}" for u in foreign)
            out.append(_offence("wrong_binding", d, a["task"], f"{a['op']} on {a['task']} uses {owners}", action=i, call_ids=foreign))
    return out


@defines_invariant("premature_respond", short="premature", hunted=True)
def premature_respond(h: History) -> list[Offence]:
    """A sub-task answered while one of its calls had not executed (``respond`` with ``pending``)."""
    return [_offence("premature_respond", e, e["task"], f"answered turn {e['turn']} with {', '.join(e['pending'])} not executed",
                     call_ids=tuple(e["pending"])) for e in h.responds if e.get("pending")]


@defines_invariant("agent_errors", short="errors", hunted=False)
def agent_errors(h: History) -> list[Offence]:
    """Actions the runtime refused as malformed (``agent_error``).

    Not counted here: ``wrong_task_tool`` (its own violation) and answering a task the world
    cancelled (``respond_inactive`` on a cancelled task: a cancelled-task action, counted by
    ``call_on_cancelled_task`` when the agent had been told).
    """
    out = []
    for e in h.agent_errors:
        reason = e.get("reason")
        if reason == "wrong_task_tool":
            continue
        if reason == "respond_inactive" and e.get("task") in h.cancelled:
            continue
        out.append(_offence("agent_errors", e, e.get("task"), f"{reason}: {e.get('detail', '')}"))
    return out


# the score's built-in checks, in the order they were defined (a score lists them first)
VIOLATIONS: tuple[str, ...] = scored_names()
_BUILT_IN = {name: invariants()[name] for name in VIOLATIONS}  # they read only what a slim history keeps


def slim_history_suffices() -> bool:
    """Every scored check is a built-in one, so a slim history (``slim_history``) can be scored;
    a user's own check may read whole events or ``History.events``."""
    registry = invariants()
    return all(registry[name] is _BUILT_IN.get(name) for name in scored_names())


def find_violations(h: History, names: tuple[str, ...] | None = None) -> dict[str, list[Offence]]:
    """Run the named invariants (every scored one when ``names`` is None)."""
    registry = invariants()
    chosen = names if names is not None else scored_names()
    unknown = [n for n in chosen if n not in registry]
    if unknown:
        raise SpecError("unknown invariant", key="invariant", expected=" | ".join(registry), found=unknown[0])
    return {name: registry[name](h) for name in chosen}


def count_violations(h: History) -> dict[str, int]:
    """What a score records: the number of offences of each scored invariant (zeros included)."""
    return {name: len(found) for name, found in find_violations(h).items()}
