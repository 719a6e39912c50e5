"""Race hunting: invariants over traces, many-seed hunts grouped by signature, shrinking, repro lines."""

from simtool.hunting.hunt import FailureGroup, HuntReport, SeedOutcome, hunt, parse_seeds
from simtool.hunting.invariants import (
    ENTRY_POINT_GROUP,
    HUNT_INVARIANTS,
    check_trace,
    default_invariants,
    invariant,
    invariant_names,
    register_invariant,
)
from simtool.hunting.outcomes import InvariantSummary
from simtool.hunting.passes import defines_shrink_pass, shrink_passes, simplify_fault
from simtool.hunting.repro import repro_line
from simtool.hunting.shrink import ShrinkResult, shrink, shrink_trace
from simtool.hunting.signatures import signature
from simtool.hunting.size import world_size
from simtool.hunting.swarm import swarm_choice

__all__ = [
    "ENTRY_POINT_GROUP",
    "HUNT_INVARIANTS",
    "FailureGroup",
    "HuntReport",
    "InvariantSummary",
    "SeedOutcome",
    "ShrinkResult",
    "check_trace",
    "defines_shrink_pass",
    "shrink_passes",
    "simplify_fault",
    "default_invariants",
    "hunt",
    "invariant",
    "invariant_names",
    "parse_seeds",
    "register_invariant",
    "repro_line",
    "shrink",
    "shrink_trace",
    "signature",
    "swarm_choice",
    "world_size",
]
