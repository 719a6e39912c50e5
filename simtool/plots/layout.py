"""What a trace's timeline shows, decided once for every renderer (the PNG and the HTML page).

The layout is data: lanes (the agent, then one per task, calls packed into rows), a bar per
call with its state, its label and where that label goes, the world's events (faults and
service outage windows) with the lanes they touch, the answers, the violations with the
calls they name, and the dependencies between calls (a call that performs a gold step, and the
call performing a step it waits for: ``Dependency``). ``simtool.plots.timeline`` draws it with matplotlib, ``simtool.report``
as SVG; both show the same content because both read this.

Labels: every bar is labelled ``<call id> <tool>``, inside the bar when it fits, else just
after its end; rows are packed so that a label never runs into the next bar of its row.
Widths are estimated for a monospace font at ``ms_per_char`` (the renderer's scale).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import evolve, frozen

from simtool.faults import fault_kinds
from simtool.scoring.history import CallRecord, History, history_of, trace_from_lines
from simtool.scoring.violations import Offence, find_violations, gold_steps
from simtool.trace import Trace

__all__ = [
    "Bar", "Lane", "WorldMark", "Answer", "Violation", "Dependency", "Timeline", "timeline_layout", "history_from",
    "dependencies_of",
    "fault_mark", "call_state", "STATES", "TONES", "MARK_WORDS", "end_of",
]

# a call's state, as drawn: the legend's wording for each
STATES = {
    "ok": "ok result",
    "error": "error result",
    "timeout": "timed out",
    "cancelled": "cancelled",
    "stale": "stale delivery",
    "leak": "leak (permission revoked)",
    "refused": "refused (permission, outage, ...)",
    "in_flight": "still in flight at the end",
}
LABEL_GAP_CHARS = 1.0  # space between a bar and a label outside it, in characters
TONES = ("warning", "revoke", "grant", "neutral")  # a fault line's tone (``TimelineMark.tone``)
# how the legend names a world event of a kind (a kind not listed: its name)
MARK_WORDS = {"amend": "amendment", "revoke": "revocation", "grant": "grant", "cancel_task": "task cancelled",
              "outage": "outage window", "rate_limit": "rate limit"}


@frozen
class Bar:
    """One call: a bar from issue to the moment it left flight, in ``lane`` at ``row``."""

    call_id: str
    task: str
    tool: str
    service: str
    row: int
    start: int
    end: int
    state: str  # a key of STATES
    label: str
    label_inside: bool
    reach: float  # where the bar or its label ends (ms): the row is free from here on
    executed_at: int | None
    overtook: bool  # executed before a conflicting call of its task issued earlier (out_of_order_execution)
    cancelled_at: int | None
    refused_at: int | None
    delivered_at: int | None
    outcome: str | None
    violations: tuple[str, ...]  # invariants whose offences name this call
    args: Mapping[str, Any]
    result: Any


@frozen
class Lane:
    """A task (or ``agent``) and how many rows of bars it needs."""

    name: str
    rows: int


@frozen
class WorldMark:
    """A world event or window: drawn at ``t`` (a line) or over ``[t, end)`` (a window) in ``lanes``."""

    kind: str  # the fault kind, or "outage" for a declared service outage window
    t: int
    end: int | None
    lanes: tuple[str, ...]
    text: str
    style: str  # "line", "window" or "greyed" (the lane from t on)
    colour: str  # a key of the renderer's palette: a tone of TONES, "cancel", "outage" or "window"

    @property
    def words(self) -> str:
        """The legend's name for marks of this kind."""
        return MARK_WORDS.get(self.kind, self.kind.replace("_", " ") + (" window" if self.style == "window" else ""))


@frozen
class Answer:
    task: str
    turn: int
    t: int
    passed: bool
    state_diff: tuple[str, ...]


@frozen
class Violation:
    invariant: str
    t: int
    seq: int
    task: str | None
    call_ids: tuple[str, ...]
    why: str


@frozen
class Dependency:
    """Call ``call`` performs a gold step that waits for the step call ``on`` performs (same
    sub-task). ``early``: ``call`` was issued before ``on`` was delivered, and the trace counts
    a ``dependency_violation`` for it."""

    task: str
    on: str
    call: str
    early: bool


@frozen
class Timeline:
    """Everything a timeline shows. ``lanes`` start with ``agent`` (think time)."""

    title: str
    world: str
    policy: str
    seed: int
    makespan: int
    span: float  # ms the full view covers: the run, and the labels that end after it
    complete: bool
    lanes: tuple[Lane, ...]
    bars: tuple[Bar, ...]
    think: tuple[tuple[int, int], ...]  # (start, duration) of each decision's think time
    marks: tuple[WorldMark, ...]
    answers: tuple[Answer, ...]
    violations: tuple[Violation, ...]
    dependencies: tuple[Dependency, ...] = ()  # between the drawn calls, in the order of the waiting call

    @property
    def tasks(self) -> list[str]:
        return [lane.name for lane in self.lanes[1:]]

    def summary(self) -> str:
        stale = sum(1 for b in self.bars if b.state == "stale")
        leaks = sum(1 for b in self.bars if b.state == "leak")
        return (f"{len(self.bars)} calls · {stale} stale · {leaks} leaks · {len(self.violations)} violations"
                f" · makespan {self.makespan} ms" + ("" if self.complete else " · incomplete trace"))


def history_from(source: Trace | History | str | Path | Sequence[str]) -> History:
    """A ``History`` from a path, a ``Trace``, a ``History`` or a run's lines."""
    if isinstance(source, (History, Trace, str, Path)):
        return history_of(source)
    return history_of(trace_from_lines(source))


def end_of(call: CallRecord, makespan: int) -> int:
    """When the call left flight (delivery, timeout, cancel or refusal), else the end of the run."""
    ended = call.ended
    if ended is not None:
        return int(ended["t"])
    if call.refuse is not None:
        return int(call.refuse["t"])
    return makespan


def call_state(call: CallRecord) -> str:
    """The state a call's bar shows (a key of ``STATES``)."""
    deliver = call.deliver
    if call.cancel is not None and (deliver is None or call.cancel["seq"] < deliver["seq"]):
        return "cancelled"
    if call.timeout is not None and deliver is None:
        return "timeout"
    if call.refuse is not None:
        return "refused"
    if deliver is not None:
        if deliver.get("leak"):
            return "leak"
        if deliver.get("stale"):
            return "stale"
        return "ok" if deliver.get("outcome") == "ok" else "error"
    return "in_flight"


def fault_mark(fault: Mapping[str, Any], lanes: Sequence[str], service_lanes: Mapping[str, list[str]]) -> WorldMark | None:
    """How one ``fault`` event is drawn, from its kind's ``mark`` in the fault table
    (``simtool.faults``): its text, style and tone, and the lanes it touches. None: not drawn.

    A ``span`` (an outage) becomes a window in the lanes of the tasks that use its service,
    until the event's ``until``; a ``cancel`` greys its task's lane from then on; a ``line`` is
    drawn in the lane of its task, or of every task. A kind this process does not know (a
    plugin's, not installed here) is drawn as a neutral line named after it.
    """
    name, t = str(fault.get("fault")), int(fault["t"])
    task = fault.get("task")
    targets = tuple([task] if isinstance(task, str) and task in lanes else lanes)
    kind = fault_kinds().get(name)
    if kind is None:
        return WorldMark(name, t, None, targets, name.replace("_", " "), "line", "neutral")
    mark = kind.mark(fault)
    if mark is None:
        return None
    if mark.style == "span":
        until = fault.get("until")
        end = int(until) if isinstance(until, int) else t + int(mark.duration_ms)
        service = str(fault.get("service") or "")
        return WorldMark(name, t, end, tuple(service_lanes.get(service) or lanes), mark.label, "window",
                         "outage" if name == "outage" else "window")
    if mark.style == "cancel":
        return WorldMark(name, t, None, targets, mark.label, "greyed", "cancel")
    return WorldMark(name, t, None, targets, mark.label, "line", mark.tone if mark.tone in TONES else "neutral")


def _service_lanes(h: History) -> dict[str, list[str]]:
    """Service name -> the tasks that use it (each task owns its own instance)."""
    out: dict[str, list[str]] = {}
    for task in h.world.get("tasks") or []:
        if isinstance(task, Mapping) and isinstance(task.get("id"), str):
            for service in task.get("services") or []:
                out.setdefault(str(service), []).append(task["id"])
    return out


def _declared_outages(h: History, lanes: Sequence[str], service_lanes: Mapping[str, list[str]]) -> list[WorldMark]:
    """The outage windows a world declares under ``services.<name>.outages`` (no fault event shows them)."""
    marks = []
    services = h.world.get("services") or {}
    if not isinstance(services, Mapping):
        return marks
    for name in sorted(services):
        limits = services[name]
        for window in (limits.get("outages") or []) if isinstance(limits, Mapping) else []:
            if isinstance(window, Mapping) and isinstance(window.get("start_ms"), int) and isinstance(window.get("end_ms"), int):
                marks.append(WorldMark("outage", window["start_ms"], window["end_ms"], tuple(service_lanes.get(name) or lanes),
                                       f"outage {name}", "window", "outage"))
    return marks


def dependencies_of(h: History, found: Mapping[str, list[Offence]]) -> tuple[Dependency, ...]:
    """The dependencies between the trace's calls, by the ``after`` of the gold steps they perform
    (``gold_steps``; a trace without ``after`` is a chain): each call and the calls performing
    the steps it waits for. An edge implied through another step is left out (``c`` waits for
    ``b`` waits for ``a``: no ``a`` to ``c``), unless the call broke it and none of its direct
    edges shows that."""
    steps = gold_steps(h)
    performer: dict[tuple[str, int, int, int], str] = {}
    for call_id, j in steps.items():
        c = h.calls[call_id]
        performer.setdefault((c.task, c.turn, c.epoch, j), call_id)
    violated = {o.call_ids[0] for o in found.get("dependency_violation", []) if o.call_ids}
    out = []
    for call_id, j in steps.items():
        c = h.calls[call_id]
        starts = h.starts.get((c.task, c.turn)) or []
        gold = next((list(e["gold"]) for e in reversed(starts) if e.get("epoch") == c.epoch), [])
        after = [[int(i) for i in g["after"]] if "after" in g else list(range(k)) for k, g in enumerate(gold)]
        before: list[set[int]] = []  # every step each one waits for, directly or through others
        for k in range(len(after)):
            before.append(set(after[k]).union(*(before[i] for i in after[k])))
        edges = []  # (dependency, implied through another step)
        for i in after[j] if j < len(after) else []:
            on = performer.get((c.task, c.turn, c.epoch, i))
            if on is not None:
                d = h.calls[on]
                early = call_id in violated and (d.deliver is None or d.deliver["seq"] > c.issue["seq"])
                edges.append((Dependency(c.task, on, call_id, early), any(i in before[k] for k in after[j] if k != i)))
        shown_early = any(dep.early for dep, implied in edges if not implied)
        out += [dep for dep, implied in edges if not implied or (dep.early and not shown_early)]
    return tuple(out)


def _label_fits(label: str, start: int, end: int, ms_per_char: float) -> bool:
    return (len(label) + 2) * ms_per_char <= end - start  # a character's room on either side


def timeline_layout(source: Trace | History | str | Path | Sequence[str], *, width_chars: float = 150.0,
                    title: str | None = None) -> Timeline:
    """The timeline of a trace, for a plot ``width_chars`` label characters wide.

    The full view spans the run (plus 2%) and any label that ends after it: the scale is
    found by widening the span until every label fits (a few rounds at most).
    """
    h = history_from(source)
    makespan = max(1, h.makespan_ms)
    span = makespan * 1.02
    found = find_violations(h)
    layout = _layout(h, found, span / width_chars, title)
    for _ in range(6):
        reach = max([span] + [bar.reach * 1.005 for bar in layout.bars])
        if reach <= span:
            break
        span = reach
        layout = _layout(h, found, span / width_chars, title)
    return evolve(layout, span=max([span] + [bar.reach for bar in layout.bars]))


def _layout(h: History, found: Mapping[str, list[Offence]], per_char: float, title: str | None) -> Timeline:
    makespan = max(1, h.makespan_ms)
    offences: list[Offence] = sorted((o for group in found.values() for o in group), key=lambda o: (o.seq, o.invariant))
    named: dict[str, list[str]] = {}
    for o in offences:
        for call_id in o.call_ids:
            if o.invariant not in named.setdefault(call_id, []):
                named[call_id].append(o.invariant)
    overtaking = {o.call_ids[0] for o in found.get("out_of_order_execution", []) if o.call_ids}

    tasks = list(h.tasks) + [c.task for c in h.calls.values() if c.task not in h.tasks]
    tasks = list(dict.fromkeys(tasks))
    free_from: dict[str, list[float]] = {task: [] for task in tasks}  # per task, per row: where the row is free again
    bars = []
    for call in h.calls.values():
        start, end = int(call.issue["t"]), end_of(call, makespan)
        label = f"{call.call_id} {call.tool}"
        inside = _label_fits(label, start, end, per_char)
        occupied = end if inside else end + (LABEL_GAP_CHARS + len(label)) * per_char
        occupied = max(occupied, start + per_char)  # a zero-length bar still takes a sliver
        rows = free_from[call.task]
        row = next((i for i, free in enumerate(rows) if free <= start), len(rows))
        if row == len(rows):
            rows.append(occupied)
        else:
            rows[row] = occupied
        deliver = call.deliver
        bars.append(Bar(
            call_id=call.call_id, task=call.task, tool=call.tool, service=str(call.issue.get("service") or ""), row=row,
            start=start, end=end, state=call_state(call), label=label, label_inside=inside, reach=occupied,
            executed_at=int(call.execute["t"]) if call.execute is not None else None,
            overtook=call.call_id in overtaking,
            cancelled_at=int(call.cancel["t"]) if call.cancel is not None else None,
            refused_at=int(call.refuse["t"]) if call.refuse is not None else None,
            delivered_at=int(deliver["t"]) if deliver is not None else None,
            outcome=str(deliver.get("outcome")) if deliver is not None else None,
            violations=tuple(named.get(call.call_id, ())),
            args=call.args, result=deliver.get("result") if deliver is not None else None,
        ))

    service_lanes = _service_lanes(h)
    marks = _declared_outages(h, tasks, service_lanes)
    marks += [m for m in (fault_mark(f, tasks, service_lanes) for f in h.faults if f.get("effective", True)) if m is not None]
    answers = tuple(Answer(str(r["task"]), int(r.get("turn") or 0), int(r["t"]), bool(r.get("state_ok") and r.get("results_ok")),
                           tuple(str(d) for d in (r.get("state_diff") or []))) for r in h.responds if r.get("task") in free_from)
    think = tuple((int(d["t"]), int(d.get("think_ms") or 0)) for d in h.decisions if d.get("think_ms"))
    lanes = (Lane("agent", 1),) + tuple(Lane(task, max(1, len(free_from[task]))) for task in tasks)
    world = str(h.world.get("name", "world"))
    return Timeline(
        title=title or f"{world} · policy {h.policy} · seed {h.seed}", world=world, policy=h.policy, seed=h.seed,
        makespan=makespan, span=float(makespan), complete=h.complete, lanes=lanes, bars=tuple(bars), think=think, marks=tuple(marks),
        answers=answers,
        violations=tuple(Violation(o.invariant, o.t, o.seq, o.task, tuple(o.call_ids), o.why) for o in offences),
        dependencies=dependencies_of(h, found),
    )
