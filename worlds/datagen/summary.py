"""Read-only views of a dataset: per-field statistics and text exports (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["summarize", "export", "EXPORT_FORMATS"]

EXPORT_FORMATS = ("csv", "json")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field_summary(values: Sequence[Any]) -> dict[str, Any]:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return {"kind": "boolean", "true": sum(present), "false": len(present) - sum(present)}
    if present and all(_is_number(v) for v in present):
        return {
            "kind": "number",
            "min": min(present),
            "max": max(present),
            "mean": round(sum(present) / len(present), 4),
            "distinct": len(set(present)),
        }
    if present and all(isinstance(v, str) for v in present):
        counts: dict[str, int] = {}
        for v in present:
            counts[v] = counts.get(v, 0) + 1
        # ties go to the value seen first (dicts keep insertion order; max keeps the first maximum)
        top = max(counts, key=lambda v: counts[v])
        return {
            "kind": "string",
            "distinct": len(counts),
            "min": min(present),
            "max": max(present),
            "most_common": top,
            "most_common_count": counts[top],
        }
    return {"kind": "mixed", "present": len(present)}


def summarize(records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> dict[str, Any]:
    """``{field: stats}`` for every field: numbers get min/max/mean, strings distinct/most common."""
    return {name: _field_summary([r.get(name) for r in records]) for name in fields}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def export(records: Sequence[Mapping[str, Any]], fields: Sequence[str], fmt: str) -> str:
    """The records as JSON (a list, 2-space indent) or CSV (header in field order, ``\\n`` line ends)."""
    if fmt == "json":
        return json.dumps(list(records), indent=2, ensure_ascii=False)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for record in records:
        writer.writerow([_cell(record.get(name)) for name in fields])
    return buffer.getvalue()
