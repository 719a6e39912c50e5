"""A short run summary read off trace events (``simtool.events``): what ``simtool run`` prints.

``summarize`` counts per task and per run, violations included (as a score counts them, by
the scoring invariants); ``why`` is what ``simtool run`` ends with when the run broke an
invariant: the violations explained, races first (``simtool.explain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from simtool.events import Event
from simtool.scoring.pace import latency_think_ratio

__all__ = ["summarize", "why", "WHY_LIMIT"]

WHY_LIMIT = 3  # violations a run's summary explains; `simtool explain` tells them all


def _violations(header: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    from simtool.scoring.history import history_of
    from simtool.scoring.violations import count_violations
    from simtool.trace import Trace

    return count_violations(history_of(Trace("<run>", header, tuple(events), None, ())))


def summarize(events: Iterable[Event | Mapping[str, Any]], header: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Per-task status and sub-tasks passed, plus run totals; with the trace's ``header``, also
    ``totals["violations"]``: a count per scored invariant."""
    events = list(events)
    tasks: dict[str, dict[str, Any]] = {}
    totals = {"calls": 0, "agent_errors": 0, "leaks": 0, "stale_deliveries": 0, "timeouts": 0,
              "cancelled_calls": 0, "faults": 0, "makespan_ms": 0, "decisions": 0, "think_ms": 0, "end": None}
    for e in events:
        kind = e["kind"]
        if kind == "subtask_start" and e["reason"] == "start":
            tasks.setdefault(e["task"], {"status": "active", "passed": 0, "answered": 0, "turns": None})
        elif kind == "issue":
            totals["calls"] += 1
        elif kind == "respond":
            t = tasks.setdefault(e["task"], {"status": "active", "passed": 0, "answered": 0, "turns": None})
            t["answered"] += 1
            t["passed"] += int(bool(e["state_ok"] and e["results_ok"]))
        elif kind == "agent_error":
            totals["agent_errors"] += 1
        elif kind == "deliver":
            totals["leaks"] += int(e["leak"])
            totals["stale_deliveries"] += int(e["stale"])
        elif kind == "timeout":
            totals["timeouts"] += 1
        elif kind == "cancel" and e["phase"] in ("before_execution", "after_execution"):
            totals["cancelled_calls"] += 1
        elif kind == "fault":
            totals["faults"] += 1
        elif kind == "end":
            totals["makespan_ms"] = e["t"]
            totals["decisions"] = e["decisions"]
            totals["think_ms"] = e["think_ms"]
            totals["end"] = e["reason"]
            for task_id, info in e["tasks"].items():
                t = tasks.setdefault(task_id, {"passed": 0, "answered": 0})
                t["status"] = info["status"]
                t["turns"] = info["turns"]
            if e.get("policy"):
                totals["policy"] = e["policy"]
    totals["latency_think_ratio"] = latency_think_ratio(events)
    if header is not None:
        totals["violations"] = _violations(header, [e for e in events if e.get("kind") != "footer"])
    return {"tasks": tasks, "totals": totals}


def why(lines: Sequence[str], trace_path: str | None = None, limit: int = WHY_LIMIT) -> str | None:
    """The violations of a run (its trace's lines) explained, races first, at most ``limit`` (or one
    per race invariant broken, when more); None when it broke no invariant."""
    from simtool.explain import as_history, explain
    from simtool.scoring.violations import count_violations

    history = as_history(lines)
    if not any(count_violations(history).values()):  # a clean run is not told (its answers are not replayed)
        return None
    explanation = explain(history)
    limit = max(limit, len({v.invariant for v in explanation.violations if v.race}))
    more = f"simtool explain {trace_path} tells them all" if trace_path else "run with --trace FILE, then simtool explain FILE"
    return explanation.text(violations_only=True, limit=limit, more=more)
