"""What a hunt finds: per seed its failures, per group of seeds the race and its repro, per invariant a summary."""

from __future__ import annotations

from typing import Any

from attrs import frozen

__all__ = ["RUN_ERROR", "Failure", "SeedOutcome", "FailureGroup", "InvariantSummary", "HuntReport"]

RUN_ERROR = "run_error"  # the pseudo-invariant of a run that raised instead of finishing


@frozen
class Failure:
    """One invariant broken one way in one run."""

    invariant: str
    signature: str  # how: the tools and what happened to them (``simtool.hunting.signatures``)
    count: int
    why: str  # the first offence, in words
    tools: tuple[str, ...] = ()  # the tools of the calls involved, sorted


@frozen
class SeedOutcome:
    seed: int
    overrides: tuple[str, ...]
    calls: int
    lines: int
    end_reason: str
    failures: tuple[Failure, ...]

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def size(self) -> tuple[int, int, int]:
        """What "smallest failing run" compares: fewest calls, then fewest trace lines, then lowest seed."""
        return (self.calls, self.lines, self.seed)


@frozen
class FailureGroup:
    invariant: str
    signature: str  # the group's label: a signature (``--detail``) or the tools involved
    seeds: tuple[int, ...]
    smallest: SeedOutcome
    repro: str
    why: str
    ways: tuple[tuple[str, int], ...] = ()  # (signature, seeds showing it) inside the group
    kept: str | None = None  # the smallest run's trace, when the hunt keeps traces

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "signature": self.signature, "seeds": list(self.seeds),
                "smallest": {"seed": self.smallest.seed, "calls": self.smallest.calls, "lines": self.smallest.lines},
                "repro": self.repro, "why": self.why, "ways": [[sig, n] for sig, n in self.ways], "kept": self.kept}


@frozen
class InvariantSummary:
    """One row of the summary table: an invariant, its failing seeds, its smallest repro."""

    invariant: str
    seeds: tuple[int, ...]
    groups: int
    smallest: SeedOutcome
    repro: str

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "failing_seeds": list(self.seeds), "groups": self.groups,
                "smallest_seed": self.smallest.seed, "repro": self.repro}


@frozen
class HuntReport:
    world: str | None
    policy: str
    seeds: range
    invariants: tuple[str, ...]
    tie_shuffle: bool
    swarm: bool
    outcomes: tuple[SeedOutcome, ...]  # in seed order: every seed that ran (all of them unless interrupted)
    groups: tuple[FailureGroup, ...]
    detail: bool = False  # grouped by signature (else by invariant and tools)
    summary: tuple[InvariantSummary, ...] = ()
    interrupted: bool = False  # stopped before every seed ran (Ctrl-C): outcomes hold those that did
    keep_errors: tuple[str, ...] = ()  # traces that could not be kept, and why
    stopped: str | None = None  # why the hunt stopped early when it was not Ctrl-C (a worker died)

    @property
    def failed_seeds(self) -> tuple[int, ...]:
        return tuple(o.seed for o in self.outcomes if o.failed)

    def as_dict(self) -> dict[str, Any]:
        return {"world": self.world, "policy": self.policy, "seeds": [self.seeds.start, self.seeds.stop],
                "invariants": list(self.invariants), "tie_shuffle": self.tie_shuffle, "swarm": self.swarm,
                "runs": len(self.outcomes), "failed_seeds": list(self.failed_seeds), "detail": self.detail,
                "interrupted": self.interrupted, "summary": [s.as_dict() for s in self.summary],
                "groups": [g.as_dict() for g in self.groups], "keep_errors": list(self.keep_errors),
                "stopped": self.stopped}
