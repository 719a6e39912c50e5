"""Test-only plugins, declared as entry points of a throwaway distribution (see ``support.plugin_dir``)."""

from __future__ import annotations

import os
from typing import Any

import attrs

from policies.scripted import Interleave
from simtool.policy import Decision, Observation


class UrandomThink(Interleave):
    """Interleave, but its think time comes from ``os.urandom``: deliberately not deterministic."""

    name = "urandom-think"

    def decide(self, obs: Observation) -> Decision:
        decision = super().decide(obs)
        if not decision.actions:
            return decision
        return attrs.evolve(decision, think_ms=int.from_bytes(os.urandom(2), "little"))


def closes_a_ticket(history: Any) -> list[Any]:
    """A user's own invariant: no ticket may ever be closed (returns the offending events)."""
    return [e for e in history.events if e["kind"] == "execute" and e["tool"] == "close_ticket"]


def kills_its_worker(history: Any) -> list[Any]:
    """A broken plug-in: it ends the worker process that runs it after seed 3."""
    if history.seed > 3:
        os._exit(3)
    return []
