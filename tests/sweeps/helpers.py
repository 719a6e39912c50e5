"""A small world with a real race (docs/examples/race.yaml), and sweep specs over it, for the sweep and plot tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RACE_WORLD = (ROOT / "docs" / "examples" / "race.yaml").read_text(encoding="utf-8")

LATENCY_SPEC = """\
name: race-latency
worlds: [race.yaml]
policies: [sequential, interleave, eager]
seeds: {seeds}
grid:
  world.latency.scale: [0, 0.5, 1, 2]
"""


def write_race_world(folder: Path) -> Path:
    path = folder / "race.yaml"
    path.write_text(RACE_WORLD, encoding="utf-8")
    return path


def write_spec(folder: Path, text: str, name: str = "sweep.yaml") -> Path:
    """A spec file beside the race world (its relative paths resolve there)."""
    write_race_world(folder)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
