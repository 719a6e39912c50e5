"""Running ``simtool`` in a child process that sees test plug-ins declared as entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.hunting.support import plugin_env


def simtool_with(tmp: Path, entry_points: dict[str, dict[str, str]], *args: str) -> subprocess.CompletedProcess:
    """``python -m simtool ARGS`` with ``entry_points`` ({group: {name: target}}) registered."""
    env = plugin_env(tmp, entry_points)
    return subprocess.run([sys.executable, "-m", "simtool", *args], capture_output=True, text=True, env=env, timeout=300)
