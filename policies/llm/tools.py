"""The tools the model sees: the agent tools of :mod:`simtool.agent_tools` (every task's domain
tools with a required ``task_id``, then ``wait``, ``cancel`` and ``respond``), as tool definitions.
"""

from __future__ import annotations

from collections.abc import Mapping

from policies.llm.conversation import ToolDef
from simtool.agent_tools import CONTROL_TOOLS as AGENT_CONTROL_TOOLS
from simtool.agent_tools import TASK_PARAM, AgentTool, domain_tools
from simtool.service import ToolSchema

__all__ = ["CONTROL_TOOLS", "TASK_PARAM", "tool_defs"]


def _definition(tool: AgentTool) -> ToolDef:
    return ToolDef(tool.name, tool.description, tool.parameters)


CONTROL_TOOLS = tuple(_definition(t) for t in AGENT_CONTROL_TOOLS)


def tool_defs(schemas: Mapping[str, Mapping[str, ToolSchema]]) -> tuple[ToolDef, ...]:
    """Domain tools in order of first appearance over the tasks, then the control tools."""
    return (*(_definition(t) for t in domain_tools(schemas)), *CONTROL_TOOLS)
