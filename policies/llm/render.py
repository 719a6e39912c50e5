"""What the model reads: the system prompt; the observation's text comes from :mod:`simtool.render`."""

from __future__ import annotations

from simtool.render import RESULT_CHARS, call_line, event_lines, order_note, state_summary, task_heading, value_text

__all__ = ["system_prompt", "value_text", "call_line", "event_lines", "state_summary", "task_heading", "order_note",
           "RESULT_CHARS"]

_COMMON = """You are an agent working on several users' tasks at once. Each task has its own services: \
call a domain tool with task_id naming the task it is for. Tool calls take time: they run \
concurrently, may finish in any order, may time out, and a user may cancel a task or change its \
request, or an administrator may revoke a permission, while calls are in flight. \
When a task's current request is fully done, call respond for that task (its next request, if \
any, follows). Call wait when nothing useful can be done until a result arrives. \
You may make up to {max_calls} tool calls in one reply: calls for different tasks can go out together, \
and so can calls of one task that do not depend on each other, but a call that needs another call's \
result must wait for it. A task's calls to one service run in the order they arrive there, not the \
order you made them: wait for a call that changes a service before calling that service again for \
the same task, and for the calls reading it before changing it."""

_MANAGED = """Each turn shows the current state: every task with its request and this request's \
calls (in flight, or ended with their results), and what happened since the last turn. A reply \
that starts calls sleeps until something happens; use wait to sleep on particular calls or with \
a timeout."""

_TRANSCRIPT = """A domain tool call answers at once "pending, call_id X"; its result arrives later \
in a message naming the call_id and the task. wait answers when something has happened; the \
messages after it say what."""


_SYNC = """A domain tool call answers with its result (or its error) once it has ended: the \
tool calls of one reply run concurrently and the next turn answers all of them. News of the \
tasks (new requests, cancellations, changes) arrives in messages."""

_PROTOCOL_TEXT = {"managed": _MANAGED, "transcript": _TRANSCRIPT, "sync": _SYNC}


def system_prompt(protocol: str, max_calls: int, instructions: str) -> str:
    parts = [_COMMON.format(max_calls=max_calls), _PROTOCOL_TEXT[protocol]]
    if instructions:
        parts.append(instructions)
    return "\n\n".join(parts)
