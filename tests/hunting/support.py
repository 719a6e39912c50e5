"""Shared helpers for the hunting tests: the crafted world, the CLI in a child process, repro lines."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from simtool.cli import app
from simtool.hunting import HUNT_INVARIANTS, check_trace, signature
from simtool.scoring.history import history_of

ROOT = Path(__file__).resolve().parents[2]
WORLDS = Path(__file__).with_name("worlds")
RACES = str(WORLDS / "races.yaml")
FAULTY = {
    "eager": {"dependency_violation", "out_of_order_wrong_state"},
    "unbound": {"wrong_binding"},
    "oblivious": {"stale_result_relied_on", "leaked_result_relied_on", "call_on_cancelled_task"},
}


def plugin_dir(tmp: Path, entry_points: dict[str, dict[str, str]]) -> Path:
    """A directory holding a throwaway distribution that declares ``entry_points`` ({group: {name: target}})."""
    info = tmp / "simtool_test_plugins-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: simtool-test-plugins\nVersion: 0.0\n")
    text = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for group, eps in entry_points.items())
    (info / "entry_points.txt").write_text(text)
    return tmp


def plugin_env(tmp: Path, entry_points: dict[str, dict[str, str]]) -> dict[str, str]:
    """Environment for a child process that sees the test plugins (and this repository's ``tests``)."""
    path = os.pathsep.join([str(plugin_dir(tmp, entry_points)), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, PYTHONPATH=path.rstrip(os.pathsep))


def simtool(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m simtool ARGS`` in a child process."""
    return subprocess.run([sys.executable, "-m", "simtool", *args], capture_output=True, text=True, env=env, timeout=300)


def simtool_here(*args: str) -> subprocess.CompletedProcess:
    """``simtool ARGS`` in this process (``simtool.cli.main``, stdout and stderr apart), shaped as a
    finished child process; the command's own worker processes are started as always."""
    from tests.hardening.support import simtool as in_process

    done = in_process(*args)
    return subprocess.CompletedProcess(["simtool", *args], done.code, done.out, done.err)


def failures_and_repros(stdout: str) -> list[tuple[str, str, str]]:
    """(invariant, signature, repro line) for every failure group ``simtool hunt`` printed."""
    out = []
    group: tuple[str, str] | None = None
    for line in stdout.splitlines():
        found = re.match(r"FAIL (\w+): (.*) · \d+/\d+ seeds$", line)
        if found:
            group = (found.group(1), found.group(2))
        elif line.startswith("repro: "):
            assert group is not None, f"a repro line with no group before it: {line}"
            out.append((group[0], group[1], line[len("repro: "):]))
            group = None
    return out


def run_repro(line: str, trace: Path) -> dict[str, set[str]]:
    """Execute a printed repro line (plus ``--trace``); the signatures found per invariant."""
    argv = shlex.split(line)
    assert argv[:2] == ["simtool", "run"], line
    done = CliRunner().invoke(app, [*argv[1:], "--trace", str(trace)])
    assert done.exit_code == 0, done.output
    h = history_of(trace)
    found = check_trace(h, list(HUNT_INVARIANTS))
    return {name: {signature(h, o) for o in offences} for name, offences in found.items()}
