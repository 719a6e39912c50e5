"""Dotted paths into plain data: ``"orders.0.total"``; a digit step indexes a list, ``""`` is the whole.

Setting a value may create a missing final key of an object or append to a list with the
step ``-``; every earlier step must already exist. Keys that contain a dot cannot be addressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["get_path", "set_path", "remove_path"]


def _steps(path: str) -> list[str]:
    return path.split(".") if path else []


def _step_into(current: Any, step: str, where: str) -> tuple[Any, str | None]:
    if isinstance(current, Mapping):
        if step not in current:
            return None, f"Path '{where}' does not exist."
        return current[step], None
    if isinstance(current, list):
        if not step.isdigit() or int(step) >= len(current):
            return None, f"Path '{where}' does not exist (list index out of range or not a number)."
        return current[int(step)], None
    return None, f"Path '{where}' does not exist (cannot step into a {type(current).__name__})."


def get_path(data: Any, path: str) -> tuple[Any, str | None]:
    current = data
    steps = _steps(path)
    for n, step in enumerate(steps):
        current, problem = _step_into(current, step, ".".join(steps[: n + 1]))
        if problem:
            return None, problem
    return current, None


def set_path(data: Any, path: str, value: Any) -> tuple[Any, str | None]:
    """``(new data, None)`` (``data`` changed in place, or ``value`` itself for ``""``) or ``(None, error)``."""
    steps = _steps(path)
    if not steps:
        return value, None
    parent, problem = get_path(data, ".".join(steps[:-1]))
    if problem:
        return None, problem
    last = steps[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) < len(parent):
            parent[int(last)] = value
        else:
            return None, f"Path '{path}' does not exist (use '-' as the last step to append)."
    else:
        return None, f"Path '{path}' does not exist (its parent is not an object or list)."
    return data, None


def remove_path(data: Any, path: str) -> tuple[Any, str | None]:
    """``(removed value, None)`` or ``(None, error)``; the whole document cannot be removed."""
    steps = _steps(path)
    if not steps:
        return None, "Cannot remove the whole document."
    parent, problem = get_path(data, ".".join(steps[:-1]))
    if problem:
        return None, problem
    value, problem = _step_into(parent, steps[-1], path)
    if problem:
        return None, problem
    if isinstance(parent, dict):
        del parent[steps[-1]]
    else:
        del parent[int(steps[-1])]
    return value, None
