"""A trace's timeline as inline SVG: the same layout as the PNG (``simtool.plots.layout``).

Everything that sits at a time carries it in data attributes (``data-a``: a time in ms,
``data-b``: an end time, ``data-dx``: a pixel offset), so the page's script can redraw the
view for any time window (zoom) by recomputing x positions; the positions written here are
those of the full view, so the picture is complete without the script too. Each call is a
``<g class="call ..." data-call="ID">`` holding its bar and its label ``ID tool``. A dependency
is a ``<line class="dependency">`` (``early`` when the call broke it) from the end of the bar
it waits for (``data-a``) to the start of the waiting call's bar (``data-b``).
"""

from __future__ import annotations

import math
from html import escape

from simtool.plots.layout import STATES, Bar, Timeline, timeline_layout
from simtool.scoring.history import History

__all__ = ["timeline_svg", "legend_items", "nice_ticks", "fmt_ms", "PLOT_WIDTH", "LEFT", "CHAR_PX"]

LEFT = 170  # lane names
PLOT_WIDTH = 1000
RIGHT = 20
TOP = 26  # room for the axis
ROW = 24
BAR = 15
LANE_GAP = 20  # between lanes: world events' captions
CHAR_PX = 6.7  # a 11 px monospace character
LANE_NAME = 24


def nice_ticks(low: float, high: float, most: int = 10) -> list[float]:
    """Round tick values covering [low, high], at most ``most`` of them (steps 1, 2, 5 x 10^k).
    The page's script computes the same ticks when the view changes."""
    span = max(high - low, 1e-9)
    raw = span / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    count = int(math.floor((high - first) / step + 1e-9)) + 1
    return [round(first + i * step, 6) for i in range(max(count, 0))]


def fmt_ms(value: float) -> str:
    """A coordinate or a time with at most two decimals, no trailing zeros (small pages, stable
    bytes; the page's script writes numbers the same way)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attr(text: object) -> str:
    """Text for an attribute's value (in double quotes)."""
    return escape(str(text), quote=True)


def _text(text: object) -> str:
    """Text for an element's content."""
    return escape(str(text), quote=False)


def timeline_svg(history: History, *, ident: str) -> tuple[str, Timeline]:
    """The SVG of a trace's timeline (``ident`` prefixes its element ids) and the layout it shows."""
    layout = timeline_layout(history, width_chars=PLOT_WIDTH / CHAR_PX)
    span_ms = layout.span

    def x(t: float) -> float:
        return LEFT + t / span_ms * PLOT_WIDTH

    top: dict[str, int] = {}
    rows_of = {lane.name: lane.rows for lane in layout.lanes}
    y = TOP
    for lane in layout.lanes:
        top[lane.name] = y
        y += lane.rows * ROW + LANE_GAP
    height = y + 10
    width = LEFT + PLOT_WIDTH + RIGHT
    out: list[str] = [
        f'<svg class="timeline" id="{_attr(ident)}-svg" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" data-span="{fmt_ms(span_ms)}" data-left="{LEFT}" data-width="{PLOT_WIDTH}"'
        f' role="group" aria-label="timeline of {_attr(layout.title)}">',
        f'<defs><clipPath id="{_attr(ident)}-clip"><rect x="{LEFT}" y="0" width="{PLOT_WIDTH + RIGHT}" height="{height}"/></clipPath>'
        f'<pattern id="{_attr(ident)}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern>'
        + "".join(f'<marker id="{_attr(ident)}-arrow{suffix}" class="arrow{suffix}" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7"'
                  ' markerHeight="7" orient="auto-start-reverse"><path d="M0 0L8 4L0 8Z"/></marker>' for suffix in ("", "-early"))
        + "</defs>",
    ]
    # lanes: name, background band
    for i, lane in enumerate(layout.lanes):
        name = lane.name if len(lane.name) <= LANE_NAME else lane.name[: LANE_NAME - 1] + "…"
        ly, lh = top[lane.name], lane.rows * ROW
        out.append(f'<rect class="lane-band{" odd" if i % 2 else ""}" x="{LEFT}" y="{ly - 4}" width="{PLOT_WIDTH}" height="{lh + 8}"/>')
        out.append(f'<text class="lane-name" x="{LEFT - 8}" y="{ly + lh / 2 + 4:.0f}" text-anchor="end"><title>{_text(lane.name)}</title>'
                   f'{_text(name)}</text>')
    # the axis: ticks drawn for the full view (the script redraws them on zoom)
    out.append(f'<g class="axis" id="{_attr(ident)}-axis">')
    for tick in nice_ticks(0, span_ms):
        tx = fmt_ms(x(tick))
        out.append(f'<line class="grid" x1="{tx}" x2="{tx}" y1="{TOP - 6}" y2="{height - 10}"/>'
                   f'<text class="tick" x="{tx}" y="{TOP - 10}" text-anchor="middle">{fmt_ms(tick)}</text>')
    out.append("</g>")
    out.append(f'<text class="axis-title" x="{LEFT - 8}" y="{TOP - 10}" text-anchor="end">ms</text>')
    out.append(f'<g clip-path="url(#{_attr(ident)}-clip)">')

    # world events and windows, behind the bars
    for m, mark in enumerate(layout.marks):
        lanes = [lane for lane in mark.lanes if lane in top]
        for i, lane in enumerate(lanes):
            ly, lh = top[lane] - 6, rows_of[lane] * ROW + 12
            cls = f"mark mark-{_attr(mark.colour)}"
            if mark.style in ("window", "greyed"):
                end = mark.end if mark.style == "window" and mark.end is not None else layout.makespan
                out.append(f'<rect class="{cls} {mark.style} tx" data-a="{mark.t}" data-b="{end}" data-mark="{m}" x="{fmt_ms(x(mark.t))}"'
                           f' y="{ly}" width="{fmt_ms(max(x(end) - x(mark.t), 1))}" height="{lh}"'
                           + (f' fill="url(#{_attr(ident)}-hatch)"' if mark.style == "window" else "") + "/>")
            if mark.style in ("line", "greyed"):
                out.append(f'<line class="{cls} tx" data-a="{mark.t}" x1="{fmt_ms(x(mark.t))}" x2="{fmt_ms(x(mark.t))}" y1="{ly}" y2="{ly + lh}"/>')
            if i == 0 or mark.style != "window":
                out.append(f'<text class="{cls} caption tx" data-a="{mark.t}" data-dx="3" x="{fmt_ms(x(mark.t) + 3)}" y="{ly - 3}">'
                           f"{_text(mark.text)}</text>")

    # think time
    for start, think in layout.think:
        out.append(f'<rect class="think tx" data-a="{start}" data-b="{start + think}" x="{fmt_ms(x(start))}" y="{top["agent"] + (ROW - BAR) / 2:.1f}"'
                   f' width="{fmt_ms(max(x(start + think) - x(start), 0.5))}" height="{BAR}"/>')

    # calls
    for bar in layout.bars:
        by = top[bar.task] + bar.row * ROW + (ROW - BAR) / 2
        mid = by + BAR / 2
        classes = f"call state-{bar.state}" + (" violation" if bar.violations else "") + (" overtook" if bar.overtook else "")
        out.append(f'<g class="{classes}" data-call="{_attr(bar.call_id)}" data-task="{_attr(bar.task)}" tabindex="0">')
        out.append(f'<rect class="bar tx" data-a="{bar.start}" data-b="{bar.end}" x="{fmt_ms(x(bar.start))}" y="{by:.1f}"'
                   f' width="{fmt_ms(max(x(bar.end) - x(bar.start), 2))}" height="{BAR}" rx="2"/>')
        if bar.executed_at is not None:
            ex = fmt_ms(x(bar.executed_at))
            out.append(f'<line class="exec tx" data-a="{bar.executed_at}" x1="{ex}" x2="{ex}" y1="{by - 2:.1f}" y2="{by + BAR + 2:.1f}"/>')
        if bar.cancelled_at is not None:
            out.append(f'<path class="cancel-mark tx" data-a="{bar.cancelled_at}" transform="translate({fmt_ms(x(bar.cancelled_at))},0)"'
                       f' d="M-4 {mid - 4:.1f}L4 {mid + 4:.1f}M-4 {mid + 4:.1f}L4 {mid - 4:.1f}"/>')
        if bar.refused_at is not None:
            out.append(f'<path class="refused-mark tx" data-a="{bar.refused_at}" transform="translate({fmt_ms(x(bar.refused_at))},0)"'
                       f' d="M0 {mid - 5:.1f}L5 {mid:.1f}L0 {mid + 5:.1f}L-5 {mid:.1f}Z"/>')
        if bar.label_inside:
            out.append(f'<text class="label inside tx" data-a="{bar.start}" data-dx="4" x="{fmt_ms(x(bar.start) + 4)}" y="{mid + 4:.1f}">'
                       f"{_text(bar.label)}</text>")
        else:
            at = max(x(bar.end), x(bar.start) + 2)
            out.append(f'<text class="label outside tx" data-a="{bar.end}" data-dx="{fmt_ms(at - x(bar.end) + 4)}" x="{fmt_ms(at + 4)}"'
                       f' y="{mid + 4:.1f}">{_attr(bar.label)}</text>')
        out.append("</g>")

    # dependencies, over the bars: from the awaited call's end to the waiting call's start
    bars = {bar.call_id: bar for bar in layout.bars}

    def mid_of(bar: Bar) -> float:
        return top[bar.task] + bar.row * ROW + ROW / 2

    for dep in layout.dependencies:
        on, call = bars.get(dep.on), bars.get(dep.call)
        if on is not None and call is not None:
            tip = (f"{call.call_id} issued before {on.call_id}'s result: a dependency violation" if dep.early
                   else f"{call.call_id} waited for {on.call_id}'s result")
            out.append(f'<line class="dependency{" early" if dep.early else ""} tx" data-a="{on.end}" data-b="{call.start}"'
                       f' x1="{fmt_ms(x(on.end))}" x2="{fmt_ms(x(call.start))}" y1="{mid_of(on):.1f}" y2="{mid_of(call):.1f}"'
                       f' marker-end="url(#{_attr(ident)}-arrow{"-early" if dep.early else ""})"><title>{_text(tip)}</title></line>')

    # answers and violations
    for answer in layout.answers:
        ay = top[answer.task] - 2
        kind = "passed" if answer.passed else "failed"
        tip = f"answer to {answer.task} turn {answer.turn}: sub-task {kind}" + (
            f" (state differs: {', '.join(answer.state_diff)})" if answer.state_diff else "")
        out.append(f'<g class="answer {kind} tx" data-a="{answer.t}" transform="translate({fmt_ms(x(answer.t))},0)"><title>{_text(tip)}</title>'
                   + (f'<circle cx="0" cy="{ay}" r="5"/>' if answer.passed else f'<path d="M-5 {ay - 5}L5 {ay + 5}M-5 {ay + 5}L5 {ay - 5}"/>')
                   + "</g>")
    for v, violation in enumerate(layout.violations):
        if violation.task not in top:
            continue
        vy = top[violation.task] + rows_of[violation.task] * ROW + 1
        out.append(f'<path class="violation-mark tx" id="{_attr(ident)}-v{v}" data-a="{violation.t}" data-violation="{v}"'
                   f' transform="translate({fmt_ms(x(violation.t))},0)" d="M0 {vy - 7}L6 {vy + 4}L-6 {vy + 4}Z">'
                   f"<title>{_text(violation.invariant)}: {_text(violation.why)}</title></path>")
    out.append("</g></svg>")
    return "".join(out), layout


def legend_items(layout: Timeline) -> list[tuple[str, str]]:
    """(CSS class of a swatch, wording) for what this timeline draws."""
    states = [s for s in STATES if s == "ok" or any(b.state == s for b in layout.bars)]
    items = [(f"swatch state-{s}", ("call: issue → " + STATES[s]) if s == "ok" else STATES[s]) for s in states]
    if any(b.violations for b in layout.bars):
        items.append(("swatch violation-outline", "call named by a violation"))
    if layout.think:
        items.append(("swatch think", "think time"))
    if any(b.executed_at is not None for b in layout.bars):
        items.append(("tick exec", "executed at the service"))
    if any(b.overtook for b in layout.bars):
        items.append(("tick overtook", "executed out of issue order"))
    if any(not d.early for d in layout.dependencies):
        items.append(("arrow dependency", "dependency: waited for the result"))
    if any(d.early for d in layout.dependencies):
        items.append(("arrow dependency early", "dependency violated: issued before the result"))
    for words, style, colour in dict.fromkeys((m.words, m.style, m.colour) for m in layout.marks):
        items.append((f"swatch {style} mark-{colour}", words))
    if any(a.passed for a in layout.answers):
        items.append(("dot passed", "answer: sub-task passed"))
    if any(not a.passed for a in layout.answers):
        items.append(("dot failed", "answer: sub-task failed"))
    if layout.violations:
        items.append(("tri violation", "violation (listed below)"))
    return items
