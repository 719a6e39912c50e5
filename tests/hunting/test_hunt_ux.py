"""`simtool hunt` for people: progress, a summary per invariant, coarse groups, kept traces, Ctrl-C, safe writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from simtool.cli import app
from simtool.hunting import check_trace, hunt, shrink_trace
from simtool.hunting.cli import INTERRUPTED, format_report, register, summary_table
from simtool.run import replay
from simtool.sweeps.executors import LocalPool

from .support import RACES, failures_and_repros, run_repro, simtool_here

SEEDS = range(0, 12)


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    if "hunt" not in {c.name for c in app.registered_commands}:
        register(app)
    return CliRunner()


def test_a_hunt_reuses_the_executor_it_is_given_and_reports_the_same():
    pool = LocalPool(2)
    try:
        first = hunt(RACES, "unbound", SEEDS, executor=pool)
        workers = set(pool._pool._processes)
        second = hunt(RACES, "eager", SEEDS, executor=pool)
        assert workers and set(pool._pool._processes) == workers, "the pool was started once and served both hunts"
    finally:
        pool.close()
    assert first == hunt(RACES, "unbound", SEEDS, workers=1)
    assert second == hunt(RACES, "eager", SEEDS, workers=1)


def test_progress_is_plain_lines_on_stderr_when_not_a_terminal_and_the_report_alone_on_stdout():
    done = simtool_here("hunt", RACES, "--policy", "eager", "--seeds", "0:40", "--workers", "1")
    assert done.returncode == 1, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("hunt: ")]
    assert progress[0].startswith("hunt: 1/40 seeds · ") and progress[-1].startswith("hunt: 40/40 seeds · ")
    assert len(progress) >= 20 and "\x1b[" not in done.stderr
    assert not any(line.startswith("hunt: ") and "/40 seeds ·" in line for line in done.stdout.splitlines())
    quiet = simtool_here("hunt", RACES, "--policy", "eager", "--seeds", "0:4", "--workers", "1", "--quiet")
    assert "seeds ·" not in quiet.stderr


def test_the_report_starts_with_a_summary_row_per_failing_invariant():
    report = hunt(RACES, "oblivious", SEEDS, workers=1)
    lines = format_report(report)
    table = summary_table(report)
    start = lines.index(table[0])
    assert lines[start:start + len(table)] == table and start < lines.index(next(x for x in lines if x.startswith("FAIL ")))
    assert table[0].split() == ["invariant", "failing", "seeds", "groups", "smallest", "repro"]
    rows = {line.split()[0]: line for line in table[1:]}
    assert set(rows) == {g.invariant for g in report.groups}
    for s in report.summary:
        seeds = sorted({x for g in report.groups if g.invariant == s.invariant for x in g.seeds})
        assert list(s.seeds) == seeds and f"{len(seeds)}/{len(SEEDS)}" in rows[s.invariant]
        best = min((g.smallest for g in report.groups if g.invariant == s.invariant), key=lambda o: o.size)
        assert s.smallest == best and rows[s.invariant].endswith(s.repro)


@pytest.mark.parametrize("policy", ["oblivious", "unbound"])
def test_default_groups_merge_the_detailed_ones_by_invariant_and_tools(policy):
    coarse = hunt(RACES, policy, SEEDS, workers=1)
    fine = hunt(RACES, policy, SEEDS, workers=1, detail=True)
    assert coarse.failed_seeds == fine.failed_seeds and len(coarse.groups) <= len(fine.groups)
    for g in coarse.groups:
        ways = {sig for sig, _ in g.ways}
        members = [f for f in fine.groups if f.invariant == g.invariant and f.signature in ways]
        assert members and set(g.seeds) == {s for f in members for s in f.seeds}
        assert g.smallest.size == min(f.smallest.size for f in members)
    assert {(g.invariant, sig) for g in coarse.groups for sig, _ in g.ways} == {(f.invariant, f.signature) for f in fine.groups}


def test_keep_writes_the_smallest_failing_trace_of_each_group_ready_for_shrink(cli, tmp_path):
    keep = tmp_path / "kept"
    done = cli.invoke(app, ["hunt", RACES, "--policy", "eager", "--seeds", "0:8", "--workers", "1", "--keep", str(keep)])
    assert done.exit_code == 1, done.output
    report = hunt(RACES, "eager", range(0, 8), workers=1, keep=tmp_path / "again")
    assert report.groups and all(g.kept for g in report.groups)
    assert sorted(p.name for p in keep.iterdir()) == sorted(os.path.basename(g.kept) for g in report.groups)
    for g in report.groups:
        assert f"kept: {keep / os.path.basename(g.kept)} · shrink it: simtool shrink" in done.output
        assert (keep / os.path.basename(g.kept)).read_bytes() == open(g.kept, "rb").read()
        assert replay(g.kept).identical
        assert check_trace(g.kept, [g.invariant])[g.invariant]
    shrunk = shrink_trace(report.groups[0].kept, report.groups[0].invariant, tmp_path / "min.yaml", max_runs=60)
    assert shrunk.size_after < shrunk.size_before


def test_keep_and_json_outputs_that_cannot_be_written_are_refused_before_the_hunt(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for option, path in (("--keep", blocker), ("--json", blocker / "report.json"), ("--json", tmp_path)):
        done = simtool_here("hunt", RACES, "--policy", "eager", "--seeds", "0:400", "--workers", "1", option, str(path))
        assert done.returncode == 2, (option, done.stderr)
        assert option in done.stderr and "Traceback" not in done.stderr
        assert "seeds ·" not in done.stderr, "nothing ran"


def test_a_report_that_cannot_be_written_after_the_hunt_is_still_printed(cli, tmp_path, monkeypatch):
    def refuse(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("simtool.hunting.cli.write_text", refuse)
    done = cli.invoke(app, ["hunt", RACES, "--policy", "eager", "--seeds", "0:6", "--workers", "1",
                            "--json", str(tmp_path / "r.json")])
    assert done.exit_code == 2
    assert "repro: simtool run" in done.output and "No space left on device" in done.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigint_stops_the_hunt_and_prints_what_it_found_with_repro_lines(workers, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "simtool", "hunt", RACES, "--policy", "oblivious", "--seeds", "0:1000000",
                             "--workers", workers, "--json", str(tmp_path / "partial.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # wait (on the pipe, not the clock) until a failing seed has been reported
            if line.startswith("hunt: ") and " 0 failing" not in line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == INTERRUPTED, err
    assert "Traceback" not in err
    assert "interrupted: " in out and "of 1000000 seeds ran" in out
    groups = failures_and_repros(out)
    assert groups, out
    data = json.loads((tmp_path / "partial.json").read_text())
    assert data["interrupted"] is True and 0 < data["runs"] < 1000000 and data["failed_seeds"]
    name, _, line = groups[0]
    assert run_repro(line, tmp_path / "repro.jsonl")[name], line


def test_a_terminal_gets_a_bar_anything_else_plain_lines_and_quiet_nothing():
    import io

    from rich.console import Console

    from simtool.hunting.outcomes import SeedOutcome
    from simtool.hunting.progress import BarProgress, LineProgress, QuietProgress, progress_for

    assert isinstance(progress_for(Console(file=io.StringIO(), force_terminal=True)), BarProgress)
    assert isinstance(progress_for(Console(file=io.StringIO(), force_terminal=True), quiet=True), QuietProgress)
    out = io.StringIO()
    lines = progress_for(Console(file=out, force_terminal=False, width=200))
    assert isinstance(lines, LineProgress)
    lines.start(3)
    for seed in range(3):
        lines.outcome(SeedOutcome(seed, (), 1, 1, "all_done", ()))
    lines.stop()
    assert out.getvalue().splitlines()[0] == "hunt: 1/3 seeds · 0 failing"
    assert out.getvalue().splitlines()[-1] == "hunt: 3/3 seeds · 0 failing"


def test_a_worker_that_dies_stops_the_hunt_with_what_finished_not_a_traceback():
    from simtool.scoring import register_invariant, unregister_invariant

    from .plugins import kills_its_worker

    register_invariant("test_kills_its_worker", kills_its_worker, scored=False, hunted=False)
    try:
        report = hunt(RACES, "eager", range(0, 40), invariants=["test_kills_its_worker"], workers=2)
    finally:
        unregister_invariant("test_kills_its_worker")
    assert report.interrupted and report.stopped and "worker process died" in report.stopped
    assert {o.seed for o in report.outcomes} <= set(range(0, 40)) and len(report.outcomes) < 40
    assert format_report(report)[2].startswith("interrupted (a worker process died")
