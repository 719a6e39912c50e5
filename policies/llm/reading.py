"""Reading a reply into a decision: tool uses become actions, a wait, and answers; every
malformed output becomes an ``AgentError`` with the raw text, and the run goes on.

Own reasons: ``malformed_output`` (arguments that are not a JSON object), ``no_tool_call``
(text only), ``refusal``, ``too_many_calls`` (uses past the limit are not acted on),
``bad_arguments`` (a control tool's arguments, or a domain call without ``task_id``),
``unknown_tool`` (a name no task has, without ``task_id``). A domain call that names a task
is passed to the runtime as is, which records ``unknown_task``, ``unknown_tool``,
``wrong_task_tool`` or ``bad_arguments`` itself.
"""

from __future__ import annotations

import json
from typing import Any

from attrs import define, frozen

from policies.llm.conversation import Reply, ToolUse
from policies.llm.tools import TASK_PARAM
from simtool.policy import Action, AgentError, CallAction, Cancel, Observation, Respond, Wait
from simtool.service import check_args

__all__ = ["Answer", "Plan", "read_reply", "refusal_reason"]


@define
class Answer:
    """The answer a tool use gets: ``text`` now, or, for a call, once the runtime gives its id."""

    use: ToolUse
    text: str | None = None
    action: CallAction | None = None
    call_id: str | None = None  # the id the call got (the sync protocol answers with its result)


@frozen
class Plan:
    actions: tuple[Action, ...]
    wait: Wait | None  # the model called wait
    errors: tuple[AgentError, ...]
    answers: tuple[Answer, ...]


def _arguments(use: ToolUse) -> tuple[dict[str, Any] | None, str]:
    text = use.arguments.strip() or "{}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    return value, ""


def refusal_reason(obs: Observation, action: CallAction) -> str:
    """Why the runtime refused a call (the same checks, for the model's answer)."""
    tools = obs.schemas.get(action.task_id)
    if tools is None:
        return f"no task '{action.task_id}' (tasks: {', '.join(t.task_id for t in obs.tasks)})"
    schema = tools.get(action.tool)
    if schema is None:
        return f"task '{action.task_id}' has no tool '{action.tool}'"
    return check_args(schema, dict(action.args)) or "the runtime refused the call"


class _Reader:
    def __init__(self, obs: Observation) -> None:
        self.obs = obs
        self.actions: list[Action] = []
        self.errors: list[AgentError] = []
        self.answers: list[Answer] = []
        self.wait_ids: list[str] = []
        self.wait_timeout: int | None = None
        self.waited = False
        self.known_tools = {name for tools in obs.schemas.values() for name in tools}

    def fail(self, use: ToolUse, reason: str, detail: str, task_id: str | None = None) -> None:
        self.errors.append(AgentError(reason, detail, {"tool": use.name, "arguments": use.arguments}, task_id))
        self.answers.append(Answer(use, f"error: {detail}"))

    def read(self, use: ToolUse) -> None:
        args, problem = _arguments(use)
        if args is None:
            self.fail(use, "malformed_output", f"{use.name or '(no name)'}: the arguments are {problem}")
        elif use.name == "wait":
            self._wait(use, args)
        elif use.name == "cancel":
            self._cancel(use, args)
        elif use.name == "respond":
            self._respond(use, args)
        else:
            self._call(use, args)

    def _wait(self, use: ToolUse, args: dict[str, Any]) -> None:
        ids = args.get("call_ids") or []
        ids = [ids] if isinstance(ids, str) else ids
        timeout = args.get("timeout_ms")
        if not isinstance(ids, list) or not all(isinstance(c, str) for c in ids):
            return self.fail(use, "bad_arguments", f"wait: call_ids must be a list of call ids, found {ids!r}")
        unknown = [c for c in ids if c not in self.obs.calls]
        if unknown:
            return self.fail(use, "bad_arguments", f"wait: no call {', '.join(repr(c) for c in unknown)}")
        if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0):
            return self.fail(use, "bad_arguments", f"wait: timeout_ms must be a positive integer, found {timeout!r}")
        self.waited = True
        self.wait_ids.extend(c for c in ids if c not in self.wait_ids)
        if timeout is not None:
            self.wait_timeout = timeout if self.wait_timeout is None else min(self.wait_timeout, timeout)
        self.answers.append(Answer(use, None))  # answered at wake-up

    def _cancel(self, use: ToolUse, args: dict[str, Any]) -> None:
        call_id = args.get("call_id")
        if not isinstance(call_id, str):
            return self.fail(use, "bad_arguments", f"cancel: call_id must be a call id string, found {call_id!r}")
        self.actions.append(Cancel(call_id))
        view = self.obs.calls.get(call_id)
        if view is None:
            text = f"error: no call '{call_id}'"
        elif view.status == "in_flight":
            text = f"cancelled {call_id}"
        else:
            text = f"{call_id} had already ended ({view.status}): nothing to cancel"
        self.answers.append(Answer(use, text))

    def _respond(self, use: ToolUse, args: dict[str, Any]) -> None:
        task_id, text = args.get(TASK_PARAM), args.get("text", "")
        if not isinstance(task_id, str) or not isinstance(text, str):
            return self.fail(use, "bad_arguments", f"respond: needs {TASK_PARAM} and text as strings, found {args!r}")
        self.actions.append(Respond(task_id, text))
        known = {t.task_id: t for t in self.obs.tasks}
        if task_id not in known:
            answer = f"error: no task '{task_id}'"
        elif known[task_id].status != "active":
            answer = f"error: task {task_id} is {known[task_id].status}"
        else:
            answer = f"answered task {task_id}"
        self.answers.append(Answer(use, answer))

    def _call(self, use: ToolUse, args: dict[str, Any]) -> None:
        task_id = args.pop(TASK_PARAM, None)
        if not isinstance(task_id, str):
            if use.name not in self.known_tools:
                return self.fail(use, "unknown_tool", f"no tool '{use.name}'")
            return self.fail(use, "bad_arguments", f"{use.name}: {TASK_PARAM} must name the task the call is for, found {task_id!r}")
        action = CallAction(task_id, use.name, args, ref=f"a{len(self.actions)}")  # the next observation says what it got
        self.actions.append(action)
        self.answers.append(Answer(use, None, action))


def read_reply(reply: Reply, obs: Observation, max_calls: int) -> Plan:
    reader = _Reader(obs)
    if reply.refusal:
        reader.errors.append(AgentError("refusal", f"the model refused (stop reason {reply.stop or 'none'})", reply.refusal))
    elif not reply.uses:
        detail = f"the reply has no tool call (stop reason {reply.stop or 'none'})"
        reader.errors.append(AgentError("no_tool_call", detail, reply.text))
    for use in reply.uses[:max_calls]:
        reader.read(use)
    extra = reply.uses[max_calls:]
    if extra:
        raw = [{"tool": u.name, "arguments": u.arguments} for u in extra]
        detail = f"{len(reply.uses)} tool calls in one reply, at most {max_calls} are acted on: the last {len(extra)} were not"
        reader.errors.append(AgentError("too_many_calls", detail, raw))
        reader.answers.extend(Answer(u, f"error: not done: at most {max_calls} tool calls per reply") for u in extra)
    wait = Wait(tuple(reader.wait_ids), reader.wait_timeout) if reader.waited else None
    return Plan(tuple(reader.actions), wait, tuple(reader.errors), tuple(reader.answers))
