"""External agents: an agent that is not a simtool ``Policy`` drives a run step by step.

The Gymnasium environment (:mod:`simtool.env`) and the MCP server (:mod:`simtool.serve`) both
turn what an outside agent sends into submissions (:mod:`simtool.external.actions`), hand
them to a :class:`~simtool.external.session.AgentSession` over the steppable runtime, and
record every submission in the trace, so that ``simtool replay`` reproduces the run without
the agent (:mod:`simtool.external.recorded`).
"""
