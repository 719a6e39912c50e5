"""Running ``simtool`` with test plug-ins declared as entry points: in a child process, or in this
process (``simtool.cli.main``) with its own child processes seeing them too."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.hardening.support import Done, simtool

ROOT = Path(__file__).resolve().parents[2]


def plugin_env(tmp: Path, entry_points: dict[str, dict[str, str]]) -> dict[str, str]:
    """Environment for a child process that sees ``entry_points`` ({group: {name: target}}), declared by a
    throwaway distribution under ``tmp``, and this repository's ``tests``."""
    info = tmp / "simtool_check_plugins-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: simtool-check-plugins\nVersion: 0.0\n")
    text = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for group, eps in entry_points.items())
    (info / "entry_points.txt").write_text(text)
    path = os.pathsep.join([str(tmp), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, PYTHONPATH=path.rstrip(os.pathsep))


def simtool_here_with(tmp: Path, entry_points: dict[str, dict[str, str]], monkeypatch: Any, *args: str) -> Done:
    """``simtool ARGS`` in this process with ``entry_points`` registered, here and (through
    ``PYTHONPATH``) in any process the command starts: its exit code and what it printed."""
    env = plugin_env(tmp, entry_points)
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    monkeypatch.syspath_prepend(str(tmp))
    return simtool(*args)
