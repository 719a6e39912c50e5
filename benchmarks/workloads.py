"""What users run, timed: a hunt, suite cells, scoring a large trace, against the machine's floor.

Each workload runs in its own child process (same interpreter, same ``PYTHONPATH``), one after
the other on the same machine:

1. ``hunt``: ``simtool.hunting.hunt`` on the default world, 400 seeds, 1 worker: seeds per CPU-second;
2. ``cells``: 400 suite cells (the first 100 instances of a suite x sequential, interleave,
   critical-path, eager; seed 0), each as a sweep runs it: load the world source
   ``SUITE.jsonl#id``, run, score the trace from its lines: CPU ms per cell;
3. ``score``: ``simtool.scoring.score_trace`` of a trace of about 100k lines (100 tasks x 250
   chained calls, written once by the parent): seconds and peak RSS (and its growth over the
   process's RSS before scoring, as a multiple of the trace's size);
4. ``floor``: ``benchmarks/engine.py``'s floor (the bare contract of a call, plain SimPy and
   orjson): calls per second, the yardstick of the machine.

Every figure is also printed as a ratio to the floor's calls per second, so that figures
from two machines (or two sittings of a loaded machine) can be compared. To compare two
versions, run this file from either checkout with ``PYTHONPATH`` naming the version to
measure (the workloads only use APIs both have), e.g.
``PYTHONPATH=/path/to/old python benchmarks/workloads.py --suite S.jsonl --trace T.jsonl``.

Usage: python benchmarks/workloads.py [--only hunt,cells,score,floor] [--seeds 400] [--cells 400]
       [--suite SUITE.jsonl] [--trace TRACE.jsonl] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLICIES = ("sequential", "interleave", "critical-path", "eager")
TASKS, CALLS = 100, 250  # the scored trace: about 4 lines a call, 100k lines


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _current_rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def work_hunt(args: argparse.Namespace) -> dict:
    from simtool.hunting.hunt import hunt

    hunt(None, "interleave", range(5))  # imports and caches, as a second hunt in a session has them
    start = time.process_time()  # deterministic: benchmark timing, never reaches a trace
    hunt(None, "interleave", range(args.seeds))
    cpu = time.process_time() - start  # deterministic: benchmark timing
    return {"seeds": args.seeds, "cpu_s": cpu, "seeds_per_cpu_s": args.seeds / cpu}


def work_cells(args: argparse.Namespace) -> dict:
    from simtool.config import run_config
    from simtool.run import run
    from simtool.scoring import score_trace, trace_from_lines

    ids = [json.loads(line)["id"] for line in Path(args.suite).read_text().splitlines() if line.strip()]
    cells = [(i, p) for i in ids for p in POLICIES][: args.cells]
    start = time.process_time()  # deterministic: benchmark timing, never reaches a trace
    for instance, policy in cells:
        config, where = run_config(f"{args.suite}#{instance}", policy)
        result = run(config, 0, where=where)
        score_trace(trace_from_lines(result.lines))
    cpu = time.process_time() - start  # deterministic: benchmark timing
    return {"cells": len(cells), "cpu_s": cpu, "cpu_ms_per_cell": 1000 * cpu / len(cells)}


def work_score(args: argparse.Namespace) -> dict:
    from simtool.scoring import score_trace

    before = _current_rss()
    start = time.perf_counter()  # deterministic: benchmark timing, never reaches a trace
    score_trace(args.trace)
    seconds = time.perf_counter() - start  # deterministic: benchmark timing
    size = Path(args.trace).stat().st_size
    peak = _rss_bytes()
    return {"lines": sum(1 for _ in open(args.trace, "rb")), "trace_mb": size / 2**20, "seconds": seconds,
            "peak_rss_mb": peak / 2**20, "growth_mb": (peak - before) / 2**20, "growth_x_trace": (peak - before) / size}


def work_floor(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(HERE))
    from engine import CALLS as FLOOR_CALLS
    from engine import TASKS as FLOOR_TASKS
    from engine import floor

    floor(5)
    episodes = args.floor_episodes
    start = time.process_time()  # deterministic: benchmark timing
    floor(episodes)
    cpu = time.process_time() - start  # deterministic: benchmark timing
    return {"calls_per_cpu_s": episodes * FLOOR_TASKS * FLOOR_CALLS / cpu}


WORK = {"hunt": work_hunt, "cells": work_cells, "score": work_score, "floor": work_floor}


def build_suite(path: Path) -> None:
    from worlds.suites import build_suite as build
    from worlds.suites import task_pool, write_suite

    corpus = Path(os.environ.get("SIMTOOL_BFCL_DATA") or ROOT.parent / "shared" / "bfcl")
    pool = task_pool(corpus if (corpus / "BFCL_v4_multi_turn_base.json").exists() else None)
    write_suite(build(pool, n=100, seed=0), path)


def write_big_trace(path: Path) -> None:
    sys.path.insert(0, str(HERE))
    from engine import LEG

    from simtool.run import run

    tasks = [{"id": f"t{k}", "services": ["TicketAPI"],
              "initial_config": {"TicketAPI": {"current_user": "bench", "ticket_counter": 1, "ticket_queue": []}},
              "turns": [{"request": "file tickets", "gold": [f"create_ticket(title='ticket {i}')" for i in range(CALLS)]}]}
             for k in range(TASKS)]
    world = {"name": "big", "tasks": tasks, "horizon_ms": 10**9, "max_decisions": 10**6, "latency": {"default": {"request": LEG, "response": LEG}}}
    run({"world": world, "policy": {"name": "interleave", "think": 5}}, 0, path, keep_lines=False)


def child(name: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", name, "--seeds", str(args.seeds), "--cells", str(args.cells),
               "--suite", str(args.suite), "--trace", str(args.trace), "--floor-episodes", str(args.floor_episodes)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="floor,hunt,cells,score")
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--cells", type=int, default=400)
    parser.add_argument("--floor-episodes", type=int, default=300)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/simtool-workloads"))
    parser.add_argument("--suite", type=Path, default=None)
    parser.add_argument("--trace", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(WORK[args.child](args)))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    args.suite = args.suite or args.dir / "suite.jsonl"
    args.trace = args.trace or args.dir / "big-trace.jsonl"
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    if "cells" in names and not args.suite.exists():
        build_suite(args.suite)
    if "score" in names and not args.trace.exists():
        write_big_trace(args.trace)
    if "floor" not in names:
        names.insert(0, "floor")
    results = {name: child(name, args) for name in names}
    floor_rate = results["floor"]["calls_per_cpu_s"]
    print(f"floor:  {floor_rate:10.0f} calls per CPU-second (the yardstick)")
    if "hunt" in results:
        r = results["hunt"]
        print(f"hunt:   {r['seeds_per_cpu_s']:10.1f} seeds per CPU-second ({r['seeds']} seeds)   "
              f"ratio to floor: {r['seeds_per_cpu_s'] / floor_rate * 1000:.3f} seeds per 1000 floor calls")
    if "cells" in results:
        r = results["cells"]
        print(f"cells:  {r['cpu_ms_per_cell']:10.1f} CPU ms per cell ({r['cells']} cells)   "
              f"ratio to floor: {r['cpu_ms_per_cell'] / 1000 * floor_rate:.0f} floor calls per cell")
    if "score" in results:
        r = results["score"]
        print(f"score:  {r['seconds']:10.2f} s, peak RSS {r['peak_rss_mb']:.0f} MB, growth {r['growth_mb']:.0f} MB = "
              f"{r['growth_x_trace']:.1f}x the trace ({r['lines']} lines, {r['trace_mb']:.1f} MB)   "
              f"ratio to floor: {r['seconds'] * floor_rate:.0f} floor calls")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
