"""The trace: canonical JSON lines, one event a line, the single source for scores and replays.

Line 1 is the header (``kind: header``: format, simtool version, seed, the fully resolved
config and its hash, derived gold facts); then events (``t`` in ms, ``seq``, ``kind``, ...);
the last line is the footer (``kind: footer``) with the number of lines before it and the
sha256 of those lines. A file trace is written to ``PATH.incomplete`` while the run goes
on and renamed to ``PATH`` only after the footer is flushed: a run killed mid-way leaves a
file whose very name says it is incomplete, and that has no footer.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import orjson
from attrs import frozen

from simtool.errors import SimtoolError
from simtool.events import Footer, Header, Kind, Record

__all__ = [
    "FORMAT",
    "canonical",
    "encode",
    "config_hash",
    "TraceWriter",
    "Trace",
    "read_trace",
    "first_divergence",
    "TraceError",
    "INCOMPLETE_SUFFIX",
]

FORMAT = 1
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
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                self.path.unlink()
            self._handle = open(self.partial_path, "wb")  # noqa: SIM115

    @property
    def partial_path(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + INCOMPLETE_SUFFIX)

    def write(self, record: Record | Mapping[str, Any]) -> None:
        """Append one line: a header, an event or (via ``finish``) the footer; kinds in ``simtool.events``."""
        self.write_bytes(encode(record))

    def write_line(self, line: str) -> None:
        self.write_bytes(line.encode("utf-8"))

    def write_bytes(self, line: bytes) -> None:
        block = self._block
        block += line
        block += b"\n"
        self.count += 1
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
    if path.exists():
        return path
    partial = path.with_name(path.name + INCOMPLETE_SUFFIX)
    if partial.exists():
        return partial
    raise TraceError(f"{path}: no such trace (nor {partial.name})")


def read_trace(path: str | Path, *, verify: bool = True) -> Trace:
    """Read a trace file (or its ``.incomplete`` partner). A complete one has its digest checked."""
    real = _resolve(Path(path))
    try:
        text = real.read_text(encoding="utf-8")
    except OSError as exc:
        raise TraceError(f"{real}: cannot read: {exc.strerror}") from None
    raw = text.split("\n")
    torn = raw[-1] != ""  # a last line without newline was cut mid-write
    lines = raw[:-1] if not torn else raw[:-1]
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise TraceError(f"{real}:{number}: not a JSON line ({exc.msg})") from None
    if not records or records[0].get("kind") != "header":
        raise TraceError(f"{real}:1: a trace starts with a header line (found {lines[0][:80] if lines else 'nothing'!r})")
    footer = records[-1] if records[-1].get("kind") == "footer" else None
    body = records[1:-1] if footer else records[1:]
    if footer is not None and verify:
        digest = hashlib.sha256("".join(line + "\n" for line in lines[:-1]).encode("utf-8")).hexdigest()
        if digest != footer.get("digest") or footer.get("lines") != len(lines) - 1:
            raise TraceError(f"{real}: footer digest does not match its {len(lines) - 1} lines: the file was changed after it was written")
    return Trace(str(real), records[0], tuple(body), footer, tuple(lines))


class TraceStream:
    """A trace file read one line at a time: ``header`` at once, the events as they are iterated
    (once), then ``footer`` and ``complete``."""

    def __init__(self, path: str | Path, *, verify: bool = True) -> None:
        real = _resolve(Path(path))
        self.path = str(real)
        self.verify = verify
        self.footer: Mapping[str, Any] | None = None
        self._handle = open(real, "rb")  # noqa: SIM115
        first = self._handle.readline()
        self._digest = hashlib.sha256()
        self._number = 1
        try:
            self.header = json.loads(first)
        except json.JSONDecodeError as exc:
            raise TraceError(f"{real}:1: not a JSON line ({exc.msg})") from None
        if not isinstance(self.header, dict) or self.header.get("kind") != "header":
            raise TraceError(f"{real}:1: a trace starts with a header line (found {first[:80]!r})")
        self._previous = first

    @property
    def complete(self) -> bool:
        return self.footer is not None

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        with self._handle as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                self._digest.update(self._previous)
                self._previous = line
                self._number += 1
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TraceError(f"{self.path}:{self._number}: not a JSON line ({exc.msg})") from None
                if record.get("kind") == "footer":
                    self.footer = record
                    break
                yield record
        if self.footer is not None and self.verify:
            if self._digest.hexdigest() != self.footer.get("digest") or self.footer.get("lines") != self._number - 1:
                raise TraceError(f"{self.path}: footer digest does not match its {self._number - 1} lines: the file was changed after it was written")


def stream_trace(path: str | Path, *, verify: bool = True) -> TraceStream:
    """Open a trace file (or its ``.incomplete`` partner) to read it one event at a time."""
    return TraceStream(path, verify=verify)


def first_divergence(a: list[str] | tuple[str, ...], b: list[str] | tuple[str, ...]) -> tuple[int, str | None, str | None] | None:
    """(1-based line, line of a, line of b) where two traces first differ; None if identical."""
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return i, x, y
    if len(a) != len(b):
        n = min(len(a), len(b))
        return n + 1, (a[n] if n < len(a) else None), (b[n] if n < len(b) else None)
    return None
