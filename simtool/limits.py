"""Caps on the work a small file can ask for: a world's horizon, its fault events, its
decisions, and the length of a run's trace.

The defaults are far above anything the shipped worlds and suites need, and far below what
would take a machine down. Raise one with ``--limit NAME=N`` (``simtool run``, ``replay``,
``sweep``) or, for every command, the environment variable ``SIMTOOL_LIMITS``
(``"horizon_ms=864000000,trace_lines=20000000"``); the command line wins.
"""

from __future__ import annotations

import contextvars
import functools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from attrs import evolve, fields, frozen

from simtool.errors import SpecError

__all__ = ["Limits", "current_limits", "limits_in_force", "parse_limits", "ENV_VAR"]

ENV_VAR = "SIMTOOL_LIMITS"


@frozen
class Limits:
    """The caps in force (each a whole number >= 1)."""

    horizon_ms: int = 7 * 24 * 3_600_000  # a week of simulated time
    fault_events: int = 100_000  # scheduled faults plus every process's max_count
    max_decisions: int = 1_000_000
    trace_lines: int = 5_000_000

    def hint(self, name: str) -> str:
        """How to raise cap ``name``: the words every cap error ends with."""
        return f"raise the cap with --limit {name}=N (or {ENV_VAR}={name}=N)"


def parse_limits(items: Sequence[str], base: Limits | None = None, *, source: str = "--limit") -> Limits:
    """``base`` (default: the defaults) with ``NAME=N`` items applied; errors name the item."""
    out = base or Limits()
    names = [f.name for f in fields(Limits)]
    for item in items:
        item = item.strip()
        if not item:
            continue
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in names:
            raise SpecError("unknown cap", key=source, expected=" | ".join(f"{n}=N" for n in names), found=item)
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            value = 0
        if value < 1:
            raise SpecError("a cap is a whole number >= 1", key=f"{source} {name}", expected="an integer >= 1", found=text)
        out = evolve(out, **{name: value})
    return out


def _from_environment() -> Limits:
    return _environment_limits(os.environ.get(ENV_VAR, ""))


@functools.lru_cache(maxsize=16)
def _environment_limits(text: str) -> Limits:
    """The caps the environment's text sets, parsed once per text (a run asks several times;
    limits are immutable; a text in error raises every time, since errors are not cached)."""
    return parse_limits(text.split(","), source=ENV_VAR)


_override: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("simtool_limits", default=None)


def current_limits() -> Limits:
    """The caps in force: those of :func:`limits_in_force`, else the environment's, else the defaults."""
    given = _override.get()
    return given if given is not None else _from_environment()


@contextmanager
def limits_in_force(items: Sequence[str]) -> Iterator[Limits]:
    """Apply ``--limit`` items (over the environment's) while the block runs."""
    limits = parse_limits(items, _from_environment())
    token = _override.set(limits)
    try:
        yield limits
    finally:
        _override.reset(token)
