"""Text cells (CSV fields, XML text) to and from plain scalars.

Inference is deliberately narrow: ``true``/``false``, integers without leading zeros, plain
decimals, and the empty cell as null. Anything else stays text, so ``"007"`` (a code) and
``"2024-05-01"`` (a date) survive a round trip unchanged.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["infer", "cell"]

_INT = re.compile(r"-?(?:0|[1-9]\d*)")
_FLOAT = re.compile(r"-?(?:0|[1-9]\d*)\.\d+(?:[eE][-+]?\d+)?")


def infer(text: str | None) -> Any:
    if text is None or text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def cell(value: Any) -> str:
    """A scalar as text: null as empty, booleans as ``true``/``false``, numbers as Python prints them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
