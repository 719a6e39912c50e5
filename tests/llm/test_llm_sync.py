"""The ``sync`` protocol against the real local HTTP model server: every domain call is
answered with its result in the next prompt, the agent is blocked (and the clock charges the
latencies) until all calls of a reply have ended, and the calls of one reply run concurrently."""

from __future__ import annotations

import json

import pytest

from simtool.trace import canonical

PROVIDERS = ["openai", "anthropic"]


def _tool_answers(body: dict) -> dict[str, str]:
    """tool use id -> the answer's text, over a request body of either API."""
    if "system" in body:  # anthropic
        return {b["tool_use_id"]: b["content"] for m in body["messages"] for b in m["content"]
                if isinstance(b, dict) and b.get("type") == "tool_result"}
    return {m["tool_call_id"]: m["content"] for m in body["messages"] if m["role"] == "tool"}


def _tool_uses(body: dict) -> dict[str, tuple[str, dict]]:
    """tool use id -> (tool name, arguments), over a request body of either API."""
    if "system" in body:
        return {b["id"]: (b["name"], b["input"]) for m in body["messages"] if m["role"] == "assistant"
                for b in m["content"] if b.get("type") == "tool_use"}
    return {c["id"]: (c["function"]["name"], json.loads(c["function"]["arguments"]))
            for m in body["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or ()}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sync_answers_every_domain_call_with_its_result_inline(run_llm, model_server, provider):
    result = run_llm(provider, "sync")
    events = result.events()
    assert result.end_reason == "all_done"
    responds = [e for e in events if e["kind"] == "respond"]
    assert len(responds) == 4 and all(e["state_ok"] and e["results_ok"] for e in responds)
    delivered = [canonical(e["result"]) for e in events if e["kind"] == "deliver"]
    last = model_server.requests[-1]
    answers, uses = _tool_answers(last), _tool_uses(last)
    domain = [answers[i] for i, (name, _) in uses.items() if name not in ("wait", "cancel", "respond") and i in answers]
    assert len(domain) == len(delivered) == 6
    assert sorted(domain) == sorted(delivered)
    assert not any(a.startswith("pending") for a in answers.values())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sync_blocks_the_agent_until_every_call_of_a_reply_has_ended(run_llm, model_server, provider):
    events = run_llm(provider, "sync").events()
    ended = {e["call_id"]: e["t"] for e in events if e["kind"] == "deliver"}
    asked = [e for e in events if e["kind"] == "decide" and "request" in e["note"]]
    assert len(asked) == len(model_server.requests)
    issued = [e for e in events if e["kind"] == "issue"]
    for decision in asked[1:]:
        before = [ended[e["call_id"]] for e in issued if e["t"] <= decision["t"]]
        assert all(t <= decision["t"] for t in before)  # no model request while a call is in flight
    # the model is asked again exactly when the last call of its reply ends: the latency is charged
    batches: dict[int, list[int]] = {}
    for e in issued:
        batches.setdefault(e["t"], []).append(ended[e["call_id"]])
    asked_at = {d["t"] for d in asked}
    assert all(max(ends) in asked_at for ends in batches.values())
    # while blocked the policy only waits: no request, no think time
    blocked = [e for e in events if e["kind"] == "decide" and "blocked_on" in e["note"]]
    assert blocked and all(e["think_ms"] == 0 and not e["actions"] for e in blocked)
    end = next(e for e in events if e["kind"] == "end")
    latency = sum(max(ends) - t for t, ends in batches.items())
    assert end["t"] >= end["think_ms"] + latency


def test_sync_runs_the_calls_of_one_reply_concurrently_and_answers_them_together(run_llm, model_server):
    events = run_llm("openai", "sync").events()
    decision = next(e for e in events if e["kind"] == "decide")
    first = [e for e in events if e["kind"] == "issue" and e["t"] == decision["t"] + decision["think_ms"]]
    assert len({e["task"] for e in first}) == 3  # three tasks' calls went out in one decision
    ended = {e["call_id"]: e["t"] for e in events if e["kind"] == "deliver"}
    assert len({ended[e["call_id"]] for e in first}) == 3  # and ended at different times
    second = model_server.requests[1]
    answers = [m for m in second["messages"] if m["role"] == "tool"]
    assert len(answers) == 3 and not any(a["content"].startswith(("pending", "error")) for a in answers)
    reply_ids = [c["id"] for c in second["messages"][-4]["tool_calls"]]
    assert [a["tool_call_id"] for a in answers] == reply_ids


def test_sync_tells_the_model_how_it_is_answered(run_llm, model_server):
    run_llm("anthropic", "sync")
    assert "answers with its result" in model_server.requests[0]["system"]
