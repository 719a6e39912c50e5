"""The ``simtool`` command line. Core commands live here; others plug in through the
``simtool.commands`` entry points (each a ``register(app)`` function)."""

from __future__ import annotations

import sys
import traceback
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simtool import registry
from simtool.errors import SimtoolError, SpecError
from simtool.limits import limits_in_force
from simtool.run import replay as replay_trace
from simtool.run import run_source
from simtool.summary import summarize, why
from simtool.trace import read_trace
from simtool.tracediff import diff_traces, render_diff

__all__ = ["app", "main"]

# No pretty tracebacks: whatever typer version is installed, a traceback never prints local
# variables (they can hold a key or a file's content).
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  pretty_exceptions_show_locals=False,
                  help="Deterministic simulator of delayed tools for testing agents that must wait.")
console = Console()
err = Console(stderr=True)
USAGE_EXIT = 2

SetOption = Annotated[Optional[list[str]], typer.Option("--set", help="Override: world.<path>=<value> or policy.<key>=<value> (YAML values)")]  # noqa: UP045
LimitOption = Annotated[Optional[list[str]], typer.Option("--limit", help="Raise a cap: horizon_ms=N, fault_events=N, max_decisions=N, trace_lines=N (see docs/security.md)")]  # noqa: UP045


def print_summary(events: list[dict], trace_path: str | None, header: dict) -> None:
    info = summarize(events, header)
    policy = header["config"]["policy"]["name"]
    world = header["config"]["world"].get("name", "world")
    table = Table(title=escape(f"{world} · policy {policy} · seed {header['seed']}"))
    for col in ("task", "status", "sub-tasks passed"):
        table.add_column(col)
    for task_id, t in info["tasks"].items():
        table.add_row(escape(str(task_id)), escape(str(t["status"])), f"{t['passed']}/{t['turns']}")
    console.print(table)
    tot = info["totals"]
    console.print(
        f"makespan {tot['makespan_ms']} ms · calls {tot['calls']} · decisions {tot['decisions']} · think {tot['think_ms']} ms · "
        f"faults {tot['faults']} · cancelled calls {tot['cancelled_calls']} · timeouts {tot['timeouts']} · "
        f"stale deliveries {tot['stale_deliveries']} · leaks {tot['leaks']} · agent errors {tot['agent_errors']} · end: {tot['end']}"
    )
    ratio = tot["latency_think_ratio"]
    low = " (below 1: results are back before the agent's next decision; the delays cannot matter)" if ratio is not None and ratio < 1 else ""
    console.print(f"median tool latency / median think time: {'-' if ratio is None else f'{ratio:.3f}'}{low}")
    counts = [f"{name} {n}" for name, n in tot["violations"].items() if n]
    console.print(f"violations: {' · '.join(counts) if counts else 'none'}")
    if "policy" in tot:
        console.print(escape(f"policy: {tot['policy']}"))
    if trace_path:
        console.print(escape(f"trace: {trace_path}"))


@app.command()
def run(
    world: Annotated[Optional[str], typer.Argument(help="A registered world, a YAML path, or SUITE.jsonl#instance-id (default: the built-in default world)")] = None,  # noqa: UP045
    policy: Annotated[Optional[str], typer.Option(help="Policy name (see `simtool policies`)")] = None,  # noqa: UP045
    seed: Annotated[int, typer.Option(help="Root seed of every random stream")] = 0,
    trace: Annotated[Optional[Path], typer.Option(help="Write the trace here (JSON lines)")] = None,  # noqa: UP045
    durable: Annotated[bool, typer.Option("--durable", help="fsync the trace before renaming it into place (survives a power cut)")] = False,
    set_: SetOption = None,
    check_determinism: Annotated[bool, typer.Option("--check-determinism", help="Run twice in separate processes and compare the traces")] = False,
    limit: LimitOption = None,
) -> None:
    """Run a world under a policy with a seed; print a summary."""
    overrides = list(set_ or [])
    with limits_in_force(limit or ()):
        _run(world, policy, seed, trace, durable, overrides, check_determinism)


def _run(world: str | None, policy: str | None, seed: int, trace: Path | None, durable: bool, overrides: list[str],
         check_determinism: bool) -> None:
    if seed < 0:
        raise SpecError("the seed must be a whole number >= 0", key="--seed", expected="an integer >= 0", found=seed)
    if check_determinism:
        from simtool.determinism import check_determinism as check

        report = check(world, policy, seed, overrides)
        if report.identical:
            console.print(f"deterministic: two processes wrote identical traces ({report.lines} lines, digest {report.digest[:16]})")
            return
        console.print(f"[red]NOT deterministic[/red]: first divergence at line {report.line}")
        console.print(escape(f"  process A: {report.a}"))
        console.print(escape(f"  process B: {report.b}"))
        raise typer.Exit(1)
    result = run_source(world, policy, seed, overrides, trace, durable)
    events = result.events()
    print_summary(events[1:], result.trace_path, events[0])
    explained = why(result.lines, result.trace_path)
    if explained:
        typer.echo("")
        typer.echo(explained)


@app.command()
def replay(
    trace: Annotated[Path, typer.Argument(help="A trace written by `simtool run --trace`")],
    limit: LimitOption = None,
) -> None:
    """Re-run a trace from its header; exit 0 if the bytes are identical, else 1.

    The footer's digest and the header's config hash are checked first, and a trace whose
    policy would make network requests is refused: a replay never goes online."""
    with limits_in_force(limit or ()):
        result = replay_trace(trace)
    if result.version_note:
        err.print(escape(f"note: {result.version_note}"))
    if result.identical:
        console.print(escape(f"identical: {trace} replays byte for byte"))
        return
    console.print(f"[red]differs[/red] at line {result.line}")
    console.print(escape(f"  trace:  {result.original}"))
    console.print(escape(f"  replay: {result.replayed}"))
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


_registered = False


def _register_plugins() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    for ep in sorted(entry_points(group="simtool.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except ImportError as exc:
            err.print(f"[yellow]warning:[/yellow] command group '{ep.name}' ({ep.value}) is not available: {escape(str(exc))}")
            continue
        register(app)


def _is_click_error(exc: BaseException) -> bool:
    """A usage error of click, whichever copy raised it (typer bundles its own)."""
    return hasattr(exc, "exit_code") and hasattr(exc, "format_message") and callable(exc.format_message)


def _usage_paragraph(exc: Any) -> str:
    """One paragraph: what is wrong, and where to read how to call the command."""
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "simtool"
    return f"{command}: {message} (see `{command} --help`)"


def _input_error(exc: BaseException) -> str | None:
    """The user-facing words for an error that bad input (a path, a file's bytes) can cause."""
    if isinstance(exc, UnicodeDecodeError):
        return f"a file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: a directory where a file was expected"
    if isinstance(exc, NotADirectoryError):
        return f"{exc.filename}: a regular file where a folder was expected"
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: permission denied"
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file or folder"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"cannot write: {exc.strerror or exc}"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply"
    return None


def main(argv: list[str] | None = None) -> None:
    """The ``simtool`` command: exit 0 on success, 1 when a check fails, 2 on bad input (one
    paragraph on stderr, never a traceback), 130 when interrupted."""
    _register_plugins()
    try:
        code = app(args=argv, standalone_mode=False, prog_name="simtool")
    except SimtoolError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        sys.exit(USAGE_EXIT)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", None)
        sys.exit(code if code is not None else getattr(exc, "code", 0))
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001: every error reaches the user as words, not a traceback
        if _is_click_error(exc):
            if type(exc).__name__ == "Abort":
                err.print("interrupted")
                sys.exit(130)
            err.print(f"[red]error:[/red] {escape(_usage_paragraph(exc))}", soft_wrap=True)
            sys.exit(USAGE_EXIT)
        words = _input_error(exc)
        if words is not None:
            err.print(f"[red]error:[/red] {escape(words)}", soft_wrap=True)
            sys.exit(USAGE_EXIT)
        # a bug, not bad input: the plain traceback (no local variables), then exit 1
        sys.stderr.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        sys.stderr.write("simtool: internal error (please report it with the command that caused it)\n")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
