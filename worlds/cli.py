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
suite_app = typer.Typer(no_args_is_help=True, help="Multi-task suites: build them, list them, their composition, and the latency profiles.")

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
    sizes: Annotated[Optional[str], typer.Option("--sizes", help="Tasks per instance, e.g. 2,3,4,5 (2 to 8; default 2,3)")] = None,  # noqa: UP045
    mix: Annotated[Optional[str], typer.Option("--mix", help="Kind weights, e.g. dual-similar=1,tri-cross=3 or similar=1,cross=3 (default: every kind of the sizes equally)")] = None,  # noqa: UP045
    categories: Annotated[Optional[str], typer.Option("--categories", help="Only tasks of these categories, e.g. math,travel,records")] = None,  # noqa: UP045
) -> None:
    """Compose N multi-task instances (same category or across categories) from BFCL-imported
    and authored tasks; --sizes, --mix and --categories shape the suite for ablations."""
    from simtool.paths import check_output
    from worlds.bfcl.corpus import data_dir
    from worlds.suites import build_suite, excluded_tasks, parse_sizes, task_pool, write_suite

    check_output(out, "suite", key="--out")
    folder = data_dir(bfcl)
    if folder is None:
        raise SpecError("no BFCL corpus: pass --bfcl DATA_DIR or set SIMTOOL_BFCL_DATA", key="--bfcl", expected="a folder", found=None)
    if seed < 0:
        raise SpecError("the seed must be >= 0", key="--seed", expected="an integer >= 0", found=seed)
    pool = task_pool(folder)
    instances = build_suite(pool, n, seed, profile, mix, sizes=parse_sizes(sizes) if sizes is not None else None,
                            categories=categories.split(",") if categories is not None else None)
    write_suite(instances, out)
    kinds = Counter(i["kind"] for i in instances)
    console.print(f"{len(instances)} instances from {len(pool)} tasks, profile {profile}, seed {seed} -> {out}")
    console.print("  " + " · ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for task_id, why in excluded_tasks(folder):
        console.print(f"  [yellow]left out[/yellow] {task_id}: {why}")


@suite_app.command("stats")
def stats(
    suite: Annotated[Path, typer.Argument(help="A suite file written by `simtool suite build`")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object")] = False,
) -> None:
    """The composition of a suite: instances per category, per kind, per size, and task reuse."""
    import json

    from worlds.suites import read_suite, suite_stats

    figures = suite_stats(read_suite(suite))
    if as_json:
        typer.echo(json.dumps(figures, indent=2, sort_keys=True))
        return
    console.print(f"[bold]{suite}[/bold]: {figures['instances']} instances")
    table = Table(title="by category")
    for col, justify in (("category", "left"), ("title", "left"), ("instances", "right"), ("share", "right"),
                         ("task slots", "right"), ("tasks", "right"), ("mean reuse", "right"), ("max reuse", "right")):
        table.add_column(col, justify=justify)
    for name, row in figures["categories"].items():
        table.add_row(name, row["title"], str(row["instances"]), f"{row['share']:.1%}", str(row["task_slots"]),
                      str(row["tasks"]), f"{row['mean_reuse']:.2f}", str(row["max_reuse"]))
    console.print(table)
    shape = Table(title="by kind and size")
    for col in ("kind", "instances", "size", "instances "):
        shape.add_column(col, justify="left" if col.strip() in ("kind", "size") else "right")
    kinds, sizes = list(figures["kinds"].items()), list(figures["sizes"].items())
    for i in range(max(len(kinds), len(sizes))):
        k = kinds[i] if i < len(kinds) else ("", "")
        z = sizes[i] if i < len(sizes) else ("", "")
        shape.add_row(k[0], str(k[1]), z[0], str(z[1]))
    console.print(shape)
    reuse = figures["reuse"]
    console.print(f"{reuse['tasks']} distinct tasks fill {reuse['task_slots']} task slots: "
                  f"each used {reuse['mean']:.2f} times on average, at most {reuse['max']}")
    console.print("  uses -> tasks: " + " · ".join(f"{k}: {v}" for k, v in reuse["histogram"].items()))
    console.print("  most used: " + ", ".join(f"{t} ({c})" for t, c in reuse["most_used"]))


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
