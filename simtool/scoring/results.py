"""AsyncTool's results table: per policy (or policy/model), its scores synchronous and
asynchronous side by side with the drop, overall and broken down by composition and by domain.

Columns (``COLUMNS``), each ``{sync, async, drop}`` with drop = sync - async:

- ``f1``: function-call F1 (``step_f1_args``: by tool name and arguments), x100;
- ``step``: step-level success (``step_recall``: the share of gold calls made), x100;
- ``subtask``: sub-task success rate, x100; ``task``: task success rate, x100;
- ``overall``: the share of runs (multi-task instances) whose every task that was not
  cancelled passed (``instance_success``), x100: what AsyncTool reports as completing an instance;
- ``efficiency``: coordination efficiency (lower bound / makespan), x100;
- ``idle_ready_ms``: time idle while some task could proceed (ms); ``switches``: task switches.

Rows (``breakdown`` / ``group``): ``all`` / ``all``, every run of the label; ``kind`` /
``dual-similar`` ... (the suite instance's size and composition), the runs of that kind;
``domain`` / ``math`` ... (a task's category), the runs holding a task of that domain, each
scored over that domain's tasks alone: F1 and step pool the domain's tasks' matched, agent and
gold calls (as a trace pools all of its tasks), sub-task = their sub-tasks passed / counted,
task = their tasks passed / not cancelled, overall = every one of them not cancelled passed;
the coordination columns stay the run's (a run has one makespan). Every cell is the mean over
the row's runs, rounded to one decimal. docs/metrics.md has the definitions and an example.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from simtool.scoring.steps import StepCounts

__all__ = [
    "COLUMNS", "SCORE_COLUMNS", "COORDINATION_COLUMNS", "BREAKDOWNS", "FORMATS",
    "Column", "results_rows", "domain_score", "side_by_side", "to_markdown", "to_csv", "to_json",
]

Column = tuple[str, str, str, float]  # (column, score key, header, scale)
SCORE_COLUMNS: tuple[Column, ...] = (
    ("f1", "step_f1_args", "F1", 100.0),
    ("step", "step_recall", "step", 100.0),
    ("subtask", "subtask_success_rate", "sub-task", 100.0),
    ("task", "task_success_rate", "task", 100.0),
    ("overall", "instance_success", "overall", 100.0),
)
COORDINATION_COLUMNS: tuple[Column, ...] = (
    ("efficiency", "coordination_efficiency", "eff.", 100.0),
    ("idle_ready_ms", "idle_ready_ms", "idle ms", 1.0),
    ("switches", "task_switches", "switches", 1.0),
)
COLUMNS: tuple[Column, ...] = SCORE_COLUMNS + COORDINATION_COLUMNS
BREAKDOWNS = ("all", "kind", "domain")
SIDES = ("sync", "async", "drop")
FORMATS = ("table", "markdown", "csv", "json")


def domain_score(score: Mapping[str, Any], domain: str) -> dict[str, Any] | None:
    """The score columns of one run over its tasks of ``domain`` alone (``task_domains`` says which
    task is of which domain); the coordination columns are the run's. None without such a task."""
    domains = score.get("task_domains") or {}
    tasks = [t for task, t in score["tasks"].items() if domains.get(task) == domain]
    if not tasks:
        return None
    counts = sum((StepCounts(t["calls"], t["gold_calls"], t["gold_calls"], t["matched_calls"], t["matched_calls"]) for t in tasks),
                 StepCounts(0, 0, 0, 0, 0))
    counted = [s for t in tasks for s in t["subtasks"] if s != "cancelled"]
    live = [t for t in tasks if t["status"] != "cancelled"]
    return {
        **{key: score.get(key) for _, key, _, _ in COORDINATION_COLUMNS},
        "step_f1_args": counts.f1(with_args=True),
        "step_recall": counts.recall(with_args=True),
        "subtask_success_rate": counted.count("passed") / len(counted) if counted else None,
        "task_success_rate": sum(bool(t["passed"]) for t in live) / len(live) if live else None,
        "instance_success": all(t["passed"] for t in live),
    }


def _mean(scores: Sequence[Mapping[str, Any]], key: str, scale: float) -> float | None:
    values = [float(s[key]) for s in scores if s.get(key) is not None]
    return round(scale * sum(values) / len(values), 1) if values else None


def _row(label: str, policy: str, model: str | None, breakdown: str, group: str,
         sides: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    row: dict[str, Any] = {"label": label, "policy": policy, "model": model, "breakdown": breakdown, "group": group,
                           "runs": len(sides["async"])}
    for column, key, _, scale in COLUMNS:
        sync, asyn = _mean(sides["sync"], key, scale), _mean(sides["async"], key, scale)
        drop = round(sync - asyn, 1) if sync is not None and asyn is not None else None
        row[column] = {"sync": sync, "async": asyn, "drop": drop}
    return row


def _groups(scores: Sequence[Mapping[str, Any]], of: Callable[[Mapping[str, Any]], Sequence[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for s in scores:
        seen.update(dict.fromkeys(of(s)))
    return sorted(seen)


def results_rows(scores: Sequence[Mapping[str, Any]], labels: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The table's rows from scored runs, each carrying ``label`` and ``side`` (``sync`` or
    ``async``), and for the breakdowns ``kind`` and ``task_domains`` (``compare`` adds them).

    Per label (in ``labels`` order, default first seen): its ``all`` row, then a ``kind`` row per
    instance kind and a ``domain`` row per task domain among its runs, each sorted by name."""
    labels = list(labels) if labels is not None else list(dict.fromkeys(str(s["label"]) for s in scores))
    rows = []
    for label in labels:
        mine = [s for s in scores if s["label"] == label]
        policy = next((str(s["policy"]) for s in mine if s["side"] == "async"), label)
        model = next((s.get("model") for s in mine if s["side"] == "async"), None)

        def split(members: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
            return {side: [s for s in members if s["side"] == side] for side in ("sync", "async")}

        rows.append(_row(label, policy, model, "all", "all", split(mine)))
        for kind in _groups(mine, lambda s: [s["kind"]] if s.get("kind") else []):
            rows.append(_row(label, policy, model, "kind", kind, split([s for s in mine if s.get("kind") == kind])))
        for domain in _groups(mine, lambda s: list((s.get("task_domains") or {}).values())):
            per_run = [{"side": s["side"], **d} for s in mine if (d := domain_score(s, domain)) is not None]
            rows.append(_row(label, policy, model, "domain", domain, split(per_run)))
    return rows


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _flat(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["label", "breakdown", "group", "runs"] + [f"{h} {side}" for _, _, h, _ in COLUMNS for side in SIDES]
    body = [[str(r["label"]), str(r["breakdown"]), str(r["group"]), str(r["runs"])]
            + [_cell(r[c][side]) for c, _, _, _ in COLUMNS for side in SIDES] for r in rows]
    return header, body


def to_markdown(rows: Sequence[Mapping[str, Any]], sides: Mapping[str, str] | None = None) -> str:
    """GitHub-flavoured Markdown: one table per breakdown present (all, by kind, by domain), each
    cell ``sync → async (drop)``; ``sides`` (side -> what it ran) are said first."""
    titles = {"all": "All runs", "kind": "By composition (instance kind)", "domain": "By domain (the domain's tasks)"}
    out: list[str] = [f"*{side}*: {what}  " for side, what in (sides or {}).items()] + ([""] if sides else [])
    for breakdown in BREAKDOWNS:
        mine = [r for r in rows if r["breakdown"] == breakdown]
        if not mine:
            continue
        header = ["label"] + (["group"] if breakdown != "all" else []) + ["runs"] + [h for _, _, h, _ in COLUMNS]
        out += [f"**{titles[breakdown]}** (sync → async (drop))", "", "| " + " | ".join(header) + " |",
                "|" + "|".join(" --- " for _ in header) + "|"]
        for r in mine:
            cells = [str(r["label"])] + ([str(r["group"])] if breakdown != "all" else []) + [str(r["runs"])]
            cells += [side_by_side(r[c]) for c, _, _, _ in COLUMNS]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def side_by_side(value: Mapping[str, Any]) -> str:
    """``97.0 → 41.5 (55.5)``: sync, async and the drop; ``-`` when a side has no value."""
    if value["sync"] is None or value["async"] is None:
        return "-"
    return f"{value['sync']:.1f} → {value['async']:.1f} ({value['drop']:.1f})"


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """CSV, one line per row (``label,breakdown,group,runs,F1 sync,F1 async,F1 drop,...``); empty cells for no value."""
    header, body = _flat(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if c == "-" else c for c in cells] for cells in body])
    return out.getvalue()


def to_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as JSON (sorted keys)."""
    return json.dumps(list(rows), sort_keys=True, separators=(",", ":")) + "\n"
