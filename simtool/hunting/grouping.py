"""Grouping a hunt's failing seeds: by invariant and tools (default) or by signature (``--detail``).

A signature names the tools involved and how (``close_ticket executed before earlier
create_ticket``); the default grouping is coarser, one group per invariant and set of tools,
and lists the signatures inside it (``ways``). Either way a group's repro is its smallest
failing run (fewest calls, then fewest trace lines, then lowest seed), and groups come in
the order of the hunt's invariants (``run_error`` first), then by label.
"""

from __future__ import annotations

from collections.abc import Sequence

from simtool.hunting.outcomes import RUN_ERROR, Failure, FailureGroup, InvariantSummary, SeedOutcome
from simtool.hunting.repro import repro_line

__all__ = ["group_failures", "summarize_invariants", "group_label"]


def group_label(failure: Failure, *, detail: bool) -> str:
    """What a failure is grouped under: its signature, or the tools it involves (its signature when none)."""
    if detail or not failure.tools:
        return failure.signature
    return "tools " + ", ".join(failure.tools)


def group_failures(outcomes: Sequence[SeedOutcome], order: Sequence[str], world: str | None, policy: str,
                   overrides: Sequence[str], *, detail: bool = False) -> tuple[FailureGroup, ...]:
    """The failure groups of ``outcomes`` (in seed order), ranked by ``order`` of invariants."""
    members: dict[tuple[str, str], list[tuple[SeedOutcome, Failure]]] = {}
    for outcome in outcomes:
        for f in outcome.failures:
            members.setdefault((f.invariant, group_label(f, detail=detail)), []).append((outcome, f))
    rank = {name: i for i, name in enumerate([RUN_ERROR, *order])}
    groups = []
    for (name, label), hits in sorted(members.items(), key=lambda kv: (rank.get(kv[0][0], len(rank)), kv[0][1])):
        smallest, failure = min(hits, key=lambda h: h[0].size)
        line = repro_line(world, policy, smallest.seed, [*overrides, *smallest.overrides])
        seeds = tuple(dict.fromkeys(o.seed for o, _ in hits))
        ways: dict[str, set[int]] = {}
        for o, f in hits:
            ways.setdefault(f.signature, set()).add(o.seed)
        groups.append(FailureGroup(name, label, seeds, smallest, line, failure.why,
                                   tuple((sig, len(ways[sig])) for sig in sorted(ways))))
    return tuple(groups)


def summarize_invariants(groups: Sequence[FailureGroup]) -> tuple[InvariantSummary, ...]:
    """One row per failing invariant (in the groups' order): its failing seeds, groups and smallest repro."""
    rows: dict[str, list[FailureGroup]] = {}
    for g in groups:
        rows.setdefault(g.invariant, []).append(g)
    out = []
    for name, members in rows.items():
        seeds = tuple(sorted({s for g in members for s in g.seeds}))
        best = min(members, key=lambda g: g.smallest.size)
        out.append(InvariantSummary(name, seeds, len(members), best.smallest, best.repro))
    return tuple(out)
