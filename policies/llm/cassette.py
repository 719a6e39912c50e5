"""Cassettes: every request/response pair of a run, JSON lines keyed by a hash of the request.

A line is ``{"key", "request", "response", "failures"}``: ``key`` is the sha256 of the
canonical JSON of ``{"provider", "request"}``, where ``request`` is the body sent to the API
(model, messages, tools, sampling options: never a key, header or URL); ``failures`` are the
attempts that failed before the response (status, error, the backoff wait), so a replay
records the same retries. The first line with a key wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from attrs import frozen

from simtool.errors import SimtoolError
from simtool.paths import check_input
from simtool.policy import PolicyAbort
from simtool.trace import canonical
from simtool.trust import locate_named_file

__all__ = ["Cassette", "Recording", "CassetteError", "CassetteMiss", "request_key"]


class CassetteError(SimtoolError):
    """A cassette file cannot be read."""


MAX_LINE_BYTES = 64 * 1024 * 1024  # one request/response pair; a longer line is not one simtool wrote


class CassetteMiss(PolicyAbort):
    """Replay asked for a request the cassette does not hold: the run left the recording."""


@frozen
class Recording:
    key: str
    request: Mapping[str, Any]
    response: Mapping[str, Any]
    failures: tuple[Mapping[str, Any], ...] = ()

    def line(self) -> str:
        return canonical({"key": self.key, "request": self.request, "response": self.response,
                          "failures": list(self.failures)})


def request_key(provider: str, request: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical({"provider": provider, "request": request}).encode("utf-8")).hexdigest()


class Cassette:
    """Reads a cassette file once; ``add`` appends (and flushes) a line at a time."""

    def __init__(self, path: str | Path, *, must_exist: bool) -> None:
        self.path = locate_named_file(path)
        self._entries: dict[str, Recording] = {}
        self._handle: IO[str] | None = None
        if self.path.exists():
            self._load()
        elif must_exist:
            beside = " (a cassette a trace, world or spec names is looked up beside that file)" if self.path != Path(path) else ""
            raise CassetteError(f"{self.path}: no such cassette{beside} (record one with --set policy.llm_mode=record)")

    def __len__(self) -> int:
        return len(self._entries)

    def _load(self) -> None:
        try:
            check_input(self.path, "cassette")
        except SimtoolError as exc:
            raise CassetteError(str(exc)) from None
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1):
                if len(raw) > MAX_LINE_BYTES:
                    raise CassetteError(f"{self.path}:{number}: a line longer than {MAX_LINE_BYTES} bytes is not a cassette line")
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise CassetteError(f"{self.path}:{number}: not UTF-8 text") from None
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CassetteError(f"{self.path}:{number}: not a JSON line ({exc.msg})") from None
                if not isinstance(data, dict) or not {"key", "request", "response"} <= set(data):
                    raise CassetteError(f"{self.path}:{number}: a cassette line needs key, request and response "
                                        f"(found {sorted(data) if isinstance(data, dict) else type(data).__name__})")
                recording = Recording(data["key"], data["request"], data["response"], tuple(data.get("failures") or ()))
                self._entries.setdefault(recording.key, recording)

    def get(self, key: str) -> Recording | None:
        return self._entries.get(key)

    def add(self, recording: Recording) -> Recording:
        """Store a new pair (the first one stays if the key is known); returns the one in force."""
        known = self._entries.get(recording.key)
        if known is not None:
            return known
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._handle.write(recording.line() + "\n")
        self._handle.flush()
        self._entries[recording.key] = recording
        return recording

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
