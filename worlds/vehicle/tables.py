"""VehicleControlAPI's data, read once from ``tables.yaml`` beside this module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simtool.service import plain_copy
from simtool.yamlspec import load_yaml

__all__ = [
    "DEFAULT_SEED",
    "LIMITS",
    "UNITS",
    "NEAREST_TIRE_SHOP",
    "ZIPCODES",
    "UNKNOWN_ZIPCODE",
    "DISTANCES",
    "default_state",
]

_TABLES, _ = load_yaml(Path(__file__).with_name("tables.yaml"))

DEFAULT_SEED: int = _TABLES["random_seed"]
LIMITS: dict[str, Any] = dict(_TABLES["limits"])
UNITS: dict[str, float] = dict(_TABLES["units"])
NEAREST_TIRE_SHOP: str = _TABLES["nearest_tire_shop"]
ZIPCODES: dict[str, str] = dict(_TABLES["zipcodes"])
UNKNOWN_ZIPCODE: str = _TABLES["unknown_zipcode"]
# Keyed by the unordered pair of zip codes, so either order finds the distance.
DISTANCES: dict[frozenset[str], float] = {frozenset(row["between"]): row["km"] for row in _TABLES["distances"]}


def default_state() -> dict[str, Any]:
    """A fresh copy of the default car, by scenario key."""
    return plain_copy(_TABLES["default_state"])  # plain data: a copy without deepcopy's memo
