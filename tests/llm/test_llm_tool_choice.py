"""``policy.tool_choice`` and ``policy.parallel_tool_calls`` reach the server in each API's own
shape (through the real SDKs, to the local HTTP server), and only when set."""

from __future__ import annotations

import pytest

from simtool.errors import SpecError
from simtool.policy import PolicyAbort
from simtool.run import run
from tests.llm.conftest import llm_config, server_url

CASES = [
    ("openai", "required", False, "required", {"parallel_tool_calls": False}),
    ("openai", "none", True, "none", {"parallel_tool_calls": True}),
    ("openai", "get_ticket", None, {"type": "function", "function": {"name": "get_ticket"}}, {}),
    ("anthropic", "required", False, {"type": "any", "disable_parallel_tool_use": True}, {}),
    ("anthropic", "auto", True, {"type": "auto", "disable_parallel_tool_use": False}, {}),
    ("anthropic", None, False, {"type": "auto", "disable_parallel_tool_use": True}, {}),
    ("anthropic", "none", False, {"type": "none"}, {}),
    ("anthropic", "get_ticket", None, {"type": "tool", "name": "get_ticket"}, {}),
]


@pytest.mark.parametrize(("provider", "choice", "parallel", "sent", "also"), CASES)
def test_every_request_carries_the_tool_choice_and_parallel_setting(model_server, api_key, provider, choice, parallel, sent, also):
    config = llm_config(server_url(model_server, provider), provider, tool_choice=choice, parallel_tool_calls=parallel,
                        max_decisions=3)
    run(config, 3)
    assert model_server.requests
    for body in model_server.requests:
        assert body["tool_choice"] == sent
        for key, value in also.items():
            assert body[key] == value
        if provider == "anthropic" or parallel is None:
            assert "parallel_tool_calls" not in body


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_neither_is_sent_unless_set(model_server, api_key, provider):
    assert run(llm_config(server_url(model_server, provider), provider), 3).end_reason == "all_done"
    assert all("tool_choice" not in b and "parallel_tool_calls" not in b for b in model_server.requests)


def test_a_tool_choice_naming_no_tool_of_the_world_stops_the_run_with_the_tools_it_has(model_server, api_key):
    with pytest.raises(PolicyAbort, match="tool_choice names no tool of this world: 'frobnicate'.*create_ticket"):
        run(llm_config(model_server.openai_url, tool_choice="frobnicate"), 3)
    assert model_server.requests == []


def test_bad_values_are_refused_naming_the_option(model_server):
    with pytest.raises(SpecError, match="tool_choice"):
        run(llm_config(model_server.openai_url, tool_choice=""), 3)
    with pytest.raises(SpecError, match="parallel_tool_calls"):
        run(llm_config(model_server.openai_url, parallel_tool_calls="sometimes"), 3)
