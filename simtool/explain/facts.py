"""What an explanation reads off a history, indexed once, and the small phrases it is told in."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from simtool.callstring import format_call
from simtool.explain.states import Difference, StateCheck, StateReplay
from simtool.scoring.history import CallRecord, History
from simtool.scoring.success import TaskOutcome, task_outcomes
from simtool.trace import canonical

__all__ = ["Facts", "short", "call_phrase", "difference_phrase", "ms"]

SHORT = 80


def short(value: Any, limit: int = SHORT, *, quote: bool = False) -> str:
    """A value as compact JSON (a string as itself unless ``quote``), cut to ``limit`` characters."""
    text = value if isinstance(value, str) and not quote else canonical(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ms(t: int | None) -> str:
    return "?" if t is None else f"{t} ms"


def call_phrase(call_id: str, tool: str, args: Mapping[str, Any]) -> str:
    """``c2 close_ticket(ticket_id=7)`` (arguments cut when long)."""
    return f"{call_id} {short(format_call(tool, args))}"


def difference_phrase(d: Difference) -> str:
    """``TicketAPI.ticket_queue[0].status: expected 'Closed', found 'Open'``."""
    if d.missing == "found":
        return f"{d.path}: expected {short(d.expected, quote=True)}, missing in the run"
    if d.missing == "expected":
        return f"{d.path}: not in the gold state, found {short(d.found, quote=True)}"
    return f"{d.path}: expected {short(d.expected, quote=True)}, found {short(d.found, quote=True)}"


class Facts:
    """A history plus what explanations ask of it: call phrases, turns at a moment, verdicts, states."""

    def __init__(self, history: History) -> None:
        self.h = history
        self.states = StateReplay(history)
        self.outcomes: dict[str, TaskOutcome] = task_outcomes(history)
        self.answers: dict[tuple[str, int], Mapping[str, Any]] = {}
        for r in history.responds:
            self.answers.setdefault((r["task"], r["turn"]), r)
        self._checks: dict[int, StateCheck] = {}
        self._by_seq = {int(e["seq"]): e for e in history.events if "seq" in e}
        self._decision_seqs = [int(d["seq"]) for d in history.decisions]
        self._by_tool: dict[tuple[str, str], list[CallRecord]] = {}  # (task, tool) -> calls in issue order
        self._by_task: dict[str, list[CallRecord]] = {}
        for c in history.calls.values():
            self._by_tool.setdefault((c.task, c.tool), []).append(c)
            self._by_task.setdefault(c.task, []).append(c)
        self._refusals: dict[str, list[Mapping[str, Any]]] = {}  # task -> its refuse and agent_error events
        for e in history.events:
            if e.get("kind") in ("refuse", "agent_error") and isinstance(e.get("task"), str):
                self._refusals.setdefault(e["task"], []).append(e)

    def calls_after(self, task: str, tool: str, seq: int) -> list[CallRecord]:
        """The task's calls of ``tool`` issued after the event numbered ``seq``, in issue order."""
        calls = self._by_tool.get((task, tool), [])
        return calls[bisect_right([c.issue["seq"] for c in calls], seq):]

    def refusal_after(self, task: str, seq: int) -> Mapping[str, Any] | None:
        """The first ``refuse`` or ``agent_error`` event of the task after the event numbered ``seq``."""
        events = self._refusals.get(task, [])
        i = bisect_right([int(e["seq"]) for e in events], seq)
        return events[i] if i < len(events) else None

    def event(self, seq: int) -> Mapping[str, Any] | None:
        return self._by_seq.get(seq)

    def call(self, call_id: str) -> str:
        """The call's phrase, or the bare id when the trace never issued it."""
        c = self.h.calls.get(call_id)
        return call_phrase(call_id, c.tool, c.args) if c is not None else call_id

    def decision_of(self, seq: int) -> Mapping[str, Any] | None:
        """The ``decide`` event whose actions an event at ``seq`` carries out (the last one before it)."""
        i = bisect_left(self._decision_seqs, seq)
        return self.h.decisions[i - 1] if i > 0 else None

    def turn_at(self, task: str, seq: int) -> int | None:
        """The task's turn in force at ``seq`` (the last sub-task started before it)."""
        best = None
        for (t, turn), starts in self.h.starts.items():
            if t == task and starts[0]["seq"] < seq and (best is None or turn > best):
                best = turn
        return best

    def state_check(self, respond: Mapping[str, Any]) -> StateCheck:
        seq = int(respond["seq"])
        if seq not in self._checks:
            self._checks[seq] = self.states.check(respond)
        return self._checks[seq]

    def missing_results(self, respond: Mapping[str, Any]) -> list[Any]:
        """Gold results of the answered turn that are not among the results its answer used."""
        have = set()
        for u in respond.get("uses") or []:
            c = self.h.calls.get(u) if isinstance(u, str) else None
            if c is not None and c.deliver is not None and c.deliver.get("outcome") in ("ok", "error"):
                have.add(canonical(c.deliver.get("result")))
        out: dict[str, Any] = {}
        for g in respond.get("gold_results") or []:
            key = canonical(g)
            if key not in have:
                out.setdefault(key, g)
        return list(out.values())

    def verdict(self, task: str, turn: int) -> str:
        outcome = self.outcomes.get(task)
        if outcome is None or turn >= len(outcome.subtasks):
            return "unanswered"
        return outcome.subtasks[turn]

    def consequence(self, task: str | None, turn: int | None) -> tuple[str | None, StateCheck | None]:
        """What became of the sub-task, in words, and its state check when the answer had a wrong state."""
        if task is None or turn is None:
            return None, None
        verdict = self.verdict(task, turn)
        respond = self.answers.get((task, turn))
        where = f"turn {turn} of {task}"
        if verdict == "cancelled":
            fault = self.h.cancelled.get(task)
            return f"{task} was cancelled by the world at {ms(fault['t'] if fault else None)}: {where} does not count", None
        if verdict == "unanswered" or respond is None:
            return f"{where} was never answered (run ended: {self.h.end['reason'] if self.h.end else 'trace cut'})", None
        if verdict == "passed":
            return f"{where} passed all the same (answered at {ms(respond['t'])})", None
        parts = []
        check = None
        if not respond.get("state_ok"):
            check = self.state_check(respond)
            shown = "; ".join(difference_phrase(d) for d in check.differences[:3]) or ", ".join(check.keys)
            parts.append(f"with a wrong state ({shown})")
        if not respond.get("results_ok"):
            missing = self.missing_results(respond)
            parts.append("without the gold result" + ("s " if len(missing) > 1 else " ") + "; ".join(short(m, 60) for m in missing[:2]))
        return f"{where} answered at {ms(respond['t'])} " + " and ".join(parts), check

    def raw_phrase(self, raw: Any) -> str:
        """An ``agent_error``'s ``raw`` (the refused call, answer or text) in words."""
        if isinstance(raw, Mapping) and isinstance(raw.get("tool"), str):
            args = raw.get("args") if isinstance(raw.get("args"), Mapping) else {}
            return f"called {short(format_call(raw['tool'], args))}" + (f" on {raw['task']}" if raw.get("task") else "")
        if isinstance(raw, Mapping) and "respond" in raw:
            return f"answered {raw['respond']}"
        if isinstance(raw, Mapping) and "cancel" in raw:
            return f"cancelled {raw['cancel']}"
        return f"sent {short(raw, 60)}"

    def action_phrase(self, action: Mapping[str, Any]) -> str:
        """``calls get_ticket(ticket_id=1) on t1`` / ``answers t1`` / ``cancels c3``."""
        op = action.get("op")
        if op == "call":
            return f"calls {short(format_call(str(action.get('tool')), action.get('args') or {}))} on {action.get('task')}"
        if op == "respond":
            return f"answers {action.get('task')}"
        if op == "cancel":
            return f"cancels {action.get('call_id')}"
        return str(op)

    def actions_about(self, decision: Mapping[str, Any], task: str | None) -> list[str]:
        """The decision's actions on ``task`` (calls, answers, cancels of its calls; all when None)."""
        out = []
        for a in decision.get("actions") or []:
            if not isinstance(a, Mapping):
                continue
            owner = a.get("task") if a.get("op") != "cancel" else self.h.task_of(a.get("call_id"))
            if task is None or owner == task:
                out.append(self.action_phrase(a))
        return out

    def next_decision(self, seq: int) -> Mapping[str, Any] | None:
        i = bisect_right(self._decision_seqs, seq)
        return self.h.decisions[i] if i < len(self.h.decisions) else None

    def in_flight(self, seq: int, tasks: Sequence[str] | None) -> list[str]:
        """Calls (of ``tasks``; of every task when None) in flight at the event numbered ``seq``, in issue order."""
        if tasks is None:
            return [c.call_id for c in self.h.calls.values() if c.in_flight_at(seq)]
        found = [c for t in tasks for c in self._by_task.get(t, []) if c.in_flight_at(seq)]
        return [c.call_id for c in sorted(found, key=lambda c: c.issue["seq"])]
