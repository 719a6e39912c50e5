"""The table of invariants: named checks over a trace, registered by decorator, one name each.

An invariant is a function ``History -> list[Offence]`` (or of the offending events) under a
unique name. ``@defines_invariant(name)`` adds one to the table and refuses a name that is
already there, so two checks can never answer to one name: a narrower variant of a check
gets a name of its own. Each entry says where it is reported:

- ``scored``: counted in every score's ``violations`` (``simtool score``, sweep rows);
- ``hunted``: checked by ``simtool hunt`` when no ``--invariant`` is given.

The score's checks live in ``tests.scoring.oracle.violations``, the hunt's narrower ones in
``simtool.hunting.invariants``; a user's own is added with ``register_invariant`` (scored and
hunted) or declared in the ``simtool.invariants`` entry point group (hunted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from attrs import frozen

from simtool.errors import SpecError

__all__ = [
    "Check",
    "Invariant",
    "defines_invariant",
    "register_invariant",
    "unregister_invariant",
    "invariant_table",
    "invariants",
    "scored_names",
    "hunted_names",
    "short_label",
    "family",
]

Check = Callable[[Any], Sequence[Any]]  # History -> Offence records or offending events
C = TypeVar("C", bound=Callable[..., Any])


@frozen
class Invariant:
    """One entry of the table."""

    name: str
    check: Check
    short: str  # a few words, for tables (``out-of-order``)
    scored: bool
    hunted: bool
    narrows: str | None = None  # the check this one is a narrower variant of (same offence shape)

    @property
    def family(self) -> str:
        """The name whose offences this one's look like: ``narrows``, else its own."""
        return self.narrows or self.name

    @property
    def doc(self) -> str:
        """The first line of the check's docstring."""
        lines = (self.check.__doc__ or "").strip().splitlines()
        return lines[0] if lines else ""


_TABLE: dict[str, Invariant] = {}


def _add(entry: Invariant, *, replace: bool = False) -> None:
    if not entry.name or not isinstance(entry.name, str):
        raise SpecError("an invariant needs a name", key="invariant", expected="a non-empty string", found=entry.name)
    if entry.name in _TABLE and not replace:
        raise SpecError("an invariant of that name is already registered (pass replace=True to replace it)",
                        key=entry.name, expected="a new name", found=entry.name)
    _TABLE[entry.name] = entry


def defines_invariant(name: str, *, short: str | None = None, scored: bool = True, hunted: bool = True,
                      narrows: str | None = None) -> Callable[[C], C]:
    """Decorator: register the function under ``name``; a name already registered is refused.

    ``short`` is the label in tables (default: the name with spaces); ``scored`` and ``hunted``
    say where it is reported (see the module docstring); ``narrows`` names the check whose
    offences this one keeps a subset of (a hunt signs them alike).
    """

    def register(check: C) -> C:
        _add(Invariant(name, check, short or name.replace("_", " "), scored, hunted, narrows))
        return check

    return register


def register_invariant(name: str, check: Check, *, replace: bool = False, short: str | None = None,
                       scored: bool = True, hunted: bool = True) -> None:
    """Add a named check (``History -> list[Offence]``); scores and hunts then report it too.

    A name already registered is refused unless ``replace`` is given.
    """
    _add(Invariant(name, check, short or name.replace("_", " "), scored, hunted), replace=replace)


def unregister_invariant(name: str) -> None:
    """Remove a user's check (tests, notebooks); an unknown name is ignored."""
    _TABLE.pop(name, None)


def invariant_table() -> tuple[Invariant, ...]:
    """Every entry, in registration order (the score's built-in checks first)."""
    return tuple(_TABLE.values())


def invariants() -> dict[str, Check]:
    """Every registered check by name, in registration order."""
    return {name: entry.check for name, entry in _TABLE.items()}


def scored_names() -> tuple[str, ...]:
    """What a score counts: the scored entries, in registration order."""
    return tuple(name for name, entry in _TABLE.items() if entry.scored)


def hunted_names() -> tuple[str, ...]:
    """What a hunt checks by default (entry points aside): the hunted entries, in registration order."""
    return tuple(name for name, entry in _TABLE.items() if entry.hunted)


def family(name: str) -> str:
    """The check whose offences ``name``'s look like (its own name when it narrows none or is unknown)."""
    return _TABLE[name].family if name in _TABLE else name


def short_label(name: str) -> str:
    """The table label of an invariant (its name with spaces when it is not registered)."""
    return _TABLE[name].short if name in _TABLE else name.replace("_", " ")
