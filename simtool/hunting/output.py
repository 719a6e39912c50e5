"""Writing a hunt's or a shrink's results: checked before the work, written whole or not at all.

A hunt or a shrink can run for minutes; a path that cannot be written must fail before that
(``check_writable``), and a write that fails anyway must not lose what was found (the callers
print the result instead). Files are written to a unique temporary name beside the target and
renamed into place, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from simtool.errors import SpecError

__all__ = ["check_writable", "write_text"]


def _first_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(".")


def check_writable(path: str | Path, option: str, *, directory: bool = False) -> Path:
    """Refuse, before any work, an output that cannot be written: exit 2 naming ``option``.

    ``directory``: the output is a folder (created when missing), else a file (its missing
    parent folders are created at write time, as everywhere in simtool).
    """
    target = Path(path)
    expected = "a folder that can be created or written" if directory else "a file path in a writable folder"
    if target.exists():
        if directory and not target.is_dir():
            raise SpecError("the output folder is an existing file", key=option, expected=expected, found=str(target))
        if not directory and target.is_dir():
            raise SpecError("the output file is an existing folder", key=option, expected=expected, found=str(target))
    base = _first_existing(target if directory else target.parent)
    if not base.is_dir():
        raise SpecError(f"{base} is a file, so nothing can be created under it", key=option, expected=expected,
                        found=str(target))
    if not os.access(base, os.W_OK | os.X_OK):
        raise SpecError(f"no permission to write in {base}", key=option, expected=expected, found=str(target))
    if target.is_dir() and directory and not os.access(target, os.W_OK | os.X_OK):
        raise SpecError(f"no permission to write in {target}", key=option, expected=expected, found=str(target))
    return target


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (unique temporary file, then rename); OSError on failure."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # as an ordinary open() would have made it, not mkstemp's 0600
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
