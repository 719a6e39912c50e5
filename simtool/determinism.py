"""``simtool run --check-determinism``: the same run in two separate processes, traces compared."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from simtool.errors import SimtoolError
from simtool.trace import first_divergence

__all__ = ["DeterminismReport", "check_determinism"]


@frozen
class DeterminismReport:
    identical: bool
    lines: int
    digest: str
    line: int | None = None
    a: str | None = None
    b: str | None = None


def _child(world: str | None, policy: str | None, seed: int, overrides: Sequence[str], out: Path, hashseed: str) -> None:
    cmd = [sys.executable, "-m", "simtool", "run", "--seed", str(seed), "--trace", str(out)]
    if world:
        cmd.insert(4, world)
    if policy:
        cmd += ["--policy", policy]
    for item in overrides:
        cmd += ["--set", item]
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SimtoolError(f"run in a separate process failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def check_determinism(world: str | None, policy: str | None, seed: int, overrides: Sequence[str] = ()) -> DeterminismReport:
    """Run twice, in two processes with different ``PYTHONHASHSEED``; report the first divergence."""
    with tempfile.TemporaryDirectory(prefix="simtool-det-") as tmp:
        a, b = Path(tmp, "a.jsonl"), Path(tmp, "b.jsonl")
        _child(world, policy, seed, overrides, a, "1")
        _child(world, policy, seed, overrides, b, "2")
        la = a.read_text(encoding="utf-8").splitlines()
        lb = b.read_text(encoding="utf-8").splitlines()
    digest = hashlib.sha256("\n".join(la).encode()).hexdigest()
    found = first_divergence(la, lb)
    if found is None:
        return DeterminismReport(True, len(la), digest)
    return DeterminismReport(False, len(la), digest, found[0], found[1], found[2])
