"""``simtool hunt``: run a policy on many seeds, check invariants, group the failures, print repros.

Every seed is one deterministic run of the same world and policy (with ``tie_shuffle`` and a
swarm subset of fault kinds when asked). Failures are grouped by (invariant, signature); for
each group the smallest failing run (fewest calls, then fewest trace lines, then lowest seed)
gives the repro line: the exact ``simtool run`` command that replays it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from simtool.config import apply_overrides, run_config
from simtool.errors import SpecError
from simtool.hunting.invariants import Check, check_trace, default_invariants, invariant
from simtool.hunting.pool import map_jobs
from simtool.hunting.repro import repro_line
from simtool.hunting.signatures import signature
from simtool.hunting.swarm import swarm_choice
from simtool.run import resolve, run
from simtool.scoring.history import history_of, trace_from_lines

__all__ = [
    "RUN_ERROR",
    "SeedJob",
    "Failure",
    "SeedOutcome",
    "FailureGroup",
    "HuntReport",
    "parse_seeds",
    "run_seed",
    "hunt",
]

RUN_ERROR = "run_error"  # the pseudo-invariant of a run that raised instead of finishing


def parse_seeds(text: str) -> range:
    """``A:B`` (A included, B not, as in a Python slice) or a single seed ``S``."""
    try:
        if ":" in text:
            a, b = text.split(":", 1)
            seeds = range(int(a), int(b))
        else:
            seeds = range(int(text), int(text) + 1)
    except ValueError:
        raise SpecError("seeds must be a range", key="--seeds", expected="A:B (A included, B excluded) or S", found=text) from None
    if seeds.start < 0 or len(seeds) == 0:
        raise SpecError("the seed range is empty or negative", key="--seeds", expected="0 <= A < B", found=text)
    return seeds


@frozen
class SeedJob:
    config: Mapping[str, Any]
    seed: int
    overrides: tuple[str, ...]  # what this seed adds to the hunt's own overrides (tie shuffle, swarm)
    invariants: tuple[str, ...]
    checks: Mapping[str, Check]


@frozen
class Failure:
    """One invariant broken one way in one run."""

    invariant: str
    signature: str
    count: int
    why: str  # the first offence, in words


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


def run_seed(job: SeedJob) -> SeedOutcome:
    """One run and its invariant checks (a worker's unit of work)."""
    try:
        result = run(job.config, job.seed)
    except Exception as exc:  # a crash is a finding too: report it, do not stop the hunt
        text = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return SeedOutcome(job.seed, job.overrides, 0, 0, "error", (Failure(RUN_ERROR, text, 1, text),))
    h = history_of(trace_from_lines(result.lines))
    found = check_trace(h, job.invariants, job.checks)
    failures = []
    for name in job.invariants:
        groups: dict[str, list[Any]] = {}
        for offence in found[name]:
            groups.setdefault(signature(h, offence), []).append(offence)
        for sig in sorted(groups):
            failures.append(Failure(name, sig, len(groups[sig]), groups[sig][0].why))
    return SeedOutcome(job.seed, job.overrides, len(h.calls), len(result.lines), result.end_reason, tuple(failures))


@frozen
class FailureGroup:
    invariant: str
    signature: str
    seeds: tuple[int, ...]
    smallest: SeedOutcome
    repro: str
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "signature": self.signature, "seeds": list(self.seeds),
                "smallest": {"seed": self.smallest.seed, "calls": self.smallest.calls, "lines": self.smallest.lines},
                "repro": self.repro, "why": self.why}


@frozen
class HuntReport:
    world: str | None
    policy: str
    seeds: range
    invariants: tuple[str, ...]
    tie_shuffle: bool
    swarm: bool
    outcomes: tuple[SeedOutcome, ...]
    groups: tuple[FailureGroup, ...]

    @property
    def failed_seeds(self) -> tuple[int, ...]:
        return tuple(o.seed for o in self.outcomes if o.failed)

    def as_dict(self) -> dict[str, Any]:
        return {"world": self.world, "policy": self.policy, "seeds": [self.seeds.start, self.seeds.stop],
                "invariants": list(self.invariants), "tie_shuffle": self.tie_shuffle, "swarm": self.swarm,
                "runs": len(self.outcomes), "failed_seeds": list(self.failed_seeds),
                "groups": [g.as_dict() for g in self.groups]}


def _group(outcomes: Sequence[SeedOutcome], order: Sequence[str], world: str | None, policy: str,
           overrides: Sequence[str]) -> tuple[FailureGroup, ...]:
    members: dict[tuple[str, str], list[tuple[SeedOutcome, Failure]]] = {}
    for outcome in outcomes:
        for f in outcome.failures:
            members.setdefault((f.invariant, f.signature), []).append((outcome, f))
    rank = {name: i for i, name in enumerate([RUN_ERROR, *order])}
    groups = []
    for (name, sig), hits in sorted(members.items(), key=lambda kv: (rank.get(kv[0][0], len(rank)), kv[0][1])):
        smallest, failure = min(hits, key=lambda h: (h[0].calls, h[0].lines, h[0].seed))
        line = repro_line(world, policy, smallest.seed, [*overrides, *smallest.overrides])
        groups.append(FailureGroup(name, sig, tuple(o.seed for o, _ in hits), smallest, line, failure.why))
    return tuple(groups)


def hunt(world: str | None, policy: str | None, seeds: range, *, tie_shuffle: bool = False, swarm: bool = False,
         invariants: Sequence[str] = (), overrides: Sequence[str] = (), workers: int = 1,
         scheduler: str | None = None) -> HuntReport:
    """Run ``policy`` on ``world`` for every seed; group failing seeds by invariant and signature."""
    base, where = run_config(world, policy, overrides)
    resolve(base, where)  # a bad world or policy fails here, naming its file and key, not in a worker
    names = tuple(invariants) or default_invariants()
    checks = {name: invariant(name) for name in names}
    policy_name = str(base["policy"]["name"])
    jobs = []
    for seed in seeds:
        extra = ["world.tie_shuffle=true"] if tie_shuffle else []
        if swarm:
            extra += swarm_choice(base["world"], seed).overrides
        config = apply_overrides(base, extra) if extra else base
        jobs.append(SeedJob(config, seed, tuple(extra), names, checks))
    outcomes = tuple(map_jobs(run_seed, jobs, workers=workers, scheduler=scheduler))
    groups = _group(outcomes, names, world, policy_name, overrides)
    return HuntReport(world, policy_name, seeds, names, tie_shuffle, swarm, outcomes, groups)
