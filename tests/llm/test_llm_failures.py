"""API errors: retried with recorded backoff; a model that cannot be reached ends the run with
a clear message and an incomplete trace; replay misses name the request and the decision."""

from __future__ import annotations

import re
import socket

import pytest

from policies.llm import LLMOptions, LLMPolicy
from policies.llm.cassette import CassetteError, CassetteMiss
from simtool.errors import SpecError
from simtool.policy import PolicyAbort
from simtool.run import run
from simtool.trace import INCOMPLETE_SUFFIX, read_trace
from tests.llm.conftest import KEY_ENV, llm_config, server_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with(config: dict, **policy) -> dict:
    return config | {"policy": {**config["policy"], **policy}}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_rate_limits_and_server_errors_are_retried_with_recorded_backoff(model_server, api_key, monkeypatch, tmp_path, provider):
    model_server.quirks.update({0: "http_429", 1: "http_503"})
    config = llm_config(server_url(model_server, provider), provider, "managed", cassette=str(tmp_path / "c.jsonl"),
                        retry_base_ms=1, retry_max_ms=2)
    recorded = run(_with(config, llm_mode="record"), 2, tmp_path / "a.jsonl")
    first = next(e for e in recorded.events() if e["kind"] == "decide")
    retries = first["note"]["retries"]
    assert [(r["attempt"], r["status"], r["wait_ms"]) for r in retries] == [(1, 429, 1), (2, 503, 2)]
    assert recorded.end_reason == "all_done" and recorded.events()[-2]["policy"]["retries"] == 2
    model_server.stop()
    monkeypatch.delenv(KEY_ENV)
    run(_with(config, llm_mode="replay"), 2, tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_request_that_times_out_is_retried(run_llm, model_server, provider):
    model_server.quirks[0] = "slow"
    result = run_llm(provider, "managed", timeout_s=0.05)
    first = next(e for e in result.events() if e["kind"] == "decide")
    assert first["note"]["retries"] == [{"attempt": 1, "status": None, "error": "timed out after 0.05 s", "wait_ms": 0}]
    assert result.end_reason == "all_done"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_model_that_cannot_be_reached_ends_the_run_incomplete(api_key, tmp_path, provider):
    url = f"http://127.0.0.1:{_closed_port()}" + ("/v1" if provider == "openai" else "")
    config = llm_config(url, provider, "transcript", max_attempts=2)
    with pytest.raises(PolicyAbort, match=r"cannot reach the model at http://127\.0\.0\.1:\d+.*2 attempt\(s\) failed.*connection error"):
        run(config, 0, tmp_path / "t.jsonl")
    assert not (tmp_path / "t.jsonl").exists()
    trace = read_trace(tmp_path / "t.jsonl")
    assert trace.path.endswith(INCOMPLETE_SUFFIX) and not trace.complete


def test_a_refused_key_aborts_at_once_naming_the_variable(model_server, api_key, tmp_path):
    model_server.quirks[0] = "http_401"
    with pytest.raises(PolicyAbort, match=f"HTTP 401.*environment variable {KEY_ENV}"):
        run(llm_config(model_server.openai_url), 0, tmp_path / "t.jsonl")
    assert len(model_server.requests) == 1  # not retried
    assert (tmp_path / ("t.jsonl" + INCOMPLETE_SUFFIX)).exists()


def test_an_unset_key_variable_is_named_before_any_request(monkeypatch):
    monkeypatch.delenv("SIMTOOL_NO_SUCH_KEY", raising=False)
    config = llm_config("", api_key_env="SIMTOOL_NO_SUCH_KEY")
    with pytest.raises(PolicyAbort, match="environment variable SIMTOOL_NO_SUCH_KEY is not set"):
        run(config, 0)


def test_a_local_server_needs_no_key(model_server, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert run(llm_config(model_server.openai_url), 0).end_reason == "all_done"
    assert set(model_server.keys_seen) == {"none"}


def test_a_replay_that_leaves_the_recording_names_the_request_and_decision(model_server, api_key, tmp_path):
    cassette = tmp_path / "c.jsonl"
    config = llm_config(model_server.openai_url, cassette=str(cassette))
    run(_with(config, llm_mode="record"), 1)
    model_server.stop()
    with pytest.raises(CassetteMiss) as caught:
        run(_with(config, llm_mode="replay"), 2, tmp_path / "t.jsonl")  # another seed: other latencies
    message = str(caught.value)
    assert re.search(r"has no response for request [0-9a-f]{64} \(decision \d+\)", message)
    assert str(cassette) in message
    assert not read_trace(tmp_path / "t.jsonl").complete


def test_replay_without_the_cassette_file_is_a_clear_error(tmp_path):
    config = llm_config("", cassette=str(tmp_path / "missing.jsonl"), llm_mode="replay")
    with pytest.raises(CassetteError, match="missing.jsonl: no such cassette"):
        run(config, 0)


def test_a_damaged_cassette_names_its_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"key": "a", "request": {}, "response": {}}\n{"key": \n', encoding="utf-8")
    with pytest.raises(CassetteError, match=r"c\.jsonl:2: not a JSON line"):
        run(llm_config("", cassette=str(path), llm_mode="replay"), 0)


def test_the_decision_budget_stops_the_model_and_the_run_ends(run_llm, model_server):
    result = run_llm("openai", "transcript", max_decisions=2)
    events = result.events()
    assert len(model_server.requests) == 2
    assert result.end_reason == "stalled"
    decides = [e for e in events if e["kind"] == "decide"]
    assert "stopped" in decides[-1]["note"] and decides[-1]["wait"] == {"call_ids": [], "timeout_ms": None}
    assert events[-2]["policy"]["stopped"] is True and events[-2]["policy"]["requests"] == 2
    assert events[-2]["policy"]["malformed_outputs"] == 0


@pytest.mark.parametrize(("options", "key"), [
    ({"provider": "gemini"}, "policy.provider"),
    ({"protocol": "chat"}, "policy.protocol"),
    ({"llm_mode": "offline"}, "policy.llm_mode"),
    ({"llm_mode": "record"}, "policy.cassette"),
    ({"cassette": "c.jsonl"}, "policy.llm_mode"),
    ({"temperature": "hot"}, "policy.temperature"),
    ({"max_decisions": 0}, "policy.max_decisions"),
    ({"provider": "anthropic", "max_tokens": None}, "policy.max_tokens"),
    ({"api_key": "sk-x"}, "policy.api_key"),
])
def test_options_are_checked_naming_the_key(options, key):
    with pytest.raises(SpecError) as caught:
        LLMPolicy(options)
    assert caught.value.key == key


def test_the_header_records_every_option_with_provider_defaults_filled(run_llm):
    header = run_llm("anthropic", "managed", model="").events()[0]
    policy = header["config"]["policy"]
    assert set(policy) == {"name"} | {f.name for f in LLMOptions.__attrs_attrs__}
    assert policy["model"] == "claude-haiku-4-5" and policy["api_key_env"] == KEY_ENV
    assert LLMPolicy({}).options.api_key_env == "OPENAI_API_KEY"
