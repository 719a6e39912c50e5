"""``simtool report``: plugged in through the ``simtool.commands`` entry point."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from simtool.errors import SimtoolError

__all__ = ["register", "report_command"]

console = Console()


def report_command(
    traces: Annotated[list[Path], typer.Argument(help="One trace or several (several: a comparison comes first)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The page to write (.html)")],
    title: Annotated[Optional[str], typer.Option(help="The page's heading")] = None,  # noqa: UP045
) -> None:
    """One self-contained HTML page: each run's interactive timeline, violations, explanation and
    scores, and the comparison of several runs. Opens offline; requests nothing."""
    from simtool.report import write_report

    _check_output(out)
    for trace in traces:
        if not trace.is_file():
            raise SimtoolError(f"{trace}: no such trace file" + (" (a folder)" if trace.is_dir() else ""))
    try:
        path = write_report(traces, out, title=title)
    except OSError as exc:
        raise SimtoolError(f"--out {out}: cannot write the page: {exc.strerror or exc}") from None
    console.print(f"wrote {path} ({path.stat().st_size:,} bytes, {len(traces)} trace{'s' if len(traces) > 1 else ''})")


def _check_output(out: Path) -> None:
    """Refuse, before any work, an output that cannot be a page: wrong suffix, a folder, a path
    under a regular file, or a place that cannot be written."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise SimtoolError(f"--out {out}: a report is written as .html (found '{out.suffix or 'no suffix'}')")
    if out.is_dir():
        raise SimtoolError(f"--out {out}: is a folder; name the page to write, e.g. {out / 'run.html'}")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise SimtoolError(f"--out {out}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SimtoolError(f"--out {out}: cannot write in {parent} (permission denied)")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``simtool`` command line."""
    app.command("report")(report_command)
