"""Field rules of a collection: required fields and declared field types.

A collection may declare ``required_fields`` (present and not null) and ``field_types``
(field -> one of ``FIELD_TYPES``). Undeclared fields are accepted as they are, as in a
document store. Checks return an error sentence or None, so the service can wrap it in
``{"error": ...}`` without exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simtool.service import json_type

__all__ = ["FIELD_TYPES", "type_name", "check_rules", "check_record"]

type_name = json_type  # the field type a JSON value has (``null`` for None)

FIELD_TYPES = ("array", "boolean", "integer", "number", "object", "string")


def _fits(value: Any, declared: str) -> bool:
    found = type_name(value)
    # an integer is also a number; a boolean is never an integer
    return found == declared or (declared == "number" and found == "integer")


def check_rules(required_fields: Sequence[str], field_types: Mapping[str, str]) -> str | None:
    """Why a collection's declared rules are unusable, or None."""
    for name, declared in field_types.items():
        if declared not in FIELD_TYPES:
            return f"Unknown field type '{declared}' for field '{name}'; expected one of: {', '.join(FIELD_TYPES)}."
    if "id" in required_fields or "id" in field_types:
        return "Field 'id' is assigned by the store and cannot be declared."
    if len(set(required_fields)) != len(required_fields):
        return "Required fields must not repeat."
    return None


def check_record(record: Mapping[str, Any], required_fields: Sequence[str], field_types: Mapping[str, str]) -> str | None:
    """Why ``record`` breaks the collection's rules, or None. Null counts as missing."""
    for name in required_fields:
        if record.get(name) is None:
            return f"Missing required field '{name}'."
    for name, declared in field_types.items():
        value = record.get(name)
        if value is not None and not _fits(value, declared):
            return f"Field '{name}' must be {declared}, got {type_name(value)}."
    return None
