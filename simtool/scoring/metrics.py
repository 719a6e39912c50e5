"""The metrics of a trace's score, as one table: name, unit, label, aggregation, better-is.

Everything that names a metric reads it from here: ``score_trace`` (which keys a score
record has), ``aggregate`` (which keys a group averages, and which intervals are clipped to
[0, 1]), the plots (axis labels, the [0, 1] range) and the command line (``simtool score``'s
table, ``--metric`` choices). Adding a metric is one row here plus the code that measures it;
a test checks that every row's key is in every score and every score key is a row.

Units: ``rate`` (a fraction in [0, 1], printed as a percentage), ``flag`` (true/false; its
mean over traces is a rate), ``ms`` (simulated milliseconds), ``count``, ``ratio`` (a
dimensionless quotient, not bounded) and ``factor`` (a speed-up, ×).
Aggregation: ``mean`` (a group's mean with its 95% interval) or ``none`` (reported per trace
only: bookkeeping counts that only make sense next to their own trace).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from attrs import field, frozen
from attrs.validators import in_

__all__ = ["Metric", "METRICS", "metric", "metric_names", "averaged", "summary_metrics", "Unit", "Aggregation", "Better", "UNITS"]

Unit = Literal["rate", "flag", "ms", "count", "ratio", "factor"]
Aggregation = Literal["mean", "none"]
Better = Literal["higher", "lower", "neither"]
UNITS: tuple[str, ...] = ("rate", "flag", "ms", "count", "ratio", "factor")


@frozen
class Metric:
    """One metric of a score record."""

    name: str  # the key in a score record (``simtool score --json``) and in a sweep row
    unit: str = field(validator=in_(UNITS))
    label: str  # words, for a table row or an axis (the unit is added by ``axis_label``)
    short: str  # a column header
    aggregation: str = field(validator=in_(("mean", "none")))
    better: str = field(validator=in_(("higher", "lower", "neither")))
    doc: str = ""  # one line: how it is measured (docs/metrics.md has the full definition)
    summary: bool = False  # a column of the tables of several traces and groups (``simtool score``)

    @property
    def bounded(self) -> bool:
        """Values lie in [0, 1] (rates and flags): intervals and axes are clipped to it."""
        return self.unit in ("rate", "flag")

    @property
    def axis_label(self) -> str:
        """The label with its unit: ``makespan (ms)``."""
        suffix = {"ms": " (ms)", "factor": " (×)", "rate": "", "flag": " (rate)", "count": "", "ratio": ""}[self.unit]
        return self.label + suffix

    def format(self, value: Any) -> str:
        """A value of this metric for a person: ``84%``, ``1358 ms``, ``0.84``, ``1.32×``, ``yes``."""
        if value is None:
            return "-"
        if self.unit == "flag":
            return "yes" if value else "no"
        if self.unit == "rate":
            return f"{100 * float(value):.0f}%"
        if self.unit == "ms":
            return f"{float(value):.0f} ms"
        if self.unit == "factor":
            return f"{float(value):.2f}×"
        if self.unit == "count" and float(value) == int(value):
            return str(int(value))
        return f"{float(value):.3f}" if self.unit == "ratio" else f"{float(value):.2f}"


def _m(name: str, unit: str, label: str, short: str, aggregation: str, better: str, doc: str = "", *,
       summary: bool = False) -> Metric:
    return Metric(name, unit, label, short, aggregation, better, doc, summary)


METRICS: tuple[Metric, ...] = (
    _m("step_f1_name", "rate", "step F1 (name)", "F1 name", "mean", "higher", "F1 of the agent's calls against gold, by tool name"),
    _m("step_f1_args", "rate", "step F1 (name and arguments)", "F1", "mean", "higher", "F1 by tool name and arguments", summary=True),
    _m("step_precision", "rate", "step precision (name and arguments)", "precision", "mean", "higher"),
    _m("step_recall", "rate", "step recall (name and arguments)", "recall", "mean", "higher"),
    _m("step_precision_name", "rate", "step precision (name)", "precision name", "mean", "higher"),
    _m("step_recall_name", "rate", "step recall (name)", "recall name", "mean", "higher"),
    _m("calls", "count", "agent calls (counted against gold)", "calls", "none", "neither"),
    _m("gold_calls", "count", "gold calls", "gold", "none", "neither"),
    _m("subtasks", "count", "sub-tasks that count", "sub-tasks", "none", "neither"),
    _m("subtasks_passed", "count", "sub-tasks passed", "passed", "none", "higher"),
    _m("subtask_success_rate", "rate", "sub-task success rate", "sub-tasks", "mean", "higher", summary=True),
    _m("task_success_rate", "rate", "task success rate", "tasks", "mean", "higher", summary=True),
    _m("tasks_cancelled", "count", "tasks cancelled by the world", "cancelled", "none", "neither"),
    _m("instance_success", "flag", "instance success", "instance", "mean", "higher"),
    _m("makespan_ms", "ms", "makespan", "makespan", "mean", "lower", summary=True),
    _m("lower_bound_ms", "ms", "lower bound", "bound", "mean", "neither"),
    _m("sequential_ms", "ms", "sequential reference", "sequential", "mean", "neither"),
    _m("think_ms", "ms", "think time", "think", "mean", "neither"),
    _m("coordination_efficiency", "ratio", "coordination efficiency (lower bound / makespan)", "eff.", "mean", "higher", summary=True),
    _m("speedup_vs_sequential", "factor", "speed-up over the sequential reference", "speed-up", "mean", "higher"),
    _m("idle_ready_ms", "ms", "idle while work was ready", "idle ready", "mean", "lower", summary=True),
    _m("task_switches", "count", "task switches", "switches", "mean", "neither"),
    _m("same_task_streak", "ratio", "same-task streak (mean actions)", "streak", "mean", "neither"),
    _m("longest_streak", "count", "longest same-task streak", "longest", "mean", "neither"),
    _m("latency_think_ratio", "ratio", "median tool latency / median think time", "latency/think", "mean", "neither",
       "below 1 the delays cannot matter: results are back before the agent's next decision", summary=True),
    _m("neglect_ms", "ms", "task neglect (ready while the agent acted on others)", "neglect", "mean", "lower"),
    _m("parallel_calls", "count", "calls issued while another of their task was in flight", "parallel", "mean", "neither"),
)

_BY_NAME = {m.name: m for m in METRICS}
if len(_BY_NAME) != len(METRICS):  # pragma: no cover - a typo in the table above
    raise RuntimeError("duplicate metric name in METRICS")


def metric(name: str) -> Metric:
    """The metric called ``name`` (``KeyError`` names the known ones)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r} (known: {', '.join(_BY_NAME)})") from None


def metric_names() -> tuple[str, ...]:
    """Every metric's key, in table order."""
    return tuple(_BY_NAME)


def averaged() -> Iterator[Metric]:
    """The metrics a group averages (``aggregation == "mean"``), in table order."""
    return (m for m in METRICS if m.aggregation == "mean")


def summary_metrics() -> tuple[Metric, ...]:
    """The metrics shown as columns when several traces or groups are tabled, in table order."""
    return tuple(m for m in METRICS if m.summary)
