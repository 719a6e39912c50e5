"""Showing a hunt's progress: a rich bar on a terminal, a plain line now and then elsewhere.

Progress goes to standard error, so standard output holds the report alone (its repro lines
can be piped or pasted). Wall-clock time is read here for the display only; it never reaches
a report.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from simtool.hunting.outcomes import SeedOutcome

__all__ = ["HuntProgress", "QuietProgress", "BarProgress", "LineProgress", "progress_for", "LINES"]

LINES = 20  # a plain progress line after about every 1/LINES of the seeds
EVERY_S = 2.0  # ... and at least this often (wall-clock seconds) while seeds finish


class HuntProgress(Protocol):
    def start(self, total: int) -> None:
        """``total`` seeds planned."""
        ...

    def outcome(self, outcome: SeedOutcome) -> None:
        """A seed's run and checks are done."""
        ...

    def stop(self) -> None: ...


class QuietProgress:
    def start(self, total: int) -> None:
        pass

    def outcome(self, outcome: SeedOutcome) -> None:
        pass

    def stop(self) -> None:
        pass


class BarProgress:
    """A rich progress bar: seeds done of planned, failing seeds, elapsed time and ETA."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]hunt"), BarColumn(), MofNCompleteColumn(), TextColumn("seeds · {task.fields[failing]} failing"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=True,
        )
        self._task: Any = None
        self._failing = 0

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("hunt", total=total, failing=0)

    def outcome(self, outcome: SeedOutcome) -> None:
        self._failing += outcome.failed
        self._progress.update(self._task, advance=1, failing=self._failing)

    def stop(self) -> None:
        self._progress.stop()


class LineProgress:
    """``hunt: 25/100 seeds · 3 failing``: after the first seed, about every twentieth of them
    (and every couple of seconds on a long hunt), and at the end."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._total = self._done = self._failing = 0
        self._every = 1
        self._last = 0.0

    def start(self, total: int) -> None:
        self._total, self._every = total, max(1, total // LINES)
        self._last = time.monotonic()

    def outcome(self, outcome: SeedOutcome) -> None:
        self._done += 1
        self._failing += outcome.failed
        now = time.monotonic()
        if self._done in (1, self._total) or self._done % self._every == 0 or now - self._last >= EVERY_S:
            self._last = now
            self._console.print(f"hunt: {self._done}/{self._total} seeds · {self._failing} failing", markup=False,
                                highlight=False)
            self._console.file.flush()

    def stop(self) -> None:
        pass


def progress_for(console: Console | None = None, *, quiet: bool = False) -> HuntProgress:
    """A bar when standard error is a terminal, plain lines otherwise, nothing when ``quiet``."""
    if quiet:
        return QuietProgress()
    console = console or Console(stderr=True, soft_wrap=True)
    return BarProgress(console) if console.is_terminal else LineProgress(console)
