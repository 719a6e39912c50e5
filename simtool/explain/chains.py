"""Causal chains: for each invariant, the steps from the offence's causes to its consequence.

One entry per invariant in a table (``@chain("name")`` refuses a duplicate); an invariant
without an entry (a user's own) gets the generic chain: the offence in words and the lives of
the calls it names. Every chain ends where the sub-task it touched ended: passed all the same,
answered with a wrong state (expected against found) or without its gold results, cancelled,
or never answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simtool.errors import SpecError
from simtool.explain.facts import Facts, ms, short
from simtool.explain.states import describe_keys
from simtool.scoring.history import CallRecord
from simtool.scoring.violations import Offence, gold_steps

__all__ = ["Chain", "chain", "chain_of", "offence_turn"]

Chain = Callable[[Facts, Offence], list[str]]
_CHAINS: dict[str, Chain] = {}


def chain(name: str) -> Callable[[Chain], Chain]:
    """Register the chain of invariant ``name`` (one per name)."""
    def add(fn: Chain) -> Chain:
        if name in _CHAINS:
            raise SpecError("a chain of that invariant is already registered", key=name, expected="a new name", found=name)
        _CHAINS[name] = fn
        return fn
    return add


def chain_of(name: str) -> Chain:
    """The chain registered for invariant ``name``, else the generic one."""
    return _CHAINS.get(name, _generic)


def _action(o: Offence) -> Mapping[str, Any]:
    actions = o.event.get("actions") or []
    return actions[o.action] if o.action is not None and o.action < len(actions) else {}


def offence_turn(f: Facts, o: Offence) -> tuple[str | None, int | None]:
    """The (task, turn) an offence touched: its call's turn, or the turn in force at its event."""
    if o.event.get("kind") == "respond":
        return o.task, int(o.event["turn"])
    first = f.h.calls.get(o.call_ids[0]) if o.call_ids else None
    if first is not None and first.task == o.task and o.event.get("kind") in ("issue", "execute", "deliver"):
        return first.task, first.turn
    if o.task is None:
        return None, None
    return o.task, f.turn_at(o.task, o.seq)


def _issued(f: Facts, c: CallRecord) -> str:
    return f"{f.call(c.call_id)} issued at {ms(c.issue['t'])}"


def _executed(f: Facts, c: CallRecord) -> str:
    if c.execute is None:
        how = "refused" if c.refuse is not None else "cancelled" if c.cancel is not None else "never"
        return f"{c.call_id} never executed ({how})"
    changes = f.states.changes(c.call_id)
    result = c.execute.get("result")
    outcome = c.execute.get("outcome")
    said = f": {short(result, 60)}" if outcome == "error" else ""
    changed = f"; changed {describe_keys(changes)}" if changes is not None else ""
    return f"{c.call_id} executed at {ms(c.execute['t'])} (#{c.execute.get('order')} in {c.task}): {outcome}{said}{changed}"


def _decided(f: Facts, o: Offence) -> str:
    d = o.event
    return f"decision {d.get('decision')} at {ms(d['t'])} {f.action_phrase(_action(o))}"


def _depended_on(f: Facts, call: CallRecord) -> list[tuple[int, str, CallRecord | None]]:
    """(step, tool, the first call of the turn performing it) for each gold step the call's own
    step depends on (its ``after``); no call when none performed it."""
    j = gold_steps(f.h).get(call.call_id)
    starts = f.h.starts.get((call.task, call.turn)) or []
    gold = next((list(e["gold"]) for e in reversed(starts) if e.get("epoch") == call.epoch), [])
    if j is None or j >= len(gold):
        return []
    out: list[tuple[int, str, CallRecord | None]] = []
    for i in gold[j].get("after", []):
        g = gold[i]
        done = next((c for c in f.h.calls.values() if c.task == call.task and c.turn == call.turn and c.tool == g["tool"]
                     and dict(c.args) == dict(g.get("args") or {})), None)
        out.append((int(i), str(g["tool"]), done))
    return out


@chain("dependency_violation")
def _dependency(f: Facts, o: Offence) -> list[str]:
    call = f.h.calls[o.call_ids[0]]
    needed = _depended_on(f, call)
    early = [(i, tool, d) for i, tool, d in needed if d is None or d.deliver is None or d.deliver["seq"] > call.issue["seq"]]
    steps = []
    for i, tool, d in early:
        if d is None:
            steps.append(f"step {i} ({tool}) of {call.task} turn {call.turn} was not called before it")
        else:
            delivered = f"delivered at {ms(d.deliver['t'])}" if d.deliver is not None else "never delivered"
            steps.append(f"{_issued(f, d)} (step {i}), {delivered}")
    step = gold_steps(f.h).get(call.call_id)
    names = ", ".join(d.call_id if d is not None else f"step {i}" for i, _, d in early)
    steps.append(f"{_issued(f, call)} as step {step}, which depends on "
                 f"{', '.join(f'step {i} ({tool})' for i, tool, _ in needed)}: before {names} "
                 f"{'was' if len(early) == 1 else 'were'} delivered")
    calls = [call] + [d for _, _, d in early if d is not None]
    overtaken = [d.call_id for d in calls[1:] if call.execute is not None and d.execute is not None
                 and d.execute["seq"] > call.execute["seq"]]
    if overtaken:
        steps.append(f"{call.call_id} then executed before {', '.join(overtaken)}: out of order")
    for c in sorted(calls, key=lambda c: c.execute["seq"] if c.execute else 1 << 62):
        steps.append(_executed(f, c))
    return steps


@chain("out_of_order_execution")
def _out_of_order(f: Facts, o: Offence) -> list[str]:
    calls = [f.h.calls[c] for c in o.call_ids if c in f.h.calls]
    steps = [_issued(f, c) for c in sorted(calls, key=lambda c: c.issue["seq"])]
    executed = [_executed(f, c) for c in sorted(calls, key=lambda c: c.execute["seq"] if c.execute else 1 << 62)]
    executed[0] = executed[0].replace(" executed at", " executed first, at", 1)  # the overtaking call
    return steps + executed


def _staling_fault(f: Facts, c: CallRecord) -> Mapping[str, Any] | None:
    """The effective amend or cancel_task of the call's task that made its result stale: the first
    after its issue, else the last before it (a call issued on a task already cancelled)."""
    end = c.deliver["seq"] if c.deliver else 1 << 62
    found = None
    for e in f.h.faults:
        if e.get("effective") and e.get("task") in (c.task, None) and e.get("fault") in ("amend", "cancel_task") and e["seq"] < end:
            found = e
            if e["seq"] > c.issue["seq"]:
                break
    return found


def _fault_phrase(e: Mapping[str, Any]) -> str:
    kind = e.get("fault")
    if kind == "amend":
        return f"the user amended the request of {e.get('task')} at {ms(e['t'])} (turn {e.get('turn')}, epoch {e.get('epoch')}): " \
               f"{short(e.get('request') or '', 60)!r}"
    if kind == "cancel_task":
        return f"the world cancelled {e.get('task')} at {ms(e['t'])}"
    if kind in ("revoke", "grant"):
        who = e.get("task") or "every task"
        return f"{e.get('scope')} {'revoked' if kind == 'revoke' else 'granted'} for {who} at {ms(e['t'])}"
    if kind == "outage":
        return f"{e.get('service')} out for {e.get('duration_ms')} ms from {ms(e['t'])}"
    if kind == "rate_limit":
        return f"{e.get('service')} limited to {e.get('calls')} calls per {e.get('per_ms')} ms from {ms(e['t'])}"
    fields = ", ".join(f"{k} {short(v, 40)}" for k, v in sorted(e.items())
                       if k not in ("kind", "t", "seq", "fault", "source", "index", "effective"))
    return f"{kind} at {ms(e['t'])}" + (f" ({fields})" if fields else "")  # a kind this module has no words for


@chain("stale_result_used")
def _stale(f: Facts, o: Offence) -> list[str]:
    steps = []
    for cid in o.call_ids:
        c = f.h.calls[cid]
        fault = _staling_fault(f, c)
        if fault is not None and _fault_phrase(fault) not in steps:
            steps.append(_fault_phrase(fault))
        steps.append(f"{_issued(f, c)} (turn {c.turn}, epoch {c.epoch}), delivered at {ms(c.deliver['t'] if c.deliver else None)} "
                     f"marked stale ({c.deliver.get('stale_reason') if c.deliver else '?'})")
    how = "relying on" if _action(o).get("uses") else "having seen"
    steps.append(f"{_decided(f, o)}, {how} {', '.join(o.call_ids)}")
    return steps


@chain("revoked_leak")
def _leak(f: Facts, o: Offence) -> list[str]:
    c = f.h.calls[o.call_ids[0]]
    steps = [f"{_issued(f, c)}, needing {c.issue.get('scope')}"]
    deliver_seq = c.deliver["seq"] if c.deliver else 1 << 62
    for e in f.h.faults:
        if e.get("fault") == "revoke" and e.get("effective") and e.get("scope") == c.issue.get("scope") \
                and e.get("task") in (c.task, None) and c.issue["seq"] < e["seq"] < deliver_seq:
            state = "after it executed" if c.execute is not None and c.execute["seq"] < e["seq"] else "before it executed"
            steps.append(f"{_fault_phrase(e)}, {state}")
            break
    steps.append(f"{c.call_id}'s result delivered ok at {ms(o.t)} all the same: a leak")
    relied = [d for d in f.h.decisions if d["seq"] > o.seq
              and any(isinstance(a, Mapping) and c.call_id in (a.get("uses") or []) for a in d.get("actions") or [])]
    if relied:
        steps.append(f"decision {relied[0].get('decision')} at {ms(relied[0]['t'])} relied on it")
    else:
        steps.append("no later action named it among its uses")
    return steps


@chain("call_on_cancelled_task")
def _on_cancelled(f: Facts, o: Offence) -> list[str]:
    fault = f.h.cancelled.get(str(o.task))
    steps = [_fault_phrase(fault)] if fault is not None else []
    steps.append(f"{_decided(f, o)} all the same")
    refused = f.refusal_after(str(o.task), o.seq)
    if refused is not None:
        steps.append(f"the runtime refused it at {ms(refused['t'])} ({refused.get('reason')})")
    return steps


@chain("wrong_task_tool")
def _wrong_tool(f: Facts, o: Offence) -> list[str]:
    d = f.decision_of(o.seq)
    head = f"decision {d.get('decision')} at {ms(d['t'])}" if d else f"at {ms(o.t)}"
    return [f"{head} {f.raw_phrase(o.event.get('raw'))}", f"refused: {o.event.get('detail')}; nothing ran"]


@chain("wrong_binding")
def _wrong_binding(f: Facts, o: Offence) -> list[str]:
    steps = []
    for cid in o.call_ids:
        c = f.h.calls[cid]
        result = c.deliver.get("result") if c.deliver else None
        steps.append(f"{_issued(f, c)} for {c.task}, delivered at {ms(c.deliver['t'] if c.deliver else None)}: {short(result, 60)}")
    owners = ", ".join(f"{cid} (of {f.h.task_of(cid)})" for cid in o.call_ids)
    steps.append(f"{_decided(f, o)}, taking {owners} as its own")
    return steps


@chain("premature_respond")
def _premature(f: Facts, o: Offence) -> list[str]:
    steps = [_issued(f, f.h.calls[c]) for c in o.call_ids if c in f.h.calls]
    steps.append(f"turn {o.event.get('turn')} of {o.task} answered at {ms(o.t)} while {', '.join(o.call_ids)} had not executed")
    for cid in o.call_ids:
        c = f.h.calls.get(cid)
        if c is not None:
            steps.append(_executed(f, c) + (" (after the answer)" if c.execute is not None else ""))
    return steps


@chain("agent_errors")
def _agent_error(f: Facts, o: Offence) -> list[str]:
    d = f.decision_of(o.seq)
    head = f"decision {d.get('decision')} at {ms(d['t'])}" if d else f"at {ms(o.t)}"
    raw = o.event.get("raw")
    return [f"{head} {f.raw_phrase(raw)}" if raw else f"{head}: a malformed decision",
            f"refused ({o.event.get('reason')}): {o.event.get('detail')}; nothing ran"]


def _generic(f: Facts, o: Offence) -> list[str]:
    steps = [o.why]
    for cid in o.call_ids:
        c = f.h.calls.get(cid)
        if c is not None:
            steps += [_issued(f, c), _executed(f, c)]
    return steps
