"""AsyncTool's results table: one row per policy, its scores synchronous and asynchronous side
by side with the drop, in AsyncTool's columns, each a percentage (x100):

- ``f1``: function-call F1 (``step_f1_args``: by tool name and arguments);
- ``step``: step-level success (``step_recall``: the share of gold calls made, name and arguments);
- ``subtask``: sub-task success rate; ``task``: task success rate;
- ``overall``: the share of instances (runs) whose every task passed (``instance_success``):
  what AsyncTool reports as completing a multi-task instance (docs/metrics.md).

The synchronous side is ``simtool compare``'s ``instant`` runs, the asynchronous side its
``delayed`` runs; ``drop`` = sync - async, in points. Each cell is the mean over the runs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["COLUMNS", "SIDES", "results_rows", "to_markdown", "to_csv", "to_json", "FORMATS"]

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (column, score key, header)
    ("f1", "step_f1_args", "F1"),
    ("step", "step_recall", "step"),
    ("subtask", "subtask_success_rate", "sub-task"),
    ("task", "task_success_rate", "task"),
    ("overall", "instance_success", "overall"),
)
SIDES = (("sync", "instant"), ("async", "delayed"))  # (side, compare's profile)
FORMATS = ("table", "markdown", "csv", "json")


def _mean100(scores: Sequence[Mapping[str, Any]], key: str) -> float | None:
    values = [float(s[key]) for s in scores if s.get(key) is not None]
    return round(100 * sum(values) / len(values), 1) if values else None


def results_rows(scores: Sequence[Mapping[str, Any]], policies: Sequence[str]) -> list[dict[str, Any]]:
    """One row per policy: ``{policy, runs, <column>: {sync, async, drop}}`` from scored runs
    carrying ``profile`` ``instant`` (sync) or ``delayed`` (async)."""
    rows = []
    for policy in policies:
        sides = {side: [s for s in scores if s["policy"] == policy and s["profile"] == profile] for side, profile in SIDES}
        row: dict[str, Any] = {"policy": policy, "runs": len(sides["async"])}
        for column, key, _ in COLUMNS:
            sync, asyn = _mean100(sides["sync"], key), _mean100(sides["async"], key)
            drop = round(sync - asyn, 1) if sync is not None and asyn is not None else None
            row[column] = {"sync": sync, "async": asyn, "drop": drop}
        rows.append(row)
    return rows


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _flat(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["policy", "runs"] + [f"{h} {side}" for _, _, h in COLUMNS for side in ("sync", "async", "drop")]
    body = [[str(r["policy"]), str(r["runs"])] + [_cell(r[c][side]) for c, _, _ in COLUMNS for side in ("sync", "async", "drop")]
            for r in rows]
    return header, body


def to_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """A GitHub-flavoured Markdown table."""
    header, body = _flat(rows)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + "\n"


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """CSV with one header line (``F1 sync``, ``F1 async``, ``F1 drop``, ...); empty cells for no value."""
    header, body = _flat(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if c == "-" else c for c in cells] for cells in body])
    return out.getvalue()


def to_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as JSON (sorted keys)."""
    return json.dumps(list(rows), sort_keys=True, separators=(",", ":")) + "\n"
