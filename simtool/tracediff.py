"""Two traces compared for a reader: configuration first, then the first diverging event, then the rest.

- configuration: the differing leaves of the two headers' ``seed``, ``format``, ``simtool``
  version and resolved config, as key paths (``world.latency.scale``, ``policy.think.high``:
  the paths ``--set`` takes) with both values;
- the first diverging event: one line per side, naming the event and the fields that differ;
- the rest: the events after it aligned by content (``seq`` left out, so an inserted event
  does not make every later one differ), each stretch that differs as ``-`` (A) and ``+`` (B).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from attrs import frozen

from simtool.jsondiff import Difference, differences
from simtool.trace import Trace, canonical

__all__ = ["TraceDiff", "Stretch", "diff_traces", "render_diff", "event_phrase", "SHOWN"]

SHOWN = 20  # configuration differences listed without --all
IDENTITY = ("call_id", "task", "tool", "decision", "fault", "turn", "epoch", "reason", "outcome", "phase")
Event = Mapping[str, Any]


@frozen
class Stretch:
    """Events that differ after the first divergence: A's ``a[a_start:a_end]`` against B's."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@frozen
class TraceDiff:
    """What differs between traces A and B. ``first``: index of the first differing event (None: the
    events are identical); ``stretches``: the differing stretches from there on."""

    config: tuple[Difference, ...]
    a_events: tuple[Event, ...]
    b_events: tuple[Event, ...]
    first: int | None
    stretches: tuple[Stretch, ...]
    a_complete: bool
    b_complete: bool

    @property
    def identical(self) -> bool:
        return not self.config and self.first is None and self.a_complete == self.b_complete


def _header_view(header: Mapping[str, Any]) -> dict[str, Any]:
    """The header as the paths users know: seed, format, simtool, then config's world and policy."""
    view = {k: header.get(k) for k in ("seed", "format", "simtool")}
    config = header.get("config")
    if isinstance(config, Mapping):
        view.update(config)
    return view


def _key(e: Event) -> str:
    return canonical({k: v for k, v in e.items() if k != "seq"})


def diff_traces(a: Trace, b: Trace) -> TraceDiff:
    """Compare two read traces (footers left out: their digests differ whenever anything does)."""
    config = tuple(differences(_header_view(a.header), _header_view(b.header)))
    ea, eb = tuple(a.events), tuple(b.events)
    first = next((i for i, (x, y) in enumerate(zip(ea, eb)) if x != y), None)
    if first is None and len(ea) != len(eb):
        first = min(len(ea), len(eb))
    stretches: list[Stretch] = []
    if first is not None:
        matcher = SequenceMatcher(None, [_key(e) for e in ea[first:]], [_key(e) for e in eb[first:]], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                stretches.append(Stretch(first + i1, first + i2, first + j1, first + j2))
    return TraceDiff(config, ea, eb, first, tuple(stretches), a.complete, b.complete)


def _short(value: Any, limit: int = 60, *, bare: bool = False) -> str:
    text = value if bare and isinstance(value, str) else canonical(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def event_phrase(e: Event, extra: Sequence[Difference] = (), side: str = "expected") -> str:
    """``t=147 seq=9 execute call_id=c2 task=triage tool=close_ticket outcome=error``, then ``extra``
    differing leaves with this side's value (``side``: the ``Difference`` field holding it)."""
    fields = " ".join(f"{k}={_short(e[k], bare=True)}" for k in IDENTITY if k in e)
    text = f"t={e.get('t')} seq={e.get('seq')} {e.get('kind')}" + (f" {fields}" if fields else "")
    if extra:
        gone = "found" if side == "expected" else "expected"
        text += " · " + " ".join(f"{d.path}=" + ("(none)" if d.missing == gone else _short(getattr(d, side), 40))
                                 for d in extra)
    return text


DIFFERING_SHOWN = 4  # differing leaves of the first diverging event shown per side


def _pair(a: Event | None, b: Event | None) -> tuple[str, str]:
    """Two events, one line each; of the same kind, with the leaves that differ and each side's value."""
    if a is None or b is None or a.get("kind") != b.get("kind"):
        return (event_phrase(a) if a else "(no more events)"), (event_phrase(b) if b else "(no more events)")
    leaves = [x for x in differences(dict(a), dict(b)) if x.path not in ("t", "seq")]  # both shown already
    shown = leaves[:DIFFERING_SHOWN]
    more = f" (+{len(leaves) - len(shown)} more)" if len(leaves) > len(shown) else ""
    return event_phrase(a, shown, "expected") + more, event_phrase(b, shown, "found") + more


def _stretch_lines(d: TraceDiff, s: Stretch) -> list[str]:
    a, b = d.a_events[s.a_start:s.a_end], d.b_events[s.b_start:s.b_end]
    if len(a) == len(b):  # a stretch of changed events: each pair side by side
        out = []
        for x, y in zip(a, b):
            left, right = _pair(x, y)
            out += [f"  - {left}", f"  + {right}"]
        return out
    return [f"  - {event_phrase(e)}" for e in a] + [f"  + {event_phrase(e)}" for e in b]


def render_diff(d: TraceDiff, a_name: str = "A", b_name: str = "B", *, show_all: bool = False) -> list[str]:
    """The lines ``simtool diff`` prints (``identical`` when nothing differs)."""
    if d.identical:
        return ["identical"]
    out: list[str] = [f"A: {a_name} · B: {b_name}"]
    if d.config:
        out.append(f"configuration: {len(d.config)} difference{'s' if len(d.config) != 1 else ''} (A | B)")
        shown = d.config if show_all else d.config[:SHOWN]
        for diff in shown:
            a = "(none)" if diff.missing == "expected" else _short(diff.expected)
            b = "(none)" if diff.missing == "found" else _short(diff.found)
            out.append(f"  {diff.path}: {a} | {b}")
        if len(shown) < len(d.config):
            out.append(f"  ... and {len(d.config) - len(shown)} more (--all shows them)")
    else:
        out.append("configuration: identical")
    for name, complete in ((a_name, d.a_complete), (b_name, d.b_complete)):
        if not complete:
            out.append(f"{name} is incomplete (no footer)")
    if d.first is None:
        out.append("events: identical")
        return out
    out.append(f"first diverging event: event {d.first} (line {d.first + 2})")
    i = d.first
    a_side, b_side = _pair(d.a_events[i] if i < len(d.a_events) else None, d.b_events[i] if i < len(d.b_events) else None)
    out += [f"  A {a_side}", f"  B {b_side}"]
    if not show_all:
        rest = len(d.stretches)
        if rest:
            out.append(f"events: {len(d.a_events)} | {len(d.b_events)}, {rest} differing stretch{'es' if rest != 1 else ''} "
                       f"(--all shows them)")
        return out
    out.append(f"the rest: {len(d.stretches)} differing stretch{'es' if len(d.stretches) != 1 else ''} "
               f"(A events {len(d.a_events)}, B events {len(d.b_events)})")
    for s in d.stretches:
        out.append(f"  @@ A {s.a_start}..{s.a_end - 1 if s.a_end > s.a_start else '-'} "
                   f"| B {s.b_start}..{s.b_end - 1 if s.b_end > s.b_start else '-'}")
        out += _stretch_lines(d, s)
    return out
