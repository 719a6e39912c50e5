"""Measure docs/metrics.md's efficiency table: mean coordination efficiency per policy.

Rows: the default world at seeds 0-19, and 30 instances of the default suite (every 24th of
712, built with seed 0 and written to a suite file, so instances load as ``simtool run
SUITE.jsonl#<id>`` loads them) at their saas profile, seeds 0-2. Also prints the highest
efficiency of any run (a correct policy never scores above 1).

Usage: python docs/examples/measure_efficiency.py [BFCL folder]   (default: $SIMTOOL_BFCL_DATA,
else ../shared/bfcl; a few minutes)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from statistics import mean

from simtool.config import load_world_source
from simtool.run import run, run_source
from simtool.scoring import score_trace, trace_from_lines
from worlds.suites import build_suite, read_suite, task_pool, write_suite

POLICIES = ("sequential", "interleave", "critical-path", "parallel")
DEFAULT_SEEDS = range(20)
SUITE_SEEDS = range(3)
EVERY = 24


def efficiency(lines: list[str]) -> float:
    """The coordination efficiency of one run's trace lines."""
    return score_trace(trace_from_lines(lines))["coordination_efficiency"]


def main(bfcl: str) -> None:
    highest = 0.0
    rows = []
    default = {p: [efficiency(run_source(None, p, s).lines) for s in DEFAULT_SEEDS] for p in POLICIES}
    rows.append(("default", "0-19", default))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "suite.jsonl"
        write_suite(build_suite(task_pool(bfcl), 712, seed=0), path)
        ids = [instance["id"] for instance in read_suite(path)][::EVERY]
        suite = {p: [] for p in POLICIES}
        for instance_id in ids:
            world, _ = load_world_source(f"{path}#{instance_id}")
            for p in POLICIES:
                suite[p] += [efficiency(run({"world": world, "policy": {"name": p}}, s).lines) for s in SUITE_SEEDS]
    rows.append((f"{len(ids)} suite instances (every {EVERY}th) @saas", "0-2", suite))
    print("| world | seeds | " + " | ".join(POLICIES) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in POLICIES) + " |")
    for name, seeds, values in rows:
        print(f"| {name} | {seeds} | " + " | ".join(f"{mean(values[p]):.4f}" for p in POLICIES) + " |")
        highest = max(highest, *(max(v) for v in values.values()))
    print(f"highest efficiency of any run: {highest:.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SIMTOOL_BFCL_DATA", str(Path(__file__).resolve().parents[2].parent / "shared" / "bfcl")))
