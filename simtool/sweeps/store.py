"""The results store: ``DIR/results.jsonl``, append-only, one canonical JSON row per cell.

Every row is written with one ``write`` of its whole line, then flushed and fsynced before
the next, so a sweep killed at any point leaves complete rows and at most one torn last
line. Reading ignores a torn last line (it was never a result) and keeps, for each cell
key, its first ``ok`` row (a row written twice, by two sweeps racing on one folder, counts
once), or, while the cell has none, its last row (a failed cell run again replaces its
failure). Opening for appending cuts a torn tail off first, so the next row starts on its
own line. One sweep at a time writes a folder: an exclusive lock (``DIR/.lock``) is held
while it runs. Nothing in the folder is followed if it is a symbolic link: a link planted
there (``results.jsonl``, ``.lock``, ``traces``) is an error, never a way to write elsewhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from simtool.errors import SimtoolError
from simtool.trace import canonical

__all__ = ["ResultStore", "StoreError", "load_rows", "refuse_link", "RESULTS_FILE", "SWEEP_FILE"]

RESULTS_FILE = "results.jsonl"
SWEEP_FILE = "sweep.json"
LOCK_FILE = ".lock"


class StoreError(SimtoolError):
    pass


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def refuse_link(path: Path) -> None:
    """A sweep folder's own file or folder must not be a symbolic link (planted to redirect writes)."""
    if path.is_symlink():
        raise StoreError(f"{path}: a symbolic link inside the sweep folder; simtool does not follow it "
                         "(remove it, or use another --out)")


def _lock(handle: IO[bytes], directory: Path) -> None:
    try:
        import fcntl
    except ImportError:  # no advisory locks here (Windows): one sweep per folder is then up to the user
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise StoreError(f"{directory}: another sweep is writing this folder (it holds {directory / LOCK_FILE})") from None


class ResultStore:
    """Rows of one sweep folder, keyed by cell."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / RESULTS_FILE
        self._fd: int | None = None
        self._lock: IO[bytes] | None = None

    # ------------------------------------------------------------ reading
    def _lines(self) -> Iterator[tuple[int, str]]:
        """(line number, text) of complete lines; a last line without its newline is torn and skipped."""
        refuse_link(self.path)
        try:
            fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read: {exc.strerror}") from None
        handle = os.fdopen(fd, "rb")
        with handle:
            for number, raw in enumerate(handle, 1):
                if not raw.endswith(b"\n"):
                    return
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise StoreError(f"{self.path}:{number}: not UTF-8 text; the store was edited by hand?") from None

    def rows(self) -> dict[str, dict[str, Any]]:
        """Cell key -> row: the first ok row of each key, else its last row; in file order."""
        out: dict[str, dict[str, Any]] = {}
        for number, text in self._lines():
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise StoreError(f"{self.path}:{number}: not a JSON row ({exc.msg}); the store was edited by hand?") from None
            if not isinstance(row, Mapping) or not isinstance(row.get("cell"), str):
                raise StoreError(f"{self.path}:{number}: a row needs a 'cell' key (found {text[:80]!r})")
            known = out.get(row["cell"])
            if known is None or known.get("status") != "ok":
                out[row["cell"]] = row
        return out

    def keys(self, *, status: str | None = None) -> set[str]:
        """Cell keys the store holds (``status="ok"``: only those whose row is ok)."""
        return {k for k, r in self.rows().items() if status is None or r.get("status") == status}

    # ------------------------------------------------------------ writing
    def open(self) -> ResultStore:
        """Take the folder's lock, cut a torn tail, and get ready to append."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in (LOCK_FILE, RESULTS_FILE):
            refuse_link(self.directory / name)
        try:
            self._lock = os.fdopen(os.open(self.directory / LOCK_FILE, os.O_WRONLY | os.O_CREAT | _NOFOLLOW, 0o644), "wb")
        except OSError as exc:
            raise StoreError(f"{self.directory / LOCK_FILE}: cannot open: {exc.strerror}") from None
        try:
            _lock(self._lock, self.directory)
        except StoreError:
            self._lock.close()
            self._lock = None
            raise
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW, 0o644)
        except OSError as exc:
            self.close()
            raise StoreError(f"{self.path}: cannot open for appending: {exc.strerror}") from None
        self._cut_torn_tail()
        return self

    def _cut_torn_tail(self) -> None:
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        with self.path.open("rb") as handle:
            handle.seek(max(0, size - 1))
            if handle.read(1) == b"\n":
                return
            # walk back to the last newline: everything after it is a row that was never finished
            end = size
            chunk = 4096
            while end > 0:
                start = max(0, end - chunk)
                handle.seek(start)
                block = handle.read(end - start)
                at = block.rfind(b"\n")
                if at >= 0:
                    os.ftruncate(self._fd, start + at + 1)
                    return
                end = start
        os.ftruncate(self._fd, 0)

    def append(self, row: Mapping[str, Any]) -> None:
        """One row, durably: a single write of the whole line, then fsync."""
        if self._fd is None:
            raise StoreError(f"{self.path}: the store is not open for writing")
        data = (canonical(row) + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # a short write (a full disk, a signal): finish the line
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    def __enter__(self) -> ResultStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_rows(directory: str | Path, *, status: str | None = "ok") -> list[dict[str, Any]]:
    """The rows of a sweep folder (or of a results file), sorted by cell key; ``status=None``: all."""
    path = Path(directory)
    store = ResultStore(path.parent) if path.is_file() else ResultStore(path)
    if path.is_file():
        store.path = path
    if not store.path.exists():
        raise StoreError(f"{store.path}: no results here (run `simtool sweep SPEC --out {store.directory}` first)")
    rows = store.rows()
    return [rows[k] for k in sorted(rows) if status is None or rows[k].get("status") == status]
