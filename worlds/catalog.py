"""Built-in worlds, registered by name through the ``simtool.worlds`` entry points."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SPECS", "default_world", "ticketing_demo"]

SPECS = Path(__file__).with_name("specs")


def default_world() -> Path:
    """The world ``simtool run`` uses with no arguments."""
    return SPECS / "default.yaml"


def ticketing_demo() -> Path:
    return SPECS / "ticketing-demo.yaml"
