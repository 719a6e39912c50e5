"""`simtool shrink`: a strictly smaller world that still fails the same invariant, the same bytes twice."""

from __future__ import annotations

import pytest
import yaml

from simtool.config import run_config
from simtool.errors import SpecError
from simtool.hunting import shrink_trace, world_size
from simtool.hunting.shrink import default_output
from simtool.run import run, run_source

from .support import RACES, run_repro, simtool, simtool_here

CASES = [("eager", 1, "out_of_order_wrong_state"), ("unbound", 1, "wrong_binding"),
         ("oblivious", 4, "leaked_result_relied_on"), ("oblivious", 1, "call_on_cancelled_task")]


@pytest.mark.parametrize(("policy", "seed", "name"), CASES)
def test_shrink_returns_a_strictly_smaller_world_that_still_fails(policy, seed, name, tmp_path):
    trace = tmp_path / "run.jsonl"
    run_source(RACES, policy, seed, trace_path=trace)
    result = shrink_trace(trace, name, tmp_path / "min.yaml")
    original = run(run_config(RACES, policy)[0], seed).config
    shrunk = run(run_config(result.path, policy)[0], result.seed).config
    assert world_size(shrunk) == result.size_after < result.size_before == world_size(original)
    assert len(shrunk["world"]["tasks"]) < len(original["world"]["tasks"])
    found = run_repro(result.repro, tmp_path / "repro.jsonl")
    assert found[name], result.repro


def test_shrinking_gives_the_same_output_twice(tmp_path):
    trace = tmp_path / "run.jsonl"
    run_source(RACES, "oblivious", 4, trace_path=trace)
    first = simtool("shrink", str(trace), "--invariant", "leaked_result_relied_on", "--out", str(tmp_path / "a.yaml"))
    second = simtool_here("shrink", str(trace), "--invariant", "leaked_result_relied_on", "--out", str(tmp_path / "b.yaml"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    assert first.stdout.replace("a.yaml", "b.yaml") == second.stdout
    assert "repro: simtool run " in first.stdout


def test_shrink_makes_latencies_constant_and_turns_tie_shuffle_off_when_the_race_allows(tmp_path):
    trace = tmp_path / "run.jsonl"
    run_source(RACES, "eager", 1, ["world.tie_shuffle=true"], trace_path=trace)
    result = shrink_trace(trace, "out_of_order_wrong_state")
    assert result.path == str(default_output(trace)) == str(tmp_path / "run.shrunk.yaml")
    world = yaml.safe_load(result.text)
    assert world.get("tie_shuffle", False) is False
    legs = [v for tools in world["latency"].get("services", {}).values() for t in tools["tools"].values() for v in t.values()]
    assert legs and all(isinstance(v, int) for v in legs + list(world["latency"]["default"].values()))
    assert len(set(legs) - {0}) <= 2
    assert world["policy"]["think"] == 0


def test_shrink_refuses_a_trace_that_does_not_fail_the_invariant(tmp_path):
    trace = tmp_path / "good.jsonl"
    run_source(RACES, "interleave", 0, trace_path=trace)
    with pytest.raises(SpecError, match="does not show 'leaked_result_relied_on'"):
        shrink_trace(trace, "leaked_result_relied_on")
    done = simtool_here("shrink", str(trace), "--invariant", "leaked_result_relied_on")
    assert done.returncode == 2
    assert "good.jsonl" in "".join(done.stderr.split()) and "does not show 'leaked_result_relied_on'" in " ".join(done.stderr.split())
