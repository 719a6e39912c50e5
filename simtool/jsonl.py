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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from simtool.errors import SpecError
from simtool.paths import check_input

__all__ = ["loads", "loads_lines", "read_json_lines", "MAX_LINE_BYTES"]

_DIGITS = bytes(48 if 48 <= i < 58 else 32 for i in range(256))  # every ASCII digit as "0", every other byte as " "
_LONG = b"0" * 19  # a run of 19 digits (JSON numbers are ASCII digits only)
_orjson_loads = orjson.loads
_json_loads = json.loads


def loads(line: str | bytes, *, strict: bool = False) -> Any:
    """One JSON value, exactly as ``json.loads`` reads it (raises ``json.JSONDecodeError`` likewise).

    ``strict``: a NaN, an infinity or a number too large for a float is refused (``ValueError``)
    instead of read, as untrusted files must be (orjson refuses them too, so they reach the
    standard reader, which then refuses them)."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
    if _LONG not in raw.translate(_DIGITS):  # several times faster than a regular expression
        try:
            return _orjson_loads(line)
        except orjson.JSONDecodeError:
            pass
    if strict:
        return _json_loads(line, parse_constant=_refuse_constant, parse_float=_float)
    return _json_loads(line)


def loads_lines(lines: Sequence[str]) -> list[Any]:
    """``[loads(line) for line in lines]`` for lines a trace writer wrote (one JSON object a line,
    no blank line), read in one orjson call when that gives the same values.

    Joined as the items of one JSON array, the lines read as they do one by one, provided each
    holds exactly one value: true of a writer's lines, so this is for lines held in memory
    (``RunResult.lines``), not for files. When the joined text has a long digit run or orjson
    refuses it, or the count of values is not the count of lines, the lines are read one by one.
    """
    if not lines:
        return []
    raw = ",".join(lines).encode("utf-8", "surrogatepass")
    if _LONG not in raw.translate(_DIGITS):
        try:
            values = _orjson_loads(b"[" + raw + b"]")
        except orjson.JSONDecodeError:
            pass
        else:
            if len(values) == len(lines):
                return values  # type: ignore[no-any-return]
    return [loads(line) for line in lines]


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
                yield number, loads(line, strict=True)
            except json.JSONDecodeError as exc:
                raise SpecError(f"not a JSON line: {exc.msg}", file=str(p), line=number) from None
            except (ValueError, RecursionError) as exc:
                raise SpecError(f"a value no {what} holds: {exc}", file=str(p), line=number) from None
