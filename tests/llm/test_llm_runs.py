"""Full runs of the llm policy through the real openai and anthropic SDKs, against a local
server, under both protocols; recording, then replaying offline; the key never written."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from simtool.run import replay, run
from simtool.trace import read_trace
from tests.llm.conftest import KEY_ENV, SECRET, llm_config, server_url

CASES = [("openai", "managed"), ("openai", "transcript"), ("anthropic", "managed"), ("anthropic", "transcript")]


@pytest.mark.parametrize(("provider", "protocol"), CASES)
def test_a_multi_task_run_completes_every_task(run_llm, model_server, provider, protocol):
    result = run_llm(provider, protocol)
    events = result.events()
    assert result.end_reason == "all_done"
    responds = [e for e in events if e["kind"] == "respond"]
    assert [(e["task"], e["turn"]) for e in responds if e["task"] == "vpn"] == [("vpn", 0), ("vpn", 1)]
    assert len(responds) == 4 and all(e["state_ok"] and e["results_ok"] for e in responds)
    assert not [e for e in events if e["kind"] == "agent_error"]
    # several tasks' calls were in flight together
    issued = [e for e in events if e["kind"] == "issue"]
    assert len({e["task"] for e in issued if e["t"] == issued[0]["t"]}) == 3
    decides = [e for e in events if e["kind"] == "decide"]
    assert len(decides) == len(model_server.requests)
    for d in decides:
        assert re.fullmatch(r"[0-9a-f]{64}", d["note"]["request"])
        assert d["note"]["usage"]["input_tokens"] > 0 and d["think_ms"] > 0
    end = next(e for e in events if e["kind"] == "end")
    summary = end["policy"]
    assert summary["provider"] == provider and summary["protocol"] == protocol
    assert summary["requests"] == len(decides)
    assert summary["input_tokens"] == sum(d["note"]["usage"]["input_tokens"] for d in decides)
    assert summary["output_tokens"] == sum(d["note"]["usage"]["output_tokens"] for d in decides)
    assert summary["cost_usd"] > 0
    assert end["think_ms"] == summary["think_ms"]


def test_the_protocols_differ_in_what_the_model_reads(run_llm, model_server):
    run_llm("openai", "transcript")
    transcript = model_server.requests[-1]["messages"]
    assert any(m["role"] == "tool" and m["content"].startswith("pending, call_id c") for m in transcript)
    assert any(m["role"] == "user" and re.search(r"c\d+ \(task \S+, \w+\) -> ok: ", m["content"]) for m in transcript)
    start = len(model_server.requests)
    run_llm("openai", "managed")
    for body in model_server.requests[start:]:
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert body["messages"][1]["content"].startswith("Time: ")


@pytest.mark.parametrize(("provider", "protocol"), CASES)
def test_record_then_replay_with_the_server_stopped_gives_identical_bytes(
        model_server, api_key, monkeypatch, tmp_path, provider, protocol):
    cassette = tmp_path / "cassette.jsonl"
    config = llm_config(server_url(model_server, provider), provider, protocol, cassette=str(cassette))
    recorded = run(config | {"policy": {**config["policy"], "llm_mode": "record"}}, 5, tmp_path / "recorded.jsonl")
    assert recorded.end_reason == "all_done"
    model_server.stop()
    monkeypatch.delenv(KEY_ENV)
    replayed = run(config | {"policy": {**config["policy"], "llm_mode": "replay"}}, 5, tmp_path / "replayed.jsonl")
    assert (tmp_path / "recorded.jsonl").read_bytes() == (tmp_path / "replayed.jsonl").read_bytes()
    assert read_trace(tmp_path / "recorded.jsonl").header["config"]["policy"]["llm_mode"] == "replay"
    assert replayed.events()[-2]["policy"]["requests"] == len(cassette.read_text().splitlines())
    # and the trace replays from its own header, offline
    assert replay(tmp_path / "recorded.jsonl").identical


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_key_reaches_the_server_and_no_file_or_log(model_server, api_key, tmp_path, caplog, capsys, provider):
    caplog.set_level(logging.DEBUG)
    config = llm_config(server_url(model_server, provider), provider, "transcript",
                        cassette=str(tmp_path / "cassette.jsonl"), llm_mode="record")
    config["policy"]["instructions"] = f"The key lives in ${KEY_ENV}."
    result = run(config, 1, tmp_path / "trace.jsonl")
    assert result.end_reason == "all_done"
    assert model_server.keys_seen and set(model_server.keys_seen) == {SECRET}
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in written} == {"cassette.jsonl", "trace.jsonl"}
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in caplog.text
    captured = capsys.readouterr()
    assert SECRET not in captured.out and SECRET not in captured.err
    assert KEY_ENV in Path(tmp_path / "trace.jsonl").read_text()  # the variable's name is recorded, not its value


@pytest.mark.parametrize("protocol", ["managed", "transcript"])
def test_a_task_cancelled_by_its_user_is_told_to_the_model(model_server, api_key, protocol):
    config = llm_config(model_server.openai_url, "openai", protocol)
    config["world"]["faults"] = [{"at_ms": 200, "kind": "cancel_task", "task": "laptop"}]
    result = run(config, 3)
    events = result.events()
    assert result.end_reason == "all_done"
    assert next(e for e in events if e["kind"] == "end")["tasks"]["laptop"]["status"] == "cancelled"
    responds = [e for e in events if e["kind"] == "respond"]
    assert {e["task"] for e in responds} == {"vpn", "cleanup"} and all(e["state_ok"] for e in responds)
    seen = json.dumps(model_server.requests[-1])
    assert "task laptop was cancelled by its user" in seen or "Task laptop [cancelled]" in seen


def test_the_model_is_told_to_wait_for_the_calls_its_next_call_depends_on(run_llm, model_server):
    run_llm("openai", "managed")
    system = model_server.requests[0]["messages"][0]["content"]
    assert "a call that needs another call's result must wait for it" in system
    assert "wait for a call that changes a service before calling that service again for the same task" in system
    summaries = [body["messages"][1]["content"] for body in model_server.requests]
    flying = [s for s in summaries if "-> in flight since" in s]
    assert flying and all("  order of the calls in flight" in s for s in flying)
    assert all("order of the calls in flight" not in s for s in summaries if s not in flying)
    # each call in flight gets one order line naming it, after its task's calls
    for s in flying:
        in_flight = re.findall(r"^    (c\d+) \S+ \{.*\} -> in flight since", s, re.M)
        ordered = re.findall(r"^    (c\d+) (?:changes|reads) TicketAPI: wait for its result before ", s, re.M)
        assert sorted(in_flight) == sorted(ordered)
    start = len(model_server.requests)
    run_llm("openai", "transcript")
    answers = [m["content"] for body in model_server.requests[start:] for m in body["messages"] if m["role"] == "tool"]
    assert "pending, call_id c0; it changes TicketAPI: wait for its result before another TicketAPI call of this task" in answers
    assert any(re.fullmatch(r"pending, call_id c\d+; it reads TicketAPI: .*", a) for a in answers)
