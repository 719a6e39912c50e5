"""Minimal differences of two JSON-like values: the differing leaves, each with its path.

Used wherever two states or configs are compared for a reader: an answer's expected against
found state (``simtool explain``), two traces' headers (``simtool diff``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

__all__ = ["Difference", "differences"]


@frozen
class Difference:
    """One differing leaf of two values: ``path`` like ``TicketAPI.ticket_queue[0].status``.

    ``expected``/``found``: the first and the second value there (the gold and the run's
    state; trace A's and trace B's header); ``missing`` says which side lacks the path
    (``expected``: only the second has it; ``found``: only the first has it), else None.
    """

    path: str
    expected: Any = None
    found: Any = None
    missing: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "expected": self.expected, "found": self.found, "missing": self.missing}


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def differences(expected: Any, found: Any, path: str = "", limit: int | None = None) -> list[Difference]:
    """The minimal differing leaves of two JSON-like values, at most ``limit`` (dict keys sorted).

    Dicts compare key by key, lists item by item (the items past the shorter list are missing
    on one side: an appended item is one difference); anything else is one difference at
    ``path``. A key at the top of an empty ``path`` is written bare (``seed``, not ``.seed``).
    """
    out: list[Difference] = []
    _walk(expected, found, path, out, limit if limit is not None else 1 << 62)
    return out


def _walk(a: Any, b: Any, path: str, out: list[Difference], limit: int) -> None:
    if len(out) >= limit or a == b:
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                out.append(Difference(_join(path, key), a[key], None, "found"))
            elif key not in a:
                out.append(Difference(_join(path, key), None, b[key], "expected"))
            else:
                _walk(a[key], b[key], _join(path, key), out, limit)
            if len(out) >= limit:
                return
        return
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, _join(path, i), out, limit)
        for i in range(len(b), len(a)):  # items only the first has
            if len(out) >= limit:
                return
            out.append(Difference(_join(path, i), a[i], None, "found"))
        for i in range(len(a), len(b)):  # items only the second has
            if len(out) >= limit:
                return
            out.append(Difference(_join(path, i), None, b[i], "expected"))
        return
    out.append(Difference(path, a, b))
