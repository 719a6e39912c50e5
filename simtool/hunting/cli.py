"""``simtool hunt`` and ``simtool shrink``, plugged in through the ``simtool.commands`` entry points.

Output is plain text (no markup), so a repro line can be copied and pasted as printed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from simtool.config import run_config
from simtool.errors import SimtoolError
from simtool.hunting.hunt import hunt, parse_seeds
from simtool.hunting.invariants import default_invariants, invariant, invariant_names
from simtool.hunting.outcomes import HuntReport
from simtool.hunting.output import check_writable, write_text
from simtool.hunting.progress import progress_for
from simtool.hunting.shrink import shrink_trace
from simtool.scoring.invariants import invariant_table
from simtool.sweeps.placement import DEFAULT_THREADS, makes_requests

__all__ = ["register", "format_report", "summary_table", "INTERRUPTED"]

SEEDS_SHOWN = 20
INTERRUPTED = 130  # the exit code of a command stopped by SIGINT (128 + 2), as shells report it


def default_workers() -> int:
    """One local worker per CPU."""
    return max(1, os.cpu_count() or 1)


def _makes_requests(world: str | None, policy: str | None, overrides: tuple[str, ...]) -> bool:
    """Whether the hunt's policy asks a server (then its seeds run on threads); a config that
    cannot be built: no (the hunt reports it)."""
    try:
        config, _ = run_config(world, policy, overrides)
    except SimtoolError:
        return False
    return makes_requests(config["policy"])


def summary_table(report: HuntReport) -> list[str]:
    """One line per failing invariant: its failing seeds, its groups and its smallest repro (aligned columns)."""
    total = len(report.outcomes)
    rows = [("invariant", "failing seeds", "groups", "smallest repro")]
    rows += [(s.invariant, f"{len(s.seeds)}/{total}", str(s.groups), s.repro) for s in report.summary]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)) for row in rows]


def format_report(report: HuntReport) -> list[str]:
    """The lines ``simtool hunt`` prints: a header, the summary per invariant, then per group its seeds and repro."""
    seeds = f"{report.seeds.start}:{report.seeds.stop}"
    modes = "".join([" · tie-shuffle" if report.tie_shuffle else "", " · swarm" if report.swarm else ""])
    lines = [
        f"hunt: {report.world or 'default world'} · policy {report.policy} · seeds {seeds}{modes}",
        f"invariants: {', '.join(report.invariants)}",
    ]
    total = len(report.outcomes)
    if report.interrupted:
        why = f" ({report.stopped})" if report.stopped else ""
        lines.append(f"interrupted{why}: {total} of {len(report.seeds)} seeds ran; what they found follows")
    if not report.groups:
        lines.append(f"no invariant failed on {total} seeds")
        return lines
    n = len(report.groups)
    lines.append(f"{len(report.failed_seeds)}/{total} seeds fail, in {n} group{'s' if n != 1 else ''}"
                 + ("" if report.detail else " (by invariant and tools; --detail groups by signature)"))
    lines += ["", *summary_table(report)]
    for g in report.groups:
        shown = " ".join(str(s) for s in g.seeds[:SEEDS_SHOWN]) + (" ..." if len(g.seeds) > SEEDS_SHOWN else "")
        lines += ["", f"FAIL {g.invariant}: {g.signature} · {len(g.seeds)}/{total} seeds"]
        if not report.detail:
            lines += [f"  way: {sig} ({k} seed{'s' if k != 1 else ''})" for sig, k in g.ways]
        lines += [
            f"  seeds: {shown}",
            f"  smallest: seed {g.smallest.seed} ({g.smallest.calls} calls, {g.smallest.lines} trace lines): {g.why}",
        ]
        if g.kept:
            lines.append(f"  kept: {g.kept} · shrink it: simtool shrink {g.kept} --invariant {g.invariant}")
        lines.append(f"repro: {g.repro}")
    return lines


def register(app: typer.Typer) -> None:
    @app.command("hunt")
    def hunt_command(
        world: Annotated[Optional[str], typer.Argument(help="A registered world, a YAML path, or SUITE.jsonl#instance-id (default: the default world)")] = None,  # noqa: UP045
        policy: Annotated[Optional[str], typer.Option(help="Policy name (default: the world's own)")] = None,  # noqa: UP045
        seeds: Annotated[str, typer.Option(help="Seeds A:B (A included, B excluded) or one seed S")] = "0:100",
        tie_shuffle: Annotated[bool, typer.Option("--tie-shuffle", help="Shuffle same-ms events with a seeded order (world.tie_shuffle=true)")] = False,
        swarm: Annotated[bool, typer.Option("--swarm", help="Per seed, a seeded subset of the world's fault kinds stays on")] = False,
        invariants: Annotated[Optional[list[str]], typer.Option("--invariant", help="Check only this invariant (repeatable; default: the hunted ones and users' own)")] = None,  # noqa: UP045
        workers: Annotated[Optional[int], typer.Option(help="Local worker processes (default: one per CPU)")] = None,  # noqa: UP045
        threads: Annotated[Optional[int], typer.Option(help=f"Run the seeds on N threads of this process: for a policy that waits on a model's API (default for an LLM policy in live or record mode: {DEFAULT_THREADS})")] = None,  # noqa: UP045
        scheduler: Annotated[Optional[str], typer.Option(help="Run on this Dask scheduler (tcp://host:8786) instead of locally")] = None,  # noqa: UP045
        set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override: world.<path>=<value> or policy.<key>=<value> (carried into every repro line)")] = None,  # noqa: UP045
        detail: Annotated[bool, typer.Option("--detail", help="Group failures by signature (how the tools raced), not only by invariant and tools")] = False,
        keep: Annotated[Optional[Path], typer.Option("--keep", help="Write each group's smallest failing trace into this folder, ready for simtool shrink")] = None,  # noqa: UP045
        json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the report here as JSON")] = None,  # noqa: UP045
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress display")] = False,
        list_invariants: Annotated[bool, typer.Option("--list-invariants", help="List the invariants a hunt can check and exit")] = False,
    ) -> None:
        """Run a policy on many seeds and group the failing ones by invariant; exit 1 if any fails.

        Progress goes to standard error (a bar on a terminal, a line now and then otherwise);
        the report to standard output. Ctrl-C stops the hunt and prints what it found so far
        (exit code 130).
        """
        if list_invariants:
            defaults = set(default_invariants())
            table = {entry.name: entry for entry in invariant_table()}
            for name in invariant_names():
                doc = (invariant(name).__doc__ or "").strip().splitlines()
                mark = "*" if name in defaults else " "
                entry = table.get(name)
                notes = [f"narrows {entry.narrows}"] if entry is not None and entry.narrows else []
                notes += ["scored"] if entry is not None and entry.scored else []
                typer.echo(f"{mark} {name}: {doc[0] if doc else ''}" + (f" ({', '.join(notes)})" if notes else ""))
            typer.echo("(* checked by default; scored: counted by every score too)")
            return
        chosen = [name for name, value in (("--workers", workers), ("--threads", threads), ("--scheduler", scheduler)) if value]
        if len(chosen) > 1:
            raise typer.BadParameter(f"give one of {' or '.join(chosen)}, not both")
        if threads is not None and threads < 1:
            raise typer.BadParameter("--threads must be at least 1")
        if not chosen and _makes_requests(world, policy, tuple(set_ or ())):
            threads = DEFAULT_THREADS
        if json_out is not None:
            check_writable(json_out, "--json")
        report = hunt(world, policy, parse_seeds(seeds), tie_shuffle=tie_shuffle, swarm=swarm,
                      invariants=tuple(invariants or ()), overrides=tuple(set_ or ()),
                      workers=workers if workers is not None else default_workers(), scheduler=scheduler, threads=threads,
                      detail=detail, keep=keep, progress=progress_for(quiet=quiet))
        for line in format_report(report):
            typer.echo(line)
        failed_write = False
        for problem in report.keep_errors:
            typer.echo(f"error: could not keep a trace: {problem}", err=True)
            failed_write = True
        if json_out is not None:
            try:
                write_text(json_out, json.dumps(report.as_dict(), indent=1, sort_keys=True) + "\n")
            except OSError as exc:  # the report is printed above: nothing is lost
                typer.echo(f"error: cannot write the JSON report to {json_out}: {exc.strerror or exc}", err=True)
                failed_write = True
        if report.stopped:
            raise typer.Exit(2)
        if report.interrupted:
            raise typer.Exit(INTERRUPTED)
        if failed_write:
            raise typer.Exit(2)
        if report.groups:
            raise typer.Exit(1)

    @app.command("shrink")
    def shrink_command(
        trace: Annotated[Path, typer.Argument(help="A trace whose run fails the invariant")],
        invariant_name: Annotated[str, typer.Option("--invariant", help="The invariant that must keep failing")],
        out: Annotated[Optional[Path], typer.Option(help="Where to write the shrunk world YAML (default: TRACE's name + .shrunk.yaml)")] = None,  # noqa: UP045
        trace_out: Annotated[Optional[Path], typer.Option("--trace", help="Also write the trace of the shrunk run here")] = None,  # noqa: UP045
        max_runs: Annotated[int, typer.Option(help="Give up reducing after this many candidate runs")] = 3000,
    ) -> None:
        """Reduce a failing run to the smallest world where the same invariant still fails."""
        result = shrink_trace(trace, invariant_name, out, max_runs=max_runs, trace_out=trace_out)
        typer.echo(f"shrunk: {invariant_name} still fails · size {result.size_before} -> {result.size_after} · "
                   f"{len(result.steps)} reductions in {result.runs} runs")
        for step in result.steps:
            typer.echo(f"  - {step}")
        if result.engine_errors:
            typer.echo(f"engine errors: {result.engine_errors} candidate run(s) raised inside simtool and were "
                       f"left out (a bug: please report it); first: {result.engine_error_messages[0]}", err=True)
        if result.path is None:  # the search is done: never lose it at the write
            typer.echo(f"error: {result.write_error}; the shrunk world (seed {result.seed}) follows", err=True)
            typer.echo(result.text, nl=False)
            raise typer.Exit(2)
        typer.echo(f"world: {result.path} (seed {result.seed})")
        typer.echo(f"repro: {result.repro}")
        if result.write_error:
            typer.echo(f"error: {result.write_error}", err=True)
            raise typer.Exit(2)
