"""An ``Explanation`` in words: plain text, one fact a line, indented by what it belongs to."""

from __future__ import annotations

from collections.abc import Mapping

from simtool.explain.facts import call_phrase, difference_phrase, ms, short
from simtool.explain.states import describe_keys
from simtool.explain.story import CallLife, Explanation, FaultStory, SubtaskStory, TaskStory, ViolationStory

__all__ = ["render", "ranked", "life_line", "violation_lines", "counts_line"]


def counts_line(counts: Mapping[str, int]) -> str:
    """``same_task_overlap 1 · out_of_order_execution 1`` (non-zero counts only) or ``none``."""
    shown = [f"{name} {n}" for name, n in counts.items() if n]
    return " · ".join(shown) if shown else "none"


def life_line(c: CallLife) -> str:
    """One call's life: issued, executed (or refused), delivered, timed out or cancelled, with times."""
    parts = [f"issued {ms(c.issued_ms)}" + (f" (decision {c.decision})" if c.decision is not None else "")]
    if c.refused_ms is not None:
        parts.append(f"refused {ms(c.refused_ms)} ({c.refused_reason}: {short(c.result, 60)})")
    if c.executed_ms is not None:
        changed = f"; changed {describe_keys(c.changes)}" if c.changes is not None else ""
        parts.append(f"executed {ms(c.executed_ms)} (#{c.order}, {c.executed_outcome}{changed})")
    if c.timed_out_ms is not None:
        parts.append(f"timed out {ms(c.timed_out_ms)}")
    if c.cancelled_ms is not None:
        phase = {"before_execution": "before execution, no effect",
                 "after_execution": "after execution, its effect stands"}.get(str(c.cancel_phase), str(c.cancel_phase))
        parts.append(f"cancelled {ms(c.cancelled_ms)} by the {c.cancelled_by} ({phase})")
    if c.delivered_ms is not None and c.refused_ms is None:
        extra = []
        if c.stale_reason:
            extra.append(f"stale: {c.stale_reason}")
        if c.leak:
            extra.append(f"leaked: {c.scope} revoked")
        said = f": {short(c.result, 60)}" if c.outcome == "error" else ""
        parts.append(f"delivered {ms(c.delivered_ms)}" + (f" ({', '.join(extra)})" if extra else "") + said)
    if c.end == "in_flight":
        parts.append("still in flight at the end")
    if c.retried_by:
        parts.append(f"retried as {c.retried_by}")
    return f"{call_phrase(c.call_id, c.tool, c.args)}: " + " · ".join(parts)


def _fault_line(fs: FaultStory) -> str:
    fields = ", ".join(f"{k} {short(v, 40)}" for k, v in sorted(fs.fields.items()) if k not in ("source", "index") and v is not None)
    caught = f"; in flight: {', '.join(fs.caught)}" if fs.caught else ""
    return f"{fs.fault} at {ms(fs.t)}" + (f" ({fields})" if fields else "") + f"{caught} -> {fs.reaction}"


def _subtask_lines(s: SubtaskStory, calls: list[CallLife]) -> list[str]:
    out = []
    for i, r in enumerate(s.requests):
        head = f"  turn {s.turn}" if i == 0 else f"    amended (epoch {r['epoch']})"
        out.append(f"{head} · asked at {ms(r['t'])}: {short(str(r['request']), 100)!r}")
        out.append(f"    gold: {', '.join(r['gold']) or 'no calls'}")
    if not s.requests:
        out.append(f"  turn {s.turn} · never started")
    out += [f"    {life_line(c)}" for c in calls]
    a = s.answer
    if a is None:
        out.append(f"    {s.verdict}")
        return out
    uses = ", ".join(a.uses) or "no results"
    out.append(f"    answered {ms(a.t)} using {uses}: {s.verdict.upper()}"
               + (f" (with {', '.join(a.pending)} not executed)" if a.pending else ""))
    if not a.state_ok:
        if a.state.differences:
            out += [f"      state {difference_phrase(d)}" for d in a.state.differences]
        else:
            out.append(f"      state differs in {', '.join(a.state.keys)}")
        if a.state.note:
            out.append(f"      (note: {a.state.note})")
    if not a.results_ok:
        out += [f"      missing result {short(m, 100)}" for m in a.missing_results]
    return out


def _task_lines(t: TaskStory) -> list[str]:
    counted = sum(1 for s in t.subtasks if s.verdict != "cancelled")
    cancelled = next((fs for fs in t.faults if fs.fault == "cancel_task" and fs.effective), None)
    status = f"cancelled by the world at {ms(cancelled.t)}" if t.status == "cancelled" and cancelled else t.status
    passed = f" · {t.passed} of {counted} sub-tasks passed" if counted or t.status != "cancelled" else ""
    out = [f"task {t.task} · {status}{passed}"]
    turns = {s.turn for s in t.subtasks}
    for s in t.subtasks:
        out += _subtask_lines(s, [c for c in t.calls if c.turn == s.turn])
    strays = [c for c in t.calls if c.turn not in turns]
    out += [f"  {life_line(c)}" for c in strays]
    out += [f"  world: {_fault_line(fs)}" for fs in t.faults]
    out += [f"  agent error at {ms(e.get('t'))}: {e.get('reason')}: {e.get('detail')}" for e in t.errors]
    return out


def violation_lines(v: ViolationStory, number: int) -> list[str]:
    """A violation: what broke, where, then its chain step by step, then its consequence."""
    out = [f"{number}. {v.invariant} at {ms(v.t)}" + (f" · {v.task}" if v.task else "") + (" · race" if v.race else "")
           + f": {v.why}"]
    out += [f"   {i}) {step}" for i, step in enumerate(v.chain, 1)]
    if v.consequence:
        out.append(f"   => {v.consequence}")
    return out


def ranked(e: Explanation) -> list[ViolationStory]:
    """The first race (what a hunt reports) of each invariant, then the other races, then the
    others; each group in trace order. A hunt's repro line names a seed, not an invariant: every
    race invariant the run breaks comes up among the first."""
    races = [v for v in e.violations if v.race]
    seen: set[str] = set()
    first = []
    for v in races:
        if v.invariant not in seen:
            seen.add(v.invariant)
            first.append(v)
    return first + [v for v in races if v not in first] + [v for v in e.violations if not v.race]


def render(e: Explanation, *, violations_only: bool = False, limit: int | None = None,
           more: str = "simtool explain TRACE tells them all") -> str:
    """The explanation as text. ``violations_only``: just the violations (what ``simtool run`` appends);
    ``limit``: show at most that many violations (races first), saying how many were left out and
    ``more`` (where to read the rest)."""
    out: list[str] = []
    if not violations_only:
        state = "" if e.complete else " · INCOMPLETE trace"
        out.append(f"{e.world} · policy {e.policy} · seed {e.seed} · makespan {ms(e.makespan_ms)} · end {e.end_reason}{state}")
        if e.focus:
            out.append("only " + ", ".join(f"{k} {v}" for k, v in sorted(e.focus.items())))
        out.append(f"violations: {counts_line(e.counts)}")
        for t in e.tasks:
            out.append("")
            out += _task_lines(t)
        if e.faults:
            out += ["", "world events"] + [f"  {_fault_line(fs)}" for fs in e.faults]
    order = ranked(e) if limit is not None else list(e.violations)
    shown = order[:limit] if limit is not None else order
    if shown:
        out += ["", f"violations explained ({len(e.violations)})" if not violations_only
                else f"why: {len(e.violations)} violation{'s' if len(e.violations) != 1 else ''}, races first"]
        for i, v in enumerate(shown, 1):
            out += violation_lines(v, i)
    if len(shown) < len(order):
        out.append(f"... and {len(order) - len(shown)} more ({more})")
    if not violations_only and not e.violations:
        out += ["", "no violations"]
    return "\n".join(out).lstrip("\n")
