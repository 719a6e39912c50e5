"""Conversion factors of MathAPI's unit tools (facts.json ``math_api.*`` / ``math.*``)."""

from __future__ import annotations

__all__ = ["SI_TO_METERS", "IMPERIAL_FACTORS"]

# metres per unit, for si_unit_conversion
SI_TO_METERS: dict[str, float] = {"km": 1000, "m": 1, "cm": 0.01, "mm": 0.001, "um": 1e-6, "nm": 1e-9}

# "<in>_to_<out>" -> multiplier; the two temperature entries are used as F = C*1.8 + 32 and
# C = (F - 32) * 5/9
IMPERIAL_FACTORS: dict[str, float] = {
    "cm_to_in": 0.393701,
    "in_to_cm": 2.54,
    "m_to_ft": 3.28084,
    "ft_to_m": 0.3048,
    "m_to_yd": 1.09361,
    "yd_to_m": 0.9144,
    "km_to_miles": 0.621371,
    "miles_to_km": 1.60934,
    "kg_to_lb": 2.20462,
    "lb_to_kg": 0.453592,
    "celsius_to_fahrenheit": 1.8,
    "fahrenheit_to_celsius": 5 / 9,
}
