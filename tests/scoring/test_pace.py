"""The latency/think ratio: in every score and run summary, and ``simtool compare`` warns below 1."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from simtool.run import run
from simtool.scoring.cli import register
from simtool.scoring.history import trace_from_lines
from simtool.scoring.pace import latency_think_ratio
from simtool.scoring.score import score_trace
from simtool.summary import summarize
from tests.llm.conftest import world_data

from .helpers import world_path


def _run(latency_ms: int, think_ms: int):
    world = world_data()
    world["latency"] = {"default": {"request": 0, "service": latency_ms, "response": 0}}
    return run({"world": world, "policy": {"name": "interleave", "think": think_ms}}, 0)


def test_the_ratio_is_the_median_latency_over_the_median_think_time():
    result = _run(300, 100)
    assert latency_think_ratio(result.events()) == 3.0
    assert score_trace(trace_from_lines(result.lines, "<run>"))["latency_think_ratio"] == 3.0
    assert summarize(result.events())["totals"]["latency_think_ratio"] == 3.0
    assert latency_think_ratio(_run(30, 120).events()) == 0.25


def test_the_ratio_is_none_without_calls_or_without_thought():
    events = _run(300, 100).events()
    assert latency_think_ratio([e for e in events if e["kind"] != "issue"]) is None
    assert latency_think_ratio([e for e in events if e["kind"] != "decide"]) is None


def _compare(think: int) -> tuple:
    app = typer.Typer()
    register(app)
    args = ["compare", world_path("crossed-replies"), "-p", "interleave", "--seeds", "1", "--set", f"policy.think={think}"]
    return CliRunner().invoke(app, [*args, "--json"]), CliRunner().invoke(app, args)


def test_compare_warns_when_the_tools_are_faster_than_the_agent_thinks():
    as_json, table = _compare(100_000)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["rows"][0]["delayed"]["latency_think_ratio"]["mean"] < 1
    assert len(data["warnings"]) == 1 and data["warnings"][0].startswith("interleave: median tool latency")
    assert "warning:" in table.output and "below 1" in table.output


def test_compare_does_not_warn_when_the_tools_are_slower_than_the_agent_thinks():
    as_json, table = _compare(1)
    data = json.loads(as_json.output)
    assert data["rows"][0]["delayed"]["latency_think_ratio"]["mean"] > 1
    assert data["warnings"] == [] and "warning:" not in table.output
