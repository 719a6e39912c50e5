"""A failure's signature: what kind of race it is, independent of the seed that showed it.

Two seeds fall into the same race when the same invariant breaks on the same tools in the same
way (the call ids, tasks and times differ from seed to seed, so they are left out). A hunt
groups failing seeds by (invariant, signature).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simtool.scoring.history import History
from simtool.scoring.invariants import family
from simtool.scoring.violations import Offence, gold_steps

__all__ = ["signature", "offence_tools"]


def offence_tools(h: History, offence: Offence) -> tuple[str, ...]:
    """The tools an offence involves, sorted: those of the calls it names and of the call it acts with."""
    tools = {h.calls[c].tool for c in offence.call_ids if c in h.calls}
    action = _action(offence)
    if action.get("op") == "call" and isinstance(action.get("tool"), str):
        tools.add(action["tool"])
    return tuple(sorted(tools))


def _tools(h: History, call_ids: tuple[str, ...] | list[str]) -> str:
    tools = sorted({h.calls[c].tool for c in call_ids if c in h.calls})
    return ",".join(tools) if tools else "-"


def _awaited(h: History, call_id: str) -> str:
    """The tools of the gold steps the call's own step waits for (its ``after``), sorted."""
    call, step = h.calls.get(call_id), gold_steps(h).get(call_id)
    if call is None or step is None:
        return "-"
    starts = h.starts.get((call.task, call.turn)) or []
    gold = next((list(e["gold"]) for e in reversed(starts) if e.get("epoch") == call.epoch), [])
    after = gold[step].get("after", range(step)) if step < len(gold) else ()
    return ",".join(sorted({str(gold[i]["tool"]) for i in after})) or "-"


def _action(offence: Offence) -> Mapping[str, Any]:
    actions = offence.event.get("actions") or []
    if offence.action is not None and 0 <= offence.action < len(actions):
        return actions[offence.action]
    return {}


def _acting(offence: Offence, *, tool: bool = True) -> str:
    """``call:create_ticket`` (or ``call`` without ``tool``) or ``respond``: what the offending action did."""
    a = _action(offence)
    if a.get("op") == "call" and tool:
        return f"call:{a.get('tool')}"
    return str(a.get("op") or offence.event.get("kind") or "event")


def signature(h: History, offence: Offence) -> str:
    """A short text naming the race: the tools involved and how, never a seed, time or call id.

    A narrower variant of a check (``out_of_order_wrong_state``) is signed as the check it narrows.
    """
    name = family(offence.invariant)
    ids = offence.call_ids
    if name == "stale_result_used":
        reasons = sorted({str(h.calls[c].deliver.get("stale_reason")) for c in ids
                          if c in h.calls and h.calls[c].deliver is not None})
        return f"{_acting(offence, tool=False)} relied on stale {_tools(h, ids)} ({','.join(reasons) or '?'})"
    if name == "revoked_leak":
        scopes = sorted({str(h.calls[c].issue.get("scope")) for c in ids if c in h.calls})
        return f"{_tools(h, ids)} delivered after {','.join(scopes) or '?'} was revoked"
    if name == "call_on_cancelled_task":
        return f"{_acting(offence)} after cancel_task"
    if name == "dependency_violation":
        return f"{_tools(h, ids[:1])} issued before {_awaited(h, ids[0]) if ids else '-'} was delivered"
    if name == "out_of_order_execution":
        return f"{_tools(h, ids[:1])} executed before earlier {_tools(h, ids[1:])}"
    if name == "premature_respond":
        return f"respond while {_tools(h, ids)} not executed"
    if name == "wrong_binding":
        return f"{_acting(offence, tool=False)} bound to another task's {_tools(h, ids)}"
    kind = offence.event.get("kind", "event")
    return f"{kind} {_tools(h, ids)}" if ids else str(kind)
