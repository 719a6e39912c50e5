"""LLM runs in flight: suite instances per hour against a model that answers every request in 200 ms.

A local OpenAI-compatible server (the test suite's scripted model, ``tests/llm/fake_model.py``,
a real HTTP server on 127.0.0.1 in a child process of its own and a session of its own, so
that its CPU is not this process's, nor counted in this session's share of a loaded machine
under Linux's autogroup scheduling) answers every request after a fixed delay (``--delay-ms``, default 200). The first
20 instances of a suite (``--instances``) run under the ``llm`` policy, each once (seed 0), as
``simtool sweep --threads N`` runs them: on N threads of one process, for N = 1, 2, 4, 8, 16, 32.
For each N it prints the wall time, suite instances per hour, model requests per second, the
CPU per request of this process (what bounds the throughput of one process: its interpreter
lock) and of the server, and the speed-up over N = 1. With 20 instances the speed-up is also
bounded by the longest instance (it cannot end before its requests, one after another, have
been answered): the ideal for N is printed beside it. The rows must be the same at every N (checked). One
instance runs first, unmeasured: imports, the SDK and the caches are paid once per process.

Goal (issue 13): at 16 in flight, at least 8 times the throughput of 1.

Usage: python benchmarks/llm_throughput.py [--instances 20] [--delay-ms 200] [--threads 1,2,4,8,16,32]
       [--suite SUITE.jsonl] [--protocol managed]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def build_suite(path: Path, n: int) -> None:
    from worlds.suites import build_suite as build
    from worlds.suites import task_pool, write_suite

    corpus = Path(os.environ.get("SIMTOOL_BFCL_DATA") or ROOT.parent / "shared" / "bfcl")
    pool = task_pool(corpus if (corpus / "BFCL_v4_multi_turn_base.json").exists() else None)
    write_suite(build(pool, n=n, seed=0), path)


def instance_ids(suite: Path, n: int) -> list[str]:
    return [json.loads(line)["id"] for line in suite.read_text(encoding="utf-8").splitlines() if line.strip()][:n]


def serve(suite: Path, n: int, delay_ms: int) -> None:
    """The child: a model server that knows the gold plans of the suite's first n instances."""
    sys.path.insert(0, str(ROOT))
    from simtool.config import run_config
    from simtool.world import parse_world
    from tests.llm.fake_model import Brain, ModelServer, plans_of

    plans: dict = {}
    for instance in instance_ids(suite, n):
        config, where = run_config(f"{suite}#{instance}", "interleave")
        plans.update(plans_of(parse_world(config["world"], where)))
    server = ModelServer(Brain(plans), delay_s=delay_ms / 1000)
    print(server.port, flush=True)
    for _ in sys.stdin:  # a line from the parent: print the CPU spent so far; end of input: stop
        print(time.process_time(), flush=True)  # deterministic: benchmark timing
    server.stop()


def measure(suite: Path, ids: list[str], url: str, threads: int, protocol: str, folder: Path) -> dict:
    from simtool.sweeps import load_rows, run_sweep
    from simtool.sweeps.executors import ThreadPool
    from simtool.sweeps.spec import parse_spec
    from simtool.yamlspec import load_yaml_text

    text = json.dumps({"name": f"llm-{threads}", "worlds": [f"{suite}#{i}" for i in ids], "policies": ["llm"], "seeds": 1,
                       "set": {"policy.model": "brain", "policy.protocol": protocol, "policy.max_attempts": 3}})
    data, where = load_yaml_text(text, "<benchmark spec>")
    spec = parse_spec(data, where, folder, ("policy.llm_mode=live", f"policy.base_url={url}"))
    pool = ThreadPool(threads)
    out = folder / f"threads-{threads}"
    folder.mkdir(parents=True, exist_ok=True)
    start, cpu = time.perf_counter(), time.process_time()  # deterministic: benchmark timing, never reaches a row
    try:
        run_sweep(spec, out, executor=pool, keep_traces=True)
    finally:
        pool.close()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu  # deterministic: benchmark timing
    rows = load_rows(out, status=None)
    failed = [r["error"] for r in rows if r["status"] != "ok"]
    if failed:
        raise SystemExit(f"{len(failed)} cells failed at {threads} threads; first: {failed[0]}")
    order = {f"{suite}#{i}": k for k, i in enumerate(ids)}
    counts = [_requests(out / r["trace"]) for r in sorted(rows, key=lambda r: order[r["source"]])]
    return {"threads": threads, "wall_s": wall, "cpu_s": cpu, "instances": len(rows), "requests": sum(counts), "counts": counts,
            "rows": [{k: v for k, v in r.items() if k not in ("cell", "label", "trace")} for r in rows]}


def ideal_speedup(counts: list[int], threads: int) -> float:
    """The speed-up over one thread if every request took the same time and cost no CPU: the
    instances, in the sweep's order, each on the first free thread."""
    free = [0] * threads
    for n in counts:
        heapq.heappush(free, heapq.heappop(free) + n)
    return sum(counts) / max(free)


def _server_cpu(server: subprocess.Popen) -> float:
    server.stdin.write("\n")
    server.stdin.flush()
    return float(server.stdout.readline())


def _requests(trace: Path) -> int:
    """Model requests of a run: its decisions that name a request (the cassette key)."""
    return sum(1 for line in trace.open(encoding="utf-8") if '"kind":"decide"' in line and '"request":"' in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--delay-ms", type=int, default=200)
    parser.add_argument("--threads", default="1,2,4,8,16,32")
    parser.add_argument("--protocol", default="managed")
    parser.add_argument("--suite", type=Path, default=None)
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.instances, args.delay_ms)
        return
    folder = Path(tempfile.mkdtemp(prefix="simtool-llm-throughput-"))
    suite = args.suite or folder / "suite.jsonl"
    if not suite.exists():
        build_suite(suite, args.instances)
    ids = instance_ids(suite, args.instances)
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(suite), "--instances", str(args.instances),
                               "--delay-ms", str(args.delay_ms)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)  # a model server is another service: not in this session's CPU share
    try:
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/v1"
        measure(suite, ids[:1], url, 1, args.protocol, folder / "warm-up")  # imports, SDK, caches: paid once, not measured
        results = []
        for n in (int(x) for x in args.threads.split(",")):
            server_cpu = _server_cpu(server)
            r = measure(suite, ids, url, n, args.protocol, folder)
            r["server_cpu_s"] = _server_cpu(server) - server_cpu
            results.append(r)
            base = results[0]
            per_hour = 3600 * r["instances"] / r["wall_s"]
            print(f"threads {n:3d}: {r['wall_s']:7.1f} s wall, {per_hour:8.0f} instances/hour, "
                  f"{r['requests'] / r['wall_s']:6.1f} requests/s, {1000 * r['cpu_s'] / max(1, r['requests']):5.1f} CPU ms/request "
                  f"here + {1000 * r['server_cpu_s'] / max(1, r['requests']):4.1f} in the server, "
                  f"x{base['wall_s'] / r['wall_s']:.2f} vs {base['threads']} thread(s) "
                  f"(ideal x{ideal_speedup(r['counts'], n) / ideal_speedup(r['counts'], base['threads']):.2f})", flush=True)
            if r["rows"] != base["rows"]:
                raise SystemExit(f"rows at {n} threads differ from those at {base['threads']}")
    finally:
        server.stdin.close()
        server.wait()
    print(json.dumps([{k: v for k, v in r.items() if k not in ("rows", "counts")} for r in results]))


if __name__ == "__main__":
    main()
