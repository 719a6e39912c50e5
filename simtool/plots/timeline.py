"""The timeline of one trace as a figure: the picture that explains a race at a glance.

One lane per task (calls that overlap in a task stack inside its lane), plus an ``agent``
lane with the policy's think time. Each call is a bar from issue to the moment it left
flight (delivery, timeout, cancellation or refusal), coloured by its outcome and labelled
with its call id and tool (inside the bar, or just after it when the bar is short), with a
tick where the service executed it (in the warning colour when it overtook an earlier call
of its task: the race). Stale deliveries are drawn in the warning colour, leaks in red, calls
still in flight at the end dotted. World events are drawn where they happened, in the lanes
they touch: amendments, revocations and grants as dashed lines, cancelled tasks greyed from
the cancellation on, outage and rate-limit windows shaded (declared ``outages`` too).
Violations outline the calls they name, put a red triangle on their lane, and are listed
under the plot. Dependencies are arrows from the end of a call's bar (its result delivered)
to the start of the call that waits for it: grey when the call waited, red and dashed (pointing
back in time) when it was issued before that result came back, a dependency violation. Answers (``respond``) are dots: green when the sub-task passed, a red cross
when it did not. What is drawn is ``simtool.plots.layout``'s, shared with the HTML report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simtool.plots.figure import LEAK, WARNING, new_figure, plain
from simtool.plots.layout import STATES, Timeline, timeline_layout
from simtool.scoring.history import History
from simtool.trace import Trace

__all__ = ["timeline_figure", "STATE_STYLE", "MARK_COLOURS", "VIOLATION", "DEPENDENCY", "DEPENDENCY_WORDS"]

THINK = "#76b7b2"
PASSED = "#59a14f"
FAILED = "#d62728"
VIOLATION = "#d62728"
DEPENDENCY = "#7f7f7f"
# per call state: face colour, hatch, text colour inside the bar
STATE_STYLE: dict[str, tuple[str, str | None, str]] = {
    "ok": ("#4e79a7", None, "white"),
    "error": ("#9c755f", None, "white"),
    "timeout": ("#b07aa1", None, "white"),
    "cancelled": ("#c7c7c7", "//", "black"),
    "stale": (WARNING, None, "black"),
    "leak": (LEAK, None, "white"),
    "refused": ("#e3c9b5", "xx", "black"),
    "in_flight": ("#dbe5f1", "..", "black"),
}
MARK_COLOURS = {"warning": WARNING, "revoke": "#d62728", "grant": "#59a14f", "neutral": "#555555", "cancel": "#000000",
                "outage": "#888888", "window": "#b07aa1"}  # by WorldMark.colour
ROW = 1.0  # height of one row of calls
GAP = 0.45  # between lanes: room for the world events' captions
BAR = 0.62  # bar thickness within its row
PLOT_PX = 760  # width of the plot area at 10 inches with the legend beside it
CHAR_PX = 6.4  # a monospace character at the label size
LANE_NAME = 28  # characters of a lane name shown on the axis
VIOLATIONS_LISTED = 6
DEPENDENCY_WORDS = {False: "dependency: waited for the result", True: "dependency violated: issued before the result"}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timeline_figure(source: Trace | History | str | Path | Sequence[str], *, title: str | None = None,
                    labels: bool = True) -> Figure:
    """The timeline of a trace (a path, a ``Trace``, a ``History`` or a run's lines)."""
    return draw_timeline(timeline_layout(source, width_chars=PLOT_PX / CHAR_PX, title=title), labels=labels)


def draw_timeline(layout: Timeline, *, labels: bool = True) -> Figure:
    """Draw a ``Timeline`` with matplotlib."""
    makespan = layout.makespan
    top: dict[str, float] = {}
    heights: dict[str, int] = {}
    y = 0.0
    for lane in layout.lanes:
        top[lane.name], heights[lane.name] = y, lane.rows
        y += lane.rows * ROW + GAP
    total = y
    listed = min(len(layout.violations), VIOLATIONS_LISTED) + (1 if len(layout.violations) > VIOLATIONS_LISTED else 0)
    legend = _legend(layout)
    figure = new_figure(10.0, max(3.4, 1.4 + 0.42 * total + 0.16 * listed, 0.9 + 0.155 * len(legend)))
    ax = figure.add_subplot()

    def row_y(lane: str, row: int) -> float:
        return top[lane] + row * ROW + (ROW - BAR) / 2

    def lane_span(lane: str) -> tuple[float, float]:
        return top[lane] - 0.1, top[lane] + heights[lane] * ROW + 0.1

    ax.broken_barh(list(layout.think), (row_y("agent", 0), BAR), facecolors=THINK, edgecolors="white", linewidth=0.6)

    sliver = makespan * 0.002
    executed, overtook, cancels, refused = [], [], [], []
    for bar in layout.bars:
        face, hatch, ink = STATE_STYLE[bar.state]
        yy = row_y(bar.task, bar.row)
        flagged = bool(bar.violations)
        ax.broken_barh([(bar.start, max(bar.end - bar.start, sliver))], (yy, BAR), facecolors=face, hatch=hatch,
                       edgecolors=VIOLATION if flagged else ("#333333" if bar.state in ("stale", "leak", "in_flight") else "white"),
                       linewidth=1.5 if flagged else 0.6, linestyle=":" if bar.state == "in_flight" else "-")
        if bar.executed_at is not None:
            (overtook if bar.overtook else executed).append((bar.executed_at, yy + BAR / 2))
        if bar.cancelled_at is not None:
            cancels.append((bar.cancelled_at, yy + BAR / 2))
        if bar.refused_at is not None:
            refused.append((bar.refused_at, yy + BAR / 2))
        if labels:
            at = bar.start + makespan * 0.003 if bar.label_inside else max(bar.end, bar.start + sliver) + makespan * 0.004
            ax.text(at, yy + BAR / 2, plain(bar.label), va="center", ha="left", fontsize=6, family="monospace",
                    color=ink if bar.label_inside else "black", clip_on=True, zorder=6)
    by_call = {bar.call_id: bar for bar in layout.bars}
    for dep in layout.dependencies:
        on, call = by_call.get(dep.on), by_call.get(dep.call)
        if on is None or call is None:
            continue
        ax.annotate("", xy=(call.start, row_y(call.task, call.row) + BAR / 2),
                    xytext=(max(on.end, on.start + sliver), row_y(on.task, on.row) + BAR / 2),
                    arrowprops={"arrowstyle": "-|>", "color": VIOLATION if dep.early else DEPENDENCY, "linewidth": 1.1,
                                "linestyle": "--" if dep.early else "-", "shrinkA": 0, "shrinkB": 0, "mutation_scale": 7},
                    zorder=5 if dep.early else 2, gid=f"dependency {dep.on} {dep.call}")
    if executed:
        ax.scatter(*zip(*executed), marker="|", s=90, color="black", linewidths=1.4, zorder=3)
    if overtook:
        ax.scatter(*zip(*overtook), marker="|", s=160, color=WARNING, linewidths=3.0, zorder=3)
    if cancels:
        ax.scatter(*zip(*cancels), marker="x", s=36, color="black", linewidths=1.2, zorder=4)
    if refused:
        ax.scatter(*zip(*refused), marker="D", s=22, color=STATE_STYLE["error"][0], edgecolors="black", linewidths=0.6, zorder=4)

    for mark in layout.marks:
        colour = MARK_COLOURS.get(mark.colour, MARK_COLOURS["neutral"])
        for i, lane in enumerate(lane for lane in mark.lanes if lane in top):
            low, high = lane_span(lane)
            if mark.style == "window":
                ax.fill_between([mark.t, mark.end if mark.end is not None else makespan], low, high, facecolor=colour, alpha=0.16,
                                hatch="///", edgecolor=colour, linewidth=0, zorder=0)
            elif mark.style == "greyed":
                ax.fill_between([mark.t, makespan], low, high, color="#999999", alpha=0.18, zorder=0, linewidth=0)
                ax.vlines(mark.t, low, high, colors=colour, linewidth=1.6, zorder=4)
            else:
                ax.vlines(mark.t, low, high, colors=colour, linewidth=1.6, linestyles="--", zorder=4)
            if i == 0 or mark.style != "window":
                ax.text(mark.t, top[lane] - 0.03, f" {plain(mark.text)}", fontsize=6.5, va="bottom", ha="left",
                        color=colour if colour != "#888888" else "#444444")

    for answer in layout.answers:
        ax.scatter([answer.t], [top[answer.task] + 0.08], marker="o" if answer.passed else "X", s=40,
                   color=PASSED if answer.passed else FAILED, zorder=5, edgecolors="white", linewidths=0.5)
    flagged_at = [(v.t, top[v.task] + heights[v.task] * ROW + 0.02) for v in layout.violations if v.task in top]
    if flagged_at:
        ax.scatter(*zip(*flagged_at), marker="^", s=46, color=VIOLATION, edgecolors="white", linewidths=0.5, zorder=7, clip_on=False)

    ax.set_ylim(total, -0.5)
    ax.set_xlim(0, layout.span)
    ax.set_yticks([top[lane.name] + lane.rows * ROW / 2 for lane in layout.lanes],
                  [plain(_short(lane.name, LANE_NAME)) for lane in layout.lanes])
    ax.set_xlabel("simulated time (ms)")
    ax.set_ylabel("lane (agent, then one per task)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(plain(layout.title), loc="left")
    figure.suptitle(plain(layout.summary()), fontsize="small", x=0.99, ha="right", color="#555555")
    if layout.violations:
        lines = [f"▲ {v.t} ms · {v.invariant}: {v.why}" for v in layout.violations[:VIOLATIONS_LISTED]]
        if len(layout.violations) > VIOLATIONS_LISTED:
            lines.append(f"… and {len(layout.violations) - VIOLATIONS_LISTED} more (simtool score / simtool report)")
        figure.supxlabel(plain("\n".join(lines)), fontsize=7, x=0.01, ha="left", color=VIOLATION, family="monospace")
    ax.legend(handles=legend, fontsize=6.5, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def _legend(layout: Timeline) -> list[Any]:
    """The legend of what this timeline draws (a call state, mark or marker that is absent is not listed)."""
    states = {bar.state for bar in layout.bars} | {"ok"}
    entries: list[Any] = [
        Patch(facecolor=STATE_STYLE[s][0], hatch=STATE_STYLE[s][1], edgecolor="#333333" if s in ("stale", "leak", "in_flight") else "white",
              linestyle=":" if s == "in_flight" else "-", label=("call <id> <tool>: issue → " + STATES[s]) if s == "ok" else STATES[s])
        for s in STATE_STYLE if s in states
    ]
    shown = {
        "think": bool(layout.think),
        "executed": any(b.executed_at is not None and not b.overtook for b in layout.bars),
        "overtook": any(b.overtook for b in layout.bars),
        "cancel": any(b.cancelled_at is not None for b in layout.bars),
        "refused": any(b.refused_at is not None for b in layout.bars),
        "passed": any(a.passed for a in layout.answers),
        "failed": any(not a.passed for a in layout.answers),
        "violation": bool(layout.violations),
        "dependency": any(not d.early for d in layout.dependencies),
        "early": any(d.early for d in layout.dependencies),
    }
    candidates = [
        ("violation", Patch(facecolor="white", edgecolor=VIOLATION, linewidth=1.5, label="call named by a violation")),
        ("think", Patch(color=THINK, label="think time")),
        ("executed", Line2D([], [], marker="|", color="black", linestyle="", markersize=9, label="executed at the service")),
        ("overtook", Line2D([], [], marker="|", color=WARNING, markeredgewidth=3, linestyle="", markersize=11,
                            label="executed out of issue order")),
        ("cancel", Line2D([], [], marker="x", color="black", linestyle="", markersize=6, label="cancel")),
        ("dependency", Line2D([], [], color=DEPENDENCY, linewidth=1.1, label=DEPENDENCY_WORDS[False])),
        ("early", Line2D([], [], color=VIOLATION, linewidth=1.1, linestyle="--", label=DEPENDENCY_WORDS[True])),
        ("refused", Line2D([], [], marker="D", color=STATE_STYLE["error"][0], markeredgecolor="black", linestyle="", markersize=5,
                           label="refused")),
        ("marks", None),
        ("passed", Line2D([], [], marker="o", color=PASSED, linestyle="", label="answer: sub-task passed")),
        ("failed", Line2D([], [], marker="X", color=FAILED, linestyle="", label="answer: sub-task failed")),
        ("violation", Line2D([], [], marker="^", color=VIOLATION, linestyle="",
                             label=f"violation ({len(layout.violations)}, listed below)")),
    ]
    marks: list[Any] = []
    for words, style, colour in dict.fromkeys((m.words, m.style, m.colour) for m in layout.marks):
        ink = MARK_COLOURS.get(colour, MARK_COLOURS["neutral"])
        if style == "window":
            marks.append(Patch(facecolor=ink, alpha=0.3, hatch="///", label=plain(words)))
        else:
            marks.append(Line2D([], [], color=ink, linestyle="-" if style == "greyed" else "--", label=plain(words)))
    out = list(entries)
    for key, handle in candidates:
        if key == "marks":
            out += marks
        elif shown.get(key):
            out.append(handle)
    return out
