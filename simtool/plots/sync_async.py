"""Sync versus async bars per policy: AsyncTool's comparison, as a picture.

Sync: the runs at the ``instant`` profile (every latency zero: the agent never waits). Async:
the runs of the same policy at a delayed profile (one bar per profile found). A sweep gives
both with ``grid: {world.latency.scale: [0, 1]}`` or with ``SUITE.jsonl#*@instant`` beside
``SUITE.jsonl#*``. Bars are means with 95% intervals over the runs (seeds, worlds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from simtool.errors import SimtoolError
from simtool.plots.figure import faulty_note, new_figure, plain
from simtool.plots.lines import as_sweep
from simtool.plots.series import UNIT_METRICS, Sweep, metric_label, metric_range
from simtool.scoring.aggregate import mean_interval

__all__ = ["sync_async_figure", "INSTANT"]

INSTANT = "instant"
SYNC_COLOUR = "#9aa5b1"
ASYNC_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b")


def _faulty_line(policy: str) -> str:
    note = faulty_note(policy)
    return f"\n({note})" if note else ""


def sync_async_figure(data: Sweep | Sequence[Mapping[str, Any]], *, metric: str = "task_success_rate",
                      title: str | None = None) -> Figure:
    """Per policy, ``metric`` at the instant profile (sync) beside each delayed profile (async)."""
    sweep = as_sweep(data)
    values: dict[tuple[str, str], list[float]] = {}
    names: dict[str, str] = {}  # label -> policy name
    for row in sweep.rows:
        names.setdefault(str(row["label"]), str(row.get("policy") or row["label"]))
        value = row.get(metric)
        if value is None or isinstance(value, (Mapping, list, str)):
            continue
        values.setdefault((str(row["label"]), str(row.get("profile") or "delayed")), []).append(float(value))
    profiles = sorted({p for _, p in values}, key=lambda p: (p != INSTANT, p))
    if INSTANT not in profiles or len(profiles) < 2:
        raise SimtoolError(f"sync vs async needs rows at the instant profile and at a delayed one (found: {', '.join(profiles) or 'none'});"
                           " sweep world.latency.scale over [0, 1], or list SUITE.jsonl#*@instant beside SUITE.jsonl#*")
    policies = [p for p in sweep.policies if any((p, prof) in values for prof in profiles)]
    unit = metric in UNIT_METRICS
    floor, ceiling = metric_range(metric)
    figure = new_figure(max(6.0, 1.4 * len(policies) + 2.5), 4.6)
    ax = figure.add_subplot()
    width = 0.8 / len(profiles)
    for j, profile in enumerate(profiles):
        xs, means, errors, counts = [], [], [[], []], []
        for i, policy in enumerate(policies):
            stats = mean_interval(values.get((policy, profile), []), unit=unit)
            if stats["mean"] is None:
                continue
            low, high = stats["ci95"] or (stats["mean"], stats["mean"])
            low, high = (low if floor is None else max(low, floor)), (high if ceiling is None else min(high, ceiling))
            counts.append(stats["n"])
            xs.append(i - 0.4 + width * (j + 0.5))
            means.append(stats["mean"])
            errors[0].append(stats["mean"] - low)
            errors[1].append(high - stats["mean"])
        label = plain("sync (instant tools)" if profile == INSTANT else f"async ({profile})")
        colour = SYNC_COLOUR if profile == INSTANT else ASYNC_COLOURS[(j - 1) % len(ASYNC_COLOURS)]
        bars = ax.bar(xs, means, width * 0.92, yerr=errors, capsize=3, color=colour, label=label, edgecolor="white")
        digits = 2 if unit or max(means, default=0) < 10 else 0
        ax.bar_label(bars, [f"{m:.{digits}f}\nn={n}" for m, n in zip(means, counts)], fontsize="x-small", padding=2)
    ax.set_xticks(range(len(policies)), [plain(p) + _faulty_line(names.get(p, p)) for p in policies])
    ax.set_xlabel("policy")
    ax.set_ylabel(plain(metric_label(metric)))
    if unit:
        ax.set_ylim(0, 1.18)
    ax.set_title(plain(title or f"Sync vs async: {metric_label(metric).split(' (')[0]} per policy"), loc="left")
    runs = sorted({len(v) for v in values.values()})
    figure.suptitle(f"mean and 95% interval over {runs[0] if len(runs) == 1 else f'{runs[0]}-{runs[-1]}'} runs per bar",
                    fontsize="small", x=0.99, ha="right", color="#555555")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure
