"""Policy options: typed attrs records, structured from ``policy.<key>`` values with cattrs.

A policy declares its options as an attrs class (``Policy.Options``): every field typed and
defaulted, with validators (and converters) on the fields. ``structure_options`` is the one
place a given mapping (a world's ``policy:`` section, ``--set policy.<key>=...``, a trace
header) becomes that record:

- an unknown key, a value of the wrong type (checked strictly: ``true`` is not an integer,
  ``"3"`` is not a number) or a value a validator refuses is a ``SpecError`` naming
  ``policy.<key>``, what was expected and what was found;
- an integer given for a ``float`` field becomes a float, as the trace header records it.

The record is read as attributes (``self.options.think``); a changed copy is made with
``attrs.evolve`` (which runs the validators again); the trace header records
``attrs.asdict(record)``. The validators here (``at_least``, ``one_of``, ``think_spec``)
raise ``SpecError`` themselves, so a policy's own options name their key the same way.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import attrs
from attrs import field, frozen
from cattrs import ClassValidationError, Converter

from simtool.errors import SpecError
from simtool.latency import parse_distribution

__all__ = [
    "ThinkOptions",
    "structure_options",
    "resolve_options",
    "options_problems",
    "at_least",
    "one_of",
    "think_spec",
]

T = TypeVar("T")


class _WrongType(Exception):
    """A value of the wrong type for a field; ``expected`` says what would do."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _strict(check: Callable[[Any], bool], expected: str, cast: Callable[[Any], Any] | None = None) -> Callable[[Any, type], Any]:
    def hook(value: Any, _type: type) -> Any:
        if not check(value):
            raise _WrongType(expected)
        return cast(value) if cast is not None else value

    return hook


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_converter = Converter(detailed_validation=True)
_converter.register_structure_hook(bool, _strict(lambda v: isinstance(v, bool), "true or false"))
_converter.register_structure_hook(int, _strict(_is_int, "an integer"))
_converter.register_structure_hook(float, _strict(_is_number, "a number", float))
_converter.register_structure_hook(str, _strict(lambda v: isinstance(v, str), "a string"))


def _expected_of(exc: BaseException, annotation: Any) -> str:
    if isinstance(exc, _WrongType):
        return exc.expected + (" or null" if _optional(annotation) and "null" not in exc.expected else "")
    return f"a value of type {getattr(annotation, '__name__', annotation)}"


def _optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation) or "None" in str(annotation)


def _first_failure(exc: BaseException) -> tuple[str | None, BaseException]:
    """The attribute a cattrs validation error is about, and the innermost exception."""
    if isinstance(exc, ClassValidationError):
        for inner in exc.exceptions:
            for note in getattr(inner, "__notes__", ()):
                name = getattr(note, "name", None)
                if name is not None:
                    _, innermost = _first_failure(inner)
                    return name, innermost
            return _first_failure(inner)
    inner_group = getattr(exc, "exceptions", None)  # any other exception group: its first member
    if inner_group:
        return _first_failure(inner_group[0])
    return None, exc


def structure_options(cls: type[T], given: Mapping[str, Any] | None = None) -> T:
    """The options record of class ``cls`` from ``policy.<key>`` values; defaults fill the rest.

    Errors (unknown key, wrong type, a value a validator refuses) are ``SpecError`` naming
    ``policy.<key>``. ``cls`` must be an attrs class whose every field has a default.
    """
    problems = options_problems(cls)
    if problems:
        raise SpecError(f"the policy's Options class cannot hold options: {problems[0]}", key="policy",
                        expected="an attrs class whose every field has a default", found=getattr(cls, "__name__", cls))
    given = dict(given or {})
    known = {f.name: f for f in attrs.fields(cls)}
    for key in given:
        if key not in known:
            raise SpecError("unknown policy option", key=f"policy.{key}", expected=" | ".join(sorted(known)) or "no options", found=key)
    try:
        return _converter.structure(given, cls)
    except SpecError:
        raise
    except ClassValidationError as exc:
        name, inner = _first_failure(exc)
        if isinstance(inner, SpecError):
            raise inner from None
        if name is None or name not in known:
            raise SpecError(f"the policy options are not valid: {inner}", key="policy", expected=cls.__name__, found=given) from None
        raise SpecError("wrong type", key=f"policy.{name}", expected=_expected_of(inner, known[name].type),
                        found=given.get(name)) from None
    except (TypeError, ValueError) as exc:  # a user's own attrs validator (attrs.validators.ge, ...)
        raise SpecError(f"a policy option is out of range: {exc}", key="policy", expected=f"values {cls.__name__} accepts",
                        found=given) from None


def resolve_options(cls: type, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The options as the trace header records them (every default filled): ``asdict`` of the record."""
    return attrs.asdict(structure_options(cls, given))


def options_problems(cls: Any) -> list[str]:
    """Why ``cls`` cannot be a policy's ``Options`` class (empty when it can), one line each."""
    if not (isinstance(cls, type) and attrs.has(cls)):
        return [f"{getattr(cls, '__name__', repr(cls))} is not an attrs class (declare it with @attrs.frozen)"]
    return [f"field '{f.name}' of {cls.__name__} has no default (every option needs one)"
            for f in attrs.fields(cls) if f.default is attrs.NOTHING]


# ------------------------------------------------------------------ validators
def at_least(low: float) -> Callable[[Any, attrs.Attribute, Any], None]:
    """Validator: the value (unless null) is ``>= low``."""

    def check(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value is not None and value < low:
            raise SpecError("out of range", key=f"policy.{attribute.name}", expected=f">= {low}", found=value)

    return check


def one_of(allowed: Collection[str]) -> Callable[[Any, attrs.Attribute, Any], None]:
    """Validator: the value is one of ``allowed``."""
    choices = tuple(allowed)

    def check(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value not in choices:
            raise SpecError("unknown value", key=f"policy.{attribute.name}", expected=" | ".join(choices), found=value)

    return check


def think_spec(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """Validator: the value is a latency spec (a number of ms or ``{dist: ...}``), as ``think`` is."""
    try:
        parse_distribution(value, None, ("policy", attribute.name))
    except SpecError as exc:
        raise SpecError(exc.detail, key=f"policy.{attribute.name}", expected=exc.expected, found=exc.found) from None


@frozen
class ThinkOptions:
    """The default options: ``think``, the think time per decision (a latency spec, ms)."""

    think: Any = field(default=0, validator=think_spec)
