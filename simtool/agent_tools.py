"""The tools an agent sees: every task's domain tools, each with a required ``task_id`` (so the
agent must say which task a call is for), plus the control tools ``wait``, ``cancel`` and
``respond``. Definitions derive from the tool schemas (``tools.yaml``), the one source; the LLM
policy and the MCP server both present them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from simtool.errors import SimtoolError
from simtool.service import ToolSchema

__all__ = ["AgentTool", "CONTROL_TOOLS", "TASK_PARAM", "domain_tools"]

TASK_PARAM = "task_id"


@frozen
class AgentTool:
    """A tool as an agent is shown it: name, description and the JSON Schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any]  # JSON Schema, ``type: object``


CONTROL_TOOLS = (
    AgentTool(
        "wait",
        "Sleep until one of the given calls ends (or, with no call_ids, until anything happens), "
        "or until timeout_ms of simulated time has passed.",
        {"type": "object", "properties": {
            "call_ids": {"type": "array", "items": {"type": "string"}, "description": "Calls to wait for; empty: any event."},
            "timeout_ms": {"type": "integer", "description": "Wake up after this many ms at the latest."},
        }, "required": []},
    ),
    AgentTool(
        "cancel",
        "Cancel a call in flight. Cancelled before it executed: no effect. After: the effect stands, the result is dropped.",
        {"type": "object", "properties": {"call_id": {"type": "string", "description": "The call to cancel."}},
         "required": ["call_id"]},
    ),
    AgentTool(
        "respond",
        "Answer the user of a task: this ends the task's current request (its next request, if any, follows).",
        {"type": "object", "properties": {
            TASK_PARAM: {"type": "string", "description": "The task answered."},
            "text": {"type": "string", "description": "The answer for the user."},
        }, "required": [TASK_PARAM, "text"]},
    ),
)


def domain_tools(schemas: Mapping[str, Mapping[str, ToolSchema]], reserved: tuple[str, ...] = ()) -> tuple[AgentTool, ...]:
    """Domain tools in order of first appearance over the tasks, each taking ``task_id`` (one of
    the tasks that have the tool). A tool named like a control tool (or one in ``reserved``), or
    with its own ``task_id`` parameter, cannot be told apart and is an error."""
    owners: dict[str, list[str]] = {}
    first: dict[str, ToolSchema] = {}
    for task_id, tools in schemas.items():
        for name, schema in tools.items():
            owners.setdefault(name, []).append(task_id)
            first.setdefault(name, schema)
    control = {t.name for t in CONTROL_TOOLS} | set(reserved)
    out = []
    for name, schema in first.items():
        if name in control:
            raise SimtoolError(f"tool '{name}' of service {schema.service} has the name of a control tool "
                               f"({', '.join(sorted(control))}): an agent cannot tell them apart")
        if TASK_PARAM in schema.param_names:
            raise SimtoolError(f"tool '{name}' of service {schema.service} has a parameter '{TASK_PARAM}', "
                               f"which simtool adds to name the task")
        params = schema.json_schema()
        task_param = {"type": "string", "enum": owners[name], "description": "The task this call is for."}
        parameters = {
            "type": "object",
            "properties": {TASK_PARAM: task_param, **params["properties"]},
            "required": [TASK_PARAM, *params["required"]],
        }
        out.append(AgentTool(name, f"[{schema.service}] {schema.description}", parameters))
    return tuple(out)
