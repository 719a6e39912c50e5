"""Engine overhead against plain SimPy on the same workload.

Workload: episodes of 3 tasks x 10 chained calls (TicketAPI create_ticket), lognormal request and
response latencies, a constant 5 ms think time per call. Plain SimPy runs one process per task
(think, request leg, execute the same service method, response leg); simtool runs the same world
under the `interleave` policy, keeping the trace in memory, then writing it to disk.

It also runs a *floor*: the least any runtime with simtool's contract has to do per call, written
as plainly as Python allows (one decision with one action, the four canonical trace lines of a
call with the fields simtool records, the service call with its result copied, plain SimPy's three
timeouts plus the agent's wake-up; none of the checks, views, gold book, faults or permissions).
Its ratio to plain SimPy bounds from below what any Python engine can reach on this workload.

Times are CPU time (``time.process_time``: the machine is shared, and CPU time is what a loaded
machine distorts least). Prints calls per CPU-second for each, `engine/floor ratio: X.XX` (simtool's
time per call over the floor's, trace in memory: what simtool adds to the bare contract) and, last,
`engine/simpy ratio: X.XX` (simtool's time over plain SimPy's for the same calls, trace in memory;
lower is better).
Usage: python benchmarks/engine.py [--episodes N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
import simpy

from simtool.run import run
from worlds.ticketing.service import TicketAPI

TASKS, CALLS, THINK_MS = 3, 10, 5
LEG = {"dist": "lognormal", "median": 80, "sigma": 0.6}


def world() -> dict:
    tasks = [
        {
            "id": f"t{k}",
            "services": ["TicketAPI"],
            "initial_config": {"TicketAPI": {"current_user": "bench", "ticket_counter": 1, "ticket_queue": []}},
            "turns": [{"request": "file ten tickets", "gold": [f"create_ticket(title='ticket {i}')" for i in range(CALLS)]}],
        }
        for k in range(TASKS)
    ]
    return {"name": "bench", "tasks": tasks, "latency": {"default": {"request": LEG, "response": LEG}}}


def plain_simpy(episodes: int) -> float:
    start = time.process_time()  # deterministic: benchmark timing, never reaches a trace
    for episode in range(episodes):
        env = simpy.Environment()
        rng = np.random.default_rng(episode)
        mu = np.log(LEG["median"])

        def task(env: simpy.Environment, service: TicketAPI, rng: np.random.Generator = rng, mu: float = mu):
            for i in range(CALLS):
                yield env.timeout(THINK_MS)
                yield env.timeout(int(round(rng.lognormal(mu, LEG["sigma"]))))
                service.create_ticket(title=f"ticket {i}")
                yield env.timeout(int(round(rng.lognormal(mu, LEG["sigma"]))))

        for _ in range(TASKS):
            service = TicketAPI()
            service.load_scenario({"current_user": "bench", "ticket_counter": 1, "ticket_queue": []})
            env.process(task(env, service))
        env.run()
    return time.process_time() - start  # deterministic: benchmark timing


def floor(episodes: int) -> float:
    """The bare contract (see the module's docstring), on the same workload."""
    start = time.process_time()  # deterministic: benchmark timing, never reaches a trace
    for episode in range(episodes):
        env = simpy.Environment()
        out = bytearray()
        seq = [0]
        rng = np.random.default_rng(episode)
        legs = np.rint(rng.lognormal(np.log(LEG["median"]), LEG["sigma"], size=(TASKS, 2, CALLS))).astype(int).tolist()

        def emit(record: dict, env: simpy.Environment = env, out: bytearray = out, seq: list = seq) -> None:
            record["t"], record["seq"] = env.now, seq[0]
            seq[0] += 1
            out.extend(orjson.dumps(record, option=orjson.OPT_SORT_KEYS))
            out.extend(b"\n")

        def agent(env: simpy.Environment, k: int, service: TicketAPI, legs: list = legs, emit=emit):  # noqa: ANN001
            task = f"t{k}"
            for i in range(CALLS):
                args = {"title": f"ticket {i}"}
                call = f"c{k}.{i}"
                req, resp = legs[k][0][i], legs[k][1][i]
                emit({"kind": "decide", "decision": i, "think_ms": THINK_MS, "wait": None, "seen": [], "note": {},
                      "actions": [{"op": "call", "task": task, "tool": "create_ticket", "args": args, "timeout_ms": None, "uses": []}]})
                yield env.timeout(THINK_MS)
                emit({"kind": "issue", "call_id": call, "task": task, "turn": 0, "epoch": 0, "tool": "create_ticket",
                      "service": "TicketAPI", "scope": "ticketing.write", "args": args, "deadline": None, "perms": ["ticketing.write"],
                      "uses": [], "req_ms": req, "svc_ms": 0, "resp_ms": resp, "occurrence": i, "task_status": "active"})
                yield env.timeout(req)
                result = dict(service.create_ticket(**args))
                emit({"kind": "execute", "call_id": call, "task": task, "tool": "create_ticket", "service": "TicketAPI",
                      "outcome": "ok", "result": result, "queued_ms": 0, "order": i, "turn": 0, "epoch": 0})
                yield env.timeout(resp)
                emit({"kind": "deliver", "call_id": call, "task": task, "outcome": "ok", "result": result, "executed": True,
                      "stale": False, "stale_reason": None, "perms": ["ticketing.write"], "leak": False, "withheld": False})
                wake = env.event()
                wake.succeed()
                yield wake

        for k in range(TASKS):
            service = TicketAPI()
            service.load_scenario({"current_user": "bench", "ticket_counter": 1, "ticket_queue": []})
            env.process(agent(env, k, service))
        env.run()
    return time.process_time() - start  # deterministic: benchmark timing


def through_simtool(episodes: int, on_disk: bool) -> float:
    config = {"world": world(), "policy": {"name": "interleave", "think": THINK_MS}}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()  # deterministic: benchmark timing
        for episode in range(episodes):
            path = Path(tmp, f"{episode}.jsonl") if on_disk else None
            run(config, episode, path, keep_lines=not on_disk)
        return time.process_time() - start  # deterministic: benchmark timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    args = parser.parse_args()
    calls = args.episodes * TASKS * CALLS
    through_simtool(3, False)  # warm caches (schemas, imports)
    simpy_s = plain_simpy(args.episodes)
    floor_s = floor(args.episodes)
    memory_s = through_simtool(args.episodes, False)
    disk_s = through_simtool(args.episodes, True)
    print(f"calls per run: {calls}")
    print(f"plain simpy:        {calls / simpy_s:10.0f} calls per CPU-second")
    print(f"floor (bare contract): {calls / floor_s:7.0f} calls per CPU-second")
    print(f"simtool (memory):   {calls / memory_s:10.0f} calls per CPU-second")
    print(f"simtool (disk):     {calls / disk_s:10.0f} calls per CPU-second")
    print(f"floor/simpy ratio: {floor_s / simpy_s:.2f}")
    print(f"engine/floor ratio: {memory_s / floor_s:.2f}")
    print(f"engine/simpy ratio (disk trace): {disk_s / simpy_s:.2f}")
    print(f"engine/simpy ratio: {memory_s / simpy_s:.2f}")


if __name__ == "__main__":
    main()
