"""Find services, worlds and policies by name through entry points.

Groups: ``simtool.services`` (class name -> Service subclass), ``simtool.worlds`` (name ->
callable returning a world spec mapping, or a path), ``simtool.policies`` (name -> Policy
class). A user's own package plugs in the same way, by declaring entry points.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from simtool.errors import SimtoolError
from simtool.filecache import FileCache, path_version

__all__ = ["names", "load", "service_class", "group_entry_points", "RegistryError"]

GROUPS = {"service": "simtool.services", "world": "simtool.worlds", "policy": "simtool.policies"}


class RegistryError(SimtoolError):
    pass


_cache: dict[tuple[str, str], Any] = {}


_scans = FileCache(limit=16)  # entry points by (group, sys.path version): one scan per installed set


def group_entry_points(group: str) -> dict[str, Any]:
    """Entry points of ``group`` by name, scanned once per ``sys.path`` version per process
    (installing or removing a distribution changes that version, and they are scanned again)."""
    return dict(_scans.get((group, path_version()), lambda: {ep.name: ep for ep in entry_points(group=group)}))


def _eps(kind: str) -> dict[str, Any]:
    return group_entry_points(GROUPS[kind])


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
