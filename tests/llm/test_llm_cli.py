"""``simtool run`` with the llm policy in its own process prints the token and cost summary;
``simtool replay`` of its trace runs offline; neither process prints the key, even with the
SDKs' debug logging on."""

from __future__ import annotations

import os
import subprocess
import sys

from simtool.trace import read_trace
from tests.llm.conftest import KEY_ENV, SECRET, WORLD


def simtool(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simtool", *args], env=env, capture_output=True, text=True, timeout=120)


def test_simtool_run_prints_usage_and_cost_and_replays_offline(model_server, tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="7", COLUMNS="300", OPENAI_LOG="debug", ANTHROPIC_LOG="debug", **{KEY_ENV: SECRET})
    trace, cassette = tmp_path / "run.jsonl", tmp_path / "run.cassette.jsonl"
    sets = [f"policy.{k}={v}" for k, v in {
        "provider": "anthropic", "protocol": "transcript", "model": "brain", "base_url": model_server.anthropic_url,
        "api_key_env": KEY_ENV, "cassette": str(cassette), "llm_mode": "record", "retry_base_ms": 0,
        "price_input_per_mtok": 3, "price_output_per_mtok": 15,
    }.items()]
    done = simtool("run", str(WORLD), "--policy", "llm", "--seed", "4", "--trace", str(trace),
                   *[a for s in sets for a in ("--set", s)], env=env)
    assert done.returncode == 0, done.stderr
    assert "end: all_done" in done.stdout and "'cost_usd'" in done.stdout and "'input_tokens'" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    assert "HTTP Request: POST" in done.stderr or "Sending HTTP Request" in done.stderr  # the debug log was on
    end = [e for e in read_trace(trace).events if e["kind"] == "end"][0]
    assert end["policy"]["cost_usd"] > 0
    model_server.stop()
    del env[KEY_ENV]
    again = simtool("replay", str(trace), env=dict(env, PYTHONHASHSEED="99"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "replays byte for byte" in again.stdout
