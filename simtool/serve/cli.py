"""``simtool serve``: one simulated run behind an MCP server (see :mod:`simtool.serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from simtool.errors import SimtoolError, SpecError

__all__ = ["register", "serve"]

err = Console(stderr=True)


def _think(think_ms: int, think_tokens: str | None) -> tuple[object, bool]:
    if think_tokens is None:
        return think_ms, False
    parts = think_tokens.split(",")
    try:
        fixed, per_in, per_out = int(parts[0]), float(parts[1]), float(parts[2])
    except (ValueError, IndexError):
        raise SpecError("--think-tokens takes three figures", key="--think-tokens",
                        expected="FIXED_MS,MS_PER_INPUT_TOKEN,MS_PER_OUTPUT_TOKEN (e.g. 300,0.2,20)", found=think_tokens) from None
    return {"fixed_ms": fixed, "ms_per_input_token": per_in, "ms_per_output_token": per_out}, True


def _check_port(host: str, port: int) -> None:
    """Fail now, before anything is announced, when the address cannot be listened on."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise SpecError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", key="--port",
                        expected="a free port on an address of this machine", found=f"{host}:{port}") from None


def serve(
    world: Annotated[Optional[str], typer.Argument(help="A registered world, a YAML path, or SUITE.jsonl#instance-id (default: the default world)")] = None,  # noqa: UP045
    seed: Annotated[int, typer.Option(help="Root seed of the run")] = 0,
    transport: Annotated[str, typer.Option(help="stdio (the client starts this command) or http (streamable HTTP on --host:--port, path /mcp)")] = "stdio",
    host: Annotated[str, typer.Option(help="Address to listen on (http)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (http)")] = 8765,
    trace: Annotated[Optional[Path], typer.Option(help="Write the run's trace here")] = None,  # noqa: UP045
    mode: Annotated[str, typer.Option(help="handle: calls answer 'pending, call_id X', results through wait; blocking: calls answer with their result")] = "handle",
    think_ms: Annotated[int, typer.Option("--think-ms", help="Simulated think time charged per request that acts")] = 100,
    think_tokens: Annotated[Optional[str], typer.Option("--think-tokens", help="Charge think time from estimated tokens instead: FIXED_MS,MS_PER_INPUT_TOKEN,MS_PER_OUTPUT_TOKEN")] = None,  # noqa: UP045
    batch_ms: Annotated[int, typer.Option("--batch-ms", help="blocking mode: calls arriving within this many ms of wall time form one turn")] = 50,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override: world.<path>=<value>")] = None,  # noqa: UP045
) -> None:
    """Serve one simulated run to an MCP client (Claude Code, the OpenAI Agents SDK, pydantic-ai, ...)."""
    try:
        from simtool.serve.mcp_server import run_forever, serve_http, serve_stdio
    except ImportError as exc:
        raise SimtoolError(f"simtool serve needs the official MCP SDK ({exc.name or exc} is missing): "
                           "install it with pip install 'simtool[mcp]'") from None
    from simtool.external.session import AgentSession
    from simtool.serve.run import MODES, ServedRun

    if transport not in ("stdio", "http"):
        raise SpecError("unknown transport", key="--transport", expected="stdio | http", found=transport)
    if mode not in MODES:
        raise SpecError("unknown mode", key="--mode", expected=" | ".join(MODES), found=mode)
    if think_ms < 0 or batch_ms < 0:
        raise SpecError("times cannot be negative", key="--think-ms/--batch-ms", expected="integers >= 0", found=min(think_ms, batch_ms))
    if transport == "http" and not 0 < port < 65536:
        raise SpecError("not a port number", key="--port", expected="an integer from 1 to 65535", found=port)
    if transport == "http":
        _check_port(host, port)
    think, tokens = _think(think_ms, think_tokens)
    overrides = list(set_ or [])
    bad = [o for o in overrides if not o.startswith("world.")]
    if bad:
        raise SpecError("an outside agent's run takes only world overrides", key=bad[0], expected="world.<path>=<value>", found=bad[0])
    session = AgentSession(world, seed, overrides=overrides, think=think, driver="mcp", mode=mode, trace=trace)
    served = ServedRun(session, mode, tokens=tokens, batch_ms=batch_ms)
    if transport == "stdio":
        run_forever(serve_stdio(served))
    else:
        err.print(f"simtool serve: MCP over streamable HTTP at http://{host}:{port}/mcp (mode {mode}, seed {seed})")
        run_forever(serve_http(served, host, port))
    if session.end_reason is None:
        err.print(f"simtool serve: stopped before the run ended; the trace is incomplete ({trace}.incomplete)" if trace else
                  "simtool serve: stopped before the run ended")


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``simtool`` app."""
    app.command("serve")(serve)
