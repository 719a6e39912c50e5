"""The ``simtool`` command line. Core commands live here; others plug in through the
``simtool.commands`` entry points (each a ``register(app)`` function)."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from simtool import registry
from simtool.errors import SimtoolError
from simtool.run import replay as replay_trace
from simtool.run import run_source
from simtool.summary import summarize, why
from simtool.trace import read_trace
from simtool.tracediff import diff_traces, render_diff

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Deterministic simulator of delayed tools for testing agents that must wait.")
console = Console()
err = Console(stderr=True)

SetOption = Annotated[Optional[list[str]], typer.Option("--set", help="Override: world.<path>=<value> or policy.<key>=<value> (YAML values)")]  # noqa: UP045


def print_summary(events: list[dict], trace_path: str | None, header: dict) -> None:
    info = summarize(events, header)
    policy = header["config"]["policy"]["name"]
    world = header["config"]["world"].get("name", "world")
    table = Table(title=f"{world} · policy {policy} · seed {header['seed']}")
    for col in ("task", "status", "sub-tasks passed"):
        table.add_column(col)
    for task_id, t in info["tasks"].items():
        table.add_row(task_id, t["status"], f"{t['passed']}/{t['turns']}")
    console.print(table)
    tot = info["totals"]
    console.print(
        f"makespan {tot['makespan_ms']} ms · calls {tot['calls']} · decisions {tot['decisions']} · think {tot['think_ms']} ms · "
        f"faults {tot['faults']} · cancelled calls {tot['cancelled_calls']} · timeouts {tot['timeouts']} · "
        f"stale deliveries {tot['stale_deliveries']} · leaks {tot['leaks']} · agent errors {tot['agent_errors']} · end: {tot['end']}"
    )
    counts = [f"{name} {n}" for name, n in tot["violations"].items() if n]
    console.print(f"violations: {' · '.join(counts) if counts else 'none'}")
    if "policy" in tot:
        console.print(f"policy: {tot['policy']}")
    if trace_path:
        console.print(f"trace: {trace_path}")


@app.command()
def run(
    world: Annotated[Optional[str], typer.Argument(help="A registered world, a YAML path, or SUITE.jsonl#instance-id (default: the built-in default world)")] = None,  # noqa: UP045
    policy: Annotated[Optional[str], typer.Option(help="Policy name (see `simtool policies`)")] = None,  # noqa: UP045
    seed: Annotated[int, typer.Option(help="Root seed of every random stream")] = 0,
    trace: Annotated[Optional[Path], typer.Option(help="Write the trace here (JSON lines)")] = None,  # noqa: UP045
    durable: Annotated[bool, typer.Option("--durable", help="fsync the trace before renaming it into place (survives a power cut)")] = False,
    set_: SetOption = None,
    check_determinism: Annotated[bool, typer.Option("--check-determinism", help="Run twice in separate processes and compare the traces")] = False,
) -> None:
    """Run a world under a policy with a seed; print a summary."""
    overrides = list(set_ or [])
    if check_determinism:
        from simtool.determinism import check_determinism as check

        report = check(world, policy, seed, overrides)
        if report.identical:
            console.print(f"deterministic: two processes wrote identical traces ({report.lines} lines, digest {report.digest[:16]})")
            return
        console.print(f"[red]NOT deterministic[/red]: first divergence at line {report.line}")
        console.print(f"  process A: {report.a}")
        console.print(f"  process B: {report.b}")
        raise typer.Exit(1)
    result = run_source(world, policy, seed, overrides, trace, durable)
    events = result.events()
    print_summary(events[1:], result.trace_path, events[0])
    explained = why(result.lines, result.trace_path)
    if explained:
        typer.echo("")
        typer.echo(explained)


@app.command()
def replay(trace: Annotated[Path, typer.Argument(help="A trace written by `simtool run --trace`")]) -> None:
    """Re-run a trace from its header; exit 0 if the bytes are identical, else 1."""
    result = replay_trace(trace)
    if result.version_note:
        err.print(f"note: {result.version_note}")
    if result.identical:
        console.print(f"identical: {trace} replays byte for byte")
        return
    console.print(f"[red]differs[/red] at line {result.line}")
    console.print(f"  trace:  {result.original}")
    console.print(f"  replay: {result.replayed}")
    raise typer.Exit(1)


@app.command()
def diff(
    a: Path,
    b: Path,
    all_: Annotated[bool, typer.Option("--all", help="Also every differing stretch of events after the first")] = False,
) -> None:
    """Configuration differences, then the first diverging event (exit 1 when the traces differ)."""
    found = diff_traces(read_trace(a, verify=False), read_trace(b, verify=False))
    for line in render_diff(found, str(a), str(b), show_all=all_):
        typer.echo(line)
    if not found.identical:
        raise typer.Exit(1)


@app.command()
def worlds() -> None:
    """List the registered worlds."""
    for name in registry.names("world"):
        console.print(name)


@app.command()
def policies() -> None:
    """List the registered policies."""
    for name in registry.names("policy"):
        console.print(name)


def _register_plugins() -> None:
    for ep in sorted(entry_points(group="simtool.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except ImportError as exc:
            err.print(f"[yellow]warning:[/yellow] command group '{ep.name}' ({ep.value}) is not available: {exc}")
            continue
        register(app)


def main() -> None:
    _register_plugins()
    try:
        code = app(standalone_mode=False)
    except SimtoolError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", None)
        sys.exit(code if code is not None else getattr(exc, "code", 0))
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click's usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)
