"""The served run behind the official ``mcp`` SDK's low-level server, over stdio or streamable HTTP.

One server process serves one simulated run. The trace is finished when the run ends; a server
stopped before that (the client disconnects from stdio, SIGINT or SIGTERM) leaves the trace
``.incomplete``, never a silent partial.
"""

from __future__ import annotations

import asyncio
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.stdio import stdio_server

from simtool import __version__
from simtool.serve.run import ServedRun

__all__ = ["build_server", "serve_stdio", "serve_http", "INSTRUCTIONS"]

INSTRUCTIONS = """You are working on several users' tasks at once in a simulated world. Call `status` to \
see every task, its current request and its calls. Domain tools take `task_id` (the task a call is for) and \
their own arguments. Tool calls take simulated time: they run concurrently and may finish in any order; a user \
may cancel a task or change its request, or a permission may be revoked, while calls are in flight. Call \
`wait` when nothing useful can be done until a result arrives, `cancel` to withdraw a call, and `respond` \
when a task's current request is fully done (its next request, if any, follows)."""

HANDLE_NOTE = ' A domain call answers at once "pending, call_id X"; its result arrives through `wait`.'
BLOCKING_NOTE = " A domain call answers with its result once it is delivered; calls sent together run concurrently."


def build_server(run: ServedRun) -> Server[Any]:
    """An MCP server whose tools are the run's agent tools."""

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[
            types.Tool(name=t.name, description=t.description, input_schema=dict(t.parameters)) for t in run.tools()
        ])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        meta = params.meta
        token = meta.get("progressToken") if isinstance(meta, dict) else getattr(meta, "progress_token", None)

        async def progress(now_ms: int) -> None:
            if token is not None:
                await ctx.session.send_progress_notification(token, float(now_ms), message=f"simulated time {now_ms} ms")

        reply = await run.request(params.name, params.arguments, progress)
        return types.CallToolResult(content=[types.TextContent(type="text", text=reply.text)], is_error=reply.is_error,
                                    structured_content=reply.data)

    note = HANDLE_NOTE if run.mode == "handle" else BLOCKING_NOTE
    return Server("simtool", version=__version__, instructions=INSTRUCTIONS + note,
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(run: ServedRun) -> None:
    """Serve over this process's stdin and stdout until the client closes them."""
    server = build_server(run)
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        run.session.close()


async def serve_http(run: ServedRun, host: str, port: int, ready: Any = None) -> None:
    """Serve streamable HTTP on ``host:port`` (``/mcp``) until stopped."""
    import uvicorn

    server = build_server(run)
    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    web = uvicorn.Server(config)
    try:
        await web.serve()
    finally:
        run.session.close()


def run_forever(coro: Any) -> None:
    """Run a serving coroutine; Ctrl-C ends it quietly (the trace is then left incomplete)."""
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass
