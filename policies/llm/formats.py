"""Wire formats: a neutral prompt to an API request body, an API response body to a ``Reply``.

Pure functions of their inputs, so a live run and a replay of its cassette read the same
response the same way. ``policy.tool_choice`` and ``policy.parallel_tool_calls`` go out in each
API's own shape (OpenAI: ``tool_choice`` and ``parallel_tool_calls``; Anthropic: ``tool_choice``
with ``any``/``tool`` and ``disable_parallel_tool_use``), and only when set. ``openai``: Chat Completions with native tool calls (also what vLLM,
llama.cpp and Ollama serve). ``anthropic``: the Messages API with tool use.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from policies.llm.conversation import AssistantTurn, Prompt, Reply, ToolUse, Usage, UserTurn
from policies.llm.options import LLMOptions
from simtool.trace import canonical

__all__ = ["WireFormat", "OpenAIChat", "AnthropicMessages", "wire_format", "CHOICES"]

CHOICES = ("auto", "required", "none")  # tool_choice words; any other value names the tool to force


def _estimate(text: str) -> int:
    return math.ceil(len(text) / 4)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class WireFormat:
    provider: str = ""

    def request(self, prompt: Prompt, options: LLMOptions) -> dict[str, Any]:
        raise NotImplementedError

    def reply(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> Reply:
        raise NotImplementedError


class OpenAIChat(WireFormat):
    provider = "openai"

    def request(self, prompt: Prompt, options: LLMOptions) -> dict[str, Any]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": prompt.system}]
        for turn in prompt.turns:
            if isinstance(turn, UserTurn):
                for answer in turn.answers:
                    messages.append({"role": "tool", "tool_call_id": answer.id, "content": answer.content})
                if turn.text or not turn.answers:
                    messages.append({"role": "user", "content": turn.text})
            else:
                message: dict[str, Any] = {"role": "assistant", "content": turn.text or (None if turn.uses else "")}
                if turn.uses:
                    message["tool_calls"] = [
                        {"id": u.id, "type": "function", "function": {"name": u.name, "arguments": u.arguments}}
                        for u in turn.uses
                    ]
                messages.append(message)
        body: dict[str, Any] = {
            "model": options.model,
            "messages": messages,
            "tools": [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                         "parameters": dict(t.parameters)}} for t in prompt.tools],
        }
        if options.temperature is not None:
            body["temperature"] = options.temperature
        if options.max_tokens is not None:
            # OpenAI's own API wants the newer name; compatible servers know the older one best
            body["max_completion_tokens" if not options.base_url else "max_tokens"] = options.max_tokens
        choice = options.tool_choice
        if choice is not None:
            body["tool_choice"] = choice if choice in CHOICES else {"type": "function", "function": {"name": choice}}
        if options.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = options.parallel_tool_calls
        return body

    def reply(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> Reply:
        choices = response.get("choices") or [{}]
        choice = choices[0] if isinstance(choices[0], Mapping) else {}
        message = choice.get("message") or {}
        text = message.get("content") or ""
        if isinstance(text, list):  # some servers send content parts
            text = "".join(p.get("text", "") for p in text if isinstance(p, Mapping))
        uses = []
        for i, call in enumerate(message.get("tool_calls") or ()):
            function = call.get("function") or {}
            arguments = function.get("arguments")
            if not isinstance(arguments, str):  # a server that sent an object, not JSON text
                arguments = canonical(arguments) if arguments is not None else ""
            uses.append(ToolUse(str(call.get("id") or f"call_{i}"), str(function.get("name") or ""), arguments))
        usage = response.get("usage") or {}
        prompt_tokens, output_tokens = _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))
        if prompt_tokens is None or output_tokens is None:
            counted = Usage(_estimate(canonical(request.get("messages"))), _estimate(canonical(message)), True)
        else:
            counted = Usage(prompt_tokens, output_tokens)
        refusal = message.get("refusal") or None
        return Reply(str(text), tuple(uses), counted, str(choice.get("finish_reason") or ""), refusal)


class AnthropicMessages(WireFormat):
    provider = "anthropic"

    def request(self, prompt: Prompt, options: LLMOptions) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        for turn in prompt.turns:
            blocks: list[dict[str, Any]] = []
            if isinstance(turn, UserTurn):
                blocks = [{"type": "tool_result", "tool_use_id": a.id, "content": a.content} for a in turn.answers]
                if turn.text or not blocks:
                    blocks.append({"type": "text", "text": turn.text or "(nothing new)"})
                messages.append({"role": "user", "content": blocks})
            else:
                assert isinstance(turn, AssistantTurn)
                if turn.text:
                    blocks.append({"type": "text", "text": turn.text})
                for u in turn.uses:
                    blocks.append({"type": "tool_use", "id": u.id, "name": u.name, "input": _object_or_empty(u.arguments)})
                if not blocks:
                    blocks.append({"type": "text", "text": "(empty reply)"})
                messages.append({"role": "assistant", "content": blocks})
        body: dict[str, Any] = {
            "model": options.model,
            "system": prompt.system,
            "messages": messages,
            "tools": [{"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
                      for t in prompt.tools],
            "max_tokens": options.max_tokens,
        }
        if options.temperature is not None:
            body["temperature"] = options.temperature
        choice = _anthropic_choice(options.tool_choice, options.parallel_tool_calls)
        if choice is not None:
            body["tool_choice"] = choice
        return body

    def reply(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> Reply:
        texts, uses = [], []
        for i, block in enumerate(response.get("content") or ()):
            if not isinstance(block, Mapping):
                continue
            if block.get("type") == "text":
                texts.append(str(block.get("text") or ""))
            elif block.get("type") == "tool_use":
                raw = block.get("input")
                arguments = raw if isinstance(raw, str) else canonical(raw if raw is not None else {})
                uses.append(ToolUse(str(block.get("id") or f"toolu_{i}"), str(block.get("name") or ""), arguments))
        text = "".join(texts)
        usage = response.get("usage") or {}
        input_tokens, output_tokens = _int(usage.get("input_tokens")), _int(usage.get("output_tokens"))
        if input_tokens is None or output_tokens is None:
            counted = Usage(_estimate(canonical(request.get("messages"))), _estimate(canonical(response.get("content"))), True)
        else:
            cached = sum(_int(usage.get(k)) or 0 for k in ("cache_creation_input_tokens", "cache_read_input_tokens"))
            counted = Usage(input_tokens + cached, output_tokens)
        stop = str(response.get("stop_reason") or "")
        refusal = (text or "the model refused") if stop == "refusal" else None
        return Reply(text, tuple(uses), counted, stop, refusal)


def _anthropic_choice(choice: str | None, parallel: bool | None) -> dict[str, Any] | None:
    """The Messages API's ``tool_choice``: ``required`` is its ``any``, a tool name its ``tool``;
    parallel tool use is turned off inside it (``disable_parallel_tool_use``; not with ``none``)."""
    if choice is None and parallel is None:
        return None
    kind = {None: "auto", "auto": "auto", "required": "any", "none": "none"}.get(choice, "tool")
    out: dict[str, Any] = {"type": kind}
    if kind == "tool":
        out["name"] = choice
    if parallel is not None and kind != "none":
        out["disable_parallel_tool_use"] = not parallel
    return out


def _object_or_empty(arguments: str) -> Any:
    """The tool input to echo back: the API takes only an object, so malformed input echoes as {}."""
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def wire_format(provider: str) -> WireFormat:
    return {"openai": OpenAIChat, "anthropic": AnthropicMessages}[provider]()
