"""How big a run config is: the measure a shrink must make strictly smaller at every step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simtool.latency import LEGS

__all__ = ["world_size", "constant_ms", "leg_slots", "think_of"]


def constant_ms(spec: Any) -> float | None:
    """The ms of a constant latency spec (a number or ``{dist: constant}``), else None."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return float(spec)
    if isinstance(spec, Mapping) and spec.get("dist") == "constant" and isinstance(spec.get("ms"), (int, float)):
        return float(spec["ms"])
    return None


def leg_slots(latency: Mapping[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    """(path in the latency spec, spec) of every leg: default, per service, per tool."""
    out = []
    for leg in LEGS:
        if leg in (latency.get("default") or {}):
            out.append((("default", leg), latency["default"][leg]))
    for service, sspec in sorted((latency.get("services") or {}).items()):
        for leg in LEGS:
            if leg in sspec:
                out.append((("services", service, leg), sspec[leg]))
        for tool, tspec in sorted((sspec.get("tools") or {}).items()):
            for leg in LEGS:
                if leg in tspec:
                    out.append((("services", service, "tools", tool, leg), tspec[leg]))
    return out


def think_of(config: Mapping[str, Any]) -> tuple[bool, Any]:
    """(whether the policy section sets ``think``, its value)."""
    policy = config.get("policy") or {}
    return ("think" in policy, policy.get("think"))


def world_size(config: Mapping[str, Any]) -> int:
    """How big a run config is: tasks, turns, gold calls, faults, limits, sampled latencies, distinct values.

    A sampled (non-constant) latency counts 2, each distinct non-zero constant 1, so turning a
    distribution into one constant, or two constants into one, makes the world smaller.
    """
    world = config["world"]
    size = 0
    for task in world.get("tasks") or []:
        size += 1
        for turn in task.get("turns") or []:
            size += 1 + len(turn.get("gold") or [])
    for fault in world.get("faults") or []:
        size += 1 + len(fault.get("gold") or [])
    for proc in world.get("fault_processes") or []:
        size += 1 + len(proc.get("choices") or [])
    for limits in (world.get("services") or {}).values():
        size += max(1, len(limits or {}))
    specs = [spec for _, spec in leg_slots(world.get("latency") or {})]
    has_think, think = think_of(config)
    if has_think:
        specs.append(think)
    constants = {c for c in (constant_ms(s) for s in specs) if c is not None}
    size += 2 * sum(1 for s in specs if constant_ms(s) is None)
    size += len(constants - {0.0})
    size += int(bool(world.get("tie_shuffle")))
    return size
