"""Swarm testing: each seed runs with its own seeded subset of the world's fault kinds.

Some races hide when every fault is on (one fault masks another: a cancelled task cannot leak).
Per seed, each fault kind present in the world (scheduled ``faults`` and ``fault_processes``)
stays on with probability 1/2, drawn from the named stream ``hunt/swarm`` of that seed. The
choice is applied as ``--set`` overrides, which a repro line carries verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from simtool.hunting.repro import override
from simtool.rng import stream

__all__ = ["SwarmChoice", "fault_kinds", "swarm_choice"]


@frozen
class SwarmChoice:
    enabled: tuple[str, ...]  # fault kinds left on
    disabled: tuple[str, ...]
    overrides: tuple[str, ...]


def _kind(spec: Any) -> str | None:
    return spec.get("kind") if isinstance(spec, Mapping) and isinstance(spec.get("kind"), str) else None


def fault_kinds(world: Mapping[str, Any]) -> tuple[str, ...]:
    """The fault kinds a world's scheduled faults and fault processes use, sorted."""
    kinds = {_kind(f) for f in (world.get("faults") or [])} | {_kind(p) for p in (world.get("fault_processes") or [])}
    return tuple(sorted(k for k in kinds if k is not None))


def swarm_choice(world: Mapping[str, Any], seed: int) -> SwarmChoice:
    """The fault kinds seed ``seed`` keeps on, and the overrides that switch the others off."""
    kinds = fault_kinds(world)
    rng = stream(seed, "hunt", "swarm")
    draws = rng.random(len(kinds)) if kinds else []
    enabled = tuple(k for k, u in zip(kinds, draws) if u < 0.5)
    disabled = tuple(k for k in kinds if k not in enabled)
    overrides = []
    for key in ("faults", "fault_processes"):
        items = list(world.get(key) or [])
        kept = [item for item in items if _kind(item) not in disabled]
        if len(kept) != len(items):
            overrides.append(override(f"world.{key}", kept))
    return SwarmChoice(enabled, disabled, tuple(overrides))
