"""Same seed, same bytes in separate processes under any PYTHONHASHSEED; replay and diff name the divergence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simtool.run import replay, run_source
from tests.hardening.support import simtool as in_process


def simtool(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.run([sys.executable, "-m", "simtool", *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("det")
    out = {}
    for name, seed, hashseed in (("a", "5", "1"), ("b", "5", "4242")):  # two processes, two hash seeds
        path = tmp / f"{name}.jsonl"
        done = simtool("run", "--seed", seed, "--trace", str(path), "--policy", "critical-path", hashseed=hashseed)
        assert done.returncode == 0, done.stderr
        out[name] = path
    out["c"] = tmp / "c.jsonl"  # another seed: in this process
    run_source(None, "critical-path", 6, trace_path=out["c"])
    return out


def test_same_seed_gives_identical_bytes_across_processes_and_hash_seeds(traces):
    assert traces["a"].read_bytes() == traces["b"].read_bytes()


def test_the_in_process_run_matches_the_separate_processes(traces):
    result = run_source(None, "critical-path", 5)
    assert result.lines and "".join(line + "\n" for line in result.lines).encode() == traces["a"].read_bytes()


def test_different_seeds_give_different_traces(traces):
    assert traces["a"].read_bytes() != traces["c"].read_bytes()


def test_replay_passes_on_a_fresh_trace(traces):
    done = simtool("replay", str(traces["a"]))
    assert done.returncode == 0, done.stderr
    assert "identical" in done.stdout


def _forge(lines: list[str]) -> str:
    """The lines with a footer recomputed over them: what a forger (not an accident) writes."""
    import hashlib

    body = "".join(line + "\n" for line in lines[:-1])
    footer = json.dumps({"digest": hashlib.sha256(body.encode()).hexdigest(), "kind": "footer", "lines": len(lines) - 1},
                        sort_keys=True, separators=(",", ":"))
    return body + footer + "\n"


def _tampered_lines(trace):
    lines = trace.read_text().splitlines()
    target = next(i for i, line in enumerate(lines) if '"kind":"execute"' in line)
    lines[target] = lines[target].replace('"queued_ms":0', '"queued_ms":1', 1)
    assert lines[target] != trace.read_text().splitlines()[target]
    return lines, target


def test_replay_refuses_a_trace_changed_after_it_was_written_before_running(traces, tmp_path):
    lines, target = _tampered_lines(traces["a"])
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    done = in_process("replay", str(tampered))
    assert done.code == 2 and "footer digest does not match" in done.err and "Traceback" not in done.text


def test_replay_of_a_forged_trace_fails_naming_the_event(traces, tmp_path):
    lines, target = _tampered_lines(traces["a"])
    forged = tmp_path / "forged.jsonl"
    forged.write_text(_forge(lines))
    result = replay(forged)  # the digest detects accidents, not forgery: only the replay proves the trace
    assert not result.identical and result.line == target + 1
    done = in_process("replay", str(forged))
    assert done.code == 1
    assert f"line {target + 1}" in done.out and '"kind":"execute"' in done.out


def test_diff_reports_the_first_divergence(traces):
    done = in_process("diff", str(traces["a"]), str(traces["c"]))
    assert done.code == 1 and "  seed: 5 | 6" in done.out and "first diverging event: event 0" in done.out
    assert in_process("diff", str(traces["a"]), str(traces["b"])).code == 0


def test_run_prints_a_summary_and_lists_worlds_and_policies():
    done = simtool("run", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert "makespan" in done.stdout and "sub-tasks passed" in done.stdout
    assert "default" in in_process("worlds").out
    listed = in_process("policies").out.split()
    for name in ("sequential", "interleave", "critical-path", "eager", "unbound", "oblivious"):
        assert name in listed


def test_a_bad_override_is_a_clear_error_not_a_traceback():
    done = in_process("run", "--set", "world.enforcement=sometimes")
    assert done.code == 2
    assert "enforcement" in done.err and "Traceback" not in done.text


def test_canonical_json_never_depends_on_hash_order():
    code = "from simtool.trace import canonical; print(canonical({'s': {'pear', 'apple', 'fig', 'kiwi'}, 'b': 1, 'a': 2}))"
    outs = {subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONHASHSEED=h), capture_output=True, text=True).stdout for h in ("1", "2", "3")}
    assert outs == {'{"a":2,"b":1,"s":["apple","fig","kiwi","pear"]}\n'}
