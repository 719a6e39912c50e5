"""A small JSON-Schema subset: checking a schema, then listing every way data breaks it.

Keywords: ``type`` (a name or a list of names: object, array, string, integer, number,
boolean, null), ``properties``, ``required``, ``additionalProperties`` (boolean), ``items``,
``minItems``, ``maxItems``, ``enum``, ``minimum``, ``maximum``, ``minLength``, ``maxLength``,
``pattern`` (Python regex, searched). Unknown keywords are a schema error, so a typo never
silently passes everything. Error paths read ``$``, ``$.field``, ``$[0].field``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simtool.service import json_type

__all__ = ["KEYWORDS", "TYPES", "check_schema", "validate"]

TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
KEYWORDS = (
    "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "description", "title",
)


def check_schema(schema: Any, path: str = "schema") -> str | None:
    """Why ``schema`` is not a usable schema of this subset, or None."""
    if not isinstance(schema, Mapping):
        return f"{path} must be an object."
    unknown = sorted(set(schema) - set(KEYWORDS))
    if unknown:
        return f"{path}: unknown schema keyword '{unknown[0]}'."
    types = schema.get("type")
    names = types if isinstance(types, list) else [types] if types is not None else []
    bad = [t for t in names if t not in TYPES]
    if bad:
        return f"{path}: unknown type {bad[0]!r}; expected one of: {', '.join(TYPES)}."
    for name, inner in (schema.get("properties") or {}).items():
        problem = check_schema(inner, f"{path}.properties.{name}")
        if problem:
            return problem
    if "items" in schema:
        problem = check_schema(schema["items"], f"{path}.items")
        if problem:
            return problem
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except (re.error, TypeError) as exc:
            return f"{path}: invalid pattern: {exc}."
    return None


def _type_ok(value: Any, wanted: Any) -> bool:
    names = wanted if isinstance(wanted, list) else [wanted]
    kind = json_type(value)
    return kind in names or (kind == "integer" and "number" in names)


def validate(data: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every violation, in document order (an empty list means valid)."""
    if "type" in schema and not _type_ok(data, schema["type"]):
        wanted = schema["type"] if isinstance(schema["type"], str) else " or ".join(schema["type"])
        return [f"{path}: expected {wanted}, found {json_type(data)}."]
    errors: list[str] = []
    if "enum" in schema and data not in schema["enum"]:
        errors.append(f"{path}: {data!r} is not one of {schema['enum']!r}.")
    if isinstance(data, Mapping):
        for name in schema.get("required") or []:
            if name not in data:
                errors.append(f"{path}: missing required field '{name}'.")
        properties = schema.get("properties") or {}
        for name, value in data.items():
            if name in properties:
                errors.extend(validate(value, properties[name], f"{path}.{name}"))
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected field '{name}'.")
    elif isinstance(data, list):
        if "minItems" in schema and len(data) < schema["minItems"]:
            errors.append(f"{path}: {len(data)} items, fewer than the minimum {schema['minItems']}.")
        if "maxItems" in schema and len(data) > schema["maxItems"]:
            errors.append(f"{path}: {len(data)} items, more than the maximum {schema['maxItems']}.")
        if "items" in schema:
            for index, value in enumerate(data):
                errors.extend(validate(value, schema["items"], f"{path}[{index}]"))
    elif isinstance(data, str):
        if "minLength" in schema and len(data) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']} characters.")
        if "maxLength" in schema and len(data) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']} characters.")
        if "pattern" in schema and not re.search(schema["pattern"], data):
            errors.append(f"{path}: {data!r} does not match pattern {schema['pattern']!r}.")
    elif json_type(data) in ("integer", "number"):
        if "minimum" in schema and data < schema["minimum"]:
            errors.append(f"{path}: {data} is less than the minimum {schema['minimum']}.")
        if "maximum" in schema and data > schema["maximum"]:
            errors.append(f"{path}: {data} is greater than the maximum {schema['maximum']}.")
    return errors
