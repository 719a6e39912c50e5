"""Errors that name where bad input came from: file, line, key, what was expected, what was found."""

from __future__ import annotations

__all__ = ["SpecError", "SimtoolError"]


class SimtoolError(Exception):
    """Base of simtool's own errors: the message is meant for the user, not a traceback."""


class SpecError(SimtoolError):
    """A specification (YAML world, latency, policy option, CLI override) is invalid."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        expected: str | None = None,
        found: object = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.expected = expected
        self.found = found
        self.detail = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file) + (f":{self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.key:
            where.append(f"key '{self.key}'")
        text = ", ".join(where)
        text = f"{text}: {self.detail}" if text else self.detail
        if self.expected is not None:
            text += f" (expected {self.expected}, found {self.found!r})"
        return text
