"""Step metrics: the agent's calls against the gold calls, as multisets, per task.

Per task, the agent's calls are every call it made on that task: each ``issue`` event, plus
each call the runtime refused as malformed (an ``agent_error`` whose ``raw`` names a tool);
except calls issued for a sub-task's superseded epoch (before an amendment replaced its
request): they answered a request that no longer stands, and are left out with its gold.
The gold calls are the task's effective gold path: for every sub-task the trace started, the
gold of its last epoch (an amendment replaces the turn's gold). Both are multisets; matches
are their intersection, by tool name and by tool name plus arguments. The gold of a sub-task
voided by a cancellation (its task cancelled before it was answered) counts only as far as
the agent's calls matched it: nobody is asked to finish cancelled work, and the agent's calls
are first matched against the gold that counts in full. Arguments compare as
canonical JSON after numbers are made comparable (``1 == 1.0``; ``true`` stays a boolean), so
argument order never matters. Trace totals pool the tasks (micro averages).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from simtool.trace import canonical
from tests.scoring.oracle.history import History
from tests.scoring.oracle.success import task_outcomes

__all__ = ["StepCounts", "step_counts", "call_key", "same_number_form"]


def same_number_form(value: Any) -> Any:
    """Numbers in one form (a whole float becomes an int), recursively; booleans are left alone."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): same_number_form(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [same_number_form(v) for v in value]
    return value


def call_key(tool: str, args: Mapping[str, Any] | None, *, with_args: bool) -> str:
    return canonical([tool, same_number_form(dict(args or {}))]) if with_args else tool


@frozen
class StepCounts:
    """Matched, agent and gold call counts, by name and by name plus arguments."""

    agent: int
    gold: int  # gold calls counted when matching by name plus arguments
    gold_name: int  # gold calls counted when matching by name (more voided gold may match by name)
    matched_name: int
    matched_args: int

    def precision(self, *, with_args: bool) -> float:
        matched = self.matched_args if with_args else self.matched_name
        if self.agent == 0:
            return 1.0 if (self.gold if with_args else self.gold_name) == 0 else 0.0
        return matched / self.agent

    def recall(self, *, with_args: bool) -> float:
        matched, gold = (self.matched_args, self.gold) if with_args else (self.matched_name, self.gold_name)
        return matched / gold if gold else 1.0

    def f1(self, *, with_args: bool) -> float:
        p, r = self.precision(with_args=with_args), self.recall(with_args=with_args)
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: StepCounts) -> StepCounts:
        return StepCounts(self.agent + other.agent, self.gold + other.gold, self.gold_name + other.gold_name,
                          self.matched_name + other.matched_name, self.matched_args + other.matched_args)


def _agent_calls(h: History, task: str) -> list[tuple[str, Mapping[str, Any]]]:
    current = {turn: h.starts[(task, turn)][-1]["epoch"] for turn in h.started_turns(task)}
    calls = [(c.tool, c.args) for c in h.calls.values() if c.task == task and current.get(c.turn, c.epoch) == c.epoch]
    for e in h.agent_errors:
        raw = e.get("raw")
        if e.get("task") == task and isinstance(raw, Mapping) and isinstance(raw.get("tool"), str):
            args = raw.get("args")
            calls.append((raw["tool"], args if isinstance(args, Mapping) else {}))
    return calls


Calls = list[tuple[str, Mapping[str, Any]]]


def _gold_calls(h: History, task: str, voided: set[int], *, void: bool) -> Calls:
    return [(g["tool"], g.get("args") or {}) for turn in h.started_turns(task) if (turn in voided) == void
            for g in h.effective_gold(task, turn)]


def _match(agent: Calls, full: Calls, void: Calls, with_args: bool) -> tuple[int, int]:
    """(matched, gold counted): full gold first, then voided gold with the calls left over."""
    a = Counter(call_key(t, x, with_args=with_args) for t, x in agent)
    first = a & Counter(call_key(t, x, with_args=with_args) for t, x in full)
    second = (a - first) & Counter(call_key(t, x, with_args=with_args) for t, x in void)
    matched_void = sum(second.values())
    return sum(first.values()) + matched_void, len(full) + matched_void


def step_counts(h: History) -> dict[str, StepCounts]:
    """Per task (world order) the step counts of its calls against its effective gold path."""
    outcomes = task_outcomes(h)
    out = {}
    for task in h.tasks:
        voided = {turn for turn, state in enumerate(outcomes[task].subtasks) if state == "cancelled"}
        agent = _agent_calls(h, task)
        full, void = _gold_calls(h, task, voided, void=False), _gold_calls(h, task, voided, void=True)
        by_name, gold_name = _match(agent, full, void, False)
        by_args, gold_args = _match(agent, full, void, True)
        out[task] = StepCounts(len(agent), gold_args, gold_name, by_name, by_args)
    return out
