"""A metric against a swept parameter: one line per policy, a 95% band over seeds.

Two of the plot kinds: ``efficiency`` (coordination efficiency against any swept path) and
``success`` (task success against latency: the swept path mentioning latency by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from simtool.plots.figure import Palette, new_figure
from simtool.plots.series import (
    UNIT_METRICS,
    Sweep,
    axis_label,
    choose_x,
    is_numeric,
    metric_label,
    series,
    value_label,
)

__all__ = ["metric_figure", "efficiency_figure", "success_figure", "as_sweep"]

LINESTYLES = ("-", "--", ":", "-.")


def as_sweep(data: Sweep | Sequence[Mapping[str, Any]]) -> Sweep:
    return data if isinstance(data, Sweep) else Sweep(tuple(r for r in data if r.get("status", "ok") == "ok"), {})


def metric_figure(data: Sweep | Sequence[Mapping[str, Any]], metric: str, *, x: str | None = None, prefer: str | None = None,
                  title: str | None = None) -> Figure:
    """``metric`` (a score key, or ``violations.<name>``) against the swept path ``x``."""
    sweep = as_sweep(data)
    x = choose_x(sweep.rows, x, prefer)
    xs, lines = series(sweep.rows, x, metric, policies=sweep.policies, order=sweep.grid_order(x))
    numeric = is_numeric(xs)
    position = {value_label(v): (float(v) if numeric else float(i)) for i, v in enumerate(xs)}
    figure = new_figure()
    ax = figure.add_subplot()
    palette = Palette()
    per_label: dict[str, int] = {}  # lines of one policy (split by another swept path) differ by style
    for line in lines:
        px = [position[value_label(p.x)] for p in line.points]
        colour = palette(line.label)
        per_label[line.label] = per_label.get(line.label, -1) + 1
        style = LINESTYLES[per_label[line.label] % len(LINESTYLES)]
        ax.plot(px, [p.mean for p in line.points], marker="o", color=colour, linestyle=style, label=line.name, linewidth=1.8)
        ax.fill_between(px, [p.low for p in line.points], [p.high for p in line.points], color=colour, alpha=0.18, linewidth=0)
    if numeric:
        ax.set_xticks([float(v) for v in xs], [value_label(v) for v in xs])
    else:
        ax.set_xticks(range(len(xs)), [value_label(v) for v in xs], rotation=15 if len(xs) > 4 else 0)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(metric_label(metric))
    if metric in UNIT_METRICS:
        ax.set_ylim(-0.03, 1.03)
    counts = [p.n for line in lines for p in line.points]
    runs = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
    name = sweep.description.get("name")
    ax.set_title(title or f"{metric_label(metric).split(' (')[0].capitalize()} vs {axis_label(x).split(' (')[0]}", loc="left")
    figure.suptitle(f"mean with 95% band over {runs} runs per point" + (f" · sweep {name}" if name else ""),
                    fontsize="small", x=0.99, ha="right", color="#555555")
    ax.grid(True, alpha=0.3)
    ax.legend(title="policy", fontsize="small", title_fontsize="small", frameon=False)
    return figure


def efficiency_figure(data: Sweep | Sequence[Mapping[str, Any]], *, x: str | None = None,
                      metric: str = "coordination_efficiency", title: str | None = None) -> Figure:
    """Coordination efficiency against a swept parameter, one line per policy."""
    return metric_figure(data, metric, x=x, title=title)


def success_figure(data: Sweep | Sequence[Mapping[str, Any]], *, x: str | None = None,
                   metric: str = "task_success_rate", title: str | None = None) -> Figure:
    """Task success against latency (the swept path that mentions latency, unless ``x`` names one)."""
    return metric_figure(data, metric, x=x, prefer="latency", title=title)
