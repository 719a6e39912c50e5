"""Reading JSON-lines files (corpora, suites) with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simtool.errors import SpecError

__all__ = ["read_json_lines"]


def read_json_lines(path: str | Path, what: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) of every non-blank line; ``what`` names the file's kind in errors."""
    p = Path(path)
    try:
        handle = p.open(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the {what}: {exc.strerror}", file=str(p)) from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise SpecError(f"not a JSON line: {exc.msg}", file=str(p), line=number) from None
