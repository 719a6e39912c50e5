"""A task's turns: the user request and its gold call path, parsed against the task's tool schemas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from simtool.callstring import parse_call
from simtool.errors import SpecError
from simtool.service import ToolSchema, check_args
from simtool.yamlspec import Located, check_keys, check_str

__all__ = ["GoldCall", "Turn", "parse_turn", "TURN_KEYS"]

TURN_KEYS = ("request", "gold", "expect", "expect_error")  # a turn's keys, in reading order (expect_error: simtool.goldcheck)


@frozen
class GoldCall:
    tool: str
    service: str
    args: Mapping[str, Any]
    text: str
    after: tuple[int, ...] = ()  # earlier steps of the turn this one must wait for, stated by the world


@frozen
class Turn:
    request: str
    gold: tuple[GoldCall, ...]


def _gold(texts: Any, tools: Mapping[str, ToolSchema], where: Located, path: tuple[Any, ...]) -> tuple[GoldCall, ...]:
    if not isinstance(texts, list):
        raise where.error(path, "gold must be a list of call strings", expected="['tool(arg=value)', ...]", found=texts)
    out = []
    for i, text in enumerate(texts):
        after: tuple[int, ...] = ()
        if isinstance(text, Mapping):
            check_keys(text, ("call", "after"), where, path + (i,))
            after = _after(text.get("after", []), i, where, path + (i, "after"))
            text = text.get("call")
        if not isinstance(text, str):
            raise where.error(path + (i,), "a gold call must be a string", expected="'tool(arg=value)' or {call, after}", found=text)
        name = text.split("(", 1)[0].strip()
        if name not in tools:
            raise where.error(path + (i,), "unknown tool for this task", expected=" | ".join(sorted(tools)), found=name)
        schema = tools[name]
        try:
            name, args = parse_call(text, schema.param_names)
        except SpecError as exc:
            raise where.error(path + (i,), exc.detail, expected=exc.expected, found=exc.found) from None
        problem = check_args(schema, args)
        if problem:
            raise where.error(path + (i,), f"gold call does not fit the schema: {problem}", found=text)
        out.append(GoldCall(tool=name, service=schema.service, args=args, text=text, after=after))
    return tuple(out)


def _after(value: Any, i: int, where: Located, path: tuple[Any, ...]) -> tuple[int, ...]:
    """A gold step's explicit ``after:``: indices of earlier steps of the same turn."""
    if not isinstance(value, list) or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < i for k in value):
        raise where.error(path, "after lists earlier steps of this turn by index", expected=f"[indices in 0..{i - 1}]", found=value)
    return tuple(sorted(set(value)))


def parse_turn(spec: Any, tools: Mapping[str, ToolSchema], where: Located, path: tuple[Any, ...]) -> Turn:
    """A turn ``{request, gold}``; gold calls must fit the task's tools (errors name file, line, key)."""
    if not isinstance(spec, Mapping):
        raise where.error(path, "a turn must be a mapping", expected="{request, gold}", found=spec)
    check_keys(spec, TURN_KEYS, where, path)
    request = check_str(spec.get("request"), where, path + ("request",))
    return Turn(request=request, gold=_gold(spec.get("gold", []), tools, where, path + ("gold",)))
