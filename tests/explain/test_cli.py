"""``simtool explain`` and what ``simtool run`` now ends with, on the real command line (one run and
one explain as child processes; the other cases run the same ``simtool.cli.main`` in this process)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from simtool.hunting.hunt import hunt
from simtool.run import run_source
from tests.hardening.support import simtool as in_process
from tests.scoring.helpers import world_path


def simtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simtool", *args], capture_output=True, text=True, timeout=300)


def here(*args: str) -> subprocess.CompletedProcess:
    """``simtool ARGS`` in this process, shaped as a finished child process."""
    done = in_process(*args)
    return subprocess.CompletedProcess(["simtool", *args], done.code, done.out, done.err)


def test_run_summary_lists_violation_counts_and_ends_with_their_explanation():
    out = simtool("run", world_path("eager-race"), "--policy", "eager", "--seed", "0")
    assert out.returncode == 0, out.stderr
    assert "violations: dependency_violation 1 · out_of_order_execution 1" in out.stdout
    tail = out.stdout[out.stdout.index("why: 2 violations, races first"):]
    assert tail.splitlines()[1].startswith("1. dependency_violation at 41 ms · triage · race: c2 (close_ticket, step 1) issued "
                                           "before step 0 (create_ticket) was delivered")
    heads = [line for line in tail.splitlines() if line[:1].isdigit()]
    assert heads[1].startswith("2. out_of_order_execution at 100 ms · triage · race: c2 (close_ticket) executed before c0")
    assert 'expected "Closed", found "Open"' in tail


def test_summarize_counts_violations_when_given_the_header():
    from simtool.scoring import count_violations, history_of, trace_from_lines
    from simtool.summary import summarize

    result = run_source(world_path("eager-race"), "eager", 0)
    events = result.events()
    counts = summarize(events[1:], events[0])["totals"]["violations"]
    assert counts == count_violations(history_of(trace_from_lines(result.lines)))
    assert counts["out_of_order_execution"] == 1 and "violations" not in summarize(events[1:])["totals"]


def test_a_clean_run_says_no_violation_and_explains_nothing():
    out = here("run", world_path("revoked-read"), "--policy", "interleave", "--seed", "0")
    assert out.returncode == 0, out.stderr
    assert "violations: none" in out.stdout and "why:" not in out.stdout


def test_a_hunts_repro_line_run_ends_with_the_explanation_of_its_violation():
    from simtool.scoring.invariants import family  # a hunt's narrower check has a name of its own

    report = hunt(world_path("eager-race"), "eager", range(0, 1))
    assert {g.invariant for g in report.groups} == {"dependency_violation", "out_of_order_wrong_state"}
    for group in report.groups:
        args = shlex.split(group.repro)
        assert args[:2] == ["simtool", "run"]
        out = here(*args[1:])
        tail = out.stdout[out.stdout.index("why:"):]
        heads = [line for line in tail.splitlines() if line[:1].isdigit()]
        assert any(line.split()[1] == family(group.invariant) and group.why.split(";")[0] in line for line in heads), group.invariant


def test_explain_command_tells_the_run_and_narrows_to_a_call(tmp_path):
    path = tmp_path / "t.jsonl"
    run_source(world_path("eager-race"), "eager", 0, (), path)
    whole = simtool("explain", str(path))
    assert whole.returncode == 0, whole.stderr
    assert "task triage · done · 0 of 1 sub-tasks passed" in whole.stdout and "task lookup" in whole.stdout
    one = here("explain", str(path), "--call", "c1")
    assert "c1 get_ticket(ticket_id=1)" in one.stdout and "task triage" not in one.stdout
    data = json.loads(here("explain", str(path), "--json").stdout)
    assert data["counts"]["out_of_order_execution"] == 1


def test_explain_command_on_bad_input_exits_2_with_one_clear_paragraph(tmp_path):
    path = tmp_path / "t.jsonl"
    run_source(world_path("eager-race"), "eager", 0, (), path)
    out = here("explain", str(path), "--task", "nope")
    said = " ".join(out.stderr.split())  # the error console wraps long lines
    assert out.returncode == 2 and "no such task" in said and "Traceback" not in said
    missing = here("explain", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and "no such trace" in " ".join(missing.stderr.split())


def test_the_run_tail_explains_one_race_of_each_invariant_first():
    from simtool.summary import why

    text = why(run_source(None, "oblivious", 0).lines)
    heads = [line for line in text.splitlines() if line[:1].isdigit()]
    assert [h.split()[1] for h in heads] == ["revoked_leak", "stale_result_used", "call_on_cancelled_task"]
    assert text.splitlines()[-1] == "... and 4 more (run with --trace FILE, then simtool explain FILE)"
