"""What an external agent submits for one decision, read into a :class:`~simtool.policy.Decision`.

A submission is JSON text, a mapping or a list:

- ``{"actions": [ACTION, ...], "think_ms": N}``: the actions and the think time the agent took;
- ``{"actions": [...], "usage": {"input_tokens": I, "output_tokens": O}}``: think time from the
  declared :class:`~simtool.external.think.ThinkModel` and the tokens the agent reports;
- ``[ACTION, ...]``: think time from the declared model alone.

An ACTION is one of ``{"op": "call", "task": T, "tool": NAME, "args": {...}, "timeout_ms": N,
"uses": [call ids], "ref": R}``, ``{"op": "cancel", "call_id": C}``, ``{"op": "respond", "task":
T, "text": S, "uses": [...]}`` or ``{"op": "wait", "call_ids": [...], "timeout_ms": N}``.
These are the same records the trace's ``decide`` events hold.

Reading never raises: anything malformed becomes an :class:`~simtool.policy.AgentError`
(reason ``malformed_action``) recorded in the trace, and the rest of the submission still
counts, as with the LLM policy's malformed outputs. Unknown tasks, tools and bad arguments are
left to the runtime, which records them itself (``unknown_task``, ``wrong_task_tool``, ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from attrs import define

from simtool.external.think import ThinkModel
from simtool.policy import Action, AgentError, CallAction, Cancel, Decision, Respond, Wait

__all__ = ["read_submission", "submission_of", "Reading", "MAX_ACTIONS", "MAX_SUBMISSION_CHARS"]

MAX_ACTIONS = 64
MAX_SUBMISSION_CHARS = 1_000_000
OPS = ("call", "cancel", "respond", "wait")


@define
class Reading:
    """The actions, wait, errors and think time read so far from one submission."""

    actions: list[Action]
    errors: list[AgentError]
    wait_ids: list[str]
    wait_timeout: int | None = None
    waited: bool = False

    def fail(self, detail: str, raw: Any, task_id: str | None = None) -> None:
        self.errors.append(AgentError("malformed_action", detail, raw, task_id))


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _ids(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _read_action(reading: Reading, index: int, action: Any) -> None:
    where = f"action {index}"
    if not isinstance(action, Mapping):
        return reading.fail(f"{where}: an action is an object with an 'op', found {type(action).__name__}", action)
    op = action.get("op")
    if op not in OPS:
        return reading.fail(f"{where}: 'op' must be one of {', '.join(OPS)}, found {op!r}", action)
    allowed = {"call": {"op", "task", "tool", "args", "timeout_ms", "uses", "ref"}, "cancel": {"op", "call_id"},
               "respond": {"op", "task", "text", "uses"}, "wait": {"op", "call_ids", "timeout_ms"}}[op]
    unknown = sorted(k for k in action if k not in allowed)
    if unknown:
        return reading.fail(f"{where}: {op} takes {', '.join(sorted(allowed - {'op'}))}; unknown key {unknown[0]!r}", action)
    if op == "call":
        task, tool, args = action.get("task"), action.get("tool"), action.get("args", {})
        timeout, uses, ref = action.get("timeout_ms"), _ids(action.get("uses")), action.get("ref")
        if not isinstance(task, str) or not isinstance(tool, str):
            return reading.fail(f"{where}: call needs 'task' and 'tool' as strings, found {task!r} and {tool!r}", action)
        if not isinstance(args, Mapping):
            return reading.fail(f"{where}: call 'args' must be an object, found {type(args).__name__}", action, task)
        if timeout is not None and not _positive_int(timeout):
            return reading.fail(f"{where}: timeout_ms must be a positive integer, found {timeout!r}", action, task)
        if uses is None:
            return reading.fail(f"{where}: uses must be a list of call ids, found {action.get('uses')!r}", action, task)
        if ref is not None and not isinstance(ref, str):
            return reading.fail(f"{where}: ref must be a string, found {ref!r}", action, task)
        reading.actions.append(_call(task, tool, dict(args), timeout, tuple(uses), ref))
    elif op == "cancel":
        call_id = action.get("call_id")
        if not isinstance(call_id, str):
            return reading.fail(f"{where}: cancel needs 'call_id' as a string, found {call_id!r}", action)
        reading.actions.append(Cancel(call_id))
    elif op == "respond":
        task, text, uses = action.get("task"), action.get("text", ""), action.get("uses")
        if not isinstance(task, str) or not isinstance(text, str):
            return reading.fail(f"{where}: respond needs 'task' and 'text' as strings, found {task!r} and {text!r}", action)
        ids = None if uses is None else _ids(uses)
        if uses is not None and ids is None:
            return reading.fail(f"{where}: uses must be a list of call ids, found {uses!r}", action, task)
        reading.actions.append(Respond(task, text, None if ids is None else tuple(ids)))
    else:
        ids, timeout = _ids(action.get("call_ids")), action.get("timeout_ms")
        if ids is None:
            return reading.fail(f"{where}: wait call_ids must be a list of call ids, found {action.get('call_ids')!r}", action)
        if timeout is not None and not _positive_int(timeout):
            return reading.fail(f"{where}: wait timeout_ms must be a positive integer, found {timeout!r}", action)
        reading.waited = True
        reading.wait_ids.extend(c for c in ids if c not in reading.wait_ids)
        if timeout is not None:
            reading.wait_timeout = timeout if reading.wait_timeout is None else min(reading.wait_timeout, timeout)


def _call(task: str, tool: str, args: dict[str, Any], timeout: int | None, uses: tuple[str, ...], ref: str | None) -> CallAction:
    kwargs: dict[str, Any] = {"timeout_ms": timeout, "uses": uses}
    if ref is not None:
        kwargs["ref"] = ref
    return CallAction(task, tool, args, **kwargs)


def _think(body: Mapping[str, Any], think: ThinkModel, reading: Reading) -> int:
    if "think_ms" in body:
        value = body["think_ms"]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        reading.fail(f"think_ms must be an integer >= 0, found {value!r}; the declared think model is charged instead", body["think_ms"])
    usage = body.get("usage")
    if usage is None:
        return think.think_ms()
    if not isinstance(usage, Mapping):
        reading.fail(f"usage must be an object of input_tokens and output_tokens, found {usage!r}", usage)
        return think.think_ms()
    tokens = []
    for key in ("input_tokens", "output_tokens"):
        value = usage.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            reading.fail(f"usage.{key} must be an integer >= 0, found {value!r}", usage)
            value = 0
        tokens.append(value)
    return think.think_ms(tokens[0], tokens[1])


def parse_text(raw: str) -> tuple[Any, str | None]:
    """JSON text to a value, or the reason it is not JSON."""
    if len(raw) > MAX_SUBMISSION_CHARS:
        return None, f"a submission of {len(raw)} characters is over the limit of {MAX_SUBMISSION_CHARS}"
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at character {exc.pos})"


def read_submission(raw: Any, think: ThinkModel) -> Decision:
    """The decision one submission asks for; whatever is malformed is a recorded agent error."""
    reading = Reading([], [], [])
    body: Any = raw
    if isinstance(raw, (str, bytes)):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        body, problem = parse_text(text)
        if problem:
            reading.fail(f"the submission is {problem}", text[:2000])
            return Decision(think_ms=think.think_ms(), errors=tuple(reading.errors))
    if isinstance(body, list):
        body = {"actions": body}
    if not isinstance(body, Mapping):
        reading.fail(f"a submission is an object with 'actions' or a list of actions, found {type(body).__name__}", body)
        return Decision(think_ms=think.think_ms(), errors=tuple(reading.errors))
    unknown = sorted(k for k in body if k not in ("actions", "think_ms", "usage"))
    if unknown:
        reading.fail(f"a submission has actions, think_ms and usage; unknown key {unknown[0]!r}", {unknown[0]: body[unknown[0]]})
    think_ms = _think(body, think, reading)
    actions = body.get("actions", [])
    if not isinstance(actions, list):
        reading.fail(f"'actions' must be a list, found {type(actions).__name__}", actions)
        actions = []
    for index, action in enumerate(actions[:MAX_ACTIONS]):
        _read_action(reading, index, action)
    if len(actions) > MAX_ACTIONS:
        reading.fail(f"{len(actions)} actions in one submission, at most {MAX_ACTIONS} are acted on", len(actions))
    wait = Wait(tuple(reading.wait_ids), reading.wait_timeout) if reading.waited else None
    return Decision(actions=tuple(reading.actions), think_ms=think_ms, wait=wait, errors=tuple(reading.errors))


def submission_of(decision: Decision) -> dict[str, Any]:
    """The submission that asks for ``decision`` (its actions, wait and think time): what a
    :class:`~simtool.policy.Policy` run through the environment or a script would send.
    ``decision.errors`` have no submission form and are left out."""
    actions: list[dict[str, Any]] = []
    for action in decision.actions:
        if isinstance(action, CallAction):
            record: dict[str, Any] = {"op": "call", "task": action.task_id, "tool": action.tool, "args": dict(action.args)}
            if action.timeout_ms is not None:
                record["timeout_ms"] = action.timeout_ms
            if action.uses:
                record["uses"] = list(action.uses)
            if action.ref is not None:
                record["ref"] = action.ref
        elif isinstance(action, Cancel):
            record = {"op": "cancel", "call_id": action.call_id}
        else:
            record = {"op": "respond", "task": action.task_id, "text": action.text}
            if action.uses is not None:
                record["uses"] = list(action.uses)
        actions.append(record)
    if decision.wait is not None:
        wait: dict[str, Any] = {"op": "wait", "call_ids": list(decision.wait.call_ids)}
        if decision.wait.timeout_ms is not None:
            wait["timeout_ms"] = decision.wait.timeout_ms
        actions.append(wait)
    return {"actions": actions, "think_ms": decision.think_ms}
