"""Reference traces: the runs whose bytes pin the engine's behaviour across refactors.

Every shipped world and example under every scripted policy, several seeds, tie-shuffle off
and on, every enforcement mode on the fault-heavy worlds, and a sample of suite instances
(built from the BFCL corpus when it is present). ``pins.json`` holds the sha256 of each
trace; ``python -m tests.reference.pin`` rewrites it (only when a change of behaviour is
intended: say so in the commit) and ``--dump DIR`` writes the full traces for diffing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attrs import frozen

from simtool.config import run_config
from simtool.run import run

ROOT = Path(__file__).resolve().parents[2]
PINS = Path(__file__).with_name("pins.json")

POLICIES = ("sequential", "interleave", "critical-path", "eager", "unbound", "oblivious")
WORLDS = (
    "default",
    "ticketing-demo",
    "docs/examples/desk.yaml",
    "docs/examples/race.yaml",
    "tests/hunting/worlds/races.yaml",
    "tests/scoring/worlds/amended-request.yaml",
    "tests/scoring/worlds/cancelled-during-outage.yaml",
    "tests/scoring/worlds/crossed-replies.yaml",
    "tests/scoring/worlds/eager-race.yaml",
    "tests/scoring/worlds/mixed-domains.yaml",
    "tests/scoring/worlds/revoked-read.yaml",
    "tests/scoring/worlds/three-desks.yaml",
)
SEEDS = (0, 1, 7)
ENFORCEMENT_WORLDS = ("default", "docs/examples/race.yaml", "tests/hunting/worlds/races.yaml",
                      "tests/scoring/worlds/revoked-read.yaml")
ENFORCEMENT = ("issue", "execution", "delivery", "none")
SUITE_INSTANCES = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 711)
SUITE_PROFILES = ("saas", "ci-queue")
SUITE_POLICIES = ("sequential", "interleave", "critical-path", "eager")


@frozen
class Case:
    """One pinned run: a world source (or a suite instance index), a policy, a seed, overrides."""

    key: str
    world: str | None
    policy: str
    seed: int
    overrides: tuple[str, ...] = ()
    suite_index: int | None = None
    profile: str | None = None


def cases(with_suite: bool) -> Iterator[Case]:
    """Every reference case, in a fixed order."""
    for world in WORLDS:
        for policy in POLICIES:
            for seed in SEEDS:
                for shuffle in (False, True):
                    over = ("world.tie_shuffle=true",) if shuffle else ()
                    yield Case(f"{world}|{policy}|{seed}|shuffle={shuffle}", world, policy, seed, over)
    for world in ENFORCEMENT_WORLDS:
        for mode in ENFORCEMENT:
            for policy in POLICIES:
                for seed in (0, 3):
                    yield Case(f"{world}|{policy}|{seed}|enforcement={mode}", world, policy, seed,
                               (f"world.enforcement={mode}",))
    if with_suite:
        for index in SUITE_INSTANCES:
            for profile in SUITE_PROFILES:
                for policy in SUITE_POLICIES:
                    yield Case(f"suite#{index}@{profile}|{policy}|0", None, policy, 0, (), index, profile)


_suite: list[dict[str, Any]] | None = None


def _suite_world(index: int, profile: str, bfcl: Path) -> dict[str, Any]:
    global _suite
    from worlds.suites import build_suite, instance_world, task_pool

    if _suite is None:
        _suite = build_suite(task_pool(bfcl), n=712, seed=0)
    return instance_world(_suite[index], profile)


def trace_bytes(case: Case, bfcl: Path | None) -> bytes:
    """The full trace of one case, as bytes."""
    if case.suite_index is not None:
        assert bfcl is not None and case.profile is not None
        config = {"world": _suite_world(case.suite_index, case.profile, bfcl), "policy": {"name": case.policy}}
        result = run(config, case.seed)
    else:
        world = case.world if case.world in ("default", "ticketing-demo") else str(ROOT / str(case.world))
        config, where = run_config(world, case.policy, case.overrides)
        result = run(config, case.seed, where=where)
    return "".join(line + "\n" for line in result.lines).encode("utf-8")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
