"""``simtool compare`` with the llm policy against the local model server: the sync side is the
model under the ``sync`` protocol at the same latencies, each model is its own row."""

from __future__ import annotations

import json

import typer
from click.testing import Result
from typer.testing import CliRunner

from simtool.scoring.cli import register
from simtool.trace import read_trace
from tests.llm.conftest import KEY_ENV, WORLD


def _compare(*args: str) -> Result:
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, ["compare", str(WORLD), "--seeds", "1", *args])


def test_the_llm_sync_side_is_the_sync_protocol_at_the_same_latencies(model_server, api_key, tmp_path):
    sets = ["--set", f"policy.base_url={model_server.openai_url}", "--set", f"policy.api_key_env={KEY_ENV}",
            "--set", "policy.retry_base_ms=0"]
    result = _compare("-p", "llm,model=small", "-p", "llm,model=big,protocol=transcript", *sets, "--json",
                      "--trace-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(r["label"], r["sync_policy"]) for r in data["rows"]] == [("llm/small", "llm"), ("llm/big,protocol=transcript", "llm")]
    headers = {p.name: read_trace(p).header["config"] for p in tmp_path.glob("*.jsonl")}
    assert len(headers) == 4
    for name, config in headers.items():
        policy = config["policy"]
        side = "sync" if ".sync." in name else "async"
        assert policy["model"] == ("small" if "small" in name else "big")
        assert policy["protocol"] == ("sync" if side == "sync" else ("transcript" if "big" in name else "managed"))
        assert "scale" not in (config["world"]["latency"] or {})  # the same latencies on both sides
    for row in data["rows"]:
        assert row["sync"]["task_success_rate"]["mean"] == row["async"]["task_success_rate"]["mean"] == 1.0
    assert {s["model"] for s in data["scores"]} == {"small", "big"}


def test_llm_rows_print_one_line_per_model(model_server, api_key):
    sets = ["--set", f"policy.base_url={model_server.openai_url}", "--set", f"policy.api_key_env={KEY_ENV}"]
    result = _compare("-p", "llm,model=small", "-p", "llm,model=big", *sets, "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = [line.split(",")[:3] for line in result.stdout.splitlines()[1:]]
    assert lines == [["llm/small", "all", "all"], ["llm/big", "all", "all"]]


def test_two_policies_with_one_label_are_refused_before_any_run(model_server, api_key):
    sets = ["--set", f"policy.base_url={model_server.openai_url}", "--set", f"policy.api_key_env={KEY_ENV}"]
    result = _compare("-p", "llm,model=same", "-p", "llm,model=same", *sets)
    assert result.exit_code != 0 and "label=NAME" in str(result.exception)
    assert model_server.requests == []
    named = _compare("-p", "llm,model=same", "-p", "llm,model=same,label=again", *sets, "--format", "csv")
    assert named.exit_code == 0, named.output
    assert [line.split(",")[0] for line in named.stdout.splitlines()[1:]] == ["llm/same", "again"]


def test_a_policy_option_without_a_value_is_refused():
    result = _compare("-p", "llm,model")
    assert result.exit_code != 0 and "NAME[,KEY=VALUE...]" in str(result.exception)


def test_a_model_already_on_the_sync_protocol_is_warned_that_its_drop_means_nothing(model_server, api_key):
    sets = ["--set", f"policy.base_url={model_server.openai_url}", "--set", f"policy.api_key_env={KEY_ENV}"]
    result = _compare("-p", "llm,model=small,protocol=sync", *sets, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["warnings"][0].startswith("llm/small,protocol=sync: its sync and async sides are the same runs")
    assert data["rows"][0]["sync"] == data["rows"][0]["async"]
