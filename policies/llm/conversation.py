"""A provider-neutral conversation: what the protocols write and the wire formats translate.

A prompt is a system text, a sequence of turns and the tool definitions. A user turn
carries the answers to the previous assistant turn's tool uses (in their order) and text;
an assistant turn carries text and tool uses, with each use's arguments kept as the raw
JSON text the model wrote (the raw text is what an ``agent_error`` records).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

__all__ = ["ToolDef", "ToolUse", "ToolAnswer", "UserTurn", "AssistantTurn", "Turn", "Prompt", "Usage", "Reply"]


@frozen
class ToolDef:
    name: str
    description: str
    parameters: Mapping[str, Any]  # JSON Schema of the arguments, ``type: object``


@frozen
class ToolUse:
    id: str
    name: str
    arguments: str  # the raw JSON text of the arguments


@frozen
class ToolAnswer:
    id: str  # the tool use this answers
    content: str


@frozen
class UserTurn:
    text: str
    answers: tuple[ToolAnswer, ...] = ()


@frozen
class AssistantTurn:
    text: str
    uses: tuple[ToolUse, ...] = ()


Turn = UserTurn | AssistantTurn


@frozen
class Prompt:
    system: str
    turns: tuple[Turn, ...]
    tools: tuple[ToolDef, ...]


@frozen
class Usage:
    """Tokens of one exchange; ``estimated`` when the server reported none (4 characters a token)."""

    input_tokens: int
    output_tokens: int
    estimated: bool = False


@frozen
class Reply:
    """The model's answer, read off a response. ``stop``: the provider's own stop reason."""

    text: str
    uses: tuple[ToolUse, ...]
    usage: Usage
    stop: str
    refusal: str | None = None
