"""Showing a sweep's progress: a rich bar with rate and ETA on a terminal, one line per cell otherwise.

Wall-clock time is read here for the display only; it never reaches a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["SweepProgress", "BarProgress", "LineProgress", "QuietProgress", "progress_for"]


class SweepProgress(Protocol):
    def start(self, name: str, total: int, done: int) -> None:
        """``total`` cells planned, ``done`` of them already in the store."""
        ...

    def row(self, row: Mapping[str, Any]) -> None:
        """A row was stored."""
        ...

    def stop(self) -> None: ...


class QuietProgress:
    def start(self, name: str, total: int, done: int) -> None:
        pass

    def row(self, row: Mapping[str, Any]) -> None:
        pass

    def stop(self) -> None:
        pass


class _Rate(ProgressColumn):
    """Cells per second over the cells run by this invocation."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("- cells/s" if speed is None else f"{speed:,.1f} cells/s", style="progress.data.speed")


class BarProgress:
    """A rich progress bar: cells done of planned, failures, rate, elapsed time and ETA."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            _Rate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self._task: Any = None
        self._failed = 0

    def start(self, name: str, total: int, done: int) -> None:
        self._progress.start()
        # the rate and ETA count only this run's cells: resumed ones are not re-timed
        self._task = self._progress.add_task(name, total=total - done, failed=0)
        if done:
            self._progress.console.print(f"{done} of {total} cells already in the store: running the other {total - done}")

    def row(self, row: Mapping[str, Any]) -> None:
        if row.get("status") != "ok":
            self._failed += 1
        self._progress.update(self._task, advance=1, failed=self._failed)

    def stop(self) -> None:
        self._progress.stop()


class LineProgress:
    """One line per stored row (for logs and pipes): ``cell KEY ok|failed n/N world policy seed``."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(soft_wrap=True, highlight=False)
        self._total = 0
        self._count = 0

    def start(self, name: str, total: int, done: int) -> None:
        self._total, self._count = total, done
        self._console.print(f"sweep {name}: {total} cells, {done} already stored", markup=False)

    def row(self, row: Mapping[str, Any]) -> None:
        self._count += 1
        line = f"cell {row['cell']} {row.get('status')} {self._count}/{self._total} {row.get('source')} {row.get('label')} seed={row.get('seed')}"
        if row.get("error"):
            line += f" error: {row['error']}"
        self._console.print(line, markup=False)
        self._console.file.flush()

    def stop(self) -> None:
        pass


def progress_for(console: Console | None = None, *, quiet: bool = False) -> SweepProgress:
    """A bar on a terminal, lines otherwise, nothing when ``quiet``."""
    if quiet:
        return QuietProgress()
    console = console or Console()
    return BarProgress(console) if console.is_terminal else LineProgress(console)
