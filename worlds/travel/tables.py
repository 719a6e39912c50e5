"""TravelAPI's data, read once from ``tables.yaml`` beside this module."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from simtool.yamlspec import load_yaml

__all__ = [
    "DEFAULT_SEED",
    "ROUTES",
    "CLASS_FACTORS",
    "EXCHANGE_RATES",
    "AIRPORTS",
    "NEAREST_AIRPORT",
    "BUDGET_FISCAL_YEAR",
    "AGE_REFERENCE_DATE",
    "MINIMUM_AGE",
]

_TABLES, _ = load_yaml(Path(__file__).with_name("tables.yaml"))

DEFAULT_SEED: int = _TABLES["random_seed"]
ROUTES: dict[tuple[str, str], int] = {
    (origin, destination): cost for origin, fares in _TABLES["routes"].items() for destination, cost in fares.items()
}
CLASS_FACTORS: dict[str, int] = dict(_TABLES["class_factors"])
EXCHANGE_RATES: dict[str, float] = dict(_TABLES["exchange_rates"])
AIRPORTS: tuple[str, ...] = tuple(_TABLES["airports"])
NEAREST_AIRPORT: dict[str, str] = dict(_TABLES["nearest_airport"])
BUDGET_FISCAL_YEAR: str = str(_TABLES["budget_fiscal_year"])
AGE_REFERENCE_DATE: date = date.fromisoformat(_TABLES["age_reference_date"])
MINIMUM_AGE: int = _TABLES["minimum_age"]
