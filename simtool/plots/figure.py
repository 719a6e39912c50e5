"""Figures without pyplot (no global state, any backend, any thread) and how they are saved.

``save_figure`` writes PNG or SVG by the file's suffix, without the date and software stamps
matplotlib would add, and with a fixed SVG id salt: the same rows give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from simtool.errors import SimtoolError

__all__ = ["new_figure", "save_figure", "plain", "policy_order", "faulty_note", "FORMATS", "POLICY_COLOURS", "WARNING", "LEAK",
           "Palette", "KNOWN"]

FORMATS = ("png", "svg")
# the tab10 palette: distinct for the six scripted policies plus a few more
POLICY_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
WARNING = "#f28e2b"  # stale deliveries
LEAK = "#d62728"  # results delivered after their permission was revoked
DPI = 120


# the scripted policies keep their colour (and their place in every list) from plot to plot
KNOWN = {"sequential": 0, "interleave": 1, "critical-path": 2, "eager": 3, "unbound": 4, "oblivious": 5, "llm": 6}


def plain(text: object) -> str:
    """``text`` as matplotlib shows it literally: no mathtext.

    Matplotlib reads a label with two unescaped ``$`` as mathtext (a task id ``$\\undefined{$``
    fails the whole draw); an escaped ``\\$`` is drawn as ``$`` and backslashes outside
    mathtext are drawn as they are, so escaping each ``$`` is enough. Every label that comes
    from a file (task ids, world, policy and service names, swept values) goes through here.
    """
    return str(text).replace("$", r"\$")


def policy_order(labels: Iterable[str], declared: Sequence[str] = ()) -> list[str]:
    """One order for policies everywhere: as a sweep declares them, then the scripted ones in
    ``KNOWN`` order (sequential first, the faulty ones after), then the rest by name."""
    seen = list(dict.fromkeys(labels))
    first = [p for p in declared if p in seen]
    rest = [p for p in seen if p not in first]
    return first + sorted(rest, key=lambda p: (KNOWN.get(p, len(KNOWN)), p))


def faulty_note(policy: str) -> str | None:
    """What a faulty-on-purpose policy gets wrong (its class's ``faulty``), or None."""
    from simtool import registry

    try:
        cls = registry.load("policy", policy)
    except SimtoolError:
        return None
    note = getattr(cls, "faulty", None)
    return note if isinstance(note, str) and note else None


class Palette:
    """A colour per policy label: the scripted policies' own, then the free ones in order of asking."""

    def __init__(self) -> None:
        self._given: dict[str, str] = {}

    def __call__(self, label: str) -> str:
        if label not in self._given:
            if label in KNOWN:
                self._given[label] = POLICY_COLOURS[KNOWN[label]]
            else:
                free = [c for i, c in enumerate(POLICY_COLOURS) if i not in KNOWN.values() and c not in self._given.values()]
                self._given[label] = free[0] if free else POLICY_COLOURS[len(self._given) % len(POLICY_COLOURS)]
        return self._given[label]


def new_figure(width: float = 8.0, height: float = 4.8) -> Figure:
    """A figure with constrained layout (titles, labels and legends never overlap)."""
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as PNG or SVG (by suffix), creating the folder; returns the path."""
    target = Path(path)
    kind = target.suffix.lstrip(".").lower()
    if kind not in FORMATS:
        raise SimtoolError(f"{target}: a plot is written as .png or .svg (found '{target.suffix or 'no suffix'}')")
    target.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"Date": None, "Creator": None} if kind == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "simtool", "svg.fonttype": "none"}):
        figure.savefig(target, format=kind, metadata=metadata)
    return target
