"""Traces for the report and plot tests: a race, a clean run, the default world's faults, hostile
labels, a declared outage, and a trace cut short with calls still in flight."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from simtool.plots.layout import call_state, timeline_layout
from simtool.run import run, run_source
from simtool.scoring import history_of, trace_from_lines, violations
from tests.sweeps.helpers import RACE_WORLD

HOSTILE_TASK = "<img src=x onerror=\"document.title='pwned'\">"
MATHTEXT_TASK = "$\\undefined{$"
HOSTILE_WORLD = "</script><script>document.title='pwned'</script>"


def race_world() -> dict:
    return yaml.safe_load(RACE_WORLD)


def write_lines(path: Path, lines) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


SEARCHED = range(60)  # seeds searched for the runs the tests need (found, not picked by hand)


def _eager_history(world: dict, seed: int):
    return history_of(trace_from_lines(run({"world": world, "policy": {"name": "eager"}}, seed).lines))


@functools.cache
def race_seed() -> int:
    """The first seed on which eager overtakes in both tasks of the race world (four violations:
    an overlap and an out-of-order execution in each task)."""
    for seed in SEARCHED:
        if len({v.task for v in violations.out_of_order_execution(_eager_history(race_world(), seed))}) == 2:
            return seed
    raise AssertionError(f"no seed in {SEARCHED} overtakes in both tasks of the race world")


@functools.cache
def outage_seed() -> int:
    """The first seed on which the outage world's declared outage refuses one of eager's calls (and
    the refusal is how the call ends: eager does not cancel it after the revocation), in a run that
    lasts between about half and three quarters of the race run: the race run's first zoom (its
    middle half), linked, then moves inside this shorter run (the report's linked-zoom test)."""
    race_span = timeline_layout(_eager_history(race_world(), race_seed())).span
    for seed in SEARCHED:
        history = _eager_history(outage_world(), seed)
        if not 0.55 * race_span < timeline_layout(history).span < 0.7 * race_span:
            continue
        if any((c.refuse or {}).get("reason") == "outage" and call_state(c) == "refused" for c in history.calls.values()):
            return seed
    raise AssertionError(f"no seed in {SEARCHED} has a call refused by the outage")


def race_trace(folder: Path, policy: str = "eager", seed: int | None = None) -> Path:
    """The race world: eager on :func:`race_seed` overtakes in both tasks (four violations)."""
    seed = race_seed() if seed is None else seed
    return write_lines(folder / f"race-{policy}-{seed}.jsonl", run({"world": race_world(), "policy": {"name": policy}}, seed).lines)


def default_trace(folder: Path, policy: str = "oblivious", seed: int = 7) -> Path:
    """The default world: an amendment, a revocation and a cancelled task."""
    return write_lines(folder / f"default-{policy}-{seed}.jsonl", run_source(None, policy, seed).lines)


def hostile_trace(folder: Path) -> Path:
    """Task ids and a world name that are markup, a script end and mathtext."""
    world = race_world()
    world["name"] = HOSTILE_WORLD
    world["tasks"][0]["id"] = HOSTILE_TASK
    world["tasks"][1]["id"] = MATHTEXT_TASK
    return write_lines(folder / "hostile.jsonl", run({"world": world, "policy": {"name": "eager"}}, race_seed()).lines)


def outage_world() -> dict:
    """The race world with a declared outage window (world ``services``) and a scheduled revocation."""
    world = race_world()
    world["services"] = {"TicketAPI": {"outages": [{"start_ms": 50, "end_ms": 120}]}}
    world["faults"] = [{"at_ms": 200, "kind": "revoke", "scope": "ticketing.write", "task": "outage"}]
    return world


def outage_trace(folder: Path) -> Path:
    """A declared outage window that refuses a call (:func:`outage_seed`), and a scheduled revocation."""
    return write_lines(folder / "outage.jsonl", run({"world": outage_world(), "policy": {"name": "eager"}}, outage_seed()).lines)


def cut_trace(folder: Path) -> Path:
    """The race trace cut before any delivery: no footer, every issued call still in flight."""
    lines = run({"world": race_world(), "policy": {"name": "eager"}}, race_seed()).lines
    first_deliver = next(i for i, line in enumerate(lines) if '"kind":"deliver"' in line)
    return write_lines(folder / "cut.jsonl", lines[:first_deliver])
