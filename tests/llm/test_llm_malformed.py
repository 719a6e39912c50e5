"""Every kind of malformed model output becomes one ``agent_error`` with the raw text, and the
run goes on to complete every task."""

from __future__ import annotations

import pytest

from tests.llm.fake_model import QUIRKS

EXPECTED = {
    # quirk -> (reason in the trace, who records it)
    "bad_json": ("malformed_output", "policy"),
    "unknown_tool": ("unknown_tool", "runtime"),
    "wrong_task": ("unknown_task", "runtime"),
    "no_task_id": ("bad_arguments", "policy"),
    "bad_wait": ("bad_arguments", "policy"),
    "text_only": ("no_tool_call", "policy"),
    "too_many": ("too_many_calls", "policy"),
    "refusal": ("refusal", "policy"),
}


def _raw_ok(quirk: str, raw) -> bool:
    if quirk == "bad_json":
        return raw == {"tool": "ticket_login", "arguments": '{"task_id": "vpn", "title": '}
    if quirk == "unknown_tool":
        return raw == {"task": "vpn", "tool": "frobnicate_ticket", "args": {}}
    if quirk == "wrong_task":
        return raw["task"] == "no-such-task" and raw["tool"] == "ticket_login"
    if quirk == "no_task_id":
        return raw["tool"] == "ticket_login" and '"mara"' in raw["arguments"] and "task_id" not in raw["arguments"]
    if quirk == "bad_wait":
        return raw["tool"] == "wait" and '"soon"' in raw["arguments"]
    if quirk == "text_only":
        return raw == "Let me think about these tickets first."
    if quirk == "too_many":
        return isinstance(raw, list) and len(raw) == 12 - 8 and all(r["tool"] == "wait" for r in raw)
    return raw == "I can't help with that."


def test_every_quirk_is_covered():
    assert set(EXPECTED) == set(QUIRKS)


@pytest.mark.parametrize("protocol", ["managed", "transcript"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("quirk", QUIRKS)
def test_a_malformed_output_is_recorded_and_survived(run_llm, model_server, quirk, provider, protocol):
    model_server.quirks[0] = quirk
    result = run_llm(provider, protocol)
    events = result.events()
    errors = [e for e in events if e["kind"] == "agent_error"]
    reason, source = EXPECTED[quirk]
    assert [e["reason"] for e in errors] == [reason]
    assert _raw_ok(quirk, errors[0]["raw"]), errors[0]["raw"]
    first = next(e for e in events if e["kind"] == "decide")
    assert errors[0]["t"] == first["t"] + first["think_ms"]  # once the model has answered
    summary = events[-2]["policy"]
    if source == "policy":
        assert [e["reason"] for e in first["note"]["errors"]] == [reason]
    assert summary["malformed_outputs"] == (1 if source == "policy" else 0)
    assert result.end_reason == "all_done"
    responds = [e for e in events if e["kind"] == "respond"]
    assert len(responds) == 4 and all(e["state_ok"] and e["results_ok"] for e in responds)


def test_the_model_is_told_what_was_wrong(run_llm, model_server):
    model_server.quirks[0] = "bad_json"
    run_llm("openai", "transcript")
    answers = [m for m in model_server.requests[1]["messages"] if m["role"] == "tool"]
    assert answers[0]["content"].startswith("error: ticket_login: the arguments are not valid JSON")
    assert [a["content"][:17] for a in answers[1:]] == ["pending, call_id ", "pending, call_id "]


def test_a_reply_with_no_call_is_asked_again_with_a_nudge(run_llm, model_server):
    model_server.quirks[0] = "text_only"
    result = run_llm("anthropic", "transcript")
    second = model_server.requests[1]["messages"]
    assert second[1] == {"role": "assistant", "content": [{"type": "text", "text": "Let me think about these tickets first."}]}
    assert "made no usable tool call" in second[2]["content"][-1]["text"]
    decides = [e for e in result.events() if e["kind"] == "decide"]
    assert decides[1]["t"] == decides[0]["t"] + decides[0]["think_ms"]  # at once, not after a wait


def test_a_refused_call_is_answered_with_the_reason(run_llm, model_server):
    model_server.quirks[0] = "wrong_task"
    run_llm("openai", "transcript")
    answers = [m["content"] for m in model_server.requests[1]["messages"] if m["role"] == "tool"]
    assert answers == ["error: refused, no call was made: no task 'no-such-task' (tasks: vpn, cleanup, laptop)"]


def test_missing_usage_is_estimated_and_marked(run_llm, model_server):
    model_server.quirks[0] = "no_usage"
    result = run_llm("openai", "managed")
    decides = [e for e in result.events() if e["kind"] == "decide"]
    assert decides[0]["note"]["usage"]["estimated"] is True and decides[0]["note"]["usage"]["input_tokens"] > 0
    assert decides[1]["note"]["usage"]["estimated"] is False
    assert result.events()[-2]["policy"]["estimated_usage"] is True
