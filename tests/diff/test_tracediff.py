"""``simtool diff``: configuration differences first, then the first diverging event, then (``--all``) the rest."""

from __future__ import annotations

import json
import subprocess
import sys

from simtool import __version__
from simtool.run import run_source
from simtool.trace import read_trace
from simtool.tracediff import diff_traces, render_diff
from tests.hardening.support import simtool as in_process
from tests.scoring.helpers import world_path


def trace(tmp_path, name, seed=0, overrides=(), policy="eager"):
    path = tmp_path / f"{name}.jsonl"
    run_source(world_path("eager-race"), policy, seed, tuple(overrides), path)
    return path


def simtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simtool", *args], capture_output=True, text=True, timeout=300)


def test_traces_differing_only_in_seed_show_seed_among_the_differences(tmp_path):
    a, b = trace(tmp_path, "a", 0), trace(tmp_path, "b", 1)
    d = diff_traces(read_trace(a), read_trace(b))
    assert [(x.path, x.expected, x.found) for x in d.config] == [("seed", 0, 1)]
    out = simtool("diff", str(a), str(b))
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1:3] == ["configuration: 1 difference (A | B)", "  seed: 0 | 1"]
    assert len(out.stdout) < 2000  # not the two 4 KB headers


def test_config_differences_are_key_paths_with_both_values(tmp_path):
    a = trace(tmp_path, "a")
    b = trace(tmp_path, "b", overrides=("world.latency.default.response.high=90", "policy.max_retries=5"))
    lines = render_diff(diff_traces(read_trace(a), read_trace(b)))
    assert "  policy.max_retries: 3 | 5" in lines and "  world.latency.default.response.high: 60 | 90" in lines


def test_the_first_diverging_event_is_one_line_per_side_with_the_fields_that_differ(tmp_path):
    a, b = trace(tmp_path, "a"), trace(tmp_path, "b", overrides=("world.latency.default.response.high=90",))
    lines = render_diff(diff_traces(read_trace(a), read_trace(b)))
    at = lines.index("first diverging event: event 0 (line 2)")
    assert lines[at + 1] == "  A t=0 seq=0 subtask_start task=triage turn=0 epoch=0 reason=start · gold[0].resp_ms=50 gold[1].resp_ms=53"
    assert lines[at + 2] == "  B t=0 seq=0 subtask_start task=triage turn=0 epoch=0 reason=start · gold[0].resp_ms=65 gold[1].resp_ms=72"
    assert lines[at + 3].startswith("events: 20 | 21, 6 differing stretches")


def test_all_shows_every_differing_stretch(tmp_path):
    a, b = trace(tmp_path, "a"), trace(tmp_path, "b", overrides=("world.latency.default.response.high=90",))
    d = diff_traces(read_trace(a), read_trace(b))
    short, full = render_diff(d), render_diff(d, show_all=True)
    assert not any(line.startswith("  @@") for line in short)
    assert sum(line.startswith("  @@") for line in full) == len(d.stretches) == 6
    assert "  - t=151 seq=10 deliver call_id=c1 task=lookup outcome=ok" in full
    assert "  + t=174 seq=12 deliver call_id=c1 task=lookup outcome=ok" in full


def test_identical_traces_say_so_and_exit_0(tmp_path):
    a, b = trace(tmp_path, "a"), trace(tmp_path, "b")
    out = in_process("diff", str(a), str(b))  # the command as `simtool` runs it, in this process
    assert out.code == 0 and out.out.strip() == "identical"


def test_a_cut_trace_is_named_incomplete_and_ends_first(tmp_path):
    a = trace(tmp_path, "a")
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(a.read_text().splitlines(keepends=True)[:8]))
    lines = render_diff(diff_traces(read_trace(a), read_trace(cut, verify=False)), "a", "cut")
    assert "configuration: identical" in lines and "cut is incomplete (no footer)" in lines
    assert "  B (no more events)" in lines


def test_a_trace_of_another_simtool_version_names_the_version(tmp_path):
    a = trace(tmp_path, "a")
    lines = a.read_text().splitlines()
    header = json.loads(lines[0])
    header["simtool"] = "9.9.9"
    b = tmp_path / "b.jsonl"
    b.write_text("\n".join([json.dumps(header, sort_keys=True, separators=(",", ":")), *lines[1:-1]]) + "\n")
    out = render_diff(diff_traces(read_trace(a), read_trace(b)))
    assert f'  simtool: "{__version__}" | "9.9.9"' in out and "events: identical" in out and "B is incomplete (no footer)" in out
