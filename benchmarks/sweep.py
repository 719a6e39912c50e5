"""Sweep throughput, memory and the full-suite run, each through the real command (`simtool sweep`).

1. cells per second with 1 worker (in process) and 2 worker processes, on the same grid
   (the first 100 suite instances x 4 scripted policies, one seed: 400 cells);
2. peak RSS of the sweep process for two grid sizes (docs/examples/race.yaml, 500 and 4000
   cells, 1 worker so that every cell runs in the measured process): flat when rows stream
   to the store and no trace outlives its cell;
3. the whole 712-instance suite under four scripted policies (sequential, interleave,
   critical-path, eager) at one latency profile, on 2 workers: wall time (goal: < 60 s).

The suite is built first (`worlds.suites`, seed 0, profile saas) from the BFCL corpus
(`../shared/bfcl` or $SIMTOOL_BFCL_DATA) plus the authored tasks, or from the authored tasks
alone when the corpus is missing (said in the output). Times are wall clock and include the
command's start-up (imports, worker start), as a user would see them.

Usage: python benchmarks/sweep.py [--suite SUITE.jsonl] [--profile saas] [--skip-suite]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICIES = "[sequential, interleave, critical-path, eager]"
SMALL_WORLD = ROOT / "docs" / "examples" / "race.yaml"


def build_suite(folder: Path, profile: str) -> tuple[Path, str]:
    from worlds.suites import build_suite as build
    from worlds.suites import task_pool, write_suite

    corpus = Path(os.environ.get("SIMTOOL_BFCL_DATA") or ROOT.parent / "shared" / "bfcl")
    has_corpus = (corpus / "BFCL_v4_multi_turn_base.json").exists()
    pool = task_pool(corpus if has_corpus else None)
    path = folder / "suite.jsonl"
    write_suite(build(pool, n=712, seed=0, profile=profile), path)
    return path, f"{len(pool)} pool tasks ({'BFCL corpus + authored' if has_corpus else 'authored only: no BFCL corpus found'})"


def sweep(spec: Path, out: Path, workers: int) -> tuple[float, int, int]:
    """Run ``simtool sweep`` as a child; (wall seconds, peak RSS of the sweep process in MiB, rows)."""
    command = [sys.executable, "-m", "simtool", "sweep", str(spec), "--out", str(out), "--workers", str(workers), "--quiet"]
    start = time.perf_counter()  # deterministic: benchmark timing, never reaches a row
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start  # deterministic: benchmark timing
    stdout, stderr = child.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sweep failed: {' '.join(command)}\n{stderr.decode()[-2000:]}")
    rows = sum(1 for _ in (out / "results.jsonl").open())
    return elapsed, usage.ru_maxrss // 1024, rows


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, help="an existing suite file (default: build one)")
    parser.add_argument("--profile", default="saas", help="latency profile of the suite")
    parser.add_argument("--skip-suite", action="store_true", help="skip the 712-instance run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simtool-bench-") as tmp:
        folder = Path(tmp)
        if args.suite:
            suite, origin = args.suite.resolve(), str(args.suite)
        else:
            suite, origin = build_suite(folder, args.profile)
        from simtool.sweeps.spec import suite_instance_ids

        ids = suite_instance_ids(suite)
        print(f"suite: {len(ids)} instances, {origin}; cores available: {len(os.sched_getaffinity(0))}")

        first = ", ".join(f"'{suite}#{i}'" for i in ids[:100])
        grid = write(folder, "throughput.yaml", f"name: throughput\nworlds: [{first}]\npolicies: {POLICIES}\nseeds: 1\n")
        for workers in (1, 2):
            seconds, _, rows = sweep(grid, folder / f"throughput-{workers}", workers)
            print(f"throughput, {workers} worker(s): {rows} cells in {seconds:5.1f} s = {rows / seconds:6.1f} cells/s")

        for seeds in (125, 1000):
            spec = write(folder, f"memory-{seeds}.yaml", f"name: memory\nworlds: ['{SMALL_WORLD}']\npolicies: {POLICIES}\nseeds: {seeds}\n")
            seconds, rss, rows = sweep(spec, folder / f"memory-{seeds}", 1)
            print(f"memory, {rows:5d} cells on 1 worker: peak RSS {rss} MiB ({rows / seconds:.0f} cells/s)")

        if not args.skip_suite:
            spec = write(folder, "suite.yaml", f"name: suite\nworlds: ['{suite}#*']\npolicies: {POLICIES}\nseeds: 1\n")
            seconds, rss, rows = sweep(spec, folder / "suite", 2)
            failed = sum(1 for line in (folder / "suite" / "results.jsonl").open() if '"status":"failed"' in line)
            print(f"suite: {rows} cells ({len(ids)} instances x 4 policies, profile {args.profile}) on 2 workers "
                  f"in {seconds:.1f} s = {rows / seconds:.1f} cells/s, {failed} failed, sweep process peak RSS {rss} MiB")


if __name__ == "__main__":
    main()
