"""``simtool check policy NAME`` and ``simtool check service NAME``: exit 0 when the plug-in
keeps the contract, 1 when a check found a problem (one line each), 2 for bad usage."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

from simtool.checks.policies import check_policy
from simtool.checks.report import Report
from simtool.checks.services import check_service

__all__ = ["register", "check_app"]

check_app = typer.Typer(no_args_is_help=True, help="Check a plug-in (a policy or a service) against simtool's contracts.")
console = Console(highlight=False, soft_wrap=True)

WorldOption = Annotated[Optional[str], typer.Option("--world", help="A registered world, a YAML path or SUITE.jsonl#id to run on")]  # noqa: UP045


def _print(report: Report) -> None:
    for line in report.lines():
        console.print(line, markup=False)
    if not report.ok:
        raise typer.Exit(1)


@check_app.command("policy")
def policy_command(
    name: Annotated[str, typer.Argument(help="The policy's registered name (see `simtool policies`)")],
    world: WorldOption = None,
    seed: Annotated[int, typer.Option(help="Root seed of the runs")] = 0,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override: world.<path>=<value> or policy.<key>=<value>")] = None,  # noqa: UP045
    processes: Annotated[bool, typer.Option(help="Also compare traces written by two processes (different PYTHONHASHSEED)")] = True,
) -> None:
    """Run a policy on a world (default: the default world) and check the policy contract."""
    _print(check_policy(name, world, seed, list(set_ or []), processes=processes))


@check_app.command("service")
def service_command(
    name: Annotated[str, typer.Argument(help="The service's registered name (its class's name)")],
    world: Annotated[Optional[str], typer.Option("--world", help="Take scenarios from this world only (default: every registered world)")] = None,  # noqa: UP045
    processes: Annotated[bool, typer.Option(help="Also compare states built by two processes (different PYTHONHASHSEED)")] = True,
) -> None:
    """Check a service against its tools.yaml, its scenarios and its state."""
    _print(check_service(name, world, processes=processes))


def register(app: typer.Typer) -> None:
    """Add the ``check`` command group to the ``simtool`` command line."""
    app.add_typer(check_app, name="check")
