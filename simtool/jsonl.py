"""Reading JSON lines (traces, corpora, suites) at orjson's speed, exactly, with errors that
name the file and line.

orjson parses a line several times faster than the standard library, but it turns an integer
beyond 64 bits into a float, and refuses what the standard library accepts (NaN, lone
surrogates). :func:`loads` therefore hands orjson only lines without a run of 19 or more
digits (every integer orjson reads exactly has at most 19 digits, and a line with a longer run
is rare), and hands the standard library every other line and every line orjson refuses: the
values are always those ``json.loads`` gives, and so are the errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from simtool.errors import SpecError

__all__ = ["loads", "read_json_lines"]

_DIGITS = bytes(48 if 48 <= i < 58 else 32 for i in range(256))  # every ASCII digit as "0", every other byte as " "
_LONG = b"0" * 19  # a run of 19 digits (JSON numbers are ASCII digits only)
_orjson_loads = orjson.loads
_json_loads = json.loads


def loads(line: str | bytes) -> Any:
    """One JSON value, exactly as ``json.loads`` reads it (raises ``json.JSONDecodeError`` likewise)."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
    if _LONG not in raw.translate(_DIGITS):  # several times faster than a regular expression
        try:
            return _orjson_loads(line)
        except orjson.JSONDecodeError:
            pass
    return _json_loads(line)


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
                yield number, loads(line)
            except json.JSONDecodeError as exc:
                raise SpecError(f"not a JSON line: {exc.msg}", file=str(p), line=number) from None
