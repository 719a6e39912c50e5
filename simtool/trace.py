"""The trace: canonical JSON lines, one event a line, the single source for scores and replays.

Line 1 is the header (``kind: header``: format, simtool version, seed, the fully resolved
config and its hash, derived gold facts); then events (``t`` in ms, ``seq``, ``kind``, ...);
the last line is the footer (``kind: footer``) with the number of lines before it and the
sha256 of those lines. A file trace is written to ``PATH.incomplete`` while the run goes
on and renamed to ``PATH`` only after the footer is flushed: a run killed mid-way leaves a
file whose very name says it is incomplete, and that has no footer, and an older trace at
``PATH`` stays whole until the new one replaces it. A writer holds an exclusive lock on its
``.incomplete`` file: a second run writing the same path is refused, not interleaved.

Reading checks everything a file from elsewhere can get wrong: a regular UTF-8 file, a JSON
object with a ``kind`` on every line, a header of a known format, no NaN or unbounded
number, a footer only as the last line and with the right digest.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import orjson
from attrs import frozen

from simtool import __version__
from simtool.errors import SimtoolError
from simtool.events import Footer, Header, Kind, Record
from simtool.jsonl import loads
from simtool.limits import current_limits
from simtool.paths import check_input

__all__ = [
    "FORMAT",
    "FORMATS",
    "canonical",
    "encode",
    "config_hash",
    "TraceWriter",
    "Trace",
    "read_trace",
    "stream_trace",
    "TraceStream",
    "first_divergence",
    "TraceError",
    "INCOMPLETE_SUFFIX",
]

FORMAT = 2
# What each trace format changed: a trace of another format cannot replay (its draws differ).
FORMATS = {
    1: "numpy SeedSequence/PCG64 streams (simtool 0.1.0)",
    2: "counter-based streams: BLAKE2b-keyed splitmix64 and simtool's own transforms (simtool 0.2.0)",
}
INCOMPLETE_SUFFIX = ".incomplete"


class TraceError(SimtoolError):
    pass


def _default(value: Any) -> Any:
    """Values JSON has no form for: sets as sorted lists (never in hash order), tuples as lists, others as text."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default)
_dumps = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS


def encode(obj: Any) -> bytes:
    """Canonical JSON as UTF-8 bytes: sorted keys, compact separators.

    orjson writes it (about five times faster than the standard library's C encoder, and
    traces are written on the hot path); what orjson refuses (integers beyond 64 bits,
    non-string keys) goes through the standard encoder, which raises its usual errors. Values
    reaching a trace are normalised first (:func:`simtool.service.normalize`), so no NaN or
    infinity gets here.
    """
    try:
        return _dumps(obj, default=_default, option=_SORTED)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _encoder.encode(obj).encode("utf-8")


def canonical(obj: Any) -> str:
    """Canonical JSON text (see :func:`encode`)."""
    return encode(obj).decode("utf-8")


def config_hash(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(encode(config)).hexdigest()


class TraceWriter:
    """Collects canonical lines in memory, or streams them to ``PATH.incomplete`` then renames.

    Encoded lines are appended to one buffer and handed to the digest and the file a block at
    a time (``BLOCK`` lines): the file is never more than one block behind the run, and a run
    killed mid-way leaves the ``.incomplete`` file with whole lines only.

    The rename makes a finished trace appear whole or not at all to every reader, whatever
    happens to the process. ``durable`` adds an fsync before the rename (about 0.3 ms a trace
    here), so that the trace also survives a power cut; without it a trace caught by one is at
    worst cut short, and a cut trace has no valid footer, so readers report it incomplete.
    """

    BLOCK = 256

    def __init__(self, path: str | Path | None = None, *, keep_lines: bool | None = None, durable: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.durable = durable
        self._digest = hashlib.sha256()
        self.count = 0
        self.closed = False
        self._keep = keep_lines if keep_lines is not None else self.path is None
        self._kept = bytearray()  # every line so far, when kept
        self._block = bytearray()  # lines not yet digested (and written)
        self._in_block = 0
        self._lines: list[str] | None = None
        self._kept_at = 0
        self._handle: IO[bytes] | None = None
        self._max_lines = current_limits().trace_lines
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = _open_exclusive(self.partial_path, self.path)

    @property
    def partial_path(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + INCOMPLETE_SUFFIX)

    def write(self, record: Record | Mapping[str, Any]) -> None:
        """Append one line: a header, an event or (via ``finish``) the footer; kinds in ``simtool.events``."""
        # ``encode`` and ``write_bytes`` inlined: this runs once per event of every run
        try:
            line = _dumps(record, default=_default, option=_SORTED)
        except TypeError:  # what orjson refuses: as ``encode``
            line = _encoder.encode(record).encode("utf-8")
        block = self._block
        block += line
        block += b"\n"
        self.count += 1
        if self.count > self._max_lines:
            raise TraceError(f"the run wrote more than {self._max_lines} trace lines and was stopped; "
                             + current_limits().hint("trace_lines"))
        self._in_block += 1
        if self._in_block >= self.BLOCK or self.count == 1:  # the header goes out at once
            self._flush_block()

    def stamped(self, clock: Any) -> Callable[..., None]:
        """An ``emit(kind, **fields)`` that stamps each event with ``clock.now``, the next sequence
        number (from 0) and its kind, then writes it as :meth:`write` does: ``TraceStamp``'s emit and
        ``write`` in one function, since it runs once per event of every run."""
        seq = 0
        writer = self

        def emit(kind: str, **fields: Any) -> None:
            nonlocal seq
            fields["t"] = clock.now
            fields["seq"] = seq
            fields["kind"] = kind
            seq += 1
            try:
                line = _dumps(fields, default=_default, option=_SORTED)
            except TypeError:  # what orjson refuses: as ``encode``
                line = _encoder.encode(fields).encode("utf-8")
            block = writer._block
            block += line
            block += b"\n"
            writer.count += 1
            if writer.count > writer._max_lines:
                raise TraceError(f"the run wrote more than {writer._max_lines} trace lines and was stopped; "
                                 + current_limits().hint("trace_lines"))
            writer._in_block += 1
            if writer._in_block >= writer.BLOCK or writer.count == 1:  # as ``write``: a first line goes out at once
                writer._flush_block()

        return emit

    def write_line(self, line: str) -> None:
        self.write_bytes(line.encode("utf-8"))

    def write_bytes(self, line: bytes) -> None:
        block = self._block
        block += line
        block += b"\n"
        self.count += 1
        if self.count > self._max_lines:
            raise TraceError(f"the run wrote more than {self._max_lines} trace lines and was stopped; "
                             + current_limits().hint("trace_lines"))
        self._in_block += 1
        if self._in_block >= self.BLOCK or self.count == 1:  # the header goes out at once
            self._flush_block()

    def _flush_block(self) -> None:
        if not self._block:
            return
        data = bytes(self._block)
        self._digest.update(data)
        if self._keep:
            self._kept += data
        if self._handle is not None:
            self._handle.write(data)
        self._block = bytearray()
        self._in_block = 0

    def finish(self) -> None:
        """Write the footer; for a file trace, flush (and fsync when durable) and rename into place atomically."""
        self._flush_block()
        record: Footer = {"kind": "footer", "lines": self.count, "digest": self._digest.hexdigest()}
        footer = encode(record) + b"\n"
        if self._keep:
            self._kept += footer
        if self._handle is not None:
            self._handle.write(footer)
            self._handle.flush()
            if self.durable:
                os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            os.replace(self.partial_path, self.path)  # type: ignore[arg-type]
        self.closed = True

    def abandon(self) -> None:
        """Stop without a footer: the file keeps its ``.incomplete`` name (with every line so far)."""
        self._flush_block()
        if self._handle is not None:
            self._handle.flush()
            self._handle.close()
            self._handle = None

    @property
    def lines(self) -> list[str]:
        """The kept lines as text (decoded when first asked for after a change)."""
        if self._lines is None or self._kept_at != len(self._kept):
            self._lines = self._kept.decode("utf-8").split("\n")[:-1]
            self._kept_at = len(self._kept)
        return self._lines

    def text(self) -> str:
        return self._kept.decode("utf-8")


def _open_exclusive(partial: Path, target: Path) -> IO[bytes]:
    """``partial`` opened for writing, empty, under an exclusive lock that this process holds.

    A file left by a killed run (no lock held) is taken over; one another run is writing is
    not: that run wins, this one is refused. The lock is checked against the path after it is
    taken, in case the other writer renamed its file into place meanwhile.
    """
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows): the last writer wins
        return open(partial, "wb")  # noqa: SIM115
    if partial.is_symlink():
        raise TraceError(f"{target}: {partial.name} is a symbolic link; a trace is never written through one")
    for _ in range(100):
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:  # ELOOP: a link planted where the trace is written
            raise TraceError(f"{target}: cannot write {partial.name} ({exc.strerror}); "
                             "a symbolic link there is not followed") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise TraceError(f"{target}: another run is writing this trace (it holds {partial.name}); "
                             "give this run another --trace path") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(partial).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            return os.fdopen(fd, "wb")
        os.close(fd)  # the file was renamed into place under us: open the new one
    raise TraceError(f"{target}: cannot take the lock on {partial.name}")


@frozen
class Trace:
    """A read trace: header, events, footer (None when incomplete)."""

    path: str
    header: Header | Mapping[str, Any]
    events: tuple[Mapping[str, Any], ...]  # each one of simtool.events.Event
    footer: Footer | Mapping[str, Any] | None
    lines: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.footer is not None

    @property
    def seed(self) -> int:
        return int(self.header["seed"])

    @property
    def config(self) -> Mapping[str, Any]:
        return self.header["config"]

    def of_kind(self, *kinds: Kind) -> Iterator[Mapping[str, Any]]:
        return (e for e in self.events if e["kind"] in kinds)


def _resolve(path: Path) -> Path:
    if path.exists() or path.is_symlink():
        return path
    partial = path.with_name(path.name + INCOMPLETE_SUFFIX)
    if partial.exists():
        return partial
    raise TraceError(f"{path}: no such trace (nor {partial.name})")


def _record(text: str, where: str) -> dict[str, Any]:
    try:
        record = loads(text, strict=True)  # NaN, infinities and numbers too large for a float are refused
    except json.JSONDecodeError as exc:
        raise TraceError(f"{where}: not a JSON line ({exc.msg}, column {exc.colno}): the trace is damaged") from None
    except (ValueError, RecursionError) as exc:
        raise TraceError(f"{where}: a value no trace holds ({exc})") from None
    if not isinstance(record, dict):
        raise TraceError(f"{where}: a trace line is a JSON object (found {type(record).__name__})")
    if not isinstance(record.get("kind"), str):
        raise TraceError(f"{where}: a trace line needs a 'kind' (found keys {sorted(record)[:8]})")
    return record


def _check_header(header: Mapping[str, Any], where: str) -> None:
    version = header.get("format")
    if version != FORMAT:
        if isinstance(version, int) and not isinstance(version, bool) and version in FORMATS:
            made_by = header.get("simtool")
            raise TraceError(f"{where}: the trace was written in trace format {version} ({FORMATS[version]}) by simtool "
                             f"{made_by!r}; this simtool {__version__} reads and writes format {FORMAT} ({FORMATS[FORMAT]}), "
                             f"whose draws differ, so it cannot read or replay it: use simtool {made_by!r}, "
                             "or run the trace's config again")
        raise TraceError(f"{where}: unknown trace format {version!r} (this simtool reads format {FORMAT}: "
                         "the trace was written by another version)")
    seed = header.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise TraceError(f"{where}: the header's seed must be a whole number >= 0 (found {seed!r})")
    config = header.get("config")
    if not isinstance(config, Mapping) or not isinstance(config.get("world"), Mapping) or not isinstance(config.get("policy"), Mapping):
        raise TraceError(f"{where}: the header's config must be {{world: {{...}}, policy: {{...}}}} (found {str(config)[:80]!r})")


class TraceStream:
    """A trace file read one line at a time: the header at once, each event as it is iterated
    (once), then ``footer`` (None when the trace is incomplete).

    Lines are parsed by :func:`simtool.jsonl.loads` (orjson's speed, the standard library's
    values) and checked as :func:`read_trace` says, each error naming the file and line; the
    digest of a complete trace is checked when the last event has been handed out, so a
    consumer sees a changed file's error only at the end. ``keep_lines`` keeps every line's
    text in ``lines`` (header and footer included); without it, memory holds one line at a time.
    """

    def __init__(self, path: str | Path, *, verify: bool = True, keep_lines: bool = False) -> None:
        real = _resolve(Path(path))
        try:
            check_input(real, "trace")
            handle = open(real, "rb")  # noqa: SIM115
        except SimtoolError as exc:
            raise TraceError(str(exc)) from None
        except OSError as exc:
            raise TraceError(f"{real}: cannot read: {exc.strerror}") from None
        self.path = str(real)
        self.verify = verify
        self.footer: Footer | Mapping[str, Any] | None = None
        self.lines: list[str] = []
        self._keep = keep_lines
        self._handle = handle
        self._digest = hashlib.sha256()
        self._number = 0
        self._torn = False
        try:
            first = handle.readline()
            if not first.endswith(b"\n"):
                self._torn_line(first)
                found = first.decode("utf-8")[:80] if first else "nothing"
                raise TraceError(f"{real}:1: a trace starts with a header line (found {found!r})")
            header = self._parse(first)
            if header["kind"] != "header":
                found = self.lines[0][:80] if self.lines else canonical(header)[:80]
                raise TraceError(f"{real}:1: a trace starts with a header line (found {found!r})")
            _check_header(header, f"{real}:1")
        except BaseException:
            handle.close()
            raise
        self.header: Header | Mapping[str, Any] = header
        self._previous = first  # the last whole line, digested once the next one shows it is not the footer

    @property
    def complete(self) -> bool:
        """The trace ended with its footer (known once every event has been read)."""
        return self.footer is not None

    def _torn_line(self, line: bytes) -> None:
        """A last line without its newline was cut mid-write: left out, but it must still be text."""
        self._torn = True
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TraceError(f"{self.path}:{self._number + 1}: not UTF-8 text (byte 0x{line[exc.start]:02x}): "
                             "not a trace, or a damaged one") from None

    def _parse(self, line: bytes) -> dict[str, Any]:
        self._number += 1
        where = f"{self.path}:{self._number}"
        try:
            text = line[:-1].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TraceError(f"{where}: not UTF-8 text (byte 0x{line[exc.start]:02x}): not a trace, or a damaged one") from None
        if self._keep:
            self.lines.append(text)
        return _record(text, where)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with self._handle as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    self._torn_line(line)
                    break
                if self.footer is not None:
                    raise TraceError(f"{self.path}:{self._number + 1}: text after the footer (line {self._number} is the footer): "
                                     "the file was changed after it was written")
                self._digest.update(self._previous)
                self._previous = line
                record = self._parse(line)
                if record["kind"] == "footer":
                    self.footer = record
                    continue
                yield record
        number = self._number
        if self.footer is not None and self._torn:
            raise TraceError(f"{self.path}:{number + 1}: text after the footer: the file was changed after it was written")
        if self.footer is not None and self.verify:
            if self._digest.hexdigest() != self.footer.get("digest") or self.footer.get("lines") != number - 1:
                raise TraceError(f"{self.path}:{number}: footer digest does not match its {number - 1} lines: "
                                 "the file was changed after it was written")

    def close(self) -> None:
        """Stop reading early (iterating to the end closes the file too)."""
        self._handle.close()


def stream_trace(path: str | Path, *, verify: bool = True, keep_lines: bool = False) -> TraceStream:
    """Open a trace file (or its ``.incomplete`` partner) to read it one event at a time: see
    :class:`TraceStream`. Scores read files this way, holding one line at a time."""
    return TraceStream(path, verify=verify, keep_lines=keep_lines)


def read_trace(path: str | Path, *, verify: bool = True, keep_lines: bool = True) -> Trace:
    """Read a trace file (or its ``.incomplete`` partner). A complete one has its digest checked.

    Lines are parsed by :func:`simtool.jsonl.loads` (orjson's speed, the standard library's
    values) as the file streams by (:class:`TraceStream`); ``keep_lines=False`` does not keep
    their text (``Trace.lines`` is empty), so memory holds the parsed records only.
    A last line without its newline was cut mid-write and is left out. Errors
    (:class:`TraceError`) name the file and line: not a regular file, not UTF-8, a line that is
    not a JSON object with a ``kind``, no header, an unknown format, text after the footer, a
    digest or line count that does not match.
    """
    stream = TraceStream(path, verify=verify, keep_lines=keep_lines)
    events = tuple(stream)
    return Trace(stream.path, stream.header, events, stream.footer, tuple(stream.lines))


def first_divergence(a: list[str] | tuple[str, ...], b: list[str] | tuple[str, ...]) -> tuple[int, str | None, str | None] | None:
    """(1-based line, line of a, line of b) where two traces first differ; None if identical."""
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return i, x, y
    if len(a) != len(b):
        n = min(len(a), len(b))
        return n + 1, (a[n] if n < len(a) else None), (b[n] if n < len(b) else None)
    return None
