"""The observation as text: event lines, call lines and the managed protocol's state summary.

Rendered only from the observation (never from the runtime), deterministically: values as
canonical JSON, tasks and calls in the runtime's own order. The LLM policy's managed protocol
shows it to a model each turn; the Gymnasium environment and the MCP server show it to an
outside agent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simtool.faults import kind_for_event
from simtool.policy import CallView, Event, Observation, TaskView
from simtool.service import ToolSchema
from simtool.trace import canonical

__all__ = ["RESULT_CHARS", "value_text", "call_line", "event_lines", "state_summary", "task_heading", "order_note"]

RESULT_CHARS = 4000

def value_text(value: Any) -> str:
    text = value if isinstance(value, str) else canonical(value)
    return text if len(text) <= RESULT_CHARS else text[:RESULT_CHARS] + f"... ({len(text)} characters)"


def call_line(view: CallView, now: int) -> str:
    head = f"{view.call_id} {view.tool} {canonical(dict(view.args))}"
    if view.status == "in_flight":
        deadline = f", deadline {view.deadline} ms" if view.deadline is not None else ""
        return f"{head} -> in flight since {view.issued_at} ms (age {now - view.issued_at} ms{deadline})"
    stale = " [stale: issued for an earlier request]" if view.stale else ""
    if view.status in ("ok", "error"):
        return f"{head} -> {view.status} {value_text(view.result)}{stale}"
    return f"{head} -> {view.status} at {view.ended_at} ms{stale}"


def order_note(schema: ToolSchema) -> str:
    """What a call of this tool, while in flight, asks of its task's next calls: the state rule of
    the dependency relation (``simtool.dependencies``), told from the tool's schema alone (the
    agent is never shown a gold path). A task's calls to one service run in arrival order."""
    if schema.writes:
        return f"changes {schema.service}: wait for its result before another {schema.service} call of this task"
    return f"reads {schema.service}: wait for its result before a call that changes {schema.service} for this task"


def _order_lines(obs: Observation, task: TaskView) -> list[str]:
    tools = obs.schemas.get(task.task_id) or {}
    views = [obs.calls[c] for c in task.call_ids if c in obs.calls and obs.calls[c].status == "in_flight"]
    return [f"    {v.call_id} {order_note(tools[v.tool])}" for v in views if v.tool in tools]


def task_heading(task: TaskView) -> str:
    if task.status != "active":
        return f"Task {task.task_id} [{task.status}]"
    amended = f" (amended {task.epoch}x)" if task.epoch else ""
    return f"Task {task.task_id} [active] request {task.turn + 1}/{task.n_turns}{amended}: {task.request}"


def _request_text(obs: Observation, event: Event) -> str:
    task = obs.task(event.task_id or "")
    if event.detail.get("turn") == task.turn and event.detail.get("epoch") == task.epoch and task.status == "active":
        return task.request
    return "(superseded by a later request)"


def _event_line(obs: Observation, e: Event, shown: frozenset[str] | None) -> str | None:
    view = obs.calls.get(e.call_id) if e.call_id else None
    about = f"{e.call_id} (task {view.task_id}, {view.tool})" if view is not None else str(e.call_id)
    if e.kind == "delivered" and view is not None:
        stale = " [stale: its request has changed since]" if view.stale else ""
        if shown is not None and e.call_id in shown:
            return f"{about} -> {view.status} (result above){stale}"
        return f"{about} -> {view.status}: {value_text(view.result)}{stale}"
    if e.kind == "timed_out":
        executed = "it had executed" if e.detail.get("executed") else "it had not executed"
        return f"{about} timed out ({executed})"
    if e.kind == "cancelled":
        return f"{about} was cancelled by the world ({e.detail.get('phase', '')})"
    fault = kind_for_event(e.kind)
    if fault is not None:  # a world event: its kind says how it reads
        return fault.describe(e)
    if e.kind == "subtask_started":
        turn = int(e.detail.get("turn", 0))
        total = obs.task(e.task_id or "").n_turns
        if shown is not None:  # the state summary shows the current request above
            return f"task {e.task_id}: request {turn + 1}/{total} started"
        return f"task {e.task_id}, request {turn + 1}/{total}: {_request_text(obs, e)}"
    if e.kind == "rejected":
        task = f" (task {e.task_id})" if e.task_id else ""
        return f"refused{task}: {e.detail.get('reason')}: {e.detail.get('detail')}"
    if e.kind == "wait_timeout":
        return "the wait timed out"
    return None


def event_lines(obs: Observation, events: Iterable[Event], shown: frozenset[str] | None = None) -> list[str]:
    """One line per event the model should know of. ``shown`` (in a state summary): the call ids
    whose results the summary already shows; the current requests are shown there too."""
    lines = []
    for e in events:
        line = _event_line(obs, e, shown)
        if line is not None:
            lines.append(f"[{e.t} ms] {line}")
    return lines


def state_summary(obs: Observation, include_rejected: bool = True) -> str:
    """The managed protocol's turn: tasks, their current calls, other calls in flight and what each
    asks of the task's next calls (``order_note``), news."""
    lines = [f"Time: {obs.now} ms."]
    shown: set[str] = set()
    for task in obs.tasks:
        lines.append(task_heading(task))
        if task.status != "active":
            continue
        lines.append(f"  permissions: {', '.join(task.permissions) or 'none'}")
        current = [obs.calls[c] for c in task.call_ids if c in obs.calls]
        now_calls = [v for v in current if v.turn == task.turn and v.epoch == task.epoch]
        older = [v for v in current if (v.turn, v.epoch) != (task.turn, task.epoch) and v.status == "in_flight"]
        shown.update(v.call_id for v in now_calls)
        if now_calls:
            lines.append("  calls for this request:")
            lines.extend(f"    {call_line(v, obs.now)}" for v in now_calls)
        if older:
            lines.append("  still in flight from an earlier request:")
            lines.extend(f"    {call_line(v, obs.now)}" for v in older)
        order = _order_lines(obs, task)
        if order:
            lines.append("  order of the calls in flight (a task's calls to one service run in the order they arrive):")
            lines.extend(order)
    news = event_lines(obs, (e for e in obs.events if include_rejected or e.kind != "rejected"), frozenset(shown))
    if news:
        lines.append("Since the last turn:")
        lines.extend(f"- {line}" for line in news)
    return "\n".join(lines)
