"""The llm policy's pieces on their own: tool definitions, think time and cost, request keys,
wire formats."""

from __future__ import annotations

import json

import pytest

from policies.llm.cassette import request_key
from policies.llm.conversation import AssistantTurn, Prompt, ToolUse, Usage, UserTurn
from policies.llm.formats import AnthropicMessages, OpenAIChat
from policies.llm.options import LLMOptions
from policies.llm.think import Prices, ThinkModel
from policies.llm.tools import tool_defs
from simtool.errors import SimtoolError
from simtool.policy import PolicyAbort
from simtool.run import run
from simtool.service import ToolSchema
from tests.llm.conftest import llm_config
from worlds.messaging.service import MessageAPI
from worlds.ticketing.service import TicketAPI


def test_each_domain_tool_requires_the_task_it_is_for_among_its_owners():
    defs = {d.name: d for d in tool_defs({"a": TicketAPI.schemas(), "b": MessageAPI.schemas(), "c": TicketAPI.schemas()})}
    create = defs["create_ticket"].parameters
    assert create["required"][0] == "task_id" and "title" in create["required"]
    assert create["properties"]["task_id"]["enum"] == ["a", "c"]
    assert defs["send_message"].parameters["properties"]["task_id"]["enum"] == ["b"]
    assert list(defs)[-3:] == ["wait", "cancel", "respond"]


def test_a_domain_tool_named_like_a_control_tool_is_refused():
    clash = ToolSchema("wait", "Clock", "sleep", ())
    with pytest.raises(SimtoolError, match="'wait' of service Clock has the name of a control tool"):
        tool_defs({"a": {"wait": clash}})


def test_think_time_is_a_function_of_the_token_counts():
    model = ThinkModel(fixed_ms=300, ms_per_prompt_token=0.2, ms_per_output_token=20.0)
    assert model.think_ms(Usage(1000, 50)) == 300 + 200 + 1000
    assert model.think_ms(Usage(1000, 50)) == model.think_ms(Usage(1000, 50, estimated=True))
    assert model.think_ms(Usage(3, 0)) == 301  # 300.6 rounds to whole ms
    assert Prices(0.15, 0.6).cost_usd(1_000_000, 500_000) == pytest.approx(0.45)


def _options(**given) -> LLMOptions:
    return LLMOptions(**({"model": "m", "max_tokens": 100} | given))


PROMPT = Prompt("sys", (UserTurn("hello"), AssistantTurn("", (ToolUse("t1", "get_ticket", '{"task_id": "a", "tic'),)),
                        UserTurn("", ())), ())


def test_the_request_key_ignores_the_endpoint_but_not_the_content():
    fmt = OpenAIChat()
    a = fmt.request(PROMPT, _options(base_url="http://127.0.0.1:1/v1"))
    b = fmt.request(PROMPT, _options(base_url="http://10.0.0.2:8000/v1"))
    assert request_key("openai", a) == request_key("openai", b)
    assert request_key("openai", a) != request_key("anthropic", a)
    assert request_key("openai", a) != request_key("openai", fmt.request(PROMPT, _options(base_url="x", temperature=0.5)))


def test_openai_uses_the_newer_token_limit_name_on_its_own_api_only():
    assert "max_completion_tokens" in OpenAIChat().request(PROMPT, _options())
    assert "max_tokens" in OpenAIChat().request(PROMPT, _options(base_url="http://localhost:11434/v1"))


def test_anthropic_echoes_malformed_input_as_an_empty_object_and_never_sends_empty_text():
    body = AnthropicMessages().request(PROMPT, _options())
    assert body["messages"][1]["content"] == [{"type": "tool_use", "id": "t1", "name": "get_ticket", "input": {}}]
    assert body["messages"][2]["content"] == [{"type": "text", "text": "(nothing new)"}]
    assert "temperature" not in body and body["system"] == "sys"


def test_openai_arguments_sent_as_an_object_are_read_as_json_text():
    response = {"choices": [{"message": {"tool_calls": [{"id": "x", "function": {"name": "f", "arguments": {"a": 1}}}]},
                             "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}
    reply = OpenAIChat().reply(response, {"messages": []})
    assert json.loads(reply.uses[0].arguments) == {"a": 1} and reply.usage == Usage(5, 2)


def test_anthropic_cache_tokens_count_as_input():
    response = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 90}}
    assert AnthropicMessages().reply(response, {"messages": []}).usage == Usage(100, 3)



def test_a_response_of_the_wrong_shape_stops_the_run_with_its_request_hash(model_server, api_key):
    model_server.quirks[0] = "wrong_shape"
    with pytest.raises(PolicyAbort, match=r"response to request [0-9a-f]{64} \(decision 0\) is not a response of the openai API"):
        run(llm_config(model_server.openai_url, "openai"), 0)


def test_a_call_in_flight_tells_the_model_what_its_next_calls_to_that_service_must_wait_for():
    from simtool.render import order_note

    write = ToolSchema(name="close_ticket", service="TicketAPI", description="", params=(), access="write")
    read = ToolSchema(name="get_ticket", service="TicketAPI", description="", params=(), access="read")
    cd = ToolSchema(name="cd", service="GorillaFileSystem", description="", params=(), access="read", mutates=True)
    assert order_note(write) == "changes TicketAPI: wait for its result before another TicketAPI call of this task"
    assert order_note(read) == "reads TicketAPI: wait for its result before a call that changes TicketAPI for this task"
    assert order_note(cd).startswith("changes GorillaFileSystem:")  # needs read permission, changes what later calls read
