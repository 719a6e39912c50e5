"""Seeded tie-shuffling of same-ms events, seeded fault processes, and traces of runs that die."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from simtool.policy import CallAction, Decision, PolicyAbort, Wait
from simtool.trace import read_trace

from .helpers import Script, of, run_script, ticket_task, world


def same_ms_world(tie_shuffle: bool) -> dict:
    tasks = [ticket_task(f"t{i}", ["create_ticket(title='x')"]) for i in range(6)]
    return world(tasks, request=100, response=100, tie_shuffle=tie_shuffle)


def execution_order(w: dict, seed: int) -> list[str]:
    calls = tuple(CallAction(f"t{i}", "create_ticket", {"title": "x"}) for i in range(6))
    _, ev, _ = run_script(w, [Decision(calls, 0, Wait())] + [Decision((), 0, Wait())] * 6, seed)
    return [e["task"] for e in of(ev, "execute")]


def test_same_ms_events_run_in_scheduling_order_by_default():
    assert execution_order(same_ms_world(False), 1) == [f"t{i}" for i in range(6)]
    assert execution_order(same_ms_world(False), 2) == [f"t{i}" for i in range(6)]


def test_tie_shuffle_gives_a_seeded_order():
    orders = {seed: execution_order(same_ms_world(True), seed) for seed in range(6)}
    assert all(sorted(o) == [f"t{i}" for i in range(6)] for o in orders.values())
    assert len({tuple(o) for o in orders.values()}) > 1
    assert execution_order(same_ms_world(True), 3) == orders[3]


def fault_times(seed: int) -> list[tuple[int, str]]:
    w = world([ticket_task("t1", ["create_ticket(title='x')"]), ticket_task("t2", ["create_ticket(title='y')"])],
              fault_processes=[{"kind": "outage", "mean_interval_ms": 40, "max_count": 3,
                                "choices": [{"service": "TicketAPI", "duration_ms": 10}]},
                               {"kind": "revoke", "mean_interval_ms": 60, "max_count": 1,
                                "choices": [{"scope": "ticketing.read", "task": "t1"}, {"scope": "ticketing.read", "task": "t2"}]}])
    _, ev, _ = run_script(w, [Decision((), 0, Wait((), 400))] * 3, seed)
    return [(e["t"], e["fault"] + ":" + str(e.get("task"))) for e in of(ev, "fault")]


def test_fault_processes_are_seeded():
    first = fault_times(4)
    assert len([f for f in first if f[1].startswith("outage")]) == 3
    assert len([f for f in first if f[1].startswith("revoke")]) == 1
    assert fault_times(4) == first
    assert any(fault_times(s) != first for s in (5, 6, 7))


class Dies(Script):
    def decide(self, obs):
        if obs.decision == 2:
            raise PolicyAbort("the model cannot be reached")
        return Decision((CallAction("t1", "create_ticket", {"title": "x"}),), 0, Wait())


def test_a_run_that_dies_leaves_an_incomplete_trace_and_no_final_file(tmp_path):
    from simtool.run import run

    path = tmp_path / "t.jsonl"
    w = world([ticket_task("t1", ["create_ticket(title='x')"] * 3)])
    with pytest.raises(PolicyAbort):
        run({"world": w, "policy": {"name": "x"}}, 0, path, policy=Dies([]))
    assert not path.exists()
    trace = read_trace(path)  # finds t.jsonl.incomplete
    assert trace.path.endswith(".incomplete") and not trace.complete
    assert [e["kind"] for e in trace.events].count("decide") == 2


def test_a_killed_process_leaves_only_the_incomplete_file(tmp_path):
    tasks = [ticket_task(f"t{i}", ["create_ticket(title='x')"] * 40) for i in range(60)]
    import yaml

    spec = tmp_path / "big.yaml"
    spec.write_text(yaml.safe_dump(world(tasks)))
    path = tmp_path / "big.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "simtool", "run", str(spec), "--trace", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / "big.jsonl.incomplete"
    deadline = time.monotonic() + 60
    while not (partial.exists() and partial.stat().st_size > 0) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be killed")
    assert partial.exists() and not path.exists()
