"""What users run, timed: a hunt, suite cells, scoring a large trace, against the machine's floor.

Each workload runs in its own child process (same interpreter, same ``PYTHONPATH``), one after
the other on the same machine:

1. ``hunt``: ``simtool.hunting.hunt`` on the default world, 400 seeds, 1 worker: seeds per CPU-second;
   ``workers``: the same hunt on 1 worker and on 2 worker processes, wall time and CPU (this
   process's and the workers'), alternately ``--rounds`` times each (best of each kept), with
   the 2-worker pool started once (as a session's first hunt starts it) before the rounds and
   also timed on its own (the cold first hunt): the speed-up of 2 workers over 1;
2. ``cells``: 400 suite cells (the first 100 instances of a suite x sequential, interleave,
   critical-path, eager; seed 0), each as a sweep runs it: load the world source
   ``SUITE.jsonl#id``, run, score the trace from its lines: CPU ms per cell;
3. ``score``: ``simtool.scoring.score_trace`` of a trace of about 100k lines (100 tasks x 250
   chained calls, written once by the parent, no decision limit): seconds (wall and CPU) and peak
   RSS (and its growth over the process's RSS before scoring, as a multiple of the trace's size);
4. ``floor``: ``benchmarks/engine.py``'s floor (the bare contract of a call, plain SimPy and
   orjson): calls per second, the yardstick of the machine.

Every figure is also printed as a ratio to the floor's calls per second, so that figures
from two machines (or two sittings of a loaded machine) can be compared. To compare two
versions, run this file from either checkout with ``PYTHONPATH`` naming the version to
measure (the workloads only use APIs both have), e.g.
``PYTHONPATH=/path/to/old python benchmarks/workloads.py --suite S.jsonl --trace T.jsonl``.

Usage: python benchmarks/workloads.py [--only hunt,workers,cells,score,floor] [--seeds 400] [--cells 400] [--rounds 3]
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


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def work_workers(args: argparse.Namespace) -> dict:
    from simtool.hunting.hunt import hunt
    from simtool.sweeps.executors import shared_pool

    def timed(workers: int) -> dict:
        pids = list(shared_pool(2)._pool._processes) if workers == 2 else []
        cpu, each = time.process_time(), {pid: _cpu_of([pid]) for pid in pids}  # deterministic: benchmark timing
        start = time.perf_counter()  # deterministic: benchmark timing
        report = hunt(None, "interleave", range(args.seeds), workers=workers)
        wall = time.perf_counter() - start  # deterministic: benchmark timing
        cpu = time.process_time() - cpu  # deterministic: benchmark timing
        assert len(report.outcomes) == args.seeds
        # a pool started by this hunt: its workers' whole CPU is this hunt's
        each = {pid: _cpu_of([pid]) - each.get(pid, 0.0) for pid in (shared_pool(2)._pool._processes if workers == 2 else [])}
        return {"wall_s": wall, "cpu_s": cpu, "workers_cpu_s": sum(each.values()), "per_worker_cpu_s": sorted(each.values()),
                "report": report}

    hunt(None, "interleave", range(5))  # imports and caches, as a second hunt in a session has them
    cold = timed(2)  # the session's first 2-worker hunt: its pool starts here
    from multiprocessing import forkserver

    server = getattr(forkserver._forkserver, "_forkserver_pid", None)
    cold["forkserver_cpu_s"] = _cpu_of([server]) if server else 0.0  # its warm-up (simtool.sweeps.warm), paid once
    cold["speedup_free_cores"] = None
    rounds: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for workers in (1, 2):
            rounds[workers].append(timed(workers))
    best = {w: min(rs, key=lambda r: r["wall_s"]) for w, rs in rounds.items()}
    assert best[1]["report"] == best[2]["report"] == cold["report"]  # the same findings on any number of workers
    drop = ("report",)
    return {"seeds": args.seeds, "rounds": args.rounds, "cold_2": {k: v for k, v in cold.items() if k not in drop},
            "one": {k: v for k, v in best[1].items() if k not in drop}, "two": {k: v for k, v in best[2].items() if k not in drop},
            "all_walls": {w: [round(r["wall_s"], 2) for r in rs] for w, rs in rounds.items()},
            "speedup": best[1]["wall_s"] / best[2]["wall_s"], "speedup_cold": best[1]["wall_s"] / cold["wall_s"],
            # on two free cores the 2-worker hunt takes as long as its busiest worker: the speed-up
            # its division of the work allows, whatever the machine's load
            "speedup_free_cores": best[1]["cpu_s"] / max(best[2]["per_worker_cpu_s"]),
            "speedup_free_cores_cold": best[1]["cpu_s"] / (cold["forkserver_cpu_s"] + max(cold["per_worker_cpu_s"])),
            "load_avg": os.getloadavg()[0], "autogroup": _autogroup()}


def _autogroup() -> bool:
    """Linux's autogroup: CPU is shared between sessions, so a session's processes share one
    session's share, and a loaded machine gives 2 workers no more than 1."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


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
    cpu_start = time.process_time()  # deterministic: benchmark timing
    score_trace(args.trace)
    cpu = time.process_time() - cpu_start  # deterministic: benchmark timing
    seconds = time.perf_counter() - start  # deterministic: benchmark timing
    size = Path(args.trace).stat().st_size
    peak = _rss_bytes()
    return {"lines": sum(1 for _ in open(args.trace, "rb")), "trace_mb": size / 2**20, "seconds": seconds, "cpu_s": cpu,
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


WORK = {"hunt": work_hunt, "workers": work_workers, "cells": work_cells, "score": work_score, "floor": work_floor}


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
    world = {"name": "big", "tasks": tasks, "horizon_ms": 10**8, "max_decisions": 10**6, "latency": {"default": {"request": LEG, "response": LEG}}}
    run({"world": world, "policy": {"name": "interleave", "think": 5}}, 0, path, keep_lines=False)


def child(name: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", name, "--seeds", str(args.seeds), "--cells", str(args.cells),
               "--suite", str(args.suite), "--trace", str(args.trace), "--floor-episodes", str(args.floor_episodes),
               "--rounds", str(args.rounds)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="floor,hunt,cells,score")
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--cells", type=int, default=400)
    parser.add_argument("--floor-episodes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="workers: alternate 1- and 2-worker hunts this many times each")
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
    if "workers" in results:
        r = results["workers"]
        one, two, cold = r["one"], r["two"], r["cold_2"]
        print(f"workers: {r['seeds']} seeds, best of {r['rounds']}: 1 worker {one['wall_s']:.2f} s wall "
              f"({one['cpu_s']:.2f} CPU-s), 2 workers {two['wall_s']:.2f} s wall ({two['cpu_s']:.2f} CPU-s here + "
              f"{two['workers_cpu_s']:.2f} in the workers): x{r['speedup']:.2f}; the first 2-worker hunt, its pool "
              f"starting: {cold['wall_s']:.2f} s (x{r['speedup_cold']:.2f}); per worker {two['per_worker_cpu_s']} CPU-s: "
              f"x{r['speedup_free_cores']:.2f} on two free cores (the first hunt, with the forkserver's "
              f"{cold['forkserver_cpu_s']:.2f} CPU-s of warming: x{r['speedup_free_cores_cold']:.2f}); load average {r['load_avg']:.1f}"
              f"{' (autogroup on: a loaded machine gives this session one share however many workers)' if r['autogroup'] else ''}; "
              f"all walls {r['all_walls']}")
    if "cells" in results:
        r = results["cells"]
        print(f"cells:  {r['cpu_ms_per_cell']:10.1f} CPU ms per cell ({r['cells']} cells)   "
              f"ratio to floor: {r['cpu_ms_per_cell'] / 1000 * floor_rate:.0f} floor calls per cell")
    if "score" in results:
        r = results["score"]
        print(f"score:  {r['seconds']:10.2f} s ({r['cpu_s']:.2f} CPU-s), peak RSS {r['peak_rss_mb']:.0f} MB, growth "
              f"{r['growth_mb']:.0f} MB = {r['growth_x_trace']:.1f}x the trace ({r['lines']} lines, {r['trace_mb']:.1f} MB)   "
              f"ratio to floor: {r['cpu_s'] * floor_rate:.0f} floor calls")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
