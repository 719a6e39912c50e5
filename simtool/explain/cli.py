"""``simtool explain``, plugged in through the ``simtool.commands`` entry points.

Output is plain text (no markup): call strings hold brackets that a rich console would eat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from simtool.explain.build import explain, explanation_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_command(
        trace: Annotated[Path, typer.Argument(help="A trace written by `simtool run --trace`")],
        task: Annotated[Optional[str], typer.Option(help="Tell only this task")] = None,  # noqa: UP045
        call: Annotated[Optional[str], typer.Option(help="Tell only this call (e.g. c7): its life, its violations, its sub-task")] = None,  # noqa: UP045
        json_out: Annotated[bool, typer.Option("--json", help="Print the structured form as JSON instead")] = False,
    ) -> None:
        """The run in words: each call's life, faults and reactions, every violation's causal chain."""
        explanation = explain(trace, task=task, call=call)
        typer.echo(explanation_json(explanation) if json_out else explanation.text())
