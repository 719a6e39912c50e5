"""The service gate: what stands between a call's arrival and its execution.

A service may have a capacity (a SimPy ``Resource``: calls queue for a slot), a rate limit
(a sliding window: a call over the limit is refused with ``retry_after_ms``) and outage windows
(calls arriving in one are refused with ``retry_after_ms`` until it ends). Faults add outages
and override rate limits while the run goes on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import simpy

from simtool.world import ServiceLimits

__all__ = ["ServiceGate"]


class ServiceGate:
    """Capacity slots, rate windows and outages of a run's services."""

    def __init__(self, limits: Mapping[str, ServiceLimits], clock: simpy.Environment) -> None:
        self._limits = limits
        self._slots: dict[str, simpy.Resource] = {
            name: simpy.Resource(clock, capacity=lim.capacity) for name, lim in limits.items() if lim.capacity
        }
        self._rate_window: dict[str, deque[int]] = {}
        self._rate_override: dict[str, tuple[int, int, int]] = {}  # service -> (calls, per_ms, until)
        self._outages: dict[str, list[tuple[int, int]]] = {name: list(lim.outages) for name, lim in limits.items()}

    def slots(self, service: str) -> simpy.Resource | None:
        """The service's capacity (None: unlimited)."""
        return self._slots.get(service)

    def refusal(self, service: str, now: int) -> tuple[str, dict[str, Any]] | None:
        """Why a call arriving now is refused (reason, result), or None when it may go on (and
        then it counts against the rate limit)."""
        for start, end in self._outages.get(service, ()):
            if start <= now < end:
                return "outage", {"error": f"{service} unavailable", "retry_after_ms": end - now}
        if service in self._limits or service in self._rate_override:  # else no rate limit applies
            wait = self._rate_limited(service, now)
            if wait is not None:
                return "rate_limited", {"error": f"{service} rate limited", "retry_after_ms": wait}
        return None

    def add_outage(self, service: str, start: int, end: int) -> None:
        self._outages.setdefault(service, []).append((start, end))

    def limit_rate(self, service: str, calls: int, per_ms: int, until: int) -> None:
        """Override the service's rate limit until ``until`` ms."""
        self._rate_override[service] = (calls, per_ms, until)

    def _rate_limited(self, service: str, now: int) -> int | None:
        """ms until the service takes another call, or None when it takes this one (and counts it)."""
        limit = self._limits.get(service)
        calls, per = (limit.rate_calls, limit.rate_per_ms) if limit else (None, None)
        override = self._rate_override.get(service)
        if override and now < override[2]:
            calls, per = override[0], override[1]
        if not calls or not per:
            return None
        window = self._rate_window.setdefault(service, deque())
        while window and window[0] <= now - per:
            window.popleft()
        if len(window) >= calls:
            return window[0] + per - now
        window.append(now)
        return None
