"""Commands of the worlds package: ``simtool bfcl ...`` and ``simtool suite ...`` (plugged in
through the ``simtool.commands`` entry point ``worlds``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simtool.errors import SpecError

__all__ = ["register"]

console = Console()

bfcl_app = typer.Typer(no_args_is_help=True, help="The BFCL multi-turn corpus: replay its gold paths.")
suite_app = typer.Typer(no_args_is_help=True, help="Multi-task suites: build them, list them, and the latency profiles.")

DataDir = Annotated[Path, typer.Argument(help="The BFCL corpus folder (holds BFCL_v4_multi_turn_base.json)")]


@bfcl_app.command("gold")
def gold(
    data_dir: DataDir,
    out: Annotated[Path, typer.Option("--out", help="Write the JSON lines here")],
) -> None:
    """Replay the gold path of every entry through simtool's services, one line per entry
    (the shape of reference_0_99.jsonl)."""
    from simtool.paths import check_output
    from worlds.bfcl.gold import write_gold

    check_output(out, "gold file", key="--out")
    with Progress(TextColumn("[bold]gold replay"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        bar = progress.add_task("", total=None)

        def advance(entry_id: str, total: int) -> None:
            progress.update(bar, total=total, advance=1, description=entry_id)

        count = write_gold(data_dir, out, on_entry=advance)
    console.print(f"{count} entries replayed -> {out}")


@suite_app.command("build")
def build(
    out: Annotated[Path, typer.Option("--out", help="Write the suite (JSON lines) here")],
    bfcl: Annotated[Optional[Path], typer.Option("--bfcl", help="The BFCL corpus folder (default: $SIMTOOL_BFCL_DATA)")] = None,  # noqa: UP045
    n: Annotated[int, typer.Option("--n", help="Number of instances (712 = AsyncTool's size)")] = 712,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws")] = 0,
    profile: Annotated[str, typer.Option("--profile", help="Latency profile written into each instance (see `simtool suite profiles`)")] = "saas",
) -> None:
    """Compose N multi-task instances (2 or 3 tasks, same domain or across domains) from
    BFCL-imported and authored tasks."""
    from simtool.paths import check_output
    from worlds.bfcl.corpus import data_dir
    from worlds.suites import build_suite, excluded_tasks, task_pool, write_suite

    check_output(out, "suite", key="--out")
    folder = data_dir(bfcl)
    if folder is None:
        raise SpecError("no BFCL corpus: pass --bfcl DATA_DIR or set SIMTOOL_BFCL_DATA", key="--bfcl", expected="a folder", found=None)
    if seed < 0:
        raise SpecError("the seed must be >= 0", key="--seed", expected="an integer >= 0", found=seed)
    pool = task_pool(folder)
    instances = build_suite(pool, n, seed, profile)
    write_suite(instances, out)
    kinds = Counter(i["kind"] for i in instances)
    console.print(f"{len(instances)} instances from {len(pool)} tasks, profile {profile}, seed {seed} -> {out}")
    console.print("  " + " · ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for task_id, why in excluded_tasks(folder):
        console.print(f"  [yellow]left out[/yellow] {task_id}: {why}")


@suite_app.command("list")
def list_instances(
    suite: Annotated[Path, typer.Argument(help="A suite file written by `simtool suite build`")],
    limit: Annotated[int, typer.Option(help="Show at most this many instances")] = 20,
) -> None:
    """The instances of a suite: id, kind, profile and tasks (run one with `simtool run SUITE#ID`)."""
    from worlds.suites import read_suite

    table = Table(title=str(suite))
    for col in ("instance", "kind", "profile", "tasks"):
        table.add_column(col)
    kinds: Counter[str] = Counter()
    for count, instance in enumerate(read_suite(suite)):
        kind = str(instance.get("kind", "-"))
        kinds[kind] += 1
        if count < limit:
            task_ids = instance.get("task_ids")
            tasks = ", ".join(str(t) for t in task_ids) if isinstance(task_ids, list) else "-"
            # values from the file are shown as text, never read as markup
            table.add_row(*(escape(str(v)) for v in (instance["id"], kind, instance.get("profile", ""), tasks)))
    console.print(table)
    console.print(f"{sum(kinds.values())} instances: " + " · ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


@suite_app.command("profiles")
def profiles() -> None:
    """The latency profiles a suite instance can run under."""
    from worlds.profiles import load_profile, profile_names

    for name in profile_names():
        console.print(f"[bold]{name}[/bold]: {load_profile(name)['description']}")


def register(app: typer.Typer) -> None:
    """Add ``bfcl`` and ``suite`` command groups to the ``simtool`` app."""
    app.add_typer(bfcl_app, name="bfcl")
    app.add_typer(suite_app, name="suite")
