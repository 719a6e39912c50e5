"""Per-process caches of what is read from files, keyed by each file's version.

A world load reads YAML (the world, its latency profile) and scans entry points; a sweep or
a hunt loads the same world hundreds of times. These caches keep the parsed result per
process, keyed by the file's *version* (resolved path, modification time in ns, size), so
that a changed file is read again; callers hand out deep copies, so a cached value is never
changed by whoever uses it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["file_version", "files_version", "path_version", "FileCache"]

T = TypeVar("T")


def file_version(path: str | Path) -> tuple[str, int, int]:
    """(absolute path, mtime in ns, size): changes whenever the file is rewritten. Raises OSError."""
    stat = os.stat(path)
    return os.path.abspath(path), stat.st_mtime_ns, stat.st_size


def files_version(paths: Iterable[str | Path]) -> tuple[tuple[str, int, int], ...]:
    """The versions of several files (sorted by path), e.g. every profile a profile may extend."""
    return tuple(sorted(file_version(p) for p in paths))


def path_version() -> tuple[tuple[str, int], ...]:
    """``sys.path`` and each entry's mtime: installing or removing a distribution changes it
    (its ``.dist-info`` folder appears in or leaves a ``sys.path`` folder), so entry points
    scanned under one version are still valid while it holds."""
    out = []
    for entry in sys.path:
        try:
            mtime = os.stat(entry or ".").st_mtime_ns
        except OSError:
            mtime = -1
        out.append((entry, mtime))
    return tuple(out)


class FileCache:
    """A small cache: ``get(key, make)`` returns the value made for ``key``, making it once.

    ``limit`` bounds the number of entries kept (the oldest goes first), so a long process
    reading many file versions does not grow without bound.
    """

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self._values: dict[Hashable, Any] = {}

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The cached value of ``key``, or ``make()`` (kept only when it returns without raising)."""
        if key in self._values:
            return self._values[key]
        value = make()
        if len(self._values) >= self.limit:
            self._values.pop(next(iter(self._values)))
        self._values[key] = value
        return value

    def clear(self) -> None:
        """Forget every entry (tests compare cached and uncached loads)."""
        self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
