"""Repro lines: the one ``simtool run`` command that replays a run, and ``--set`` values for it."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import Any

import yaml

__all__ = ["flow", "override", "repro_line"]


def flow(value: Any) -> str:
    """``value`` as one line of YAML flow style (what ``--set`` parses), checked to read back equal."""
    text = yaml.safe_dump(value, default_flow_style=True, width=2**31, sort_keys=True, allow_unicode=True).strip()
    if text.endswith("\n...") or text.endswith("..."):
        text = text[: text.rfind("...")].strip()
    if yaml.safe_load(text) != value:  # pragma: no cover - YAML 1.1 quirks: JSON is YAML too
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text


def override(key: str, value: Any) -> str:
    """``key=value`` with the value in YAML flow style."""
    return f"{key}={flow(value)}"


def repro_line(world: str | None, policy: str, seed: int, overrides: Sequence[str] = ()) -> str:
    """``simtool run [WORLD] --policy P --seed S [--set k=v ...]``, quoted for a POSIX shell."""
    parts = ["simtool", "run"]
    if world:
        parts.append(world)
    parts += ["--policy", policy, "--seed", str(seed)]
    for item in overrides:
        parts += ["--set", item]
    return " ".join(_quote(p) for p in parts)


_UNSAFE_IN_DOUBLE = set('"\\$`!')


def _quote(arg: str) -> str:
    """POSIX-shell quoting; an argument holding single quotes goes in double quotes when that is safe."""
    if "'" in arg and not (set(arg) & _UNSAFE_IN_DOUBLE):
        return f'"{arg}"'
    return shlex.quote(arg)
