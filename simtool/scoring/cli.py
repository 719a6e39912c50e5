"""``simtool score`` and ``simtool compare``: scores of traces, and the sync-versus-async table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from simtool.errors import SimtoolError, SpecError
from simtool.paths import check_output
from simtool.scoring.aggregate import GROUP_KEYS, aggregate
from simtool.scoring.compare import DEFAULT_POLICIES, PROFILES, compare
from simtool.scoring.invariants import short_label
from simtool.scoring.metrics import METRICS, Metric, summary_metrics
from simtool.scoring.results import COLUMNS, FORMATS, results_rows, to_csv, to_json, to_markdown
from simtool.scoring.score import score_trace
from simtool.trace import TraceError, canonical

__all__ = ["register", "score_command", "compare_command"]

console = Console()


def _mean(cell: Mapping[str, Any], m: Metric) -> str:
    """A group's mean of metric ``m`` with the half-width of its 95% interval."""
    mean, ci = cell.get("mean"), cell.get("ci95")
    if mean is None:
        return "-"
    pct = m.bounded
    text = f"{100 * mean:.0f}%" if pct else f"{float(mean):.{0 if m.unit == 'ms' else 2}f}"
    if ci and ci[1] > ci[0]:
        half = (ci[1] - ci[0]) / 2
        text += f" ±{100 * half:.0f}" if pct else f" ±{half:.{0 if m.unit == 'ms' else 2}f}"
    return text


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _violations(counts: Mapping[str, Any], digits: int = 0) -> str:
    parts = [f"{short_label(name)} {count:.{digits}f}" for name, count in counts.items() if count]
    return ", ".join(parts) if parts else "none"


def _one_trace(s: Mapping[str, Any]) -> Table:
    title = f"{s['world']} · policy {s['policy']} · seed {s['seed']} · {s['profile']}"
    table = Table(title=title + ("" if s["complete"] else " · INCOMPLETE"), show_header=False)
    table.add_column("metric")
    table.add_column("value", overflow="fold")
    for m in METRICS:
        table.add_row(m.label, m.format(s.get(m.name)))
    table.add_row("violations", _violations(s["violations"]))
    table.add_row("end", f"{s['end_reason'] or 'none: the trace is incomplete'}")
    for task, t in s["tasks"].items():
        table.add_row(f"task {task}", f"{t['status']}: " + " ".join(t["subtasks"]))
    return table


def _trace_table(scores: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="scores per trace")
    columns = summary_metrics()
    for col in ("trace", "seed", *(m.short for m in columns), "violations"):
        table.add_column(col, overflow="fold")
    for s in scores:
        name = Path(str(s["trace"])).name.removesuffix(".incomplete").removesuffix(".jsonl") + ("" if s["complete"] else " (incomplete)")
        table.add_row(name, str(s["seed"]), *(m.format(s.get(m.name)) for m in columns), _violations(s["violations"]))
    return table


def _group_columns() -> list[Metric]:
    return [m for m in summary_metrics() if m.aggregation == "mean"]


def _header(m: Metric) -> str:
    return m.short + (" ms" if m.unit == "ms" else "")


def _group_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title=f"means ±95% interval, by {rows[0]['by'] if rows else 'policy'}")
    columns = _group_columns()
    for col in ("group", "traces", *(_header(m) for m in columns), "pass^k", "violations / trace"):
        table.add_column(col, overflow="fold")
    for r in rows:
        viol = {name: cell["mean"] for name, cell in r["violations"].items()}
        table.add_row(
            r["group"], str(r["traces"]) + (f" ({r['incomplete']} incomplete)" if r["incomplete"] else ""),
            *(_mean(r[m.name], m) for m in columns),
            " ".join(f"{k}:{_pct(v)}" for k, v in r["pass_hat_k"].items()), _violations(viol, 2),
        )
    return table


def _score(path: Path) -> dict[str, Any]:
    """The scores of one trace; a trace whose events do not hold what simtool writes is an error naming it."""
    try:
        return score_trace(path)
    except SimtoolError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise TraceError(f"{path}: cannot be scored: an event lacks a field or holds a value of the wrong type "
                         f"({type(exc).__name__}: {exc}); every trace simtool writes can be scored: was this one edited?") from None


def score_command(
    traces: Annotated[list[Path], typer.Argument(help="Trace files (a run's X.jsonl, or X.jsonl.incomplete)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {traces: [...], groups: [...]}")] = False,
    by: Annotated[Optional[str], typer.Option("--by", help="Group several traces by policy | world | instance")] = None,  # noqa: UP045
) -> None:
    """Score traces: step F1, sub-task/task/instance success, coordination, violations; several aggregate."""
    if by is not None and by not in GROUP_KEYS:
        raise SpecError("cannot group traces by that", key="--by", expected=" | ".join(GROUP_KEYS), found=by)
    scores = [_score(path) for path in traces]
    groups = aggregate(scores, by or "policy") if (by is not None or len(scores) > 1) else []
    if as_json:
        typer.echo(canonical({"traces": scores, "groups": groups}))
        return
    console.print(_one_trace(scores[0]) if len(scores) == 1 else _trace_table(scores))
    for s in scores:
        if not s["complete"]:
            console.print(f"[yellow]incomplete:[/yellow] {s['trace']} has no footer; scored for what it holds")
    if groups:
        console.print(_group_table(groups))


def compare_command(
    worlds: Annotated[list[str], typer.Argument(help="World sources: registered names, YAML paths, SUITE.jsonl#id")],
    policy: Annotated[Optional[list[str]], typer.Option("--policy", "-p", help="A policy (repeat; default: the six scripted ones)")] = None,  # noqa: UP045
    seeds: Annotated[int, typer.Option(help="Seeds per world and policy")] = 3,
    first_seed: Annotated[int, typer.Option(help="The first seed")] = 0,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override for both profiles: world.<path>=<value> or policy.<key>=<value>")] = None,  # noqa: UP045
    trace_dir: Annotated[Optional[Path], typer.Option(help="Keep every run's trace in this directory")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {rows: [{policy, instant, delayed}], scores: [...]}")] = False,
    results: Annotated[Optional[str], typer.Option("--format", help="AsyncTool's results table (F1, step, sub-task, task, overall; sync, async, drop) as table | markdown | csv | json")] = None,  # noqa: UP045
) -> None:
    """The same instances at the instant profile (no latency) and delayed, per policy, side by side."""
    if seeds < 1:
        raise SpecError("need at least one seed", key="--seeds", expected="an integer >= 1", found=seeds)
    if results is not None and results not in FORMATS:
        raise SpecError("unknown results format", key="--format", expected=" | ".join(FORMATS), found=results)
    if trace_dir is not None:
        check_output(trace_dir / "trace.jsonl", "trace folder", key="--trace-dir")
    policies = tuple(policy or DEFAULT_POLICIES)
    result = compare(worlds, policies, tuple(range(first_seed, first_seed + seeds)), tuple(set_ or ()), trace_dir)
    if as_json:
        typer.echo(canonical(result))
        return
    if results is not None:
        _print_results(results_rows(result["scores"], policies), results, len(worlds), seeds)
        for warning in result["warnings"]:
            typer.echo(f"warning: {warning}", err=True)
        return
    table = Table(title=f"instant vs delayed · {len(worlds)} world(s) × {seeds} seed(s) · means ±95% interval")
    columns = _group_columns()
    for col in ("policy", "profile", *(_header(m) for m in columns), "pass^1", "violations / run"):
        table.add_column(col, overflow="fold")
    for row in result["rows"]:
        for profile in PROFILES:
            r = row[profile]
            viol = _violations({n: c["mean"] for n, c in r["violations"].items()}, 2)
            table.add_row(
                row["policy"] if profile == "instant" else "", profile, *(_mean(r[m.name], m) for m in columns),
                _pct(r["pass_hat_k"].get("1")), viol, end_section=profile == list(PROFILES)[-1],
            )
    console.print(table)
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def _print_results(rows: list[dict[str, Any]], fmt: str, worlds: int, seeds: int) -> None:
    """AsyncTool's table: rich on a terminal, else markdown, csv or json on stdout."""
    if fmt != "table":
        typer.echo({"markdown": to_markdown, "csv": to_csv, "json": to_json}[fmt](rows), nl=False)
        return
    table = Table(title=f"results x100: sync → async (drop) · {worlds} world(s) × {seeds} seed(s)")
    table.add_column("policy", overflow="fold")
    table.add_column("runs")
    for _, _, header in COLUMNS:
        table.add_column(header, justify="right", overflow="fold")

    def cell(v: Mapping[str, Any]) -> str:
        if v["sync"] is None or v["async"] is None:
            return "-"
        return f"{v['sync']:.1f} → {v['async']:.1f} ({v['drop']:.1f})"

    for r in rows:
        table.add_row(r["policy"], str(r["runs"]), *(cell(r[c]) for c, _, _ in COLUMNS))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``score`` and ``compare`` to the ``simtool`` command line."""
    app.command("score")(score_command)
    app.command("compare")(compare_command)
