"""A short run summary read off trace events (``simtool.events``): what ``simtool run`` prints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simtool.events import Event

__all__ = ["summarize"]


def summarize(events: Iterable[Event | Mapping[str, Any]]) -> dict[str, Any]:
    """Per-task status and sub-tasks passed, plus run totals."""
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
    return {"tasks": tasks, "totals": totals}
