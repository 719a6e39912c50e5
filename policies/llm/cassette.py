"""Cassettes: every request/response pair of a run, JSON lines keyed by a hash of the request.

A line is ``{"key", "request", "response", "failures"}``: ``key`` is the sha256 of the
canonical JSON of ``{"provider", "request"}``, where ``request`` is the body sent to the API
(model, messages, tools, sampling options: never a key, header or URL); ``failures`` are the
attempts that failed before the response (status, error, the backoff wait), so a replay
records the same retries. The first line with a key wins.

Safe under concurrency. Every run of a process that names the same file shares one table of
its recordings (a cassette read once serves every thread replaying from it, and a pair one
thread records answers the same request in every other). A new pair is appended with one
``write`` of its whole line under a lock (a thread lock, and an advisory ``flock`` on the
file for other processes), so lines are never torn or interleaved, and it is in the file
before the run goes on (a run that dies keeps what it paid for). When the last run of the
process using a cassette it wrote to closes it, the file is rewritten (atomically, through a
temporary file) with its lines sorted by key, one per key: the bytes of a recording depend
on what was recorded, not on the order in which threads or processes happened to record it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import weakref
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
    """One run's handle on a cassette file; runs of this process naming the same file share its
    recordings (``_Tape``). ``add`` appends a line at a time; ``close`` lets go of the file."""

    def __init__(self, path: str | Path, *, must_exist: bool) -> None:
        self.path = locate_named_file(path)
        if not self.path.exists() and must_exist:
            beside = " (a cassette a trace, world or spec names is looked up beside that file)" if self.path != Path(path) else ""
            raise CassetteError(f"{self.path}: no such cassette{beside} (record one with --set policy.llm_mode=record)")
        self._tape: _Tape | None = _Tape.acquire(self.path)
        self._release = weakref.finalize(self, self._tape.release)  # a run that aborts lets go too

    def __len__(self) -> int:
        return len(self._open())

    def _open(self) -> _Tape:
        if self._tape is None:
            raise CassetteError(f"{self.path}: the cassette is closed")
        return self._tape

    def get(self, key: str) -> Recording | None:
        return self._open().get(key)

    def add(self, recording: Recording) -> Recording:
        """Store a new pair (the first one stays if the key is known); returns the one in force."""
        return self._open().add(recording)

    def close(self) -> None:
        if self._tape is not None:
            self._tape = None
            self._release()


def _flock(fd: int, shared: bool = False) -> None:
    try:
        import fcntl
    except ImportError:  # no advisory locks here (Windows): threads of one process are still safe
        return
    fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)


def _stat_version(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size


def _version(path: Path) -> tuple[int, int, int, int] | None:
    """The file's identity and version (None: no file): any change to it changes this."""
    try:
        return _stat_version(os.stat(path))
    except FileNotFoundError:
        return None


def _locked(path: Path, flags: int, *, shared: bool = False) -> int:
    """A descriptor of the file now at ``path``, flocked: a file replaced while we waited is opened again."""
    while True:
        fd = os.open(path, flags, 0o644)
        try:
            _flock(fd, shared)
            info, now = os.fstat(fd), os.stat(path)
        except FileNotFoundError:  # replaced and gone between open and stat: try again
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        if (info.st_dev, info.st_ino) == (now.st_dev, now.st_ino):
            return fd
        os.close(fd)


class _Tape:
    """The recordings of one cassette file in this process: read once (again when the file
    changed), shared by every run that names it."""

    _open: dict[Path, _Tape] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Recording] = {}
        self.users = 0
        self.wrote = False  # lines appended since the file was last put in order
        self.version: tuple[int, int, int, int] | None = None  # of the file as last read or written here
        self.lock = threading.Lock()

    @classmethod
    def acquire(cls, path: Path) -> _Tape:
        key = Path(os.path.abspath(path))
        with cls._registry_lock:
            tape = cls._open.get(key)
            if tape is None:
                tape = cls._open[key] = _Tape(key)
            tape.users += 1
        try:
            with tape.lock:
                if _version(key) != tape.version:  # new here, or changed by another process (or by hand)
                    tape._load()
        except BaseException:
            tape.release()
            raise
        return tape

    def release(self) -> None:
        with _Tape._registry_lock:
            self.users -= 1
            last = self.users == 0
        if last:
            with self.lock:
                if self.wrote and self.users == 0:
                    self._put_in_order()

    def get(self, key: str) -> Recording | None:
        return self.entries.get(key)

    def add(self, recording: Recording) -> Recording:
        data = (recording.line() + "\n").encode("utf-8")
        with self.lock:
            known = self.entries.get(recording.key)
            if known is not None:
                return known
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = _locked(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                before = _stat_version(os.fstat(fd))
                written = os.write(fd, data)
                while written < len(data):  # a short write (a signal, a full disk): finish the line
                    written += os.write(fd, data[written:])
                # the file is what this table read plus this line, unless another process wrote
                # meanwhile: then it is read again by the next run that opens it
                self.version = _stat_version(os.fstat(fd)) if before == self.version or self.version is None and before[3] == 0 else None
            finally:
                os.close(fd)
            self.entries[recording.key] = recording
            self.wrote = True
            return recording

    def _load(self) -> None:
        """Read the file (under a shared lock: never half a line another process is writing)."""
        self.entries = {}
        if not self.path.exists():
            self.version = None
            return
        try:
            check_input(self.path, "cassette")
        except SimtoolError as exc:
            raise CassetteError(str(exc)) from None
        fd = _locked(self.path, os.O_RDONLY, shared=True)
        with os.fdopen(fd, "rb") as handle:
            self.entries = _parse(handle, self.path)
            self.version = _version(self.path)

    def _put_in_order(self) -> None:
        """Rewrite the file with its lines sorted by key, the first of each key kept; atomically."""
        if not self.path.exists():
            return
        fd = _locked(self.path, os.O_RDONLY)  # exclusive: no other process appends meanwhile
        with os.fdopen(fd, "rb") as handle:
            lines: dict[str, str] = {}
            try:
                for number, raw in _lines(handle, self.path):
                    data = _line_data(raw, number, self.path)
                    if data is not None:
                        lines.setdefault(data["key"], raw.decode("utf-8").rstrip("\n"))
            except CassetteError:  # damaged meanwhile (by hand?): leave it as it is, for the next load to name the line
                return
            mode = os.fstat(handle.fileno()).st_mode & 0o777
            tmp_fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(tmp_fd, "w", encoding="utf-8", newline="\n") as out:
                    for key in sorted(lines):
                        out.write(lines[key] + "\n")
                os.chmod(tmp, mode)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        self.version = _version(self.path)
        self.wrote = False


def _lines(handle: IO[bytes], path: Path) -> Any:
    for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1):
        if len(raw) > MAX_LINE_BYTES:
            raise CassetteError(f"{path}:{number}: a line longer than {MAX_LINE_BYTES} bytes is not a cassette line")
        yield number, raw


def _line_data(raw: bytes, number: int, path: Path) -> dict[str, Any] | None:
    """A line's JSON object (None for a blank line); a bad line is a clear error naming it."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{path}:{number}: not UTF-8 text") from None
    if not line.strip():
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CassetteError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
    if not isinstance(data, dict) or not {"key", "request", "response"} <= set(data):
        raise CassetteError(f"{path}:{number}: a cassette line needs key, request and response "
                            f"(found {sorted(data) if isinstance(data, dict) else type(data).__name__})")
    return data


def _parse(handle: IO[bytes], path: Path) -> dict[str, Recording]:
    entries: dict[str, Recording] = {}
    for number, raw in _lines(handle, path):
        data = _line_data(raw, number, path)
        if data is not None:
            recording = Recording(data["key"], data["request"], data["response"], tuple(data.get("failures") or ()))
            entries.setdefault(recording.key, recording)
    return entries
