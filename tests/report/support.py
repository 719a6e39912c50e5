"""Traces for the report and plot tests: a race, a clean run, the default world's faults, hostile
labels, a declared outage, and a trace cut short with calls still in flight."""

from __future__ import annotations

from pathlib import Path

import yaml

from simtool.run import run, run_source
from tests.sweeps.helpers import RACE_WORLD

HOSTILE_TASK = "<img src=x onerror=\"document.title='pwned'\">"
MATHTEXT_TASK = "$\\undefined{$"
HOSTILE_WORLD = "</script><script>document.title='pwned'</script>"


def race_world() -> dict:
    return yaml.safe_load(RACE_WORLD)


def write_lines(path: Path, lines) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def race_trace(folder: Path, policy: str = "eager", seed: int = 3) -> Path:
    """The race world: eager seed 3 overtakes in both tasks (four violations)."""
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
    return write_lines(folder / "hostile.jsonl", run({"world": world, "policy": {"name": "eager"}}, 3).lines)


def outage_trace(folder: Path) -> Path:
    """A declared outage window (world ``services``) that refuses a call, and a scheduled revocation."""
    world = race_world()
    world["services"] = {"TicketAPI": {"outages": [{"start_ms": 50, "end_ms": 120}]}}
    world["faults"] = [{"at_ms": 200, "kind": "revoke", "scope": "ticketing.write", "task": "outage"}]
    return write_lines(folder / "outage.jsonl", run({"world": world, "policy": {"name": "eager"}}, 3).lines)


def cut_trace(folder: Path) -> Path:
    """The race trace cut before any delivery: no footer, every issued call still in flight."""
    lines = run({"world": race_world(), "policy": {"name": "eager"}}, 3).lines
    first_deliver = next(i for i, line in enumerate(lines) if '"kind":"deliver"' in line)
    return write_lines(folder / "cut.jsonl", lines[:first_deliver])
