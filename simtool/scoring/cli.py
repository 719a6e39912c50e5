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
from simtool.scoring.score import score_trace
from simtool.trace import TraceError, canonical

__all__ = ["register", "score_command", "compare_command"]

console = Console()


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _mean(cell: Mapping[str, Any], *, pct: bool = False, digits: int = 2) -> str:
    mean, ci = cell.get("mean"), cell.get("ci95")
    if mean is None:
        return "-"
    text = _pct(mean) if pct else _num(float(mean), digits)
    if ci and ci[1] > ci[0]:
        half = (ci[1] - ci[0]) / 2
        text += f" ±{100 * half:.0f}" if pct else f" ±{half:.{digits}f}"
    return text


SHORT = {"same_task_overlap": "overlap", "out_of_order_execution": "out-of-order", "stale_result_used": "stale",
         "revoked_leak": "leak", "call_on_cancelled_task": "on-cancelled", "wrong_task_tool": "wrong-tool",
         "wrong_binding": "binding", "premature_respond": "premature", "agent_errors": "errors"}


def _violations(counts: Mapping[str, Any], digits: int = 0) -> str:
    parts = [f"{SHORT.get(name, name)} {count:.{digits}f}" for name, count in counts.items() if count]
    return ", ".join(parts) if parts else "none"


def _one_trace(s: Mapping[str, Any]) -> Table:
    title = f"{s['world']} · policy {s['policy']} · seed {s['seed']} · {s['profile']}"
    table = Table(title=title + ("" if s["complete"] else " · INCOMPLETE"), show_header=False)
    table.add_column("metric")
    table.add_column("value", overflow="fold")
    rows = [
        ("step F1 (name / name+args)", f"{_num(s['step_f1_name'], 3)} / {_num(s['step_f1_args'], 3)}"),
        ("step precision / recall", f"{_num(s['step_precision'], 3)} / {_num(s['step_recall'], 3)}  ({s['calls']} calls, {s['gold_calls']} gold)"),
        ("sub-tasks passed", f"{s['subtasks_passed']}/{s['subtasks']} ({_pct(s['subtask_success_rate'])})"),
        ("tasks passed", f"{_pct(s['task_success_rate'])} ({s['tasks_cancelled']} cancelled)"),
        ("instance", "passed" if s["instance_success"] else "failed"),
        ("makespan", f"{s['makespan_ms']} ms"),
        ("lower bound / sequential", f"{s['lower_bound_ms']} ms / {s['sequential_ms']} ms"),
        ("coordination efficiency", _num(s["coordination_efficiency"], 3)),
        ("idle while ready", f"{s['idle_ready_ms']} ms"),
        ("task switches / streak", f"{s['task_switches']} / {_num(s['same_task_streak'], 2)} (longest {s['longest_streak']})"),
        ("violations", _violations(s["violations"])),
        ("end", f"{s['end_reason'] or 'none: the trace is incomplete'}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    for task, t in s["tasks"].items():
        table.add_row(f"task {task}", f"{t['status']}: " + " ".join(t["subtasks"]))
    return table


def _trace_table(scores: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="scores per trace")
    for col in ("trace", "seed", "F1", "sub-tasks", "tasks", "makespan", "eff.", "idle ready", "violations"):
        table.add_column(col, overflow="fold")
    for s in scores:
        name = Path(str(s["trace"])).name.removesuffix(".incomplete").removesuffix(".jsonl") + ("" if s["complete"] else " (incomplete)")
        table.add_row(
            name, str(s["seed"]), _num(s["step_f1_args"], 2), f"{s['subtasks_passed']}/{s['subtasks']}",
            _pct(s["task_success_rate"]), f"{s['makespan_ms']} ms", _num(s["coordination_efficiency"], 2),
            f"{s['idle_ready_ms']} ms", _violations(s["violations"]),
        )
    return table


def _group_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title=f"means ±95% interval, by {rows[0]['by'] if rows else 'policy'}")
    for col in ("group", "traces", "F1", "sub-tasks", "tasks", "pass^k", "makespan ms", "eff.", "violations / trace"):
        table.add_column(col, overflow="fold")
    for r in rows:
        viol = {name: cell["mean"] for name, cell in r["violations"].items()}
        table.add_row(
            r["group"], str(r["traces"]) + (f" ({r['incomplete']} incomplete)" if r["incomplete"] else ""),
            _mean(r["step_f1_args"]), _mean(r["subtask_success_rate"], pct=True), _mean(r["task_success_rate"], pct=True),
            " ".join(f"{k}:{_pct(v)}" for k, v in r["pass_hat_k"].items()),
            _mean(r["makespan_ms"], digits=0), _mean(r["coordination_efficiency"]), _violations(viol, 2),
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
) -> None:
    """The same instances at the instant profile (no latency) and delayed, per policy, side by side."""
    if seeds < 1:
        raise SpecError("need at least one seed", key="--seeds", expected="an integer >= 1", found=seeds)
    if trace_dir is not None:
        check_output(trace_dir / "trace.jsonl", "trace folder", key="--trace-dir")
    result = compare(worlds, tuple(policy or DEFAULT_POLICIES), tuple(range(first_seed, first_seed + seeds)),
                     tuple(set_ or ()), trace_dir)
    if as_json:
        typer.echo(canonical(result))
        return
    table = Table(title=f"instant vs delayed · {len(worlds)} world(s) × {seeds} seed(s) · means ±95% interval")
    for col in ("policy", "profile", "F1", "sub-tasks", "tasks", "pass^1", "makespan ms", "eff.", "violations / run"):
        table.add_column(col, overflow="fold")
    for row in result["rows"]:
        for profile in PROFILES:
            r = row[profile]
            viol = _violations({n: c["mean"] for n, c in r["violations"].items()}, 2)
            table.add_row(
                row["policy"] if profile == "instant" else "", profile, _mean(r["step_f1_args"]),
                _mean(r["subtask_success_rate"], pct=True), _mean(r["task_success_rate"], pct=True),
                _pct(r["pass_hat_k"].get("1")), _mean(r["makespan_ms"], digits=0), _mean(r["coordination_efficiency"]), viol,
                end_section=profile == list(PROFILES)[-1],
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``score`` and ``compare`` to the ``simtool`` command line."""
    app.command("score")(score_command)
    app.command("compare")(compare_command)
