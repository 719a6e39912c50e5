"""``simtool score`` and ``simtool compare`` on the command line."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from simtool.run import run_source
from simtool.scoring.cli import register
from simtool.trace import read_trace

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


def test_compare_puts_each_policy_beside_the_sequential_baseline_at_the_same_latencies(tmp_path):
    args = ["compare", world_path("crossed-replies"), "-p", "sequential", "-p", "interleave", "--seeds", "2", "--json",
            "--trace-dir", str(tmp_path)]
    result = runner.invoke(app(), args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["baseline"] == "sync" and "sequential" in data["sides"]["sync"]
    assert [(r["label"], r["sync_policy"]) for r in data["rows"]] == [("sequential", "sequential"), ("interleave", "sequential")]
    seq, inter = data["rows"]
    for row in data["rows"]:
        assert row["sync"]["traces"] == row["async"]["traces"] == 2
    # one sequential run per seed serves as everybody's sync side and as sequential's own async side
    assert seq["sync"] == seq["async"] == inter["sync"]
    assert inter["async"]["makespan_ms"]["mean"] < inter["sync"]["makespan_ms"]["mean"]
    for score in data["scores"]:
        assert score["profile"] == "delayed" and score["policy"] == ("interleave" if score["label"] == "interleave" and score["side"] == "async" else "sequential")
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == [
        f"crossed-replies.{label}.{side}.seed{seed}.jsonl"
        for label, side in (("interleave", "async"), ("sequential", "sync")) for seed in (0, 1)]
    table = runner.invoke(app(), ["compare", world_path("crossed-replies"), "-p", "interleave", "--seeds", "1"])
    assert table.exit_code == 0 and "sync" in table.output and "async" in table.output and "sequential" in table.output


def test_compare_can_take_the_instant_profile_as_the_sync_side():
    result = runner.invoke(app(), ["compare", world_path("crossed-replies"), "-p", "interleave", "--seeds", "1", "--json",
                                   "--baseline", "instant"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    row = data["rows"][0]
    assert data["baseline"] == "instant" and row["sync_policy"] == "interleave"
    assert [s["profile"] for s in data["scores"]] == ["instant", "delayed"]
    assert row["sync"]["coordination_efficiency"]["mean"] == 1.0
    bad = runner.invoke(app(), ["compare", world_path("crossed-replies"), "--baseline", "never"])
    assert bad.exit_code != 0 and "sync | instant" in str(bad.exception)


def test_the_sequential_baseline_takes_the_common_overrides_not_a_policys_own_options(tmp_path):
    args = ["compare", world_path("crossed-replies"), "-p", "eager,think=7", "--seeds", "1", "--json",
            "--set", "policy.max_retries=1", "--trace-dir", str(tmp_path)]
    result = runner.invoke(app(), args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"][0]["label"] == "eager,think=7"
    sync = read_trace(tmp_path / "crossed-replies.sequential.sync.seed0.jsonl").header["config"]["policy"]
    own = read_trace(tmp_path / "crossed-replies.eager_think_7.async.seed0.jsonl").header["config"]["policy"]
    assert (sync["name"], sync["max_retries"]) == ("sequential", 1) and sync["think"] != own["think"]
    assert (own["name"], own["max_retries"], own["think"]) == ("eager", 1, 7)
