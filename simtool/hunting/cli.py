"""``simtool hunt`` and ``simtool shrink``, plugged in through the ``simtool.commands`` entry points.

Output is plain text (no markup), so a repro line can be copied and pasted as printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from simtool.hunting.hunt import HuntReport, hunt, parse_seeds
from simtool.hunting.invariants import default_invariants, invariant, invariant_names
from simtool.hunting.pool import default_workers
from simtool.hunting.shrink import shrink_trace

__all__ = ["register", "format_report"]

SEEDS_SHOWN = 20


def format_report(report: HuntReport) -> list[str]:
    """The lines ``simtool hunt`` prints: a header, then per failure group its seeds and repro line."""
    seeds = f"{report.seeds.start}:{report.seeds.stop}"
    modes = "".join([" · tie-shuffle" if report.tie_shuffle else "", " · swarm" if report.swarm else ""])
    lines = [
        f"hunt: {report.world or 'default world'} · policy {report.policy} · seeds {seeds}{modes}",
        f"invariants: {', '.join(report.invariants)}",
    ]
    failed = report.failed_seeds
    total = len(report.outcomes)
    if not report.groups:
        lines.append(f"no invariant failed on {total} seeds")
        return lines
    n = len(report.groups)
    lines.append(f"{len(failed)}/{total} seeds fail, in {n} group{'s' if n != 1 else ''}")
    for g in report.groups:
        shown = " ".join(str(s) for s in g.seeds[:SEEDS_SHOWN]) + (" ..." if len(g.seeds) > SEEDS_SHOWN else "")
        lines += [
            "",
            f"FAIL {g.invariant}: {g.signature} · {len(g.seeds)}/{total} seeds",
            f"  seeds: {shown}",
            f"  smallest: seed {g.smallest.seed} ({g.smallest.calls} calls, {g.smallest.lines} trace lines): {g.why}",
            f"repro: {g.repro}",
        ]
    return lines


def register(app: typer.Typer) -> None:
    @app.command("hunt")
    def hunt_command(
        world: Annotated[Optional[str], typer.Argument(help="A registered world, a YAML path, or SUITE.jsonl#instance-id (default: the default world)")] = None,  # noqa: UP045
        policy: Annotated[Optional[str], typer.Option(help="Policy name (default: the world's own)")] = None,  # noqa: UP045
        seeds: Annotated[str, typer.Option(help="Seeds A:B (A included, B excluded) or one seed S")] = "0:100",
        tie_shuffle: Annotated[bool, typer.Option("--tie-shuffle", help="Shuffle same-ms events with a seeded order (world.tie_shuffle=true)")] = False,
        swarm: Annotated[bool, typer.Option("--swarm", help="Per seed, a seeded subset of the world's fault kinds stays on")] = False,
        invariants: Annotated[Optional[list[str]], typer.Option("--invariant", help="Check only this invariant (repeatable; default: the six races and users' own)")] = None,  # noqa: UP045
        workers: Annotated[Optional[int], typer.Option(help="Local worker processes (default: one per CPU)")] = None,  # noqa: UP045
        scheduler: Annotated[Optional[str], typer.Option(help="Run on this Dask scheduler (tcp://host:8786) instead of locally")] = None,  # noqa: UP045
        set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override: world.<path>=<value> or policy.<key>=<value> (carried into every repro line)")] = None,  # noqa: UP045
        json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the report here as JSON")] = None,  # noqa: UP045
        list_invariants: Annotated[bool, typer.Option("--list-invariants", help="List the invariants a hunt can check and exit")] = False,
    ) -> None:
        """Run a policy on many seeds and group the failing ones by invariant; exit 1 if any fails."""
        if list_invariants:
            defaults = set(default_invariants())
            for name in invariant_names():
                doc = (invariant(name).__doc__ or "").strip().splitlines()
                mark = "*" if name in defaults else " "
                typer.echo(f"{mark} {name}: {doc[0] if doc else ''}")
            typer.echo("(* checked by default)")
            return
        if workers is not None and scheduler:
            raise typer.BadParameter("give --workers or --scheduler, not both")
        report = hunt(world, policy, parse_seeds(seeds), tie_shuffle=tie_shuffle, swarm=swarm,
                      invariants=tuple(invariants or ()), overrides=tuple(set_ or ()),
                      workers=workers if workers is not None else default_workers(), scheduler=scheduler)
        for line in format_report(report):
            typer.echo(line)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(report.as_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
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
