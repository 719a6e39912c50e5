"""Running ``simtool`` in this process (as ``python -m simtool`` would) and the files bad inputs are made of."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from pathlib import Path

from attrs import frozen

from simtool.cli import main
from simtool.trace import canonical, config_hash

ROOT = Path(__file__).resolve().parents[2]
RACE = ROOT / "docs" / "examples" / "race.yaml"


@frozen
class Done:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def simtool(*argv: str) -> Done:
    """``simtool ARGV`` in this process: its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Done(code, out.getvalue(), err.getvalue())


def files_under(folder: Path) -> set[str]:
    """Every path under ``folder`` (files, folders, links), relative to it."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def forge(lines: list[str]) -> str:
    """Trace lines with the footer (and the header's config hash) recomputed: a forged trace, which
    the digest cannot tell from a real one."""
    header = json.loads(lines[0])
    header["config_hash"] = config_hash(header["config"])
    body = [canonical(header)] + [line for line in lines[1:] if '"kind":"footer"' not in line]
    text = "".join(line + "\n" for line in body)
    footer = {"digest": hashlib.sha256(text.encode()).hexdigest(), "kind": "footer", "lines": len(body)}
    return text + canonical(footer) + "\n"


def copy_race(folder: Path) -> Path:
    target = folder / "race.yaml"
    shutil.copy(RACE, target)
    return target
