"""The pace of a run: how slow its tools are against the agent's own thinking.

``latency_think_ratio`` = median tool latency / median think time, where a call's latency is
the sum of the legs drawn for it (request + service + response, as its ``issue`` event
records them; queueing for a limited service is not counted) and the think time is that of
every decision that thought (``think_ms > 0``). Below 1, most results are back before the
agent's next decision ends: the delays cannot change what it sees, and the run does not
measure asynchrony (docs/llm.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import median
from typing import Any

__all__ = ["latency_think_ratio", "median_latency_ms", "median_think_ms"]


def median_latency_ms(events: Iterable[Mapping[str, Any]]) -> float | None:
    """The median drawn latency of the run's calls (None: no call)."""
    spans = [e["req_ms"] + e["svc_ms"] + e["resp_ms"] for e in events if e["kind"] == "issue"]
    return float(median(spans)) if spans else None


def median_think_ms(events: Iterable[Mapping[str, Any]]) -> float | None:
    """The median think time of the decisions that thought (None: none did)."""
    thinks = [e["think_ms"] for e in events if e["kind"] == "decide" and e["think_ms"] > 0]
    return float(median(thinks)) if thinks else None


def latency_think_ratio(events: Iterable[Mapping[str, Any]]) -> float | None:
    """Median tool latency / median think time, rounded to 4 places (None: no call, or no thought)."""
    events = list(events)
    latency, think = median_latency_ms(events), median_think_ms(events)
    if latency is None or think is None:
        return None
    return round(latency / think, 4)
