"""Find services, worlds and policies by name through entry points.

Groups: ``simtool.services`` (class name -> Service subclass), ``simtool.worlds`` (name ->
callable returning a world spec mapping, or a path), ``simtool.policies`` (name -> Policy
class). A user's own package plugs in the same way, by declaring entry points.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from simtool.errors import SimtoolError

__all__ = ["names", "load", "service_class", "RegistryError"]

GROUPS = {"service": "simtool.services", "world": "simtool.worlds", "policy": "simtool.policies"}


class RegistryError(SimtoolError):
    pass


_cache: dict[tuple[str, str], Any] = {}


def _eps(kind: str) -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUPS[kind])}


def names(kind: str) -> list[str]:
    """Registered names of a kind (``service``, ``world``, ``policy``), sorted."""
    return sorted(_eps(kind))


def load(kind: str, name: str) -> Any:
    """The object registered under ``name``; a clear error lists the known names."""
    key = (kind, name)
    if key in _cache:
        return _cache[key]
    eps = _eps(kind)
    if name not in eps:
        raise RegistryError(f"unknown {kind} '{name}' (registered: {', '.join(sorted(eps)) or 'none'})")
    try:
        obj = eps[name].load()
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"{kind} '{name}' is registered as {eps[name].value} but cannot be loaded: {exc}") from None
    _cache[key] = obj
    return obj


def service_class(name: str) -> Any:
    return load("service", name)
