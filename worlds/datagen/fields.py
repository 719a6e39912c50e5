"""Field specs of generated datasets: checking them and drawing one record from them.

A spec maps field name -> ``{"type": ..., <options>}``; fields are drawn in spec order, so a
dataset's content depends only on its stream and its spec. ``normalize_spec`` fills in every
default, so the stored spec alone says how more records of the dataset are drawn.

| type | options (defaults) |
| --- | --- |
| name, first_name, last_name | none |
| email | ``domain`` ("example.com"), ``from`` (an earlier name field: address derived, no draw) |
| id | ``prefix`` ("") |
| date | ``start`` ("2024-01-01"), ``end`` ("2024-12-31"), ISO dates, inclusive |
| integer | ``min`` (0), ``max`` (100), inclusive |
| float | ``min`` (0.0), ``max`` (1.0), ``decimals`` (2) |
| choice | ``options`` (required, non-empty list), ``weights`` (null: uniform) |
| boolean | ``probability`` (0.5) of true |
| sequence | ``start`` (1), ``step`` (1), ``prefix`` (null: integers; else strings like "ORD-1") |
| constant | ``value`` (required) |
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from simtool.rng import CounterStream
from worlds.datagen import draws

__all__ = ["FIELD_KINDS", "normalize_spec", "draw_record"]

_NUMBER = (int, float)

# kind -> option -> default; a default of ... marks a required option
FIELD_KINDS: dict[str, dict[str, Any]] = {
    "name": {},
    "first_name": {},
    "last_name": {},
    "email": {"domain": "example.com", "from": None},
    "id": {"prefix": ""},
    "date": {"start": "2024-01-01", "end": "2024-12-31"},
    "integer": {"min": 0, "max": 100},
    "float": {"min": 0.0, "max": 1.0, "decimals": 2},
    "choice": {"options": ..., "weights": None},
    "boolean": {"probability": 0.5},
    "sequence": {"start": 1, "step": 1, "prefix": None},
    "constant": {"value": ...},
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


def _check_field(name: str, spec: Mapping[str, Any], earlier: Mapping[str, Mapping[str, Any]]) -> str | None:
    kind = spec["type"]
    if kind == "email":
        source = spec["from"]
        if source is not None and earlier.get(source, {}).get("type") != "name":
            return f"'from' must name an earlier field of type 'name', got {source!r}"
        if not isinstance(spec["domain"], str) or not spec["domain"]:
            return "'domain' must be a non-empty string"
    elif kind == "date":
        start, end = draws.parse_date(str(spec["start"])), draws.parse_date(str(spec["end"]))
        if start is None or end is None:
            return "'start' and 'end' must be ISO dates (YYYY-MM-DD)"
        if start > end:
            return "'start' must not be after 'end'"
    elif kind == "integer":
        if not (_is_int(spec["min"]) and _is_int(spec["max"])) or spec["min"] > spec["max"]:
            return "'min' and 'max' must be integers with min <= max"
    elif kind == "float":
        if not (_is_number(spec["min"]) and _is_number(spec["max"])) or spec["min"] > spec["max"]:
            return "'min' and 'max' must be numbers with min <= max"
        if not _is_int(spec["decimals"]) or not 0 <= spec["decimals"] <= 10:
            return "'decimals' must be an integer from 0 to 10"
    elif kind == "choice":
        options, weights = spec["options"], spec["weights"]
        if not isinstance(options, list) or not options:
            return "'options' must be a non-empty list"
        if weights is not None and (
            not isinstance(weights, list)
            or len(weights) != len(options)
            or not all(_is_number(w) and w >= 0 for w in weights)
            or sum(weights) <= 0
        ):
            return "'weights' must be one non-negative number per option, not all zero"
    elif kind == "boolean":
        if not _is_number(spec["probability"]) or not 0 <= spec["probability"] <= 1:
            return "'probability' must be a number from 0 to 1"
    elif kind == "sequence":
        if not (_is_int(spec["start"]) and _is_int(spec["step"])):
            return "'start' and 'step' must be integers"
        if spec["prefix"] is not None and not isinstance(spec["prefix"], str):
            return "'prefix' must be a string"
    elif kind == "id" and not isinstance(spec["prefix"], str):
        return "'prefix' must be a string"
    return None


def normalize_spec(fields: Mapping[str, Any]) -> dict[str, dict[str, Any]] | str:
    """The spec with every default filled in, or an error sentence naming the field."""
    if not fields:
        return "The field spec is empty."
    out: dict[str, dict[str, Any]] = {}
    for name, raw in fields.items():
        if isinstance(raw, str):
            raw = {"type": raw}
        if not isinstance(raw, Mapping) or "type" not in raw:
            return f"Field '{name}': a field spec needs a 'type'."
        kind = raw["type"]
        if kind not in FIELD_KINDS:
            return f"Field '{name}': unknown type {kind!r}; expected one of: {', '.join(FIELD_KINDS)}."
        options = FIELD_KINDS[kind]
        unknown = sorted(set(raw) - {"type"} - set(options))
        if unknown:
            allowed = ", ".join(options) or "none"
            return f"Field '{name}': unknown option '{unknown[0]}' for type '{kind}' (allowed: {allowed})."
        missing = [k for k, v in options.items() if v is ... and k not in raw]
        if missing:
            return f"Field '{name}': type '{kind}' needs option '{missing[0]}'."
        spec = {"type": kind, **{k: raw.get(k, v) for k, v in options.items()}}
        problem = _check_field(name, spec, out)
        if problem:
            return f"Field '{name}': {problem}."
        out[name] = spec
    return out


def draw_record(rng: CounterStream, spec: Mapping[str, Mapping[str, Any]], position: int) -> dict[str, Any]:
    """Record number ``position`` (0-based, for sequences) of a dataset, drawn field by field."""
    record: dict[str, Any] = {}
    for name, field in spec.items():
        kind = field["type"]
        if kind == "name":
            value: Any = draws.draw_name(rng)
        elif kind == "first_name":
            value = draws.draw_first_name(rng)
        elif kind == "last_name":
            value = draws.draw_last_name(rng)
        elif kind == "email":
            source = field["from"]
            value = (
                draws.email_from_name(record[source], field["domain"])
                if source is not None
                else draws.draw_email(rng, field["domain"])
            )
        elif kind == "id":
            value = draws.draw_id(rng, field["prefix"])
        elif kind == "date":
            value = draws.draw_date(rng, draws.parse_date(field["start"]), draws.parse_date(field["end"]))
        elif kind == "integer":
            value = draws.draw_integer(rng, field["min"], field["max"])
        elif kind == "float":
            value = draws.draw_float(rng, field["min"], field["max"], field["decimals"])
        elif kind == "choice":
            value = copy.deepcopy(draws.draw_choice(rng, field["options"], field["weights"]))
        elif kind == "boolean":
            value = draws.draw_boolean(rng, field["probability"])
        elif kind == "sequence":
            number = field["start"] + position * field["step"]
            value = number if field["prefix"] is None else f"{field['prefix']}{number}"
        else:  # constant
            value = copy.deepcopy(field["value"])
        record[name] = value
    return record
