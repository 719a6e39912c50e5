"""Reading JSON-lines files (corpora, suites) with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simtool.errors import SpecError
from simtool.paths import check_input

__all__ = ["read_json_lines", "MAX_LINE_BYTES"]

MAX_LINE_BYTES = 64 * 1024 * 1024


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:40]} is too large for a number")
    return value


def read_json_lines(path: str | Path, what: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) of every non-blank line; ``what`` names the file's kind in errors.

    The file must be a regular UTF-8 file; NaN, infinities and numbers too large to be one
    are errors, as is a line longer than ``MAX_LINE_BYTES``.
    """
    p = check_input(path, what)
    try:
        handle = p.open("rb")
    except OSError as exc:
        raise SpecError(f"cannot read the {what}: {exc.strerror}", file=str(p)) from None
    with handle:
        for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1):
            if len(raw) > MAX_LINE_BYTES:
                raise SpecError(f"a line of the {what} is too long", file=str(p), line=number,
                                expected=f"at most {MAX_LINE_BYTES} bytes", found="more")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SpecError(f"the {what} is not UTF-8 text", file=str(p), line=number, expected="UTF-8 text",
                                found=f"byte 0x{raw[exc.start]:02x}") from None
            if not line.strip():
                continue
            try:
                yield number, json.loads(line, parse_constant=_refuse_constant, parse_float=_float)
            except json.JSONDecodeError as exc:
                raise SpecError(f"not a JSON line: {exc.msg}", file=str(p), line=number) from None
            except (ValueError, RecursionError) as exc:
                raise SpecError(f"a value no {what} holds: {exc}", file=str(p), line=number) from None
