"""A metric against a swept parameter: one line per policy, a 95% band over seeds.

Two of the plot kinds: ``efficiency`` (coordination efficiency against any swept path) and
``success`` (task success against latency: the swept path mentioning latency by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from simtool.plots.figure import Palette, faulty_note, new_figure, plain
from simtool.plots.series import (
    Series,
    Sweep,
    axis_label,
    choose_x,
    is_numeric,
    metric_label,
    metric_range,
    series,
    value_label,
)

__all__ = ["metric_figure", "efficiency_figure", "success_figure", "as_sweep"]

LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (8, 2)), (0, (1, 2.5)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _runs(line: Series) -> str:
    counts = sorted({p.n for p in line.points})
    return f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _legend_label(line: Series) -> str:
    """The line's name, the runs each point rests on, and, for a faulty-on-purpose policy, what it gets wrong."""
    policy = line.policy or line.label
    note = faulty_note(policy)
    return f"{line.name} (n={_runs(line)})" + (f" · {note}" if note else "")


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
    figure = new_figure(10.0, 4.8)  # the legend sits beside the plot
    ax = figure.add_subplot()
    palette = Palette()
    floor, ceiling = metric_range(metric)
    for i, line in enumerate(lines):
        px = [position[value_label(p.x)] for p in line.points]
        colour = palette(line.label)
        # lines with equal values stay visible: each its own dash and marker, the later ones drawn
        # on top, thinner and with smaller markers (coinciding lines show as outlines, points as rings)
        style = LINESTYLES[i % len(LINESTYLES)]
        ax.plot(px, [p.mean for p in line.points], marker=MARKERS[i % len(MARKERS)], markersize=max(4.0, 11.0 - 2.0 * i),
                color=colour, linestyle=style, label=plain(_legend_label(line)), linewidth=max(1.2, 3.2 - 0.5 * i), zorder=3 + i,
                markeredgecolor="white", markeredgewidth=0.7)
        ax.fill_between(px, [p.low for p in line.points], [p.high for p in line.points], color=colour, alpha=0.14, linewidth=0)
    if numeric:
        ax.set_xticks([float(v) for v in xs], [plain(value_label(v)) for v in xs])
    else:
        ax.set_xticks(range(len(xs)), [plain(value_label(v)) for v in xs], rotation=15 if len(xs) > 4 else 0)
    ax.set_xlabel(plain(axis_label(x)))
    ax.set_ylabel(plain(metric_label(metric)))
    if floor is not None and ceiling is not None:
        ax.set_ylim(floor - 0.03 * (ceiling - floor), ceiling + 0.03 * (ceiling - floor))
    elif floor is not None:
        ax.set_ylim(bottom=floor)
    counts = [p.n for line in lines for p in line.points]
    runs = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
    name = sweep.description.get("name")
    ax.set_title(plain(title or f"{metric_label(metric).split(' (')[0].capitalize()} vs {axis_label(x).split(' (')[0]}"), loc="left")
    figure.suptitle(plain(f"mean with 95% band over {runs} runs per point (Student t; none for 1 run)" + (f" · sweep {name}" if name else "")),
                    fontsize="small", x=0.99, ha="right", color="#555555")
    ax.grid(True, alpha=0.3)
    ax.legend(title="policy (runs per point)", fontsize="small", title_fontsize="small", frameon=False, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
    return figure


def efficiency_figure(data: Sweep | Sequence[Mapping[str, Any]], *, x: str | None = None,
                      metric: str = "coordination_efficiency", title: str | None = None) -> Figure:
    """Coordination efficiency against a swept parameter, one line per policy."""
    return metric_figure(data, metric, x=x, title=title)


def success_figure(data: Sweep | Sequence[Mapping[str, Any]], *, x: str | None = None,
                   metric: str = "task_success_rate", title: str | None = None) -> Figure:
    """Task success against latency (the swept path that mentions latency, unless ``x`` names one)."""
    return metric_figure(data, metric, x=x, prefer="latency", title=title)
