"""Nothing lost, nothing clobbered: a trace overwritten by a run that is killed keeps the old
trace; two runs writing one path do not interleave; a sweep folder refuses another spec and
planted links; a killed sweep resumes and retries its failed cells."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from simtool.errors import SimtoolError
from simtool.run import run_source
from simtool.sweeps import expand, load_rows, load_spec, run_sweep
from simtool.sweeps.store import StoreError
from simtool.trace import FORMAT, TraceError, TraceWriter, read_trace
from tests.engine.helpers import ticket_task, world
from tests.hardening.support import RACE, simtool
from tests.sweeps.helpers import LATENCY_SPEC, write_spec


def big_world(folder: Path) -> Path:
    """A world whose run takes long enough to be killed while its trace is written."""
    tasks = [ticket_task(f"t{i}", ["create_ticket(title='x')"] * 40) for i in range(60)]
    path = folder / "big.yaml"
    path.write_text(yaml.safe_dump(world(tasks)), encoding="utf-8")
    return path


def test_a_run_killed_while_overwriting_a_trace_leaves_the_old_trace_whole(tmp_path):
    target = tmp_path / "t.jsonl"
    run_source(str(RACE), "eager", 0, trace_path=target)
    old = target.read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "simtool", "run", str(big_world(tmp_path)), "--trace", str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / "t.jsonl.incomplete"
    deadline = time.monotonic() + 120
    while not (partial.exists() and partial.stat().st_size > 0) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be killed")
    assert target.read_bytes() == old
    assert read_trace(target).complete


def test_a_second_run_writing_the_same_trace_is_refused_and_the_first_wins_whole(tmp_path):
    target = tmp_path / "t.jsonl"
    first = TraceWriter(target)  # holds the lock on t.jsonl.incomplete, as a run in progress does
    first.write({"kind": "header", "format": FORMAT, "seed": 0, "config": {"world": {}, "policy": {}}})
    with pytest.raises(TraceError, match="another run is writing this trace"):
        run_source(str(RACE), "eager", 0, trace_path=target)
    first.write({"kind": "note", "t": 0})
    first.finish()
    assert [e["kind"] for e in read_trace(target).events] == ["note"]


def test_a_trace_left_by_a_killed_run_is_taken_over(tmp_path):
    target = tmp_path / "t.jsonl"
    (tmp_path / "t.jsonl.incomplete").write_text('{"kind":"header"}\n{"kind":"tor', encoding="utf-8")
    run_source(str(RACE), "eager", 0, trace_path=target)
    assert read_trace(target).complete and not (tmp_path / "t.jsonl.incomplete").exists()


def test_a_trace_is_never_written_through_a_planted_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (tmp_path / "t.jsonl.incomplete").symlink_to(victim)
    with pytest.raises((SimtoolError, OSError)):
        run_source(str(RACE), "eager", 0, trace_path=tmp_path / "t.jsonl")
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_sweep_folder_refuses_another_spec_but_takes_more_seeds_and_grid_values(tmp_path):
    run_sweep(load_spec(write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [interleave]\nseeds: 2\n")), tmp_path / "out")
    rows = (tmp_path / "out" / "results.jsonl").read_bytes()
    other = load_spec(write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [eager]\nseeds: 2\n", "other.yaml"))
    with pytest.raises(StoreError, match="another sweep spec"):
        run_sweep(other, tmp_path / "out")
    assert (tmp_path / "out" / "results.jsonl").read_bytes() == rows
    more = load_spec(write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [interleave]\nseeds: 3\n", "more.yaml"))
    assert run_sweep(more, tmp_path / "out").ran == 1
    swept = "worlds: [race.yaml]\npolicies: [interleave]\nseeds: 1\ngrid: {world.latency.scale: [1]}\n"
    with pytest.raises(StoreError, match="another sweep spec"):  # a new swept path is another sweep
        run_sweep(load_spec(write_spec(tmp_path, swept, "swept.yaml")), tmp_path / "out")


@pytest.mark.parametrize("planted", ["results.jsonl", ".lock", "sweep.json", "traces"])
def test_a_link_planted_in_a_sweep_folder_is_not_followed(tmp_path, planted):
    spec = load_spec(write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [interleave]\nseeds: 1\n"))
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim"
    if planted == "traces":
        victim.mkdir()
    else:
        victim.write_text("keep me", encoding="utf-8")
    (out / planted).symlink_to(victim)
    with pytest.raises(StoreError, match="symbolic link"):
        run_sweep(spec, out, keep_traces=True)
    if planted == "traces":
        assert list(victim.iterdir()) == []
    else:
        assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_killed_sweep_refuses_another_spec_then_resumes_retrying_its_failed_cells(tmp_path):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=25).replace("[race.yaml]", "[race.yaml, flaky.yaml]"))
    flaky = tmp_path / "flaky.yaml"
    flaky.write_text("name: flaky\ntasks: []\n", encoding="utf-8")  # every cell of this world fails, for now
    out = tmp_path / "out"
    command = [sys.executable, "-m", "simtool", "sweep", str(spec_path), "--out", str(out), "--workers", "1"]
    sweep = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert sweep.stdout is not None
    seen = 0
    for line in sweep.stdout:  # a line per stored row (stdout is not a terminal)
        seen += line.startswith("cell ")
        if seen == 3:
            break
    sweep.send_signal(signal.SIGKILL)
    sweep.communicate(timeout=60)
    assert sweep.returncode == -signal.SIGKILL
    stored = (out / "results.jsonl").read_bytes()

    other = write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [eager]\nseeds: 2\n", "other.yaml")
    done = simtool("sweep", str(other), "--out", str(out), "--workers", "1")
    assert done.code == 2 and "another sweep spec" in done.err and "Traceback" not in done.text
    assert (out / "results.jsonl").read_bytes() == stored

    kept = simtool("sweep", str(spec_path), "--out", str(out), "--workers", "1", "--quiet")
    assert kept.code == 0, kept.text
    spec = load_spec(spec_path)
    rows = load_rows(out, status=None)
    assert len(rows) == spec.size and sum(r["status"] == "failed" for r in rows) == spec.size // 2

    flaky.write_text(RACE.read_text(encoding="utf-8"), encoding="utf-8")  # the cause of the failures is fixed
    retried = simtool("sweep", str(spec_path), "--out", str(out), "--workers", "1", "--quiet")
    assert retried.code == 0, retried.text
    assert f"{spec.size // 2} run now ({spec.size // 2} of them failed before)" in retried.out
    rows = load_rows(out, status=None)
    assert len(rows) == spec.size and all(r["status"] == "ok" for r in rows)
    assert {r["cell"] for r in rows} == {c.key for c in expand(spec)}


def test_keep_failed_leaves_failed_cells_alone(tmp_path):
    spec_path = write_spec(tmp_path, "worlds: [race.yaml, broken.yaml]\npolicies: [interleave]\nseeds: 1\n")
    (tmp_path / "broken.yaml").write_text("name: broken\ntasks: []\n", encoding="utf-8")
    out = tmp_path / "out"
    assert simtool("sweep", str(spec_path), "--out", str(out), "--workers", "1", "--quiet").code == 0
    again = simtool("sweep", str(spec_path), "--out", str(out), "--workers", "1", "--quiet", "--keep-failed")
    assert "0 run now" in again.out
