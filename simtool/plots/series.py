"""Sweep rows into plotted series: a metric's mean and 95% interval over seeds, per policy, per x.

Intervals are ``simtool.scoring.aggregate.mean_interval`` (Student's t), the same the score
tables print. The swept paths are the row columns ``world.*`` / ``policy.*`` that take more
than one value; the one on the x axis is chosen, the others split the lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from simtool.errors import SimtoolError
from simtool.plots.figure import policy_order
from simtool.scoring.aggregate import mean_interval
from simtool.scoring.metrics import METRICS, metric_names
from simtool.sweeps.store import SWEEP_FILE, load_rows
from simtool.trace import canonical

__all__ = ["Point", "Series", "Sweep", "load_sweep", "swept_paths", "choose_x", "series", "value_label", "axis_label",
           "metric_label", "metric_range", "check_metric", "is_numeric", "UNIT_METRICS"]

UNIT_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.bounded)  # plotted on [0, 1]


def metric_range(metric: str) -> tuple[float | None, float | None]:
    """The values ``metric`` can take, from the metrics table: (0, 1) for rates and flags, (0, None)
    for the others (times, counts, ratios and factors of them are never negative) and for
    ``violations.<name>``; (None, None) for a key the table does not know. Bands are clipped to it."""
    known = {m.name: m for m in METRICS}
    if metric in known:
        return (0.0, 1.0) if known[metric].bounded else (0.0, None)
    if metric.startswith("violations."):
        return 0.0, None
    return None, None


@frozen
class Point:
    x: Any
    mean: float
    low: float
    high: float
    n: int


@frozen
class Series:
    label: str  # the policy label
    name: str  # the label, plus the other swept values when there are some
    points: tuple[Point, ...]
    policy: str = ""  # the policy's registered name (a label may rename it)


@frozen
class Sweep:
    """A sweep folder's rows (status ok) and what ``sweep.json`` says about it (may be empty)."""

    rows: tuple[Mapping[str, Any], ...]
    description: Mapping[str, Any]

    @property
    def policies(self) -> list[str]:
        """The policy labels in the one order every plot uses (``policy_order``)."""
        return policy_order([str(r["label"]) for r in self.rows], list(self.description.get("policies") or []))

    def grid_order(self, path: str) -> list[Any] | None:
        grid = self.description.get("grid") or {}
        return list(grid[path]) if path in grid else None


def load_sweep(directory: str | Path) -> Sweep:
    """The ok rows of a sweep folder (or of a results file) and its description."""
    path = Path(directory)
    folder = path.parent if path.is_file() else path
    described = folder / SWEEP_FILE
    description = json.loads(described.read_text(encoding="utf-8")) if described.exists() else {}
    rows = load_rows(path)
    if not rows:
        raise SimtoolError(f"{path}: no successful rows to plot")
    return Sweep(tuple(rows), description)


def _is_path(column: str) -> bool:
    return column.startswith(("world.", "policy."))


def swept_paths(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Override columns that take more than one value, in order of first appearance."""
    values: dict[str, set[str]] = {}
    for row in rows:
        for column, value in row.items():
            if _is_path(column):
                values.setdefault(column, set()).add(canonical(value))
    return [c for c, seen in values.items() if len(seen) > 1]


def choose_x(rows: Sequence[Mapping[str, Any]], x: str | None = None, prefer: str | None = None) -> str:
    """The x column: the one asked for, else a swept path (one mentioning ``prefer`` first)."""
    swept = swept_paths(rows)
    if x is not None:
        if not any(x in row for row in rows):
            raise SimtoolError(f"no column '{x}' in the rows (swept: {', '.join(swept) or 'none'})")
        return x
    if not swept:
        raise SimtoolError("the rows sweep no config path: name the x axis with --x")
    if prefer:
        for path in swept:
            if prefer in path:
                return path
    return swept[0]


def is_numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def value_label(value: Any) -> str:
    """A short label for a swept value: ``lognormal(median=25, sigma=0.4)`` for a distribution."""
    if isinstance(value, Mapping) and "dist" in value:
        params = ", ".join(f"{k}={v}" for k, v in value.items() if k != "dist")
        return f"{value['dist']}({params})"
    if isinstance(value, (Mapping, list)):
        return canonical(value)
    return str(value)


def axis_label(path: str) -> str:
    """An axis title with its unit, read off the config path."""
    last = path.rsplit(".", 1)[-1]
    if path == "world.latency.scale":
        return "latency scale (× every drawn latency)"
    if path == "policy.think":
        return "policy think time (ms)"
    if path.startswith("world.latency.") and last in ("median", "mean", "ms", "low", "high", "scale"):
        return f"{path} (ms)"
    if last.endswith("_ms") or last == "at_ms":
        return f"{path} (ms)"
    return path


def metric_label(metric: str) -> str:
    """An axis title for a score key (from the metrics table) or ``violations.<name>``."""
    if metric.startswith("violations."):
        return f"{metric.split('.', 1)[1].replace('_', ' ')} (violations per run)"
    known = {m.name: m for m in METRICS}
    return known[metric].axis_label if metric in known else metric.replace("_", " ")


def check_metric(metric: str) -> None:
    """A metric a plot can draw: a key of the metrics table or ``violations.<name>``."""
    if metric.startswith("violations.") or metric in metric_names():
        return
    raise SimtoolError(f"unknown metric '{metric}': expected one of {', '.join(metric_names())} or violations.<invariant>")


def _metric(row: Mapping[str, Any], metric: str) -> float | None:
    value: Any = row
    for part in metric.split("."):  # violations.same_task_overlap
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    if value is None or isinstance(value, (Mapping, list, str)):
        return None
    return float(value)


def series(rows: Sequence[Mapping[str, Any]], x: str, metric: str, *, policies: Sequence[str] = (),
           order: Sequence[Any] | None = None) -> tuple[list[Any], list[Series]]:
    """The x values in order, and one series per policy label (and per value of any other swept
    path): mean and 95% interval per x.

    x values are sorted as numbers, else in ``order`` (the spec's), else by their text.
    """
    check_metric(metric)
    others = [p for p in swept_paths(rows) if p != x]
    groups: dict[tuple[str, str], dict[str, list[float]]] = {}
    names: dict[str, str] = {}  # label -> policy name
    xs: dict[str, Any] = {}
    for row in rows:
        if x not in row:
            continue
        value = _metric(row, metric)
        if value is None:
            continue
        name = " · ".join([str(row["label"])] + [f"{p.rsplit('.', 1)[-1]}={value_label(row.get(p))}" for p in others])
        key = canonical(row[x])
        xs[key] = row[x]
        groups.setdefault((str(row["label"]), name), {}).setdefault(key, []).append(value)
        names.setdefault(str(row["label"]), str(row.get("policy") or row["label"]))
    if not groups:
        raise SimtoolError(f"no row has both '{x}' and a value for '{metric}'")
    if is_numeric(list(xs.values())):
        ranked = sorted(xs, key=lambda k: xs[k])
    elif order is not None:
        position = {canonical(v): i for i, v in enumerate(order)}
        ranked = sorted(xs, key=lambda k: (position.get(k, len(position)), k))
    else:
        ranked = sorted(xs)
    rank = {k: i for i, k in enumerate(ranked)}
    policy_rank = {p: i for i, p in enumerate(policy_order([label for label, _ in groups], policies))}
    unit = metric in UNIT_METRICS
    floor, ceiling = metric_range(metric)
    out = []
    for (label, name), by_x in sorted(groups.items(), key=lambda item: (policy_rank.get(item[0][0], len(policy_rank)), item[0][1])):
        points = []
        for key in sorted(by_x, key=rank.__getitem__):
            stats = mean_interval(by_x[key], unit=unit)
            low, high = stats["ci95"] or (stats["mean"], stats["mean"])
            low = low if floor is None else max(low, floor)
            high = high if ceiling is None else min(high, ceiling)
            points.append(Point(xs[key], stats["mean"], low, high, stats["n"]))
        out.append(Series(label, name, tuple(points), names[label]))
    return [xs[k] for k in ranked], out
