"""TradingBot's data, read once from ``tables.yaml`` beside this module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simtool.service import plain_copy
from simtool.yamlspec import load_yaml

__all__ = ["DEFAULT_SEED", "SYMBOLS", "SECTORS", "CLOCK", "default_state", "default_value"]

_TABLES, _ = load_yaml(Path(__file__).with_name("tables.yaml"))

DEFAULT_SEED: int = _TABLES["random_seed"]
SYMBOLS: dict[str, str] = dict(_TABLES["symbols"])
SECTORS: dict[str, list[str]] = {k: list(v) for k, v in _TABLES["sectors"].items()}
CLOCK: dict[str, str] = dict(_TABLES["clock"])


def default_state() -> dict[str, Any]:
    """A fresh copy of the default account and market (each instance mutates its own)."""
    return plain_copy(_TABLES["default_state"])  # plain data: a copy without deepcopy's memo


def default_value(field: str) -> Any:
    """A fresh copy of one field of the default state (a scenario sets the others)."""
    return plain_copy(_TABLES["default_state"][field])
