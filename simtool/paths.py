"""Files simtool reads and writes, checked at the door: inputs are regular UTF-8 text files of
bounded size, outputs are places a file can be written, checked before the work starts.

Every problem is a :class:`~simtool.errors.SpecError` naming the path (and the option that
gave it), what was expected and what was found.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from simtool.errors import SpecError

__all__ = ["read_text", "check_input", "check_output", "MAX_INPUT_BYTES"]

MAX_INPUT_BYTES = 256 * 1024 * 1024  # a world, spec, suite or trace larger than this is not one simtool wrote


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_input(path: str | Path, what: str, *, key: str | None = None) -> Path:
    """``path`` if it names an existing regular file (a symlink to one counts), else a clear error."""
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise SpecError(f"no such {what}", file=str(p), key=key, expected="an existing file", found="nothing there") from None
    except OSError as exc:
        raise SpecError(f"cannot read the {what}: {exc.strerror}", file=str(p), key=key) from None
    if not stat.S_ISREG(info.st_mode):
        raise SpecError(f"the {what} must be a regular file", file=str(p), key=key, expected="a file", found=_kind(info.st_mode))
    if info.st_size > MAX_INPUT_BYTES:
        raise SpecError(f"the {what} is too large", file=str(p), key=key, expected=f"at most {MAX_INPUT_BYTES} bytes",
                        found=f"{info.st_size} bytes")
    return p


def read_text(path: str | Path, what: str, *, key: str | None = None) -> str:
    """The text of a UTF-8 file; a directory, a device, binary or non-UTF-8 content is a clear error."""
    p = check_input(path, what, key=key)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the {what}: {exc.strerror}", file=str(p), key=key) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError(f"the {what} is not UTF-8 text", file=str(p), line=line, key=key,
                        expected="UTF-8 text", found=f"byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SpecError(f"the {what} is binary, not text", file=str(p), line=line, key=key, expected="UTF-8 text",
                        found="a NUL byte")
    return text


def check_output(path: str | Path, what: str, *, key: str | None = None) -> Path:
    """Fail now, before any work, if a file cannot be written at ``path``.

    A missing parent folder is fine (it is created when the file is written); a parent that is
    a regular file, a target that is a directory, or a folder without write permission is not.
    """
    p = Path(path)
    if p.is_dir():
        raise SpecError(f"the {what} goes where a directory is", file=str(p), key=key, expected="a file path", found="a directory")
    parent = p.parent
    while not parent.exists():
        if parent.is_symlink():  # a dangling link: mkdir would fail
            raise SpecError(f"cannot create the folder of the {what}", file=str(p), key=key, expected="a folder",
                            found=f"a broken link at {parent}")
        parent = parent.parent
    if not parent.is_dir():
        raise SpecError(f"cannot write the {what} under a file", file=str(p), key=key, expected="a folder",
                        found=f"a regular file at {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SpecError(f"cannot write the {what}: the folder is not writable", file=str(p), key=key,
                        expected="a writable folder", found=str(parent))
    if p.exists() and not os.access(p, os.W_OK) and not os.access(p.parent, os.W_OK):
        raise SpecError(f"cannot replace the {what}: it is read-only", file=str(p), key=key)
    return p
