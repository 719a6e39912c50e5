"""``simtool score`` and ``simtool compare`` on the command line."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from simtool.run import run_source
from simtool.scoring.cli import register

from .helpers import world_path

runner = CliRunner()
KEYS = ("step_f1_name", "step_f1_args", "step_precision", "step_recall", "subtask_success_rate", "task_success_rate",
        "instance_success", "makespan_ms", "lower_bound_ms", "sequential_ms", "coordination_efficiency", "idle_ready_ms",
        "task_switches", "same_task_streak", "violations")
VIOLATION_KEYS = ("dependency_violation", "out_of_order_execution", "stale_result_used", "revoked_leak",
                  "call_on_cancelled_task", "wrong_task_tool", "premature_respond", "agent_errors", "wrong_binding")


def app() -> typer.Typer:
    a = typer.Typer()
    register(a)
    return a


def traces(tmp_path, policies=("interleave", "unbound"), seeds=(0, 1)):
    out = []
    for p in policies:
        for s in seeds:
            path = tmp_path / f"{p}-{s}.jsonl"
            run_source(world_path("crossed-replies"), p, s, (), path)
            out.append(str(path))
    return out


def test_score_json_has_the_issues_keys_per_trace_and_groups(tmp_path):
    paths = traces(tmp_path)
    result = runner.invoke(app(), ["score", *paths, "--json", "--by", "policy"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["traces"]) == 4
    for s in data["traces"]:
        assert all(k in s for k in KEYS) and all(k in s["violations"] for k in VIOLATION_KEYS)
        assert s["complete"] is True
    assert [g["group"] for g in data["groups"]] == ["interleave", "unbound"]
    assert data["groups"][0]["pass_hat_k"] == {"1": 1.0, "2": 1.0}


def test_score_table_for_one_and_several_traces_and_an_incomplete_one(tmp_path):
    paths = traces(tmp_path, ("interleave",), (0,))
    one = runner.invoke(app(), ["score", paths[0]])
    assert one.exit_code == 0 and "coordination efficiency" in one.output
    lines = open(paths[0]).read().splitlines()[:-1]
    cut = tmp_path / "cut.jsonl.incomplete"
    cut.write_text("\n".join(lines) + "\n")
    several = runner.invoke(app(), ["score", paths[0], str(cut)])
    assert several.exit_code == 0 and "incomplete" in several.output
    data = json.loads(runner.invoke(app(), ["score", str(tmp_path / "cut.jsonl"), "--json"]).output)
    assert data["traces"][0]["complete"] is False and data["groups"] == []


def test_score_refuses_an_unknown_grouping(tmp_path):
    paths = traces(tmp_path, ("interleave",), (0,))
    result = runner.invoke(app(), ["score", paths[0], "--by", "colour"])
    assert result.exit_code != 0
    assert "policy | world | instance" in str(result.exception)


def test_compare_runs_instant_and_delayed_side_by_side(tmp_path):
    args = ["compare", world_path("crossed-replies"), "-p", "sequential", "-p", "interleave", "--seeds", "2", "--json",
            "--trace-dir", str(tmp_path)]
    result = runner.invoke(app(), args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["policy"] for r in data["rows"]] == ["sequential", "interleave"]
    for row in data["rows"]:
        assert row["instant"]["traces"] == row["delayed"]["traces"] == 2
        assert row["instant"]["coordination_efficiency"]["mean"] == 1.0
        assert row["instant"]["subtask_success_rate"]["mean"] == 1.0
    seq, inter = data["rows"]
    assert inter["delayed"]["makespan_ms"]["mean"] < seq["delayed"]["makespan_ms"]["mean"]
    assert len(list(tmp_path.glob("*.jsonl"))) == 8
    table = runner.invoke(app(), ["compare", world_path("crossed-replies"), "-p", "interleave", "--seeds", "1"])
    assert table.exit_code == 0 and "instant" in table.output and "delayed" in table.output
