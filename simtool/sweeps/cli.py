"""``simtool sweep`` and ``simtool plot``: plugged in through the ``simtool.commands`` entry point."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from simtool.errors import SimtoolError
from simtool.limits import ENV_VAR as LIMITS_VAR
from simtool.limits import parse_limits
from simtool.sweeps.executors import make_executor
from simtool.sweeps.progress import progress_for
from simtool.sweeps.spec import load_spec
from simtool.sweeps.sweep import run_sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["register", "plot_app"]

console = Console()

OutOption = Annotated[list[Path], typer.Option("--out", "-o", help="Write the plot here: .png or .svg (repeat for both)")]
TitleOption = Annotated[Optional[str], typer.Option(help="Replace the plot's title")]  # noqa: UP045
XOption = Annotated[Optional[str], typer.Option("--x", help="The swept config path on the x axis (default: the swept one)")]  # noqa: UP045

plot_app = typer.Typer(no_args_is_help=True, help="Plots of sweep results and traces (PNG or SVG).")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextmanager
def _term_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a sweep like Ctrl-C: workers are shut down and the store closed cleanly."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def sweep(
    spec: Annotated[Path, typer.Argument(help="The sweep spec (YAML): worlds, policies, seeds, grid")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The sweep folder: results.jsonl, sweep.json, traces/")],
    workers: Annotated[Optional[int], typer.Option(help="Local worker processes (default: the available cores; 1 runs in this process)")] = None,  # noqa: UP045
    scheduler: Annotated[Optional[str], typer.Option(help="Run the cells on this Dask scheduler (tcp://host:8786)")] = None,  # noqa: UP045
    dask_local: Annotated[Optional[int], typer.Option("--dask-local", help="Start a Dask LocalCluster of N worker processes")] = None,  # noqa: UP045
    keep_traces: Annotated[bool, typer.Option("--keep-traces", help="Keep every cell's trace in OUT/traces/")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display")] = False,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Fixed in every cell: world.<path>=<value> or policy.<key>=<value>; the only way to turn on an LLM policy's network (policy.llm_mode, base_url, api_key_env)")] = None,  # noqa: UP045
    keep_failed: Annotated[bool, typer.Option("--keep-failed", help="On resume, keep failed cells' rows instead of running them again")] = False,
    limit: Annotated[Optional[list[str]], typer.Option("--limit", help="Raise a cap for every cell: horizon_ms=N, fault_events=N, max_decisions=N, trace_lines=N")] = None,  # noqa: UP045
) -> None:
    """Run every cell of a sweep spec missing from OUT; one score row per cell. Rerun to resume.

    A folder holds one spec's rows (only seeds and swept values may change between runs);
    failed cells are run again on resume unless --keep-failed."""
    if limit:
        parse_limits(limit)  # a bad item is an error before anything runs
        os.environ[LIMITS_VAR] = ",".join(filter(None, [os.environ.get(LIMITS_VAR, ""), *limit]))  # worker processes inherit it
    parsed = load_spec(spec, tuple(set_ or ()))
    if workers is not None and workers < 1:
        raise SimtoolError("--workers must be at least 1")
    if workers is None and scheduler is None and dask_local is None:
        workers = available_cores()
    executor = make_executor(workers, scheduler, dask_local)
    try:
        with _term_as_interrupt():
            report = run_sweep(parsed, out, executor=executor, keep_traces=keep_traces, progress=progress_for(console, quiet=quiet),
                               retry_failed=not keep_failed)
    except KeyboardInterrupt:
        console.print(f"interrupted: the rows stored so far are safe in {out}; run the same command again to finish the rest")
        raise
    finally:
        executor.close()
    console.print(f"{report.planned} cells: {report.stored_before} were stored, {report.ran} run now"
                  + (f" ({report.retried} of them failed before)" if report.retried else "")
                  + (f", [red]{report.failed} failed[/red] (status 'failed' rows name the error; run again to retry them)" if report.failed else "")
                  + f" · {Path(out) / 'results.jsonl'}")


def _write(figure: Figure, outs: list[Path]) -> None:
    from simtool.plots.figure import save_figure

    if not outs:
        raise SimtoolError("name the output with --out FILE.png or --out FILE.svg")
    for target in outs:
        console.print(f"wrote {save_figure(figure, target)}")


@plot_app.command("efficiency")
def plot_efficiency(
    results: Annotated[Path, typer.Argument(help="A sweep folder (or its results.jsonl)")],
    out: OutOption = [],  # noqa: B006
    x: XOption = None,
    metric: Annotated[str, typer.Option(help="The score key on the y axis")] = "coordination_efficiency",
    title: TitleOption = None,
) -> None:
    """Coordination efficiency against a swept parameter: a line per policy, 95% bands over seeds."""
    from simtool.plots import efficiency_figure, load_sweep

    _write(efficiency_figure(load_sweep(results), x=x, metric=metric, title=title), out)


@plot_app.command("success")
def plot_success(
    results: Annotated[Path, typer.Argument(help="A sweep folder (or its results.jsonl)")],
    out: OutOption = [],  # noqa: B006
    x: XOption = None,
    metric: Annotated[str, typer.Option(help="The score key on the y axis")] = "task_success_rate",
    title: TitleOption = None,
) -> None:
    """Task success against latency (the swept latency path): a line per policy, 95% bands."""
    from simtool.plots import load_sweep, success_figure

    _write(success_figure(load_sweep(results), x=x, metric=metric, title=title), out)


@plot_app.command("timeline")
def plot_timeline(
    trace: Annotated[Path, typer.Argument(help="A trace (simtool run --trace, or a sweep's traces/)")],
    out: OutOption = [],  # noqa: B006
    title: TitleOption = None,
) -> None:
    """The timeline of one trace: a lane per task, a bar per call, faults and stale deliveries marked."""
    from simtool.plots import timeline_figure

    _write(timeline_figure(trace, title=title), out)


@plot_app.command("sync-async")
def plot_sync_async(
    results: Annotated[Path, typer.Argument(help="A sweep folder with runs at the instant profile and a delayed one")],
    out: OutOption = [],  # noqa: B006
    metric: Annotated[str, typer.Option(help="The score key compared")] = "task_success_rate",
    title: TitleOption = None,
) -> None:
    """Sync (instant tools) versus async (delayed) bars per policy."""
    from simtool.plots import load_sweep, sync_async_figure

    _write(sync_async_figure(load_sweep(results), metric=metric, title=title), out)


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``plot`` to the ``simtool`` command line."""
    app.command("sweep")(sweep)
    app.add_typer(plot_app, name="plot")

