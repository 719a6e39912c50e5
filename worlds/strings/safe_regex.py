"""Regular expressions that cannot hang: the strings tools run patterns on RE2 (linear time in
the text, whatever the pattern), with bounded pattern and text lengths.

A pattern is first checked by Python's ``re`` (so an invalid pattern gets the message it
always got), then compiled for RE2 with Python's meaning of the shorthand classes: ``\\w``,
``\\d`` and ``\\s`` match Unicode letters, digits and spaces as in ``re`` (RE2's own are
ASCII). What RE2 cannot do in linear time (backreferences, lookaround) is refused with a
clear error instead of being run with backtracking.
"""

from __future__ import annotations

import re
from typing import Any

import re2

__all__ = ["SafePattern", "compile_safe", "MAX_PATTERN", "MAX_TEXT"]

MAX_PATTERN = 1_000  # characters of a pattern
MAX_TEXT = 100_000  # characters of the text a pattern runs on

_CLASSES = {"w": r"\p{L}\p{N}_", "d": r"\p{Nd}", "s": r"\s\x{1c}-\x{1f}\x{85}\x{a0}\p{Z}"}
_NEGATED = {"W": "w", "D": "d", "S": "s"}


def _unicode_classes(pattern: str) -> str:
    """``pattern`` with ``\\w \\d \\s`` (and their negations outside brackets) spelled as RE2 Unicode classes."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _CLASSES:
                out.append(_CLASSES[nxt] if in_class else f"[{_CLASSES[nxt]}]")
            elif nxt in _NEGATED and not in_class:
                out.append(f"[^{_CLASSES[_NEGATED[nxt]]}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            i += 1
            if i < len(pattern) and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < len(pattern) and pattern[i] == "]":  # a literal ] first in a class
                out.append("\\]")
                i += 1
            continue
        if c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


class SafePattern:
    """A compiled pattern: ``finditer`` and ``subn`` as in ``re``, in time linear in the text."""

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled

    def finditer(self, text: str) -> Any:
        return self._compiled.finditer(text)

    def subn(self, replacement: str, text: str, count: int = 0) -> tuple[str, int]:
        return self._compiled.subn(replacement, text, count=count)  # type: ignore[no-any-return]


def compile_safe(pattern: str, ignore_case: bool = False, multiline: bool = False) -> SafePattern | str:
    """The pattern ready to run, or the error text a tool returns."""
    if len(pattern) > MAX_PATTERN:
        return f"The pattern is too long ({len(pattern)} characters; at most {MAX_PATTERN})."
    flags = (re.IGNORECASE if ignore_case else 0) | (re.MULTILINE if multiline else 0)
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        return f"Invalid regular expression {pattern!r}: {exc}."
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ignore_case
    try:
        return SafePattern(re2.compile(("(?m)" if multiline else "") + _unicode_classes(pattern), options))
    except re2.error:
        return (f"Unsupported regular expression {pattern!r}: backreferences and lookaround are not available "
                "(patterns run in linear time, so they can never hang).")


def text_too_long(text: str) -> str | None:
    """The error a tool returns for a text beyond ``MAX_TEXT``, else None."""
    if len(text) > MAX_TEXT:
        return f"The text is too long for a regular expression ({len(text)} characters; at most {MAX_TEXT})."
    return None
