"""Selecting, ordering and aggregating records: equality filters, inclusive ranges, stable sorts.

Matching is strict about types so that ``1`` never matches ``True`` and a string bound never
silently compares with a number: a record whose value cannot be compared with a bound does
not match it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from worlds.records.validation import type_name

__all__ = ["AGGREGATES", "aggregate", "check_ranges", "matches", "order"]

AGGREGATES = ("avg", "count", "distinct", "max", "min", "sum")


def _equal(a: Any, b: Any) -> bool:
    kinds = {type_name(a), type_name(b)}
    if len(kinds) > 1 and kinds != {"integer", "number"}:
        return False
    return a == b


def _comparable(a: Any, b: Any) -> bool:
    kinds = {type_name(a), type_name(b)}
    return kinds <= {"integer", "number"} or kinds == {"string"}


def matches(record: Mapping[str, Any], where: Mapping[str, Any], ranges: Mapping[str, Mapping[str, Any]]) -> bool:
    """True when every ``where`` field equals and every ``ranges`` field lies within ``min``/``max``.

    ``where: {field: null}`` also matches a record without the field: the store treats null as
    missing (a required field may be neither), so "no assignee" finds both kinds of record.
    """
    for name, wanted in where.items():
        if wanted is None:
            if record.get(name) is not None:
                return False
        elif name not in record or not _equal(record[name], wanted):
            return False
    for name, bounds in ranges.items():
        value = record.get(name)
        if value is None:
            return False
        low, high = bounds.get("min"), bounds.get("max")
        if low is not None and not (_comparable(value, low) and value >= low):
            return False
        if high is not None and not (_comparable(value, high) and value <= high):
            return False
    return True


def check_ranges(ranges: Mapping[str, Any]) -> str | None:
    """Why a ``ranges`` argument is malformed, or None."""
    for name, bounds in ranges.items():
        if not isinstance(bounds, Mapping) or not bounds or set(bounds) - {"min", "max"}:
            return f"Range for field '{name}' must be an object with 'min' and/or 'max'."
    return None


def order(records: Sequence[Mapping[str, Any]], field: str, descending: bool) -> list[Mapping[str, Any]] | str:
    """Records sorted by ``field`` (records without it last, ties in store order), or an error sentence."""
    present = [r for r in records if r.get(field) is not None]
    missing = [r for r in records if r.get(field) is None]
    kinds = {type_name(r[field]) for r in present}
    if len(kinds) > 1 and kinds != {"integer", "number"}:
        return f"Cannot sort by '{field}': it holds values of different types ({', '.join(sorted(kinds))})."
    if kinds & {"object", "array", "boolean"} and kinds != {"boolean"}:
        return f"Cannot sort by '{field}': its values are not comparable."
    # Python's sort is stable also with reverse=True, so equal keys keep store order
    present.sort(key=lambda r: r[field], reverse=descending)
    return present + missing


def aggregate(values: Sequence[Any], operation: str) -> tuple[Any, str | None]:
    """``(value, None)`` for the operation over non-null ``values``, or ``(None, error)``."""
    if operation == "count":
        return len(values), None
    if operation == "distinct":
        kinds = {type_name(v) for v in values}
        unique: list[Any] = []
        for v in values:
            if not any(_equal(v, u) for u in unique):
                unique.append(v)
        if kinds <= {"integer", "number"} or kinds == {"string"}:
            unique.sort()
        return unique, None
    numeric = all(type_name(v) in ("integer", "number") for v in values)
    if operation in ("sum", "avg"):
        if not values or not numeric:
            return None, f"Operation '{operation}' needs numeric values."
        total = sum(values)
        return (total if operation == "sum" else total / len(values)), None
    if not values:
        return None, f"Operation '{operation}' found no values."
    if not (numeric or all(isinstance(v, str) for v in values)):
        return None, f"Operation '{operation}' needs values of one comparable type."
    return (min(values) if operation == "min" else max(values)), None
