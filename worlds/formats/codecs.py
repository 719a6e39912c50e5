"""One entry point per direction: ``parse(text, format)`` and ``render(data, format)``.

The common form is plain JSON data (objects, lists, strings, numbers, booleans, null); every
format is read into it and written from it, so any conversion is parse-then-render. YAML is
read with ``safe_load`` (its dates become ISO text) and written with ``safe_dump`` and sorted
keys, for byte-stable output.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import yaml

from worlds.formats.csvform import parse_csv, render_csv
from worlds.formats.xmlform import parse_xml, render_xml

__all__ = ["FORMATS", "parse", "render", "check_format"]

FORMATS = ("json", "csv", "yaml", "xml")


def check_format(fmt: str) -> str | None:
    return None if fmt in FORMATS else f"Unknown format '{fmt}'; expected one of: {', '.join(FORMATS)}."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _plain(value: Any) -> Any:
    """YAML's extra scalar types as JSON ones: dates and times to ISO text, keys to strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def parse(text: str, fmt: str, infer_types: bool = True) -> tuple[Any, str | None]:
    """``(data, None)`` or ``(None, error)``. ``infer_types`` applies to CSV and XML text cells."""
    problem = check_format(fmt)
    if problem:
        return None, problem
    if fmt == "json":
        try:
            return json.loads(text, parse_constant=_reject_constant), None
        except json.JSONDecodeError as exc:
            return None, f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        except ValueError as exc:
            return None, f"Invalid JSON: {exc}."
    if fmt == "yaml":
        try:
            return _plain(yaml.safe_load(text)), None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            return None, f"Invalid YAML: {getattr(exc, 'problem', None) or exc}{where}."
    if fmt == "csv":
        return parse_csv(text, infer_types)
    return parse_xml(text, infer_types)


def render(data: Any, fmt: str, indent: int = 2, xml_root: str | None = None) -> tuple[str | None, str | None]:
    """``(text, None)`` or ``(None, error)``; ``indent`` <= 0 means compact where the format allows.
    ``xml_root`` names XML's root element (an edited document keeps its own)."""
    problem = check_format(fmt)
    if problem:
        return None, problem
    if fmt == "json":
        return json.dumps(data, indent=indent if indent > 0 else None, ensure_ascii=False), None
    if fmt == "yaml":
        text = yaml.safe_dump(data, sort_keys=True, allow_unicode=True, default_flow_style=False, indent=max(indent, 2))
        return text, None
    if fmt == "csv":
        return render_csv(data)
    return render_xml(data, indent, xml_root)
