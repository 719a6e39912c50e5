"""Running ``simtool`` in a child process that sees test plug-ins declared as entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def simtool_with(tmp: Path, entry_points: dict[str, dict[str, str]], *args: str) -> subprocess.CompletedProcess:
    """``python -m simtool ARGS`` with ``entry_points`` registered."""
    env = plugin_env(tmp, entry_points)
    return subprocess.run([sys.executable, "-m", "simtool", *args], capture_output=True, text=True, env=env, timeout=300)
