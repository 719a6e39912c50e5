"""The timeline of one trace: the picture that explains a race at a glance.

One lane per task (calls that overlap in a task stack inside its lane), plus an ``agent``
lane with the policy's think time. Each call is a bar from issue to the moment it left
flight (delivery, timeout or cancellation), coloured by its outcome, with a tick where the
service executed it (in the warning colour when it overtook an earlier call of its task:
the race). Stale deliveries are drawn in the warning colour and leaks (results
delivered after their permission was revoked) in red. World events are drawn where they
happened: amendments, revocations and grants as vertical lines in their task's lane (every
lane when they touch all tasks), cancelled tasks greyed from the cancellation on, outages
as shaded spans. Answers (``respond``) are dots: green when the sub-task passed, a red
cross when it did not.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simtool.faults import fault_kinds
from simtool.plots.figure import LEAK, WARNING, new_figure
from simtool.scoring.history import CallRecord, History, history_of, trace_from_lines
from simtool.scoring.violations import out_of_order_execution
from simtool.trace import Trace

__all__ = ["timeline_figure", "lanes_of"]

OK = "#4e79a7"
ERROR = "#9c755f"
TIMEOUT = "#b07aa1"
CANCELLED = "#c7c7c7"
THINK = "#76b7b2"
REVOKE = "#d62728"
GRANT = "#59a14f"
PASSED = "#59a14f"
FAILED = "#d62728"
TONES = {"warning": WARNING, "revoke": REVOKE, "grant": GRANT, "neutral": "#555555"}  # a fault mark's tone
ROW = 1.0  # height of one row of calls
BAR = 0.62  # bar thickness within its row


def _end_of(call: CallRecord, makespan: int) -> int:
    ended = call.ended
    if ended is not None:
        return int(ended["t"])
    if call.refuse is not None:
        return int(call.refuse["t"])
    return makespan


def _colour(call: CallRecord) -> tuple[str, str | None]:
    """(face colour, hatch) of a call's bar."""
    deliver = call.deliver
    if call.cancel is not None and (deliver is None or call.cancel["seq"] < deliver["seq"]):
        return CANCELLED, "//"
    if call.timeout is not None and deliver is None:
        return TIMEOUT, None
    if deliver is not None:
        if deliver.get("leak"):
            return LEAK, None
        if deliver.get("stale"):
            return WARNING, None
        return (OK if deliver.get("outcome") == "ok" else ERROR), None
    if call.refuse is not None:
        return ERROR, "xx"
    return OK, ".."  # still in flight when the trace ends


def lanes_of(h: History) -> dict[str, list[list[CallRecord]]]:
    """Per task, its calls packed into rows so that calls overlapping in time never share a row."""
    makespan = h.makespan_ms
    lanes: dict[str, list[list[CallRecord]]] = {task: [] for task in h.tasks}
    for call in h.calls.values():
        rows = lanes.setdefault(call.task, [])
        start = int(call.issue["t"])
        for row in rows:
            if _end_of(row[-1], makespan) <= start:
                row.append(call)
                break
        else:
            rows.append([call])
    return lanes


def _history(source: Trace | History | str | Path | Sequence[str]) -> History:
    if isinstance(source, (History, Trace, str, Path)):
        return history_of(source)
    return history_of(trace_from_lines(source))


def timeline_figure(source: Trace | History | str | Path | Sequence[str], *, title: str | None = None,
                    labels: bool = True) -> Figure:
    """The timeline of a trace (a path, a ``Trace``, a ``History`` or a run's lines)."""
    h = _history(source)
    makespan = max(1, h.makespan_ms)
    lanes = lanes_of(h)
    # lane layout, top to bottom: agent, then the tasks in world order
    order = ["agent"] + list(lanes)
    heights = {"agent": 1} | {task: max(1, len(rows)) for task, rows in lanes.items()}
    top: dict[str, float] = {}
    y = 0.0
    for lane in order:
        top[lane] = y
        y += heights[lane] * ROW + 0.3
    total = y
    figure = new_figure(10.0, max(3.2, 1.3 + 0.42 * total))
    ax = figure.add_subplot()

    def row_y(lane: str, row: int) -> float:
        return top[lane] + row * ROW + (ROW - BAR) / 2

    def lane_span(lane: str) -> tuple[float, float]:
        return top[lane] - 0.1, top[lane] + heights[lane] * ROW + 0.1

    # think time
    spans = [(int(d["t"]), int(d.get("think_ms") or 0)) for d in h.decisions if d.get("think_ms")]
    ax.broken_barh(spans, (row_y("agent", 0), BAR), facecolors=THINK, edgecolors="white", linewidth=0.6)

    # calls
    overtaking = {o.call_ids[0] for o in out_of_order_execution(h)}
    executed, overtook, cancels, refused = [], [], [], []
    for task, rows in lanes.items():
        for r, row in enumerate(rows):
            for call in row:
                start, end = int(call.issue["t"]), _end_of(call, makespan)
                face, hatch = _colour(call)
                yy = row_y(task, r)
                ax.broken_barh([(start, max(end - start, makespan * 0.002))], (yy, BAR), facecolors=face,
                               edgecolors="#333333" if face in (WARNING, LEAK) else "white", linewidth=0.6, hatch=hatch)
                if call.execute is not None:
                    (overtook if call.call_id in overtaking else executed).append((int(call.execute["t"]), yy + BAR / 2))
                if call.cancel is not None:
                    cancels.append((int(call.cancel["t"]), yy + BAR / 2))
                if call.refuse is not None:
                    refused.append((int(call.refuse["t"]), yy + BAR / 2))
                if labels and end - start > makespan * 0.045:
                    ax.text(start + makespan * 0.004, yy + BAR / 2, call.tool, va="center", ha="left", fontsize=6,
                            color="white" if face in (OK, ERROR, TIMEOUT, LEAK) else "black", clip_on=True)
    if executed:
        ax.scatter(*zip(*executed), marker="|", s=90, color="black", linewidths=1.4, zorder=3)
    if overtook:
        ax.scatter(*zip(*overtook), marker="|", s=160, color=WARNING, linewidths=3.0, zorder=3)
    if cancels:
        ax.scatter(*zip(*cancels), marker="x", s=36, color="black", linewidths=1.2, zorder=4)
    if refused:
        ax.scatter(*zip(*refused), marker="D", s=22, color=ERROR, edgecolors="black", linewidths=0.6, zorder=4)

    # world events
    task_lanes = list(lanes)
    for fault in h.faults:
        if not fault.get("effective", True):
            continue
        kind = fault_kinds().get(str(fault.get("fault")))
        mark = kind.mark(fault) if kind is not None else None  # a kind this process does not know: not drawn
        if mark is None:
            continue
        t = int(fault["t"])
        if mark.style == "span":
            ax.axvspan(t, t + mark.duration_ms, ymin=0, ymax=1, color="#bbbbbb", alpha=0.25, zorder=0)
            ax.text(t, -0.45, f" {mark.label}", fontsize=6.5, va="top", ha="left", color="#555555")
            continue
        targets = [fault["task"]] if fault.get("task") in lanes else task_lanes
        for lane in targets:
            low, high = lane_span(lane)
            if mark.style == "cancel":
                ax.fill_between([t, makespan], low, high, color="#999999", alpha=0.18, zorder=0, linewidth=0)
                ax.vlines(t, low, high, colors="black", linewidth=1.6, zorder=4)
                ax.text(t, low, f" {mark.label}", fontsize=6.5, va="top", ha="left")
            else:
                colour = TONES.get(mark.tone, TONES["neutral"])
                ax.vlines(t, low, high, colors=colour, linewidth=1.6, linestyles="--", zorder=4)
                ax.text(t, low, f" {mark.label}", fontsize=6.5, va="top", ha="left", color=colour)

    # answers
    for respond in h.responds:
        task = respond["task"]
        if task not in top:
            continue
        passed = bool(respond.get("state_ok") and respond.get("results_ok"))
        ax.scatter([int(respond["t"])], [top[task] + 0.08], marker="o" if passed else "X", s=40,
                   color=PASSED if passed else FAILED, zorder=5, edgecolors="white", linewidths=0.5)

    ax.set_ylim(total, -0.5)
    ax.set_xlim(0, makespan * 1.02)
    ax.set_yticks([top[lane] + heights[lane] * ROW / 2 for lane in order], order)
    ax.set_xlabel("simulated time (ms)")
    ax.set_ylabel("lane (agent, then one per task)")
    ax.grid(True, axis="x", alpha=0.3)
    world = h.world.get("name", "world")
    stale = sum(1 for c in h.calls.values() if c.stale_delivery)
    leaks = sum(1 for c in h.calls.values() if c.deliver is not None and c.deliver.get("leak"))
    ax.set_title(title or f"{world} · policy {h.policy} · seed {h.seed}", loc="left")
    figure.suptitle(f"{len(h.calls)} calls · {stale} stale · {leaks} leaks · makespan {h.makespan_ms} ms"
                    + ("" if h.complete else " · incomplete trace"), fontsize="small", x=0.99, ha="right", color="#555555")
    ax.legend(handles=_legend(), fontsize=6.5, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def _legend() -> list[Any]:
    return [
        Patch(color=OK, label="call: issue → delivery (ok)"),
        Patch(color=ERROR, label="error result"),
        Patch(color=TIMEOUT, label="timed out"),
        Patch(facecolor=CANCELLED, hatch="//", label="cancelled"),
        Patch(facecolor=WARNING, edgecolor="#333333", label="stale delivery"),
        Patch(facecolor=LEAK, edgecolor="#333333", label="leak (permission revoked)"),
        Patch(color=THINK, label="think time"),
        Line2D([], [], marker="|", color="black", linestyle="", markersize=9, label="executed at the service"),
        Line2D([], [], marker="|", color=WARNING, markeredgewidth=3, linestyle="", markersize=11, label="executed out of issue order"),
        Line2D([], [], marker="x", color="black", linestyle="", markersize=6, label="cancel"),
        Line2D([], [], marker="D", color=ERROR, markeredgecolor="black", linestyle="", markersize=5, label="refused (permission, outage, ...)"),
        Line2D([], [], color=WARNING, linestyle="--", label="amendment"),
        Line2D([], [], color=REVOKE, linestyle="--", label="revocation"),
        Line2D([], [], color="black", label="task cancelled"),
        Line2D([], [], marker="o", color=PASSED, linestyle="", label="answer: sub-task passed"),
        Line2D([], [], marker="X", color=FAILED, linestyle="", label="answer: sub-task failed"),
    ]

